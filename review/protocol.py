"""The review protocol (`protocols/<review>/protocol.yaml`), validated so every error names its field."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from .errors import ProtocolError, validation_report
# The extraction schema and the report section are sections of the protocol kept in modules
# of their own; their names stay importable from here.
from .protocol_report import (
    CATEGORICAL_TYPES,
    STUDY_COLUMNS,
    EvidenceColumn,
    EvidenceMapSpec,
    EvidenceTableSpec,
    MetaAnalysisSpec,
    OutcomeSpec,
    Report,
    _report_problems,
)
from .protocol_schema import _SLUG, ExtractionField, ExtractionGroup, ExtractionSchema, _Strict
from .screening.models import DEFAULT_MODEL, model_names

__all__ = [
    "Protocol", "Search", "OtherMethodsSource", "ExclusionReason", "ExtractionField",
    "load_protocol", "parse_protocol", "STAGES", "FIELD_TYPES", "RISK_OF_BIAS_TOOLS",
    "OTHER_METHOD_KINDS", "Report", "EvidenceTableSpec", "EvidenceColumn", "EvidenceMapSpec",
    "MetaAnalysisSpec", "OutcomeSpec", "STUDY_COLUMNS", "Amendment", "CATEGORICAL_TYPES",
    "ExtractionGroup", "ExtractionSchema",
]

#: Screening stages in the order PRISMA reports them.
STAGES = ("title_abstract", "full_text")
#: Types an extraction field can have.
FIELD_TYPES = ("text", "number", "integer", "single_choice", "multiple_choice", "yes_no", "date")
#: Risk-of-bias and appraisal tools the workbench knows.
RISK_OF_BIAS_TOOLS = ("SYRCLE", "RoB2", "ROBINS-I", "MISEV", "none")
#: PRISMA 2020's "other methods" kinds.
OTHER_METHOD_KINDS = ("website", "organisation", "citation_searching", "other")



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
    #: The AI order at title/abstract (`review.screening.models`); "elas-u4" orders records as
    #: ASReview LAB's default does.
    model: str = DEFAULT_MODEL

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in model_names():
            raise ValueError(f"the AI order's model must be one of {', '.join(model_names())}, "
                             f"not {value!r}")
        return value


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
