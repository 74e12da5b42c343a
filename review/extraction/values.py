"""Extracted values in the event log, and the tables they add up to.

Each value a reviewer enters is one event (stage `extraction`, action `value`, actor = the
reviewer) whose payload names the study, group, instance (1-based; 1 for a group that does not
repeat), field, value (JSON: text, number, list of choices, bool, ISO date, or null to clear),
unit and role (`extractor`, or `reconciler` for the agreed value after dual extraction). The
latest event per reviewer, role and field wins; nothing is updated in place.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ReviewError
from .form import Form, FormField, display_value, form_for, parse_value
from .studies import STAGE, study_table

__all__ = [
    "EXTRACTOR",
    "KEY",
    "RECONCILER",
    "ROLES",
    "VALUE",
    "VALUE_COLUMNS",
    "extraction_long",
    "extraction_wide",
    "instance_table",
    "object_frame",
    "record_value",
    "record_values",
    "reviewer_values",
    "sort_values",
    "value_event",
    "write_extraction",
]

VALUE = "value"
EXTRACTOR = "extractor"
RECONCILER = "reconciler"
ROLES = (EXTRACTOR, RECONCILER)
#: What identifies one value of one study.
KEY = ["study_id", "group", "instance", "field"]
VALUE_COLUMNS = ["reviewer", "role", *KEY, "value", "unit", "at", "event_id"]
LONG_COLUMNS = [*KEY, "label", "type", "value", "unit", "status", "decided_by"]


def object_frame(rows: Iterable, columns: list[str], *, ints: Iterable[str] = ("instance",)) -> pd.DataFrame:
    """A frame whose missing values stay None (pandas would turn them into NaN beside numbers
    or text); the `ints` columns as integers."""
    frame = pd.DataFrame(list(rows), columns=columns, dtype=object)
    for name in ints:
        if name in frame.columns and len(frame):
            frame[name] = frame[name].astype(int)
    return frame


def value_event(form: Form, *, reviewer: str, study_id: str, field: str, value: Any,
                unit: Any = None, instance: Any = 1, group: str | None = None,
                role: str = EXTRACTOR) -> dict:
    """A checked value as an event row for `Store.append_event(s)`; errors name the field."""
    spec: FormField = form.field(field)
    section = form.group(spec.group)
    if group not in (None, "") and group != spec.group:
        raise ReviewError(f"{spec.describe()}: belongs to group '{spec.group}', not {group!r}")
    if not reviewer or not str(reviewer).strip():
        raise ReviewError(f"{spec.describe()}: a value needs the reviewer's name")
    if not isinstance(study_id, str) or not study_id.strip():
        raise ReviewError(f"{spec.describe()}: a value needs its study id, found {study_id!r}")
    if role not in ROLES:
        raise ReviewError(f"{spec.describe()}: role must be {' or '.join(ROLES)}, not {role!r}")
    try:
        number = int(instance)
        if number != float(instance) or number < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise ReviewError(f"{spec.describe()}: expected an instance number (1, 2, ...), "
                          f"found {instance!r}") from None
    if not section.repeating and number != 1:
        raise ReviewError(f"{spec.describe()}: {section.describe()} does not repeat, so its "
                          f"instance is 1, not {number}")
    where = f", {section.noun} {number}" if section.repeating else ""
    parsed, parsed_unit = parse_value(spec, value, unit, where=where)
    return {"actor": str(reviewer).strip(), "stage": STAGE, "action": VALUE, "record_id": None,
            "payload": {"study_id": study_id.strip(), "group": spec.group, "instance": number,
                        "field": spec.name, "value": parsed, "unit": parsed_unit, "role": role}}


def record_value(review, *, form: Form | None = None, **value) -> int:
    """Check and append one value; returns its event id once committed."""
    row = value_event(form or form_for(review), **value)
    return review.store.append_event(**row)


def record_values(review, values: Iterable[dict], *, form: Form | None = None) -> int:
    """Check every value first, then append them all in one transaction."""
    form = form or form_for(review)
    rows = [value_event(form, **v) for v in values]
    return review.store.append_events(rows) if rows else 0


def reviewer_values(store, *, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each reviewer's standing values: the latest per reviewer, role, study, group, instance and
    field. An extractor's cleared value (null) is dropped; a reconciler's null is kept, since it
    decides that the field has no value."""
    log = store.events(STAGE) if events is None else events
    if not log.empty:
        log = log[log["action"] == VALUE]
    if log.empty:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    payloads = list(log["payload"])
    frame = pd.DataFrame({  # lists, not Series.map: a column of None must stay None, not NaN
        "reviewer": list(log["actor"]),
        "role": [p.get("role") or EXTRACTOR for p in payloads],
        "study_id": [p.get("study_id") for p in payloads],
        "group": [p.get("group") for p in payloads],
        "instance": [int(p.get("instance") or 1) for p in payloads],
        "field": [p.get("field") for p in payloads],
        "value": [p.get("value") for p in payloads],
        "unit": [p.get("unit") for p in payloads],
        "at": list(log["at"]), "event_id": [int(e) for e in log["event_id"]]}, dtype=object)
    frame["instance"] = frame["instance"].astype(int)
    frame["event_id"] = frame["event_id"].astype(int)
    frame = frame.sort_values("event_id").drop_duplicates(["reviewer", "role", *KEY], keep="last")
    cleared = frame["value"].map(lambda v: v is None or v == []) & (frame["role"] == EXTRACTOR)
    return frame[~cleared].reset_index(drop=True)


def sort_values(frame: pd.DataFrame, form: Form, *, first: Iterable[str] = ()) -> pd.DataFrame:
    """Rows in reading order: `first` columns, study, the form's group and field order, instance."""
    if frame.empty:
        return frame.reset_index(drop=True)
    groups = {g.name: i for i, g in enumerate(form.groups)}
    fields = {f.name: i for i, f in enumerate(form.fields)}
    keys = frame.assign(_study=frame["study_id"].str.casefold(),
                        _group=frame["group"].map(lambda g: groups.get(g, len(groups))),
                        _field=frame["field"].map(lambda f: fields.get(f, len(fields))))
    by = [*first, "_study", "study_id", "_group", "instance", "_field", "field"]
    return keys.sort_values(by, kind="stable").drop(columns=["_study", "_group", "_field"]) \
        .reset_index(drop=True)


def _describe(frame: pd.DataFrame, form: Form) -> pd.DataFrame:
    labels = {f.name: f.label for f in form.fields}
    types = {f.name: f.type for f in form.fields}
    return frame.assign(label=frame["field"].map(lambda f: labels.get(f, f)),
                        type=frame["field"].map(lambda f: types.get(f)))


def extraction_long(review, *, final: bool = True, extractors: int | None = None) -> pd.DataFrame:
    """Extraction data in long form, one row per value.

    `final=True`: the review's values per study, group, instance and field, with `status`
    `agreed` (the extractors entered the same), `reconciled` (`decided_by` chose it), or
    `conflict` / `pending` with no value yet. `final=False`: every reviewer's standing values,
    with `reviewer` and `role`."""
    from .reconcile import EXTRACTORS_PER_STUDY, final_values
    form = form_for(review)
    values = reviewer_values(review.store)
    if not final:
        out = _describe(values, form)
        columns = ["reviewer", "role", *KEY, "label", "type", "value", "unit", "at"]
        return sort_values(out[columns] if not out.empty else pd.DataFrame(columns=columns),
                           form, first=["reviewer", "role"])
    finals = final_values(values, extractors=extractors or EXTRACTORS_PER_STUDY)
    out = _describe(finals, form) if not finals.empty else pd.DataFrame(columns=LONG_COLUMNS)
    return sort_values(out[LONG_COLUMNS], form)


def _column(spec: FormField, instance: int | None) -> str:
    return spec.name if instance is None else f"{spec.name}_{instance}"


def extraction_wide(review, *, long: pd.DataFrame | None = None) -> pd.DataFrame:
    """Final extraction data in wide form, one row per study: a column per field (per instance
    for repeating groups: `treated_mean_1`, `treated_mean_2`), a `<column>_unit` column for fields
    with units, and `unresolved`, how many values are still in conflict or pending."""
    form = form_for(review)
    long = extraction_long(review) if long is None else long
    table = study_table(review)
    order = list(dict.fromkeys(list(table["study_id"]) + sorted(set(long["study_id"]),
                                                                 key=str.casefold)))
    reports = table.groupby("study_id", sort=False)["record_id"].agg(lambda r: [int(x) for x in r])
    most = long.groupby("group")["instance"].max().to_dict() if not long.empty else {}
    cells: dict[str, dict[str, Any]] = {s: {} for s in order}
    for row in long.itertuples(index=False):
        if row.status in ("agreed", "reconciled") and row.study_id in cells:
            try:
                spec = form.field(row.field)
            except ReviewError:
                continue  # a field no longer in the schema
            repeating = form.group(spec.group).repeating
            name = _column(spec, int(row.instance) if repeating else None)
            cells[row.study_id][name] = row.value
            cells[row.study_id][name + "_unit"] = row.unit
    columns = []
    for group in form.groups:
        instances = range(1, int(most.get(group.name, 1)) + 1) if group.repeating else [None]
        for instance in instances:
            for spec in group.fields:
                columns.append(_column(spec, instance))
                if spec.units:
                    columns.append(_column(spec, instance) + "_unit")
    open_rows = long[~long["status"].isin(("agreed", "reconciled"))] if not long.empty else long
    unresolved = open_rows.groupby("study_id").size().to_dict() if not open_rows.empty else {}
    rows = [[s, reports.get(s, []), int(unresolved.get(s, 0)), *(cells[s].get(c) for c in columns)]
            for s in order]
    return object_frame(rows, ["study_id", "reports", "unresolved", *columns], ints=("unresolved",))


def instance_table(review, group: str, *, long: pd.DataFrame | None = None) -> pd.DataFrame:
    """Final values of one group, one row per study and instance, a column per field (and per
    unit): what a meta-analysis of the outcome group reads."""
    form = form_for(review)
    section = form.group(group)
    long = extraction_long(review) if long is None else long
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    settled = long[(long["group"] == group) & long["status"].isin(("agreed", "reconciled"))]
    for row in settled.itertuples(index=False):
        cell = rows.setdefault((row.study_id, int(row.instance)),
                               {"study_id": row.study_id, "instance": int(row.instance)})
        cell[row.field] = row.value
        if row.unit:
            cell[row.field + "_unit"] = row.unit
    columns = ["study_id", "instance"]
    for spec in section.fields:
        columns.append(spec.name)
        if spec.units:
            columns.append(spec.name + "_unit")
    out = object_frame([[r.get(c) for c in columns] for r in rows.values()], columns)
    for spec in section.fields:  # numbers as numbers, gaps as NaN / <NA>, for calculations
        if spec.type == "number":
            out[spec.name] = pd.to_numeric(out[spec.name]).astype(float)
        elif spec.type == "integer":
            out[spec.name] = pd.to_numeric(out[spec.name]).astype("Int64")
    order = out["study_id"].map(str.casefold) if len(out) else out["study_id"]
    return out.assign(_order=order).sort_values(["_order", "instance"]) \
        .drop(columns="_order").reset_index(drop=True)


def write_extraction(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write an extraction table as CSV or XLSX (by the file's suffix), spreadsheet formulas
    neutralised; yes/no values as "yes"/"no", lists joined by "; "."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ReviewError(f"{path}: expected a file name ending in .csv or .xlsx, found {suffix or 'no suffix'!r}")
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: display_value(v) if isinstance(v, bool) else v)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    if suffix == ".csv":
        from ..io.table import write_csv
        write_csv(out, part)
    else:
        from ..io.xlsx import write_xlsx
        write_xlsx(out, part)
    part.replace(path)
    return path
