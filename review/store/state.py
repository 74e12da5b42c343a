"""Current state as a fold over the event log: the one definition the store's commands apply
incrementally and `review verify` (and the 0003 migration) apply to the whole log.

Pure functions over event rows (dicts with the log's typed columns and the payload decoded);
no SQL here. What the rules are, in the reviewer's words:

- An import makes each new record a work of its own. A deduplication run *merges* works (the
  merged work keeps its row, pointing at the work it now lives in), *moves* records between
  works, or *splits* records off into a new work; every change is an event.
- A reviewer's screening decision stands until they decide again on the same work or undo it.
  Decisions made on two works that later merged both stand on the merged work (agreeing ones
  agree; disagreeing ones make it a conflict), until the reviewer decides on the merged work.
- Extraction values and judgements: the latest per study, field (domain) and reviewer stands.
- Final answers follow from the standing ones by the dual-review policy (`review.policy`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..extraction.form import same_value
from ..policy import (AGREED, CONFLICT, PENDING, RESOLVED, RESOLVER, Opinion, merged_panel, panel,
                      settle)

__all__ = ["SCREENING_STAGES", "VERDICTS", "AUTOMATION", "Needed", "DecisionFold", "Replay",
           "screening_final", "extraction_finals_for", "judgement_finals_for", "value_state",
           "judgement_state", "VALUE_KEY", "JUDGEMENT_KEY", "stand_on",
           "undone_ids", "decode"]

SCREENING_STAGES = ("title_abstract", "full_text")
#: Screening answers that count towards agreement ("skip" is "not now" and changes nothing).
VERDICTS = ("include", "exclude", "maybe", "not_retrieved")
#: Role of an exclusion by the prioritiser's stopping rule.
AUTOMATION = "automation"


@dataclass(frozen=True)
class Needed:
    """How many independent reviewers each stage needs (from the protocol)."""

    screening: int = 2
    extraction: int = 2
    appraisal: int = 2

    @classmethod
    def from_protocol(cls, protocol) -> "Needed":
        return cls(protocol.screening.reviewers_per_record,
                   protocol.extraction.extractors_per_study,
                   protocol.risk_of_bias.assessors_per_study)


def decode(payload: Any) -> dict:
    if isinstance(payload, dict):
        return payload
    return json.loads(payload) if payload else {}


def undone_ids(events: Iterable[dict]) -> set[int]:
    return {int(e["undoes"]) for e in events if e.get("undoes") is not None}


# -- screening decisions ------------------------------------------------------------------------------
class DecisionFold:
    """Standing screening decisions, folded event by event: {(stage, work made on, reviewer): row}.

    `apply_merge` must be fed the work merges in log order between the decisions, so that "the
    same work" means what it meant when each decision was made."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int, str], dict] = {}
        self._current: dict[int, int] = {}
        self._members: dict[int, set[int]] = {}

    def current(self, work: int) -> int:
        seen = work
        while seen in self._current:
            seen = self._current[seen]
        return seen

    def apply_merge(self, survivor: int, absorbed: int) -> None:
        survivor, absorbed = self.current(survivor), self.current(absorbed)
        if survivor == absorbed:
            return
        self._current[absorbed] = survivor
        group = self._members.setdefault(survivor, {survivor})
        group |= self._members.pop(absorbed, {absorbed})

    def apply_revival(self, work: int) -> None:
        """A work merged away earlier lives again: its decisions go back to it."""
        live = self.current(work)
        self._current.pop(work, None)
        if live != work:
            self._members.get(live, set()).discard(work)
            self._members[work] = {work}

    def apply_decision(self, event: dict) -> None:
        stage, work, reviewer = event["stage"], int(event["work_id"]), event["actor"]
        replaced = [origin for origin in self._members.get(self.current(work), {work})
                    if self.rows.pop((stage, origin, reviewer), None) is not None]
        # A new decision replaces the reviewer's earlier ones on the (merged) work and stays
        # with the part they judged, so that they remain one of its screeners.
        work = min(replaced) if replaced else work
        payload = decode(event["payload"])
        self.rows[(stage, work, reviewer)] = {
            "stage": stage, "work_id": work, "reviewer": reviewer, "decision": event["action"],
            "reason": (payload.get("reason") or None) if event["action"] == "exclude" else None,
            "note": payload.get("note") or "", "role": event.get("role") or "screener",
            "at": event["at"], "event_id": int(event["event_id"])}

    @staticmethod
    def counts(event: dict, undone: set[int]) -> bool:
        return (event["stage"] in SCREENING_STAGES and event["action"] in VERDICTS
                and int(event["event_id"]) not in undone)


def screening_panel(rows: list[dict], needed: int) -> list[str]:
    """The screeners who count on a work: the first N of each work it was made of."""
    parts: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        if r["role"] not in (RESOLVER, AUTOMATION):
            parts.setdefault(r["work_id"], []).append((r["event_id"], r["reviewer"]))
    return merged_panel(parts.values(), needed)


def screening_final(rows: list[dict], needed: int) -> dict:
    """The final decision of one work from its standing decisions (rows of `DecisionFold`)."""
    rows = sorted(rows, key=lambda r: r["event_id"])
    humans = [r for r in rows if r["role"] != AUTOMATION]
    out = {"reviewers": [r["reviewer"] for r in rows], "decisions": [r["decision"] for r in rows],
           "reason": None, "resolved_by": None}
    if not humans:
        return {**out, "final": "ineligible_by_automation"}
    opinions = [Opinion(r["reviewer"], r["decision"], r["event_id"], r["role"] == RESOLVER)
                for r in humans]
    members = screening_panel(rows, needed)
    result = settle(opinions, needed, members=members, undecided=lambda v: v == "maybe")
    if result.status == RESOLVED:
        last = max((r for r in humans if r["role"] == RESOLVER and r["decision"] != "maybe"),
                   key=lambda r: r["event_id"])
        return {**out, "final": result.value, "reason": last["reason"],
                "resolved_by": result.decided_by}
    if result.status == AGREED:
        reasons = [r["reason"] for r in humans
                   if r["role"] != RESOLVER and r["reviewer"] in members and r["reason"]]
        return {**out, "final": result.value, "reason": reasons[0] if reasons else None}
    return {**out, "final": result.status}


# -- extraction and appraisal ----------------------------------------------------------------------------
def _same_entry(a: tuple, b: tuple) -> bool:
    if not same_value(a[0], b[0]):
        return False
    return a[0] is None or a[0] == [] or (a[1] or None) == (b[1] or None)


def _empty(value: Any) -> bool:
    return value is None or value == []


def extraction_finals_for(rows: list[dict], needed: int) -> list[dict]:
    """Final values of one study's fields from its standing values (rows with form_group,
    instance, field, reviewer, role, value, unit, event_id). A resolver's "no value" leaves no
    row; an extractor's cleared value counts as not entered."""
    extractors = [r for r in rows if r["role"] != RESOLVER and not _empty(r["value"])]
    members = panel(((r["event_id"], r["reviewer"]) for r in extractors), needed)
    entered = {r["event_id"] for r in extractors if r["reviewer"] in members}
    keys = dict.fromkeys((r["form_group"], r["instance"], r["field"])
                         for r in sorted(rows, key=lambda r: r["event_id"])
                         if r["role"] == RESOLVER or r["event_id"] in entered)
    by_key: dict[tuple, list[dict]] = {}
    for r in rows:
        by_key.setdefault((r["form_group"], r["instance"], r["field"]), []).append(r)
    out = []
    for key in keys:
        mine = by_key[key]
        opinions = [Opinion(r["reviewer"], (r["value"], r["unit"]), r["event_id"],
                            r["role"] == RESOLVER)
                    for r in mine if r["role"] == RESOLVER or r["event_id"] in entered]
        result = settle(opinions, needed, members=members, same=_same_entry,
                        missing=(None, None))
        row = {"form_group": key[0], "instance": key[1], "field": key[2], "value": None,
               "unit": None, "status": result.status, "decided_by": result.decided_by}
        if result.status in (AGREED, RESOLVED):
            if _empty(result.value[0]):
                continue  # agreed that there is no value
            row["value"], row["unit"] = result.value
        out.append(row)
    return out


def judgement_finals_for(rows: list[dict], needed: int) -> list[dict]:
    """Final judgements of one study and tool from its standing judgements (rows with domain,
    reviewer, role, judgement, support, event_id)."""
    assessors = [r for r in rows if r["role"] != RESOLVER]
    members = panel(((r["event_id"], r["reviewer"]) for r in assessors), needed)
    by_domain: dict[str, list[dict]] = {}
    for r in sorted(rows, key=lambda r: r["event_id"]):
        by_domain.setdefault(r["domain"], []).append(r)
    out = []
    for domain, mine in by_domain.items():
        counted = [r for r in mine if r["role"] == RESOLVER or r["reviewer"] in members]
        if not counted:
            continue
        opinions = [Opinion(r["reviewer"], r["judgement"], r["event_id"], r["role"] == RESOLVER)
                    for r in counted]
        result = settle(opinions, needed, members=members)
        names = [r["reviewer"] for r in counted if r["role"] != RESOLVER]
        support = ""
        if result.status == RESOLVED:
            support = max((r for r in counted if r["role"] == RESOLVER),
                          key=lambda r: r["event_id"])["support"]
        elif result.status == AGREED:
            agreed = [r for r in counted if r["role"] != RESOLVER]
            support = agreed[0]["support"] if len(agreed) == 1 else "\n".join(
                f"{r['reviewer']}: {r['support']}" for r in agreed)
        out.append({"domain": domain, "judgement": result.value, "support": support,
                    "status": result.status, "assessors": names,
                    "decided_by": result.decided_by})
    return out


def stand_on(replaced, study: int) -> int:
    """The study a new value or judgement is kept under: the part of a merged study where the
    reviewer's earlier one was (so they stay one of its reviewers), else the study given."""
    return min(replaced) if replaced else study


#: Key columns of the standing values and judgements.
VALUE_KEY = ("study_id", "form_group", "instance", "field", "reviewer", "role")
JUDGEMENT_KEY = ("study_id", "tool", "domain", "reviewer", "role")


def value_state(e: dict) -> dict:
    """The standing-value row a value event makes (the same for commands and the replay)."""
    payload = decode(e["payload"])
    return {"study_id": int(e["study_id"]), "form_group": e["form_group"],
            "instance": int(e["instance"]), "field": e["field"], "reviewer": e["actor"],
            "role": e["role"], "value": json.dumps(payload.get("value"), ensure_ascii=False),
            "unit": payload.get("unit"), "at": e["at"], "event_id": int(e["event_id"])}


def judgement_state(e: dict) -> dict:
    """The standing-judgement row a judgement event makes."""
    payload = decode(e["payload"])
    return {"study_id": int(e["study_id"]), "tool": e["tool"], "domain": e["domain"],
            "reviewer": e["actor"], "role": e["role"], "judgement": payload["judgement"],
            "support": payload.get("support") or "",
            "answers": json.dumps(payload.get("answers") or {}, ensure_ascii=False,
                                  sort_keys=True),
            "at": e["at"], "event_id": int(e["event_id"])}


# -- the whole log -------------------------------------------------------------------------------------
@dataclass
class Replay:
    """The state the log adds up to. Feed every event in order (`apply`), then read `tables()`.

    `records_by_source`: each source's record ids in id order, which an import event turns into
    works numbered from the event's `work_id`."""

    records_by_source: dict[int, list[int]]
    undone: set[int] = field(default_factory=set)
    works: dict[int, dict] = field(default_factory=dict)
    record_works: dict[int, int] = field(default_factory=dict)
    studies: dict[int, dict] = field(default_factory=dict)
    study_reports: dict[int, int] = field(default_factory=dict)
    values: dict[tuple, dict] = field(default_factory=dict)
    judgements: dict[tuple, dict] = field(default_factory=dict)
    protocols: dict[int, dict] = field(default_factory=dict)
    certainty: dict[tuple, dict] = field(default_factory=dict)
    decisions: DecisionFold = field(default_factory=DecisionFold)
    members: dict[int, set[int]] = field(default_factory=dict)
    merged_into: dict[int, int] = field(default_factory=dict)
    _standing: dict[tuple, set] = field(default_factory=dict)

    def _new_work(self, work_id: int, records: list[int], event_id: int, origin: str,
                  head: int | None = None) -> None:
        self.works[work_id] = {"work_id": work_id, "head_record_id": head or min(records),
                               "current_work_id": work_id, "created_event_id": event_id,
                               "origin": origin}
        for record in records:
            self._place(record, work_id)

    def _place(self, record: int, work: int) -> None:
        old = self.record_works.get(record)
        if old is not None:
            self.members[old].discard(record)
        self.record_works[record] = work
        self.members.setdefault(work, set()).add(record)

    def apply(self, e: dict) -> None:
        stage, action, event_id = e["stage"], e["action"], int(e["event_id"])
        if stage == "identification" and action == "import" and e.get("work_id") is not None:
            first = int(e["work_id"])
            for offset, record in enumerate(self.records_by_source.get(int(e["source_id"]), [])):
                self._new_work(first + offset, [record], event_id, "import")
        elif stage == "works":
            payload = decode(e["payload"])
            if action == "migrate":
                for work_id, records in payload["works"]:
                    self._new_work(int(work_id), [int(r) for r in records], event_id, "migration")
            elif action == "merge":
                survivor, absorbed = int(e["work_id"]), int(e["other_work_id"])
                for record in list(self.members.get(absorbed, ())):
                    self._place(record, survivor)
                self.merged_into[absorbed] = survivor
                self.decisions.apply_merge(survivor, absorbed)
                # The absorbed work's study link goes to the survivor unless it has its own.
                study = self.study_reports.pop(absorbed, None)
                if study is not None and survivor not in self.study_reports:
                    self.study_reports[survivor] = study
            elif action in ("split", "move"):
                records = [int(r) for r in payload["records"]]
                if action == "split" and payload.get("revive"):
                    revived = int(e["work_id"])
                    parent = self.merged_into.pop(revived, None)
                    # Works merged into the revived one earlier stay where their merge left
                    # them: a merge re-points every work then in the absorbed one to the
                    # survivor (the store's `works.current_work_id`), and a revival brings back
                    # the revived work alone.
                    if parent is not None:
                        for work, into in list(self.merged_into.items()):
                            if into == revived:
                                self.merged_into[work] = parent
                    self.decisions.apply_revival(revived)
                elif action == "split":
                    self._new_work(int(e["work_id"]), records, event_id, "split",
                                   payload.get("head"))
                for record in records:
                    self._place(record, int(e["work_id"]))
        elif DecisionFold.counts(e, self.undone):
            self.decisions.apply_decision(e)
        elif stage == "extraction":
            self._extraction(e, action)
        elif stage == "risk_of_bias" and action == "judgement":
            self._stand(self.judgements, judgement_state(e), JUDGEMENT_KEY)
        elif stage == "certainty" and action == "certainty":
            self._certainty(e)
        elif stage == "protocol" and action == "protocol":
            payload = decode(e["payload"])
            self.protocols[int(payload["version"])] = {
                "version": int(payload["version"]), "event_id": event_id,
                "text": payload["text"], "sha256": payload["sha256"]}

    def _stand(self, table: dict, row: dict, key: tuple[str, ...]) -> None:
        """A reviewer's new value or judgement replaces theirs on every study now merged with
        its study, and stays with the part they entered it on (`stand_on`)."""
        rest = tuple(row[k] for k in key[1:])
        parts = self._standing.setdefault((id(table), rest), set())
        live = self.studies.get(row["study_id"], {}).get("current_study_id", row["study_id"])
        replaced = {s for s in parts
                    if self.studies.get(s, {}).get("current_study_id", s) == live}
        for study in replaced:
            table.pop((study, *rest), None)
        parts -= replaced
        row["study_id"] = stand_on(replaced, row["study_id"])
        parts.add(row["study_id"])
        table[(row["study_id"], *rest)] = row

    def _extraction(self, e: dict, action: str) -> None:
        payload = decode(e["payload"])
        study = int(e["study_id"]) if e.get("study_id") is not None else None
        if action == "create_study":
            self.studies[study] = {"study_id": study, "name": payload.get("name"),
                                   "current_study_id": study,
                                   "created_event_id": int(e["event_id"])}
            if e.get("work_id") is not None:
                self.study_reports[int(e["work_id"])] = study
        elif action == "link_report":  # no study: a link taken back (stores before 0003)
            if study is None:
                self.study_reports.pop(int(e["work_id"]), None)
            else:
                self.study_reports[int(e["work_id"])] = study
        elif action == "name_study":
            self.studies[study]["name"] = payload.get("name")
        elif action == "merge_study":
            absorbed = int(e["other_study_id"])
            for row in self.studies.values():
                if row["current_study_id"] == absorbed:
                    row["current_study_id"] = study
        elif action == "value":
            self._stand(self.values, value_state(e), VALUE_KEY)

    def tables(self, needed: Needed) -> dict[str, list[dict]]:
        """Rows of every current-state table, finals included."""
        for work, row in self.works.items():
            live = work
            while live in self.merged_into:
                live = self.merged_into[live]
            row["current_work_id"] = live
        current_work = {w: row["current_work_id"] for w, row in self.works.items()}
        by_work: dict[tuple[str, int], list[dict]] = {}
        for row in self.decisions.rows.values():
            by_work.setdefault((row["stage"], current_work.get(row["work_id"], row["work_id"])),
                               []).append(row)
        finals = []
        for (stage, work), rows in by_work.items():
            final = screening_final(rows, needed.screening)
            finals.append({"stage": stage, "work_id": work, "final": final["final"],
                           "reason": final["reason"], "resolved_by": final["resolved_by"],
                           "reviewers": json.dumps(final["reviewers"], ensure_ascii=False),
                           "decisions": json.dumps(final["decisions"])})
        current_study = {s: row["current_study_id"] for s, row in self.studies.items()}
        values_by_study: dict[int, list[dict]] = {}
        for row in self.values.values():
            values_by_study.setdefault(current_study.get(row["study_id"], row["study_id"]),
                                       []).append({**row, "value": json.loads(row["value"])})
        value_finals = []
        for study, rows in values_by_study.items():
            for final in extraction_finals_for(rows, needed.extraction):
                value_finals.append({"study_id": study, **final,
                                     "value": json.dumps(final["value"], ensure_ascii=False)})
        judged: dict[tuple[int, str], list[dict]] = {}
        for row in self.judgements.values():
            judged.setdefault((current_study.get(row["study_id"], row["study_id"]), row["tool"]),
                              []).append(row)
        judgement_finals = []
        for (study, tool), rows in judged.items():
            for final in judgement_finals_for(rows, needed.appraisal):
                judgement_finals.append({"study_id": study, "tool": tool, **final,
                                         "assessors": json.dumps(final["assessors"],
                                                                 ensure_ascii=False)})
        return {
            "works": list(self.works.values()),
            "record_works": [{"record_id": r, "work_id": w} for r, w in self.record_works.items()],
            "screening_decisions": list(self.decisions.rows.values()),
            "screening_finals": finals,
            "studies": list(self.studies.values()),
            "study_reports": [{"work_id": w, "study_id": s} for w, s in self.study_reports.items()],
            "extraction_values": list(self.values.values()),
            "extraction_finals": value_finals,
            "judgements": list(self.judgements.values()),
            "judgement_finals": judgement_finals,
            "protocol_versions": list(self.protocols.values()),
            "certainty_judgements": list(self.certainty.values()),
        }

    def _certainty(self, e: dict) -> None:
        """A reviewer's GRADE judgement of an outcome's domain stands until the next one; an
        empty judgement withdraws it (the report's pre-judgement applies again)."""
        payload = decode(e["payload"])
        key = (e["field"], e["domain"])
        if not payload.get("judgement"):
            self.certainty.pop(key, None)
            return
        self.certainty[key] = {"outcome": e["field"], "domain": e["domain"],
                               "judgement": payload["judgement"],
                               "reason": payload.get("reason") or "", "reviewer": e["actor"],
                               "at": e["at"], "event_id": int(e["event_id"])}


#: Statuses a final can have, for checks.
FINAL_STATUSES = (AGREED, RESOLVED, CONFLICT, PENDING)
