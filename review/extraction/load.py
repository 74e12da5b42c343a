"""Extraction done elsewhere (a spreadsheet pilot, the worked example) loaded into the log.

`studies.csv` (study_id, file, position) links reports to studies; a report is named by the file
it was imported from and its position there, so the links survive rebuilding the review.
`extraction.csv` (reviewer, role, study_id, group, instance, field, value, unit) holds values,
multiple choices joined by "; ". Every row of both files is checked first; one problem anywhere
and nothing is stored, otherwise everything is stored in one transaction.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ReviewError
from ..io.csv_rows import read_csv_rows
from .form import form_for
from .studies import LINK, STAGE, assign_study_ids, included_reports, report_links
from .values import ROLES, value_event

__all__ = [
    "EXTRACTION_COLUMNS",
    "EXTRACTION_FILE",
    "STUDY_COLUMNS",
    "STUDY_FILE",
    "load_extraction",
]

STUDY_FILE = "studies.csv"
EXTRACTION_FILE = "extraction.csv"
STUDY_COLUMNS = ("study_id", "file", "position")
EXTRACTION_COLUMNS = ("reviewer", "role", "study_id", "group", "instance", "field", "value", "unit")
#: Problems listed in one error before "and N more".
_SHOWN = 20


def _read(path: Path, columns: tuple[str, ...]) -> list[dict]:
    return read_csv_rows(path, columns, allow_empty=True)


def _cell(row: dict, name: str) -> str:
    return (row.get(name) or "").strip()


def _fail(problems: list[str]) -> None:
    if len(problems) == 1:
        raise ReviewError(f"{problems[0]}; nothing was loaded")
    shown = problems[:_SHOWN] + ([f"... and {len(problems) - _SHOWN} more"]
                                 if len(problems) > _SHOWN else [])
    raise ReviewError(f"{len(problems)} problems in the extraction files; nothing was loaded:\n"
                      + "\n".join(f"  - {p}" for p in shown))


def _links(review, path: Path, problems: list[str], actor: str) -> list[dict]:
    """Link events for studies.csv, checked against the review's included reports."""
    rows = _read(path, STUDY_COLUMNS)
    store = review.store
    records = store.records(with_raw=False)
    clusters = store.clusters()
    cluster_of = dict(zip(clusters["record_id"], clusters["cluster_id"])) if not clusters.empty else {}
    where = {(f, int(p)): int(r) for f, p, r in
             zip(records["source_file"], records["position"], records["record_id"]) if pd.notna(p)}
    included = set(included_reports(review)["record_id"].astype(int))
    seen: dict[int, int] = {}
    events = []
    for line, row in enumerate(rows, start=2):
        study_id, file = _cell(row, "study_id"), _cell(row, "file")
        try:
            position = int(_cell(row, "position"))
        except ValueError:
            problems.append(f"{path}, line {line}, field 'position': expected a record position "
                            f"(a number), found {_cell(row, 'position')!r}")
            continue
        if not study_id:
            problems.append(f"{path}, line {line}, field 'study_id': expected a study id, found ''")
            continue
        if (file, position) not in where:
            problems.append(f"{path}, line {line}: no record at {file} #{position} in this review")
            continue
        record_id = int(cluster_of.get(where[(file, position)], where[(file, position)]))
        if record_id not in included:
            problems.append(f"{path}, line {line}: the record at {file} #{position} (record "
                            f"{record_id}) is not an included report")
            continue
        if record_id in seen:
            problems.append(f"{path}, line {line}: the record at {file} #{position} (record "
                            f"{record_id}) is already linked on line {seen[record_id]}")
            continue
        seen[record_id] = line
        events.append({"actor": actor, "stage": STAGE, "action": LINK, "record_id": record_id,
                       "payload": {"study_id": study_id}})
    return events


def load_extraction(review, folder: str | Path, *, linked_by: str = "example") -> dict[str, int]:
    """Load `studies.csv` (optional) and `extraction.csv` from `folder`; returns how many links
    and values were stored. Links are recorded as `linked_by`, values as their reviewers."""
    folder = Path(folder)
    studies_path, values_path = folder / STUDY_FILE, folder / EXTRACTION_FILE
    if not values_path.exists() and not studies_path.exists():
        raise ReviewError(f"{folder}: expected {STUDY_FILE} and/or {EXTRACTION_FILE}, found neither")
    problems: list[str] = []
    links = _links(review, studies_path, problems, linked_by) if studies_path.exists() else []
    reports = included_reports(review)
    known = report_links(review.store)
    known.update({e["record_id"]: e["payload"]["study_id"] for e in links})
    study_ids = set(assign_study_ids(reports, known)) if not reports.empty else set()
    values = []
    if values_path.exists():
        form = form_for(review)
        for line, row in enumerate(_read(values_path, EXTRACTION_COLUMNS), start=2):
            where = f"{values_path}, line {line}"
            study_id, role = _cell(row, "study_id"), _cell(row, "role") or "extractor"
            if study_id not in study_ids:
                problems.append(f"{where}, field 'study_id': {study_id!r} is not a study of this "
                                f"review (link its reports in {STUDY_FILE})")
                continue
            if role not in ROLES:
                problems.append(f"{where}, field 'role': expected {' or '.join(ROLES)}, found {role!r}")
                continue
            try:
                values.append(value_event(
                    form, reviewer=_cell(row, "reviewer"), study_id=study_id, role=role,
                    group=_cell(row, "group") or None, instance=_cell(row, "instance") or 1,
                    field=_cell(row, "field"), value=row.get("value"), unit=row.get("unit")))
            except ReviewError as exc:
                problems.append(f"{where}: {exc}")
    if problems:
        _fail(problems)
    review.store.append_events(links + values)
    return {"links": len(links), "values": len(values)}
