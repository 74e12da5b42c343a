"""Screening decisions in the review's append-only event log, and what they add up to.

Each click is one event (stage `title_abstract` or `full_text`, action = the decision, record =
the screened record's cluster, actor = the reviewer) committed before the screen moves on. A
mistake is taken back by an `undo` event naming the event it cancels; nothing is ever updated.
A record's final decision follows from its reviewers' latest decisions: agreement, a conflict
for a third reviewer to resolve, or still pending."""
from __future__ import annotations

import pandas as pd

from ..protocol import STAGES

__all__ = ["AUTOMATION", "DECISIONS", "VERDICTS", "record_decision", "decision_event",
           "exclude_by_automation", "undo_decision", "reviewer_decisions", "final_decisions",
           "FINAL_COLUMNS", "RESOLVER"]

#: What a reviewer can answer. "skip" is "not now"; "not_retrieved" (full text only) is a report
#: that was sought but could not be obtained, which PRISMA counts in its own box.
DECISIONS = ("include", "exclude", "maybe", "skip", "not_retrieved")
#: Decisions that count towards agreement (skip does not).
VERDICTS = ("include", "exclude", "maybe", "not_retrieved")
#: Role of a reviewer who resolves a conflict: their decision is final.
RESOLVER = "resolver"
#: Role of an exclusion by the prioritiser's stopping rule, where the protocol allows it; PRISMA
#: counts these records apart ("marked as ineligible by automation tools").
AUTOMATION = "automation"
UNDO = "undo"
COLUMNS = ["record_id", "reviewer", "decision", "reason", "note", "role", "at", "event_id"]
FINAL_COLUMNS = ["record_id", "final", "reason", "reviewers", "decisions", "resolved_by"]


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")


def decision_event(*, stage: str, record_id: int, reviewer: str, decision: str,
                   reason: str | None = None, note: str = "", role: str = "screener",
                   ai_score: float | None = None) -> dict:
    """A checked decision as an event row, for `Store.append_event(s)`."""
    _check_stage(stage)
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if decision == "not_retrieved" and stage != "full_text":
        raise ValueError("'not_retrieved' is a full-text decision: a report sought but not obtained")
    if not reviewer:
        raise ValueError("a decision needs the reviewer's name")
    if decision == "exclude" and stage == "full_text" and not reason:
        raise ValueError("a full-text exclusion needs a reason from the protocol's list")
    payload = {"reason": reason if decision == "exclude" else None, "note": note or "", "role": role}
    if ai_score is not None:
        payload["ai_score"] = round(float(ai_score), 4)
    return {"actor": reviewer, "stage": stage, "action": decision, "record_id": int(record_id),
            "payload": payload}


def record_decision(store, **decision) -> int:
    """Append one decision and return its event id once it is committed."""
    return store.append_event(**decision_event(**decision))


def undo_decision(store, *, stage: str, event_id: int, reviewer: str) -> int:
    """Cancel an earlier decision with an `undo` event (the log itself never changes)."""
    _check_stage(stage)
    log = store.events(stage)
    target = log[log["event_id"] == event_id]
    if target.empty or target.iloc[0]["action"] not in DECISIONS:
        raise ValueError(f"event {event_id} is not a {stage} decision")
    if target.iloc[0]["actor"] != reviewer:
        raise ValueError(f"decision {event_id} was made by {target.iloc[0]['actor']}; "
                         f"only they can undo it")
    if not log[(log["action"] == UNDO) & log["payload"].map(lambda p: p.get("undoes") == event_id)].empty:
        raise ValueError(f"decision {event_id} was already undone")
    return store.append_event(actor=reviewer, stage=stage, action=UNDO,
                              record_id=int(target.iloc[0]["record_id"]),
                              payload={"undoes": int(event_id)})


def reviewer_decisions(store, stage: str, *, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each reviewer's standing decision per record: the latest one not undone; skips aside."""
    _check_stage(stage)
    log = store.events(stage) if events is None else events
    if log.empty:
        return pd.DataFrame(columns=COLUMNS)
    undone = {p.get("undoes") for p in log.loc[log["action"] == UNDO, "payload"]}
    live = log[log["action"].isin(VERDICTS) & ~log["event_id"].isin(undone)]
    live = live.sort_values("event_id").drop_duplicates(["record_id", "actor"], keep="last")
    out = pd.DataFrame({
        "record_id": live["record_id"].astype(int), "reviewer": live["actor"],
        "decision": live["action"],
        "reason": live["payload"].map(lambda p: p.get("reason") or None).astype(object),
        "note": live["payload"].map(lambda p: p.get("note") or ""),
        "role": live["payload"].map(lambda p: p.get("role", "screener")),
        "at": live["at"], "event_id": live["event_id"].astype(int)})
    return out.sort_values(["record_id", "event_id"]).reset_index(drop=True)


def final_decisions(store, stage: str, *, reviewers_per_record: int = 2,
                    decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per record: include / exclude / not_retrieved when its reviewers agree (or a resolver
    decided), `conflict` when they disagree or one said maybe, `pending` until enough reviewers
    have decided, `ineligible_by_automation` when only automation decided. Only records with at
    least one decision are listed. Vectorised: a 100,000-record review takes seconds, not minutes."""
    decisions = reviewer_decisions(store, stage) if decisions is None else decisions
    if decisions.empty:
        return pd.DataFrame(columns=FINAL_COLUMNS)
    ordered = decisions.sort_values(["record_id", "event_id"], kind="stable")
    by_record = ordered.groupby("record_id", sort=True)
    ids = pd.Index(sorted(by_record.groups), name="record_id")
    out = pd.DataFrame(index=ids)
    out["reviewers"] = by_record["reviewer"].agg(list)
    out["decisions"] = by_record["decision"].agg(list)
    humans = ordered[ordered["role"] != AUTOMATION]
    screeners = humans[humans["role"] != RESOLVER]
    count = screeners.groupby("record_id").size().reindex(ids, fill_value=0)
    kinds = screeners.groupby("record_id")["decision"].nunique().reindex(ids, fill_value=0)
    first = screeners.groupby("record_id")["decision"].first().reindex(ids)
    has_reason = screeners["reason"].map(lambda r: isinstance(r, str) and bool(r)).astype(bool)
    first_reason = screeners.loc[has_reason].groupby("record_id")["reason"].first().reindex(ids)
    final = pd.Series("conflict", index=ids, dtype=object)
    reason = pd.Series(None, index=ids, dtype=object)
    resolved_by = pd.Series(None, index=ids, dtype=object)
    pending = count < reviewers_per_record
    final[pending] = "pending"
    # Agreement: enough screeners, one verdict, and that verdict is not "maybe".
    agreed = ~pending & (kinds == 1) & (first != "maybe")
    final[agreed] = first[agreed]
    reason[agreed] = first_reason[agreed]
    # A resolver's latest verdict (other than maybe) settles the record whatever screeners said.
    resolved = humans[(humans["role"] == RESOLVER) & (humans["decision"] != "maybe")] \
        .drop_duplicates("record_id", keep="last").set_index("record_id")
    final[resolved.index] = resolved["decision"]
    reason[resolved.index] = resolved["reason"]
    resolved_by[resolved.index] = resolved["reviewer"]
    automated = ~ids.isin(humans["record_id"].unique())
    final[automated] = "ineligible_by_automation"
    reason[automated] = None
    resolved_by[automated] = None
    out["final"], out["reason"] = final, reason.where(reason.notna(), None)
    out["resolved_by"] = resolved_by
    return out.reset_index()[FINAL_COLUMNS]


def exclude_by_automation(review, record_ids, *, reviewer: str, note: str = "") -> int:
    """Mark records ineligible by automation (the stopping rule says they are very unlikely to be
    relevant) — only if the protocol's `screening.automation_may_exclude` allows it."""
    from ..errors import ReviewError
    if not review.protocol.screening.automation_may_exclude:
        raise ReviewError("the protocol does not allow automation to exclude records "
                          "(screening.automation_may_exclude is false)")
    rows = [decision_event(stage="title_abstract", record_id=int(r), reviewer=reviewer,
                           decision="exclude", note=note or "ineligible by automation",
                           role=AUTOMATION) for r in record_ids]
    return review.store.append_events(rows) if rows else 0
