"""Decisions made elsewhere (a pilot in a spreadsheet, the worked example) loaded into the log.

A CSV row names its record by the file it was imported from and its position there, so the
decisions survive rebuilding the review; each row becomes one event by its reviewer."""
from __future__ import annotations

from pathlib import Path

from ..errors import ReviewError
from ..io.csv_rows import read_csv_rows
from ..protocol import STAGES
from .decisions import DECISIONS, RESOLVER, decision_event

__all__ = ["load_decisions", "DECISION_COLUMNS"]

DECISION_COLUMNS = ("stage", "file", "position", "reviewer", "decision")


def load_decisions(review, path: str | Path) -> int:
    """Record every row of a decisions CSV (stage, file, position, reviewer, decision, and
    optional role, reason, note); returns how many were recorded. All rows are checked first
    and stored in one transaction, so a bad file records nothing."""
    path = Path(path)
    rows = read_csv_rows(path, DECISION_COLUMNS)
    records = review.store.records(with_raw=False)
    work_of = review.store.work_of_records().to_dict()
    where = {(f, int(p)): int(r) for f, p, r in
             zip(records["source_file"], records["position"], records["record_id"])}
    reasons = {stage: {r.code for r in getattr(review.protocol.exclusion_reasons, stage)}
               for stage in STAGES}
    planned = []
    for line, row in enumerate(rows, start=2):
        stage, decision = row["stage"].strip(), row["decision"].strip()
        reason = (row.get("reason") or "").strip() or None
        problem = None
        try:
            key = (row["file"].strip(), int(row["position"]))
        except ValueError:
            key, problem = None, f"expected a record position (a number), found {row['position']!r}"
        if problem is None and key not in where:
            problem = f"no record at {key[0]} #{key[1]} in this review"
        elif stage not in STAGES:
            problem = f"expected a stage ({', '.join(STAGES)}), found {stage!r}"
        elif decision not in DECISIONS:
            problem = f"expected a decision ({', '.join(DECISIONS)}), found {decision!r}"
        elif reason and reason not in reasons[stage]:
            problem = f"exclusion reason {reason!r} is not in the protocol's {stage} list"
        if problem:
            raise ReviewError(f"{path}, line {line}: {problem}; no decisions were recorded")
        record_id = where[key]
        role = RESOLVER if (row.get("role") or "").strip() == RESOLVER else "screener"
        try:
            planned.append(decision_event(
                stage=stage, record_id=int(work_of.get(record_id, record_id)),
                reviewer=row["reviewer"].strip(), decision=decision, reason=reason,
                note=(row.get("note") or "").strip(), role=role))
        except ValueError as exc:
            raise ReviewError(f"{path}, line {line}: {exc}; no decisions were recorded") from None
    try:
        return len(review.store.record_decisions(planned))
    except ReviewError as exc:
        raise ReviewError(f"{path}: {exc}; no decisions were recorded") from None
