"""Extracted values in the event log, and the tables they add up to.

Each value a reviewer enters is one event in the store's log (`Store.record_values`): the study
(its surrogate id), group, instance (1-based; 1 for a group that does not repeat), field, value
(text, number, list of choices, bool, ISO date, or null to clear), unit and role (`extractor`, or
`resolver` for the agreed value after dual extraction). The latest per reviewer, role and field
stands; the store keeps the standing values and the final ones (`review.policy`) up to date.
Frames name a study by its label (`study_id`) and its surrogate id (`study`).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ReviewError
from .form import Form, FormField, display_value, form_for, parse_value
from ..policy import RESOLVER
from .studies import STAGE, resolve_study, study_labels, study_table

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
    "store_values",
    "value_event",
    "write_extraction",
]

VALUE = "value"
EXTRACTOR = "extractor"
#: The person who settles extractors' differences (the same role at every stage).
RECONCILER = RESOLVER
ROLES = (EXTRACTOR, RESOLVER)
#: Older files and callers name the resolver "reconciler".
_ROLE_ALIASES = {"reconciler": RESOLVER}
#: What identifies one value of one study.
KEY = ["study_id", "group", "instance", "field"]
VALUE_COLUMNS = ["reviewer", "role", *KEY, "study", "value", "unit", "at", "event_id"]
LONG_COLUMNS = [*KEY, "study", "label", "type", "value", "unit", "status", "decided_by"]


def object_frame(rows: Iterable, columns: list[str], *, ints: Iterable[str] = ("instance",)) -> pd.DataFrame:
    """A frame whose missing values stay None (pandas would turn them into NaN beside numbers
    or text); the `ints` columns as integers."""
    frame = pd.DataFrame(list(rows), columns=columns, dtype=object)
    for name in ints:
        if name in frame.columns and len(frame):
            frame[name] = frame[name].astype(int)
    return frame


def value_event(form: Form, *, reviewer: str, study_id, field: str, value: Any,
                unit: Any = None, instance: Any = 1, group: str | None = None,
                role: str = EXTRACTOR) -> dict:
    """A checked value for `Store.record_values` (the study as given: label or surrogate id);
    errors name the field as the form labels it."""
    role = _ROLE_ALIASES.get(role, role)
    spec: FormField = form.field(field)
    section = form.group(spec.group)
    if group not in (None, "") and group != spec.group:
        raise ReviewError(f"{spec.describe()}: belongs to group '{spec.group}', not {group!r}")
    if not reviewer or not str(reviewer).strip():
        raise ReviewError(f"{spec.describe()}: a value needs the reviewer's name")
    if isinstance(study_id, str):
        study_id = study_id.strip()
    if not study_id or isinstance(study_id, bool) or not isinstance(study_id, (str, int)):
        raise ReviewError(f"{spec.describe()}: a value needs its study, found {study_id!r}")
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
    return {"reviewer": str(reviewer).strip(), "study_id": study_id, "form_group": spec.group,
            "instance": number, "field": spec.name, "value": parsed, "unit": parsed_unit,
            "role": role}


def store_values(review, rows: list[dict]) -> list[int]:
    """Checked values (`value_event`) to the store in one transaction; returns event ids."""
    if not rows:
        return []
    table = study_table(review) if any(isinstance(r["study_id"], str) for r in rows) else None
    labels = dict(zip(table["study"], table["study_id"])) if table is not None else {}
    rows = [{**r, "study_id": resolve_study(review, r["study_id"], table=table)} for r in rows]
    if table is None:
        labels = study_labels(review)
    return review.store.record_values(
        rows, describe=lambda s: f"Study {labels.get(s, s)}")


def record_value(review, *, form: Form | None = None, **value) -> int:
    """Check and store one value; returns its event id once committed."""
    return store_values(review, [value_event(form or form_for(review), **value)])[0]


def record_values(review, values: Iterable[dict], *, form: Form | None = None) -> int:
    """Check every value first, then store them all in one transaction; returns how many."""
    form = form or form_for(review)
    return len(store_values(review, [value_event(form, **v) for v in values]))


def _label_of(review):
    from .studies import label_of
    return label_of(review)


def reviewer_values(review, *, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each reviewer's standing values: the latest per reviewer, role, study, group, instance and
    field. An extractor's cleared value (null) is dropped; a resolver's null is kept, since it
    decides that the field has no value."""
    stored = review.store.extraction_values()
    if stored.empty:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    label = _label_of(review)
    frame = stored.rename(columns={"form_group": "group", "study_id": "study"})
    frame["study_id"] = frame["study"].map(label).astype(object)
    cleared = frame["value"].map(lambda v: v is None or v == []) & (frame["role"] == EXTRACTOR)
    return frame.loc[~cleared, VALUE_COLUMNS].reset_index(drop=True)


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
    `agreed` (the extractors entered the same), `resolved` (`decided_by` chose it), or
    `conflict` / `pending` with no value yet. `final=False`: every reviewer's standing values,
    with `reviewer` and `role`. `extractors` other than the protocol's count recomputes the
    finals for that count instead of reading the stored ones."""
    from .reconcile import final_values
    form = form_for(review)
    values = reviewer_values(review)
    if not final:
        out = _describe(values, form)
        columns = ["reviewer", "role", *KEY, "label", "type", "value", "unit", "at"]
        return sort_values(out[columns] if not out.empty else pd.DataFrame(columns=columns),
                           form, first=["reviewer", "role"])
    if extractors is not None and extractors != review.protocol.extraction.extractors_per_study:
        finals = final_values(values, extractors=extractors)
    else:
        stored = review.store.extraction_finals()
        label = _label_of(review)
        finals = stored.rename(columns={"form_group": "group", "study_id": "study"})
        finals["study_id"] = finals["study"].map(label).astype(object) if len(finals) else []
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
        if row.status in ("agreed", "resolved") and row.study_id in cells:
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
    open_rows = long[~long["status"].isin(("agreed", "resolved"))] if not long.empty else long
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
    settled = long[(long["group"] == group) & long["status"].isin(("agreed", "resolved"))]
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
