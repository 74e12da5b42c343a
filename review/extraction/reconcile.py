"""Dual extraction under the review's one dual-review policy (`review.policy`): the protocol's
N extractors (`extraction.extractors_per_study`) extract each study independently; where they
differ, a resolver records the agreed value, with their name.

A value is final when the study's first N extractors entered the same (`agreed`), or when a
resolver decided it (`resolved`, which also settles "no value"); otherwise it is `conflict`
(the extractors differ, or one has a value the other lacks, such as an experiment only one of
them extracted) or `pending` (fewer than N reviewers have extracted the study yet). Anyone else
is told that the study has its extractors and cannot disturb their values.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..store.state import extraction_finals_for
from .form import Form, display_value, form_for, same_value
from .values import (
    EXTRACTOR,
    KEY,
    RECONCILER,
    object_frame,
    record_value,
    reviewer_values,
    sort_values,
)

__all__ = [
    "DIFFERENCE_COLUMNS",
    "EXTRACTORS_PER_STUDY",
    "FINAL_COLUMNS",
    "differences",
    "extractors_of",
    "final_values",
    "reconcile",
    "take_value",
]

#: Reviewers who extract each study independently, unless the protocol says otherwise.
EXTRACTORS_PER_STUDY = 2
FINAL_COLUMNS = [*KEY, "study", "value", "unit", "status", "decided_by"]
DIFFERENCE_COLUMNS = [*KEY, "label", "issue", "reviewer_a", "value_a", "unit_a", "reviewer_b",
                      "value_b", "unit_b", "shown_a", "shown_b", "decided_by", "agreed_value",
                      "agreed_unit"]


def _same(a: tuple[Any, Any] | None, b: tuple[Any, Any] | None) -> bool:
    a, b = a or (None, None), b or (None, None)
    if not same_value(a[0], b[0]):
        return False
    return a[0] is None or a[0] == [] or (a[1] or None) == (b[1] or None)


def extractors_of(values: pd.DataFrame) -> dict[str, list[str]]:
    """Per study, its extractors in the order they started."""
    mine = values[values["role"] == EXTRACTOR].sort_values("event_id")
    return {s: list(dict.fromkeys(g["reviewer"])) for s, g in mine.groupby("study_id", sort=False)}


def _by_key(values: pd.DataFrame) -> dict[tuple, dict[str, tuple[Any, Any]]]:
    out: dict[tuple, dict[str, tuple[Any, Any]]] = {}
    for row in values.itertuples(index=False):
        key = (row.study_id, row.group, int(row.instance), row.field)
        out.setdefault(key, {})[row.reviewer] = (row.value, row.unit)
    return out


def final_values(values: pd.DataFrame, *, extractors: int = EXTRACTORS_PER_STUDY) -> pd.DataFrame:
    """Per study, group, instance and field: the final value and its status (see the module),
    by the same rule the store applies. A resolver's decision of "no value" leaves no row."""
    if values.empty:
        return pd.DataFrame(columns=FINAL_COLUMNS)
    rows = []
    study_key = "study" if "study" in values.columns else "study_id"
    for study, group in values.groupby(study_key, sort=False):
        label = group["study_id"].iloc[0]
        mine = [{"form_group": r.group, "instance": int(r.instance), "field": r.field,
                 "reviewer": r.reviewer, "role": r.role, "value": r.value, "unit": r.unit,
                 "event_id": int(r.event_id)} for r in group.itertuples(index=False)]
        for final in extraction_finals_for(mine, extractors):
            rows.append((label, final["form_group"], final["instance"], final["field"], study,
                         final["value"], final["unit"], final["status"], final["decided_by"]))
    return object_frame(rows, FINAL_COLUMNS)


def _issue(form: Form, key: tuple, a: str, b: str, va, vb, instances: dict) -> str:
    study, group, instance, _ = key
    try:
        section = form.group(group)
    except Exception:  # noqa: BLE001 - a group no longer in the schema
        section = None
    if section is not None and section.repeating:
        mine = instances.get((study, group, a), set())
        theirs = instances.get((study, group, b), set())
        if instance in mine and instance not in theirs:
            return f"{section.noun} {instance} extracted by {a} only"
        if instance in theirs and instance not in mine:
            return f"{section.noun} {instance} extracted by {b} only"
    if va is None:
        return f"no value from {a}"
    if vb is None:
        return f"no value from {b}"
    return "values differ"


def differences(review, reviewer_a: str | None = None, reviewer_b: str | None = None, *,
                study_id: str | None = None, include_decided: bool = False,
                values: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every field where two extractors of a study differ, one row each: different values, a
    value only one entered, and each field of a repeating-group instance only one extracted.

    Without names, each study's first two extractors are compared. Studies not yet extracted by
    both are left out (they are pending, not in conflict). Differences a reconciler decided are
    left out unless `include_decided`; then `decided_by` and the agreed value are filled."""
    form = form_for(review)
    values = reviewer_values(review) if values is None else values
    if values.empty:
        return pd.DataFrame(columns=DIFFERENCE_COLUMNS)
    if study_id is not None:
        values = values[values["study_id"] == study_id]
    if values.empty:
        return pd.DataFrame(columns=DIFFERENCE_COLUMNS)
    extractors = values[values["role"] == EXTRACTOR]
    entered = _by_key(extractors)
    filled = extractors[extractors["value"].map(lambda v: v is not None and v != []).astype(bool)]
    instances = {k: set(g["instance"].astype(int)) for k, g in
                 filled.groupby(["study_id", "group", "reviewer"])}
    decided = values[values["role"] == RECONCILER].sort_values("event_id").drop_duplicates(KEY, keep="last")
    verdicts = {(r.study_id, r.group, int(r.instance), r.field): r for r in decided.itertuples(index=False)}
    labels = {f.name: f.label for f in form.fields}
    rows = []
    for study, names in extractors_of(values).items():
        pair = [reviewer_a, reviewer_b] if reviewer_a and reviewer_b else names[:2]
        if len(pair) < 2 or not set(pair) <= set(names):
            continue
        a, b = pair
        for key, by in entered.items():
            if key[0] != study:
                continue
            va, vb = by.get(a), by.get(b)
            if (va is None and vb is None) or _same(va, vb):
                continue
            verdict = verdicts.get(key)
            if verdict is not None and not include_decided:
                continue
            va, vb = va or (None, None), vb or (None, None)
            rows.append({
                "study_id": key[0], "group": key[1], "instance": key[2], "field": key[3],
                "label": labels.get(key[3], key[3]),
                "issue": _issue(form, key, a, b, va[0], vb[0], instances),
                "reviewer_a": a, "value_a": va[0], "unit_a": va[1],
                "reviewer_b": b, "value_b": vb[0], "unit_b": vb[1],
                "shown_a": display_value(*va), "shown_b": display_value(*vb),
                "decided_by": verdict.reviewer if verdict is not None else None,
                "agreed_value": verdict.value if verdict is not None else None,
                "agreed_unit": verdict.unit if verdict is not None else None})
    if not rows:
        return pd.DataFrame(columns=DIFFERENCE_COLUMNS)
    return sort_values(object_frame([[r[c] for c in DIFFERENCE_COLUMNS] for r in rows],
                                    DIFFERENCE_COLUMNS), form)


def reconcile(review, *, study_id: str, group: str | None, instance: int, field: str, value: Any,
              unit: Any = None, reviewer: str) -> int:
    """Record the agreed value of one field (None: agreed that there is no value) as the
    resolver; checked like any value. Returns the event id."""
    return record_value(review, reviewer=reviewer, study_id=study_id, group=group,
                        instance=instance, field=field, value=value, unit=unit, role=RECONCILER)


def take_value(review, difference: dict | pd.Series, side: str, *, reviewer: str) -> int:
    """Agree on reviewer A's (`side="a"`) or B's (`"b"`) value of a difference row."""
    if side not in ("a", "b"):
        raise ValueError(f"side must be 'a' or 'b', not {side!r}")
    d = dict(difference)
    return reconcile(review, study_id=d["study_id"], group=d["group"], instance=int(d["instance"]),
                     field=d["field"], value=d[f"value_{side}"], unit=d[f"unit_{side}"],
                     reviewer=reviewer)
