"""The review protocol (`protocols/<review>/protocol.yaml`), validated so every error names its field."""
from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path
from typing import Literal, Optional

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import ProtocolError, validation_report

__all__ = [
    "Protocol", "Search", "OtherMethodsSource", "ExclusionReason", "ExtractionField",
    "load_protocol", "parse_protocol", "STAGES", "FIELD_TYPES", "RISK_OF_BIAS_TOOLS",
    "OTHER_METHOD_KINDS", "Report", "EvidenceTableSpec", "EvidenceColumn", "EvidenceMapSpec",
    "MetaAnalysisSpec", "OutcomeSpec", "STUDY_COLUMNS", "Amendment",
]

#: Screening stages in the order PRISMA reports them.
STAGES = ("title_abstract", "full_text")
#: Types an extraction field can have.
FIELD_TYPES = ("text", "number", "integer", "single_choice", "multiple_choice", "yes_no", "date")
#: Risk-of-bias and appraisal tools the workbench knows.
RISK_OF_BIAS_TOOLS = ("SYRCLE", "RoB2", "ROBINS-I", "MISEV", "none")
#: PRISMA 2020's "other methods" kinds.
OTHER_METHOD_KINDS = ("website", "organisation", "citation_searching", "other")

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Framework(_Strict):
    """PICO for interventions, PECO for exposures; one sentence or list per element."""

    type: Literal["PICO", "PECO"] = "PICO"
    population: str
    intervention: Optional[str] = None
    exposure: Optional[str] = None
    comparator: Optional[str] = None
    outcomes: list[str] = Field(min_length=1)
    study_designs: list[str] = []

    @model_validator(mode="after")
    def _element_matches_type(self):
        if self.type == "PICO" and not self.intervention:
            raise ValueError("a PICO framework needs 'intervention'")
        if self.type == "PECO" and not self.exposure:
            raise ValueError("a PECO framework needs 'exposure'")
        return self


class Eligibility(_Strict):
    include: list[str] = Field(min_length=1)
    exclude: list[str] = []


def inside_folder(name: str) -> str:
    """A file named in the protocol is a path relative to the protocol's folder that stays in
    it: an absolute path or one climbing out with '..' (`/etc/passwd`) is refused."""
    from pathlib import PurePosixPath, PureWindowsPath
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() \
            or PureWindowsPath(name).drive or name.startswith("~"):
        raise ValueError(f"{name} is outside the protocol's folder: give a path relative to "
                         f"the folder holding protocol.yaml (e.g. searches/pubmed.nbib)")
    depth = 0
    for part in PureWindowsPath(name).parts:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            raise ValueError(f"{name} is outside the protocol's folder: keep the exports in "
                             f"the folder holding protocol.yaml or below it")
    return name


class Search(_Strict):
    """One database or register searched: what was asked, when, and the export holding the result."""

    name: str = Field(min_length=1)
    kind: Literal["database", "register"] = "database"
    platform: Optional[str] = None
    date: dt.date
    query: str = Field(min_length=1)
    file: Optional[str] = None
    format: Optional[str] = None
    records_reported: Optional[int] = Field(default=None, ge=0)

    @field_validator("file")
    @classmethod
    def _inside(cls, value: Optional[str]) -> Optional[str]:
        return value if value is None else inside_folder(value)


class OtherMethodsSource(_Strict):
    """A PRISMA 'other methods' source: websites, organisations, citation searching."""

    name: str = Field(min_length=1)
    kind: Literal["website", "organisation", "citation_searching", "other"]
    date: Optional[dt.date] = None
    description: Optional[str] = None
    files: list[str] = []

    @field_validator("files")
    @classmethod
    def _inside(cls, value: list[str]) -> list[str]:
        return [inside_folder(name) for name in value]


class ExclusionReason(_Strict):
    code: str
    label: str = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be lower-case letters, digits and '_', starting with a letter")
        return value


class ExclusionReasons(_Strict):
    title_abstract: list[ExclusionReason] = []
    full_text: list[ExclusionReason] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self):
        for stage in STAGES:
            codes = [r.code for r in getattr(self, stage)]
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                raise ValueError(f"{stage}: duplicate reason code(s) {', '.join(dupes)}")
        return self


class Keywords(_Strict):
    """Terms highlighted while screening: include terms in one colour, exclude terms in another."""

    include: list[str] = []
    exclude: list[str] = []


class ExtractionField(_Strict):
    name: str
    label: Optional[str] = None
    type: Literal["text", "number", "integer", "single_choice", "multiple_choice", "yes_no", "date"]
    required: bool = False
    allowed: Optional[list[str]] = None
    unit: Optional[str] = None
    units: Optional[list[str]] = None
    minimum: Optional[float] = None  # number fields: the smallest value allowed (a size: 0)
    maximum: Optional[float] = None  # number fields: the largest value allowed (a share: 100)
    help: Optional[str] = None
    group: Optional[str] = None

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be lower-case letters, digits and '_', starting with a letter")
        return value

    @model_validator(mode="after")
    def _consistent(self):
        if self.type in ("single_choice", "multiple_choice") and not self.allowed:
            raise ValueError(f"a {self.type} field needs 'allowed' values")
        if self.type not in ("single_choice", "multiple_choice") and self.allowed:
            raise ValueError(f"'allowed' only applies to choice fields, not {self.type}")
        if (self.unit or self.units) and self.type not in ("number", "integer"):
            raise ValueError(f"'unit' only applies to number fields, not {self.type}")
        if (self.minimum is not None or self.maximum is not None) \
                and self.type not in ("number", "integer"):
            raise ValueError(f"'minimum' and 'maximum' only apply to number fields, not {self.type}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"'minimum' ({self.minimum:g}) is above 'maximum' ({self.maximum:g})")
        return self


class ExtractionGroup(_Strict):
    name: str
    label: Optional[str] = None
    repeating: bool = False


class ExtractionSchema(_Strict):
    groups: list[ExtractionGroup] = []
    #: Reviewers who extract each study independently (the dual-review policy's N).
    extractors_per_study: int = Field(default=2, ge=1, le=5)
    fields: list[ExtractionField] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self):
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate field name(s) {', '.join(dupes)}")
        groups = {g.name for g in self.groups}
        unknown = sorted({f.group for f in self.fields if f.group and f.group not in groups})
        if unknown:
            raise ValueError(f"field group(s) {', '.join(unknown)} not declared in 'groups'")
        return self


class RiskOfBias(_Strict):
    tool: Literal["SYRCLE", "RoB2", "ROBINS-I", "MISEV", "none"]
    second_tool: Optional[Literal["SYRCLE", "RoB2", "ROBINS-I", "MISEV"]] = None
    note: Optional[str] = None
    #: Reviewers who appraise each study independently (the dual-review policy's N).
    assessors_per_study: int = Field(default=2, ge=1, le=5)


class StoppingRule(_Strict):
    """When title/abstract screening may stop: the recall the team aims for and the level of
    the test that recall is no lower (the hypergeometric rule; a random sample confirms it)."""

    recall_target: float = Field(default=0.95, gt=0.5, le=1.0)
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)


class Screening(_Strict):
    """How screening runs: reviewers per record, blinding, what automation may do, when to stop."""

    reviewers_per_record: int = Field(default=2, ge=1, le=5)
    blind: bool = True
    hide_ai_score_when_blind: bool = False
    automation_may_exclude: bool = False
    stopping: StoppingRule = StoppingRule()


DUPLICATE_KINDS = ("erratum", "retraction", "comment", "preprint", "conference_abstract")


class Deduplication(_Strict):
    """What deduplication may merge. Kinds listed in `keep_apart` are never merged with a record
    of another kind: an erratum is not its article, a conference abstract not the full paper."""

    keep_apart: list[Literal["erratum", "retraction", "comment", "preprint", "conference_abstract"]] = \
        list(DUPLICATE_KINDS)
    cochrane_versions_same: bool = True
    title_same: float = Field(default=0.95, gt=0.5, le=1.0)
    title_unsure: float = Field(default=0.85, gt=0.5, le=1.0)

    @model_validator(mode="after")
    def _band(self):
        if self.title_unsure > self.title_same:
            raise ValueError("title_unsure must not be above title_same")
        return self


# -- report (evidence tables, figures, meta-analysis) ----------------------------------------------
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


class Amendment(_Strict):
    """A change to the protocol after it was registered or first used: when, what and why
    (PRISMA 2020 item 24c)."""

    date: dt.date
    change: str = Field(min_length=1)
    reason: Optional[str] = None


class Protocol(_Strict):
    title: str = Field(min_length=1)
    short_name: Optional[str] = None
    #: Register and number ("PROSPERO CRD42024000000"), or a statement that it was not registered.
    registration: Optional[str] = None
    #: Where the protocol can be read (a URL, a DOI, "supplementary file 1").
    protocol_access: Optional[str] = None
    #: Sources of support and the funders' role (PRISMA 2020 item 25); "None" when there were none.
    funding: Optional[str] = None
    #: The authors' declaration (PRISMA 2020 item 26); "None declared" when there are none.
    competing_interests: Optional[str] = None
    amendments: list[Amendment] = []
    authors: list[str] = []
    review_question: str = Field(min_length=1)
    framework: Framework
    eligibility: Eligibility
    searches: list[Search] = Field(min_length=1)
    other_methods: list[OtherMethodsSource] = []
    exclusion_reasons: ExclusionReasons
    keywords: Keywords = Keywords()
    deduplication: Deduplication = Deduplication()
    screening: Screening = Screening()
    extraction: ExtractionSchema
    risk_of_bias: RiskOfBias
    report: Report = Report()

    @field_validator("report")
    @classmethod
    def _report_names_known_fields(cls, report: Report, info: ValidationInfo) -> Report:
        schema = info.data.get("extraction")
        problems = _report_problems(report, schema) if schema is not None else []
        if len(problems) == 1:
            raise ValueError(problems[0])
        if problems:
            raise ValueError(f"{len(problems)} problems with the fields it names:\n      "
                             + "\n      ".join(problems))
        return report

    @model_validator(mode="after")
    def _unique_sources(self):
        names = [s.name for s in self.searches] + [o.name for o in self.other_methods]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source name(s) {', '.join(dupes)} used more than once")
        return self

    def reason_codes(self, stage: str) -> list[str]:
        return [r.code for r in getattr(self.exclusion_reasons, stage)]


def parse_protocol(data: dict, file: str = "protocol.yaml") -> Protocol:
    if not isinstance(data, dict):
        raise ProtocolError(f"{file}: expected a mapping of protocol fields at the top level")
    try:
        return Protocol.model_validate(data)
    except ValidationError as error:
        raise ProtocolError(validation_report(file, "protocol", error)) from None


def load_protocol(path: str | Path, *, check_files: bool = True) -> Protocol:
    """Read and validate a protocol; search and other-methods files must exist beside it."""
    from .yaml_text import read_yaml_file
    path = Path(path)
    data = read_yaml_file(path, ProtocolError, "protocol")
    protocol = parse_protocol(data, str(path))
    if check_files:
        missing = []
        for i, search in enumerate(protocol.searches):
            if search.file and not (path.parent / search.file).exists():
                missing.append(f"  - searches[{i}].file: {search.file} does not exist")
        for i, source in enumerate(protocol.other_methods):
            for j, name in enumerate(source.files):
                if not (path.parent / name).exists():
                    missing.append(f"  - other_methods[{i}].files[{j}]: {name} does not exist")
        if missing:
            raise ProtocolError("\n".join([f"{path}: files named in the protocol are missing:"] + missing))
    return protocol
