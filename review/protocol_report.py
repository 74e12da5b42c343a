"""The protocol's report section: evidence tables, the evidence map, meta-analysis and the
outcomes rated with GRADE, checked against the extraction schema they name fields of."""
from __future__ import annotations

import string
from typing import Literal, Optional

from pydantic import Field, model_validator

from .protocol_schema import _SLUG, ExtractionSchema, _Strict

#: Columns every included study has besides its extracted fields (from the study table).
STUDY_COLUMNS = ("study_id", "first_author", "year", "title", "reports")
#: Field types an evidence map can count studies by.
CATEGORICAL_TYPES = ("single_choice", "multiple_choice", "yes_no")


class EvidenceColumn(_Strict):
    """One evidence-table column: a `field` (written as just its name in the YAML), or several
    fields shown per study (or per experiment of a repeating group) as "first (second, third)",
    or a `template` such as "{outcome_measure}: {treated_mean} vs {control_mean} {unit}"."""

    field: Optional[str] = None
    label: Optional[str] = None
    fields: list[str] = []
    template: Optional[str] = None

    @model_validator(mode="before")
    @classmethod
    def _name_alone(cls, data):
        return {"field": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_source(self):
        if sum(map(bool, (self.field, self.fields, self.template))) != 1:
            raise ValueError("give one of 'field', 'fields' or 'template'")
        if not self.field and not self.label:
            raise ValueError("a column made of several fields needs a 'label'")
        if self.template:
            try:
                parts = list(string.Formatter().parse(self.template))
            except ValueError as exc:
                raise ValueError(f"template is not valid ({exc})") from None
            for _, name, spec, conversion in parts:
                if name is not None and (not _SLUG.match(name) or spec or conversion):
                    raise ValueError(f"template placeholder {{{name}}} must be a plain field name")
        return self

    def field_names(self) -> list[str]:
        """The fields the column shows, in order."""
        if self.template:
            return [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
        return [self.field] if self.field else list(self.fields)


class EvidenceTableSpec(_Strict):
    """Which fields the evidence table shows, in order, and how its rows are grouped and sorted."""

    columns: list[EvidenceColumn] = Field(min_length=1)
    group_by: Optional[str] = None
    sort_by: list[str] = ["year", "study_id"]
    caption: Optional[str] = None
    missing: str = "NR"


class EvidenceMapSpec(_Strict):
    """The evidence map's grid: studies counted by two categorical fields."""

    rows: str = "strategy"
    columns: str = "tumour_type"


class MetaAnalysisSpec(_Strict):
    """The outcome pooled, by which effect measure and heterogeneity estimator."""

    outcome: str = Field(min_length=1)
    outcome_field: str = "outcome_measure"
    measure: Literal["SMD", "MD", "ROM", "RR", "OR"] = "SMD"
    method: Literal["REML", "DL"] = "REML"


class OutcomeSpec(_Strict):
    """An outcome the review synthesises and rates (GRADE): how it is pooled, which direction is
    better, the smallest effect that matters (`threshold`, on the measure's scale: SMD or MD
    units, or a ratio above 1 for RR, OR and ROM), the "favours" labels of its plots, and the
    study-level field its subgroups come from. With fewer than `min_studies` studies with
    complete numbers it is synthesised without meta-analysis (SWiM)."""

    outcome: str = Field(min_length=1)
    label: Optional[str] = None
    outcome_field: str = "outcome_measure"
    measure: Literal["SMD", "MD", "ROM", "RR", "OR"] = "SMD"
    method: Literal["REML", "DL"] = "REML"
    test: Literal["z", "knha"] = "knha"
    better: Literal["lower", "higher"]
    threshold: float = Field(gt=0)
    favours_intervention: str = "intervention"
    favours_control: str = "control"
    subgroup_by: Optional[str] = None
    moderator: Optional[str] = None
    min_studies: int = Field(default=3, ge=2)
    importance: Literal["critical", "important", "not important"] = "critical"

    @model_validator(mode="after")
    def _ratio_threshold(self):
        if self.measure in ("RR", "OR", "ROM") and self.threshold <= 1:
            raise ValueError("threshold: for a ratio measure give the smallest ratio that "
                             "matters, above 1 (e.g. 1.25)")
        return self

    @property
    def name(self) -> str:
        return self.label or self.outcome[:1].upper() + self.outcome[1:]

    @property
    def favours(self) -> tuple[str, str]:
        """(label for effects below no effect, label for effects above it)."""
        lower = (self.favours_intervention, self.favours_control)
        return lower if self.better == "lower" else lower[::-1]


class Report(_Strict):
    """What the report shows; `abbreviations` become table footnotes where they occur."""

    evidence_table: Optional[EvidenceTableSpec] = None
    abbreviations: dict[str, str] = {}
    evidence_map: Optional[EvidenceMapSpec] = None
    meta_analysis: Optional[MetaAnalysisSpec] = None
    outcomes: list[OutcomeSpec] = []


def _report_problems(report: Report, schema: ExtractionSchema) -> list[str]:
    """Names the report refers to that the extraction schema does not have, as field paths."""
    fields = {f.name: f for f in schema.fields}
    repeating = {g.name for g in schema.groups if g.repeating}
    known = f"a field of the extraction schema or a study column ({', '.join(STUDY_COLUMNS)})"
    problems = []

    def check(path: str, name: str, *, per_study: bool = False) -> None:
        if name not in fields and name not in STUDY_COLUMNS:
            problems.append(f"{path}: unknown field {name!r}; expected {known}")
        elif per_study and name in fields and fields[name].group in repeating:
            problems.append(f"{path}: field {name!r} is in the repeating group "
                            f"{fields[name].group!r}; expected a field with one value per study")

    table = report.evidence_table
    if table is not None:
        for i, column in enumerate(table.columns):
            names = column.field_names()
            for name in names:
                check(f"evidence_table.columns[{i}]", name)
            groups = sorted({fields[n].group for n in names if n in fields
                             and fields[n].group in repeating})
            if len(groups) > 1:
                problems.append(f"evidence_table.columns[{i}]: fields from "
                                f"several repeating groups ({', '.join(groups)}) cannot be paired")
        if table.group_by:
            check("evidence_table.group_by", table.group_by, per_study=True)
        for i, name in enumerate(table.sort_by):
            check(f"evidence_table.sort_by[{i}]", name, per_study=True)
    if report.evidence_map is not None:
        for axis in ("rows", "columns"):
            name = getattr(report.evidence_map, axis)
            if name not in fields or fields[name].type not in CATEGORICAL_TYPES:
                problems.append(f"evidence_map.{axis}: {name!r} is not a choice or yes/no field "
                                "of the extraction schema")
    meta = report.meta_analysis
    if meta is not None:
        field = fields.get(meta.outcome_field)
        if field is None:
            problems.append(f"meta_analysis.outcome_field: unknown field {meta.outcome_field!r}")
        elif field.allowed and meta.outcome not in field.allowed:
            problems.append(f"meta_analysis.outcome: {meta.outcome!r} is not one of the values "
                            f"allowed for {field.name!r} ({', '.join(field.allowed)})")
    for i, spec in enumerate(report.outcomes):
        field = fields.get(spec.outcome_field)
        if field is None:
            problems.append(f"outcomes[{i}].outcome_field: unknown field {spec.outcome_field!r}")
        elif field.allowed and spec.outcome not in field.allowed:
            problems.append(f"outcomes[{i}].outcome: {spec.outcome!r} is not one of the values "
                            f"allowed for {field.name!r} ({', '.join(field.allowed)})")
        if spec.subgroup_by:
            check(f"outcomes[{i}].subgroup_by", spec.subgroup_by, per_study=True)
        if spec.moderator:
            check(f"outcomes[{i}].moderator", spec.moderator)
    if len({o.outcome for o in report.outcomes}) != len(report.outcomes):
        problems.append("outcomes: each outcome may be listed once")
    return problems
