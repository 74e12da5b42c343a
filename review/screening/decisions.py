"""Screening decisions, recorded through the store, and what they add up to.

Each click is one event (stage `title_abstract` or `full_text`, the decision, the work screened,
the reviewer) committed before the screen moves on; the store keeps each reviewer's standing
decision and each work's final decision up to date in the same transaction. A mistake is taken
back by an `undo` event naming the event it cancels; nothing is ever updated. A work's final
decision follows from its reviewers' decisions by the review's one dual-review policy
(`review.policy`): agreement of the first N screeners, a conflict for a resolver, or pending.

Frames keep the column name `record_id` for the work's id (a work is named by the id of the
first record it was found as, until a split gives it a new one)."""
from __future__ import annotations

import pandas as pd

from ..policy import RESOLVER
from ..protocol import STAGES
from ..store.state import AUTOMATION, screening_final

__all__ = ["AUTOMATION", "DECISIONS", "VERDICTS", "record_decision", "decision_event",
           "exclude_by_automation", "undo_decision", "reviewer_decisions", "final_decisions",
           "FINAL_COLUMNS", "RESOLVER"]

#: What a reviewer can answer. "skip" is "not now"; "not_retrieved" (full text only) is a report
#: that was sought but could not be obtained, which PRISMA counts in its own box.
DECISIONS = ("include", "exclude", "maybe", "skip", "not_retrieved")
#: Decisions that count towards agreement (skip does not).
VERDICTS = ("include", "exclude", "maybe", "not_retrieved")
#: Role of a reviewer who screens independently.
SCREENER = "screener"
UNDO = "undo"
COLUMNS = ["record_id", "decided_on", "reviewer", "decision", "reason", "note", "role", "at",
           "event_id"]
FINAL_COLUMNS = ["record_id", "final", "reason", "reviewers", "decisions", "resolved_by"]


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")


def decision_event(*, stage: str, record_id: int, reviewer: str, decision: str,
                   reason: str | None = None, note: str = "", role: str = "screener",
                   ai_score: float | None = None) -> dict:
    """A checked decision on the work `record_id`, for `Store.record_decisions`."""
    _check_stage(stage)
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if decision == "not_retrieved" and stage != "full_text":
        raise ValueError("'not_retrieved' is a full-text decision: a report sought but not obtained")
    if not reviewer:
        raise ValueError("a decision needs the reviewer's name")
    if decision == "exclude" and stage == "full_text" and not reason:
        raise ValueError("a full-text exclusion needs a reason from the protocol's list")
    if role not in (SCREENER, RESOLVER, AUTOMATION):
        raise ValueError(f"role must be one of {SCREENER}, {RESOLVER}, {AUTOMATION}, not {role!r}")
    return {"stage": stage, "work_id": int(record_id), "reviewer": reviewer, "decision": decision,
            "reason": reason if decision == "exclude" else None, "note": note or "",
            "role": role, "ai_score": None if ai_score is None else round(float(ai_score), 4)}


def record_decision(store, **decision) -> int:
    """Store one decision and return its event id once it is committed."""
    return store.record_decisions([decision_event(**decision)])[0]


def undo_decision(store, *, stage: str, event_id: int, reviewer: str) -> int:
    """Cancel an earlier decision with an `undo` event (the log itself never changes)."""
    _check_stage(stage)
    return store.undo_decision(stage=stage, event_id=int(event_id), reviewer=reviewer)


def reviewer_decisions(store, stage: str, *, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each reviewer's standing decision per work: the latest one not undone; skips aside.
    `decided_on` is the work the decision was made on (another, merged into this one, at times)."""
    _check_stage(stage)
    frame = store.screening_decisions(stage)
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    return frame.rename(columns={"work_id": "record_id"})[COLUMNS] \
        .sort_values(["record_id", "event_id"]).reset_index(drop=True)


def final_decisions(store, stage: str, *, reviewers_per_record: int | None = None,
                    decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per work: include / exclude / not_retrieved when its reviewers agree (or a resolver
    decided), `conflict` when they disagree or one said maybe, `pending` until enough reviewers
    have decided, `ineligible_by_automation` when only automation decided. Only works with at
    least one decision are listed. Read from the store's current state, unless `decisions` (or
    a number of reviewers other than the protocol's) asks for them to be worked out here."""
    if decisions is None and (reviewers_per_record is None or store is None
                              or reviewers_per_record == store.needed().screening):
        finals = store.screening_finals(stage)
        return finals.rename(columns={"work_id": "record_id"})[FINAL_COLUMNS]
    decisions = reviewer_decisions(store, stage) if decisions is None else decisions
    if decisions.empty:
        return pd.DataFrame(columns=FINAL_COLUMNS)
    needed = reviewers_per_record or (store.needed().screening if store is not None else 2)
    rows = []
    for record_id, group in decisions.groupby("record_id", sort=True):
        final = screening_final([{"reviewer": r.reviewer, "decision": r.decision,
                                  "reason": r.reason, "role": r.role, "event_id": int(r.event_id),
                                  "work_id": getattr(r, "decided_on", record_id)}
                                 for r in group.itertuples(index=False)], needed)
        rows.append((int(record_id), final["final"], final["reason"], final["reviewers"],
                     final["decisions"], final["resolved_by"]))
    out = pd.DataFrame(rows, columns=FINAL_COLUMNS)
    for name in ("reason", "resolved_by"):
        out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


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
    return len(review.store.record_decisions(rows))
