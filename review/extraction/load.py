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
from .studies import included_reports, study_table
from .values import ROLES, _ROLE_ALIASES, value_event

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


def _links(review, path: Path, problems: list[str]) -> dict[str, list[int]]:
    """Works per study label in studies.csv, checked against the review's included reports."""
    rows = _read(path, STUDY_COLUMNS)
    store = review.store
    records = store.records(with_raw=False)
    work_of = store.work_of_records().to_dict()
    where = {(f, int(p)): int(r) for f, p, r in
             zip(records["source_file"], records["position"], records["record_id"]) if pd.notna(p)}
    included = set(included_reports(review)["record_id"].astype(int))
    seen: dict[int, int] = {}
    groups: dict[str, list[int]] = {}
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
        work = int(work_of.get(where[(file, position)], where[(file, position)]))
        if work not in included:
            problems.append(f"{path}, line {line}: the record at {file} #{position} (record "
                            f"{work}) is not an included report")
            continue
        if work in seen:
            problems.append(f"{path}, line {line}: the record at {file} #{position} (record "
                            f"{work}) is already linked on line {seen[work]}")
            continue
        seen[work] = line
        groups.setdefault(study_id, []).append(work)
    return groups


def load_extraction(review, folder: str | Path, *, linked_by: str = "example") -> dict[str, int]:
    """Load `studies.csv` (optional) and `extraction.csv` from `folder`; returns how many links
    and values were stored. Links are recorded as `linked_by`, values as their reviewers.
    Every row is checked before anything is stored."""
    folder = Path(folder)
    studies_path, values_path = folder / STUDY_FILE, folder / EXTRACTION_FILE
    if not values_path.exists() and not studies_path.exists():
        raise ReviewError(f"{folder}: expected {STUDY_FILE} and/or {EXTRACTION_FILE}, found neither")
    problems: list[str] = []
    groups = _links(review, studies_path, problems) if studies_path.exists() else {}
    store = review.store
    table = study_table(review)
    study_of_work = dict(zip(store.study_reports()["work_id"], store.study_reports()["study_id"]))
    known = dict(zip(table["study_id"], table["study"].astype(int)))
    linked = {w for works in groups.values() for w in works}
    known = {label: study for label, study in known.items()
             if not set(table.loc[table["study"] == study, "record_id"]) & linked}
    targets = {label: known.get(label) or int(study_of_work[works[0]])
               for label, works in groups.items()}
    known.update(targets)
    values = []
    if values_path.exists():
        form = form_for(review)
        for line, row in enumerate(_read(values_path, EXTRACTION_COLUMNS), start=2):
            where = f"{values_path}, line {line}"
            study_id, role = _cell(row, "study_id"), _cell(row, "role") or "extractor"
            role = _ROLE_ALIASES.get(role, role)
            if study_id not in known:
                problems.append(f"{where}, field 'study_id': {study_id!r} is not a study of this "
                                f"review (link its reports in {STUDY_FILE})")
                continue
            if role not in ROLES:
                problems.append(f"{where}, field 'role': expected {' or '.join(ROLES)}, found {role!r}")
                continue
            try:
                values.append(value_event(
                    form, reviewer=_cell(row, "reviewer"), study_id=known[study_id], role=role,
                    group=_cell(row, "group") or None, instance=_cell(row, "instance") or 1,
                    field=_cell(row, "field"), value=row.get("value"), unit=row.get("unit")))
            except ReviewError as exc:
                problems.append(f"{where}: {exc}")
    if problems:
        _fail(problems)
    names = {study: label for label, study in known.items()}
    with store.batch():  # links and values land together, or nothing does
        for label, works in groups.items():
            store.link_reports(targets[label], works, reviewer=linked_by, name=label)
        stored = store.record_values(values, describe=lambda s: f"Study {names.get(s, s)}")
    return {"links": sum(len(works) for works in groups.values()), "values": len(stored)}
