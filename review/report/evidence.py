"""Evidence tables: one row per included study, showing the extraction fields the protocol's
`report.evidence_table` names, grouped and sorted as it says.

Headers are the fields' labels; multiple choices are joined by "; "; numbers carry their unit
("128 nm"); a repeating group (experiments, outcomes) is summarised in one cell, its instances
joined by "; " ("xenograft (melanoma, A375); in vitro cell line (breast, MCF-7)"). Abbreviations
from the protocol's list that occur in the table become its footnote. The table lists exactly
the included studies: a study nobody has extracted yet still gets its row (values "NR"), and
values recorded under a study id that is no longer an included study are left out and named.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ReviewError
from ..protocol import (
    STUDY_COLUMNS,
    EvidenceColumn,
    EvidenceTableSpec,
    ExtractionField,
    ExtractionSchema,
    Report,
)
from .glossary import abbreviations_in, glossary
from .tables import cell_text, format_number, write_table

__all__ = ["EVIDENCE_FORMATS", "STUDY_LABELS", "StudyValues", "default_spec", "study_values",
           "study_level", "evidence_table", "write_evidence_tables"]

#: The files `write_evidence_tables` writes, as evidence_table.<suffix>.
EVIDENCE_FORMATS = ("csv", "xlsx", "md", "tex", "docx")
#: Headers of the study columns (they come from the study table, not the extraction form).
STUDY_LABELS = {"study_id": "Study", "first_author": "First author", "year": "Year",
                "title": "Title", "reports": "Reports"}
DEFAULT_CAPTION = "Characteristics of the included studies"
#: What the missing-value marker means when the protocol's abbreviations do not say.
MISSING_MEANING = "not reported"

Value = tuple[Any, Any]          # (value, unit)


@dataclass
class StudyValues:
    """One study's final values: per field with one value per study, and per repeating group a
    list of instances (field -> value), in instance order."""

    study_id: str
    single: dict[str, Value] = dataclass_field(default_factory=dict)
    instances: dict[str, list[dict[str, Value]]] = dataclass_field(default_factory=dict)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set)):
        return not value
    return False


def default_spec(schema: ExtractionSchema) -> EvidenceTableSpec:
    """The table when the protocol names none: the study and every required field."""
    columns = ["study_id"] + [f.name for f in schema.fields if f.required]
    return EvidenceTableSpec(columns=columns)


def _repeating(schema: ExtractionSchema) -> dict[str, str]:
    """Field name -> its group, for fields in repeating groups."""
    groups = {g.name for g in schema.groups if g.repeating}
    return {f.name: f.group for f in schema.fields if f.group in groups}


def study_values(extraction_wide: pd.DataFrame, schema: ExtractionSchema,
                 studies: pd.DataFrame | None = None) -> dict[str, StudyValues]:
    """Each study's values from the wide extraction table, in study order.

    Reads both shapes a wide table takes: one row per study with a column per instance of a
    repeating field (`tumour_type_1`, `tumour_type_2`, units in `dose_1_unit`), or rows per
    study and `instance` with plain field columns. Study columns (first author, year, title,
    reports) come from `studies` (one row per study) where given, else from the table."""
    if "study_id" not in extraction_wide.columns:
        raise ReviewError("extraction table: missing column 'study_id'; expected one row per "
                          "study (or per study and instance) with a column per field")
    repeating = _repeating(schema)
    columns = set(extraction_wide.columns)
    suffixed = {f: sorted((int(m.group(1)), c) for c in columns
                          if (m := re.fullmatch(re.escape(f) + r"_(\d+)", c)))
                for f in repeating}
    out: dict[str, StudyValues] = {}
    by_instance: dict[str, dict[str, dict[int, dict[str, Value]]]] = {}
    has_instance = "instance" in columns
    for row in extraction_wide.to_dict("records"):
        study = str(row["study_id"])
        values = out.setdefault(study, StudyValues(study))
        slots = by_instance.setdefault(study, {})
        for name in STUDY_COLUMNS[1:]:
            if name in row and not _missing(row[name]) and name not in values.single:
                values.single[name] = (row[name], None)
        for spec in schema.fields:
            name = spec.name
            if name not in repeating:
                if name in row and not _missing(row[name]) and name not in values.single:
                    values.single[name] = (row[name], row.get(f"{name}_unit"))
                continue
            found = list(suffixed[name])
            if has_instance and name in row and not _missing(row.get("instance")):
                found.append((int(row["instance"]), name))
            for number, column in found:
                value = row.get(column)
                if _missing(value):
                    continue
                unit = row.get(f"{column}_unit", row.get(f"{name}_unit"))
                slot = slots.setdefault(repeating[name], {}).setdefault(number, {})
                slot.setdefault(name, (value, unit))
    for study, groups in by_instance.items():
        out[study].instances = {g: [slots[n] for n in sorted(slots)] for g, slots in groups.items()}
    if studies is not None:
        for row in studies.to_dict("records"):
            values = out.setdefault(str(row["study_id"]), StudyValues(str(row["study_id"])))
            for name in STUDY_COLUMNS[1:]:
                if name in row and not _missing(row[name]):
                    values.single[name] = (row[name], None)
    return out


_UNIT_POWER = re.compile(r"(?<![A-Za-z])(mm|cm|dm|km|µm|nm|m)\^?([23])(?![0-9])")
_MICRO = re.compile(r"(?<![A-Za-z])u(g|L|l|M|m|mol)(?![A-Za-z])")


def typeset_unit(unit: Any) -> str:
    """A unit as printed: "mm3" -> "mm³", "cm^2" -> "cm²", "ug/mL" -> "µg/mL"."""
    text = _MICRO.sub(lambda m: "µ" + ("L" if m.group(1) == "l" else m.group(1)), str(unit))
    return _UNIT_POWER.sub(lambda m: m.group(1) + "²³"[int(m.group(2)) - 2], text)


def _is_unit_field(spec: ExtractionField) -> bool:
    return spec.type == "text" and (spec.name == "unit" or spec.name.endswith("_unit"))


def _format(spec: ExtractionField | None, name: str, value: Any, unit: Any) -> str | None:
    """A value as the table shows it, or None when there is none."""
    if _missing(value):
        return None
    if spec is None:                                  # a study column
        if name == "reports" and isinstance(value, (list, tuple)):
            return str(len(value))
        return cell_text(value)
    if spec.type in ("number", "integer") and not isinstance(value, bool):
        try:
            text = format_number(float(value))
        except (TypeError, ValueError):
            return cell_text(value)
        unit = unit if not _missing(unit) else spec.unit
        if _missing(unit):
            return text
        unit = typeset_unit(unit)
        return f"{text}{unit}" if unit == "%" else f"{text} {unit}"
    if _is_unit_field(spec):
        return typeset_unit(cell_text(value)) or None
    return cell_text(value) or None


def _render(column: EvidenceColumn, specs: Mapping[str, ExtractionField],
            context: Mapping[str, Value], missing: str) -> tuple[str | None, bool]:
    """The cell for one study or instance, and whether it shows the missing-value marker."""
    names = column.field_names()
    texts = {n: _format(specs.get(n), n, *context.get(n, (None, None))) for n in names}
    if column.field:
        return texts[column.field], False
    if all(t is None for t in texts.values()):
        return None, False
    if column.template:
        first, *rest = names
        if rest and texts[first] is not None and all(texts[n] is None for n in rest):
            # "cytotoxicity: NR", not "cytotoxicity, NR: NR vs NR NR"
            return f"{texts[first]}: {missing}", True
        shown = column.template.format(**{n: missing if t is None else t for n, t in texts.items()})
        shown = re.sub(r"(\d) %", r"\1%", re.sub(r"\s+", " ", shown))   # "7.9%", as for numbers
        return shown.strip(), any(t is None for t in texts.values())
    parts = [t for t in texts.values() if t is not None]
    return parts[0] + (f" ({', '.join(parts[1:])})" if parts[1:] else ""), False


def _merged(column: EvidenceColumn, specs: Mapping[str, ExtractionField],
            contexts: list[Mapping[str, Value]]) -> list[str]:
    """Instances alike in every field but the last shown once, their last values together:
    "in vitro cell line (breast: 4T1, MDA-MB-231); syngeneic (breast: 4T1)". A last value
    listing several ("A375; SK-MEL-28") counts as several."""
    names = column.field_names()
    merged: dict[tuple, list[str]] = {}
    for context in contexts:
        texts = [_format(specs.get(n), n, *context.get(n, (None, None))) for n in names]
        if all(t is None for t in texts):
            continue
        items = merged.setdefault(tuple(texts[:-1]), [])
        for item in re.split(r"\s*;\s*", texts[-1] or ""):
            if item and item not in items:
                items.append(item)
    shown = []
    for head, items in merged.items():
        first, *middle = head
        inner = ", ".join(items)
        lead = ", ".join(m for m in middle if m is not None)
        if lead:
            inner = f"{lead}: {inner}" if inner else lead
        if first is None:
            shown.append(inner)
        else:
            shown.append(f"{first} ({inner})" if inner else first)
    return shown


def _cell(column: EvidenceColumn, values: StudyValues, specs: Mapping[str, ExtractionField],
          repeating: Mapping[str, str], missing: str) -> tuple[str, bool]:
    """One study's cell: a repeating group's instances rendered one by one, distinct texts
    joined by "; " (a column of several fields merges like instances: `_merged`); the
    missing-value marker where nothing is known."""
    groups = sorted({repeating[n] for n in column.field_names() if n in repeating})
    contexts: list[Mapping[str, Value]] = [values.single]
    if groups:
        contexts = [{**values.single, **instance}
                    for instance in values.instances.get(groups[0], [])]
    if groups and len(column.fields) >= 2:
        shown = _merged(column, specs, contexts)
        return ("; ".join(shown), False) if shown else (missing, True)
    shown, marked = [], False
    for context in contexts:
        text, used = _render(column, specs, context, missing)
        if text is not None and text not in shown:
            shown.append(text)
            marked |= used
    return ("; ".join(shown), marked) if shown else (missing, True)


def _header(column: EvidenceColumn, specs: Mapping[str, ExtractionField]) -> str:
    if column.label:
        return column.label
    spec = specs.get(column.field)
    return (spec.label or spec.name) if spec else STUDY_LABELS.get(column.field, column.field)


def _sort_key(value: Any) -> tuple:
    """Numbers before text, missing last; text without regard to case."""
    value = value[0] if isinstance(value, tuple) else value
    if _missing(value):
        return (2, "")
    if isinstance(value, (list, tuple)):
        value = "; ".join(map(str, value))
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, str(value).casefold(), str(value))


def _abbreviations(texts: Iterable[str], abbreviations: Mapping[str, str]) -> dict[str, str]:
    """The abbreviations (and plurals such as "EVs") that occur as words in `texts`, from the
    shipped glossary and `abbreviations` (the protocol's, which take precedence)."""
    return abbreviations_in(texts, glossary(abbreviations))


def evidence_table(extraction_wide: pd.DataFrame, spec: Report | EvidenceTableSpec | None,
                   schema: ExtractionSchema, *, studies: pd.DataFrame | None = None,
                   abbreviations: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The evidence table, one row of display text per study, sorted and grouped as `spec`
    says (the protocol's `report`, or its `evidence_table`; None: `default_spec`).

    Rows are exactly the studies in `studies` (one row per study, e.g.
    `review.extraction.studies.studies(review)`) when given, else those in `extraction_wide`.
    `frame.attrs` carries `caption`, `footnotes` (the abbreviations used), `group_by` (the
    header of the grouping column, or None), `abbreviations` and `not_included` (study ids in the
    extraction that are not among `studies`)."""
    if isinstance(spec, Report):
        abbreviations = spec.abbreviations if abbreviations is None else abbreviations
        spec = spec.evidence_table
    spec = spec or default_spec(schema)
    abbreviations = dict(abbreviations or {})
    specs = {f.name: f for f in schema.fields}
    repeating = _repeating(schema)
    values = study_values(extraction_wide, schema, studies)
    order = list(values) if studies is None else list(dict.fromkeys(map(str, studies["study_id"])))
    not_included = [s for s in values if s not in set(order)]
    columns = list(spec.columns)
    group_column = None
    if spec.group_by:
        allowed = getattr(specs.get(spec.group_by), "allowed", None) or []
        shown = [c for c in columns if c.field == spec.group_by]
        group_column = shown[0] if shown else EvidenceColumn(field=spec.group_by)
        columns = [group_column] + [c for c in columns if c is not group_column]
    headers: list[str] = []
    for column in columns:
        header, number = _header(column, specs), 1
        while header in headers:                      # labels shared by two columns
            number += 1
            header = f"{_header(column, specs)} ({number})"
        headers.append(header)
    rows, keys, used_missing = [], [], False
    for study in order:
        found = values.get(study, StudyValues(study))
        found.single.setdefault("study_id", (study, None))
        cells = []
        for column in columns:
            text, marked = _cell(column, found, specs, repeating, spec.missing)
            if column is group_column and not marked:
                text = text[:1].upper() + text[1:]    # a section heading: "Drug-loaded"
            cells.append(text)
            used_missing |= marked
        key: list[tuple] = []
        if group_column:
            raw = found.single.get(spec.group_by, (None, None))[0]
            rank = allowed.index(raw) if isinstance(raw, str) and raw in allowed else len(allowed)
            key.append((rank,) + _sort_key(raw))
        key += [_sort_key(found.single.get(name)) for name in spec.sort_by]
        keys.append(tuple(key) + (_sort_key(study),))
        rows.append(cells)
    ordered = [row for _, row in sorted(zip(keys, rows), key=lambda pair: pair[0])]
    frame = pd.DataFrame(ordered, columns=headers, dtype=object)
    found_abbreviations = _abbreviations(headers + [t for r in ordered for t in r], abbreviations)
    if used_missing and spec.missing not in found_abbreviations:
        found_abbreviations = dict(sorted({**found_abbreviations, spec.missing: MISSING_MEANING}
                                          .items(), key=lambda item: item[0].casefold()))
    footnotes = []
    if found_abbreviations:
        footnotes.append("Abbreviations: " + "; ".join(f"{short}, {meaning}" for short, meaning
                                                       in found_abbreviations.items()) + ".")
    frame.attrs.update(caption=spec.caption or DEFAULT_CAPTION, footnotes=footnotes,
                       group_by=headers[0] if group_column else None,
                       abbreviations=found_abbreviations, not_included=not_included)
    return frame


def study_level(extraction_wide: pd.DataFrame, schema: ExtractionSchema, names: Sequence[str],
                studies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Raw values of `names` (fields or study columns), one row per study and combination of the
    repeating instances they span: a study with two experiments gives two rows pairing each
    experiment's tumour type with the study's strategy. Multiple choices stay lists. What the
    evidence map and the studies-per-year plot count."""
    repeating = _repeating(schema)
    values = study_values(extraction_wide, schema, studies)
    order = list(values) if studies is None else list(dict.fromkeys(map(str, studies["study_id"])))
    groups = list(dict.fromkeys(repeating[n] for n in names if n in repeating))
    rows = []
    for study in order:
        found = values.get(study, StudyValues(study))
        base = {n: found.single.get(n, (None, None))[0] for n in names if n not in repeating}
        base["study_id"] = study
        lists = [found.instances.get(g, []) or [{}] for g in groups]
        for combination in product(*lists):
            row = dict(base)
            for instance in combination:
                row.update({n: v[0] for n, v in instance.items() if n in names})
            rows.append({c: row.get(c) for c in ["study_id", *names]})
    return pd.DataFrame(rows, columns=list(dict.fromkeys(["study_id", *names])), dtype=object)


def write_evidence_tables(review, out_dir: str | Path, *, formats: Sequence[str] = EVIDENCE_FORMATS,
                          echo: Callable[[str], None] = print) -> list[Path]:
    """Write evidence_table.csv, .xlsx, .md, .tex and .docx for the review's included studies
    from its final (agreed or reconciled) extraction; returns the paths written."""
    from ..extraction.studies import studies as study_rows
    from ..extraction.studies import study_table
    from ..extraction.values import extraction_wide
    table = study_table(review)
    frame = evidence_table(extraction_wide(review), review.protocol.report, review.protocol.extraction,
                           studies=study_rows(review, table=table))
    if frame.attrs["not_included"]:
        echo("evidence table: values recorded for study id(s) that are not included studies were "
             f"left out: {', '.join(frame.attrs['not_included'])}")
    out_dir = Path(out_dir)
    return [write_table(frame, out_dir / f"evidence_table.{suffix}", caption=frame.attrs["caption"],
                        footnotes=frame.attrs["footnotes"], group_by=frame.attrs["group_by"])
            for suffix in formats]
