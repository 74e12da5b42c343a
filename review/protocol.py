"""The review protocol (`protocols/<review>/protocol.yaml`), validated so every error names its field."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ProtocolError

__all__ = [
    "Protocol", "Search", "OtherMethodsSource", "ExclusionReason", "ExtractionField",
    "load_protocol", "parse_protocol", "STAGES", "FIELD_TYPES", "RISK_OF_BIAS_TOOLS",
    "OTHER_METHOD_KINDS",
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


class OtherMethodsSource(_Strict):
    """A PRISMA 'other methods' source: websites, organisations, citation searching."""

    name: str = Field(min_length=1)
    kind: Literal["website", "organisation", "citation_searching", "other"]
    date: Optional[dt.date] = None
    description: Optional[str] = None
    files: list[str] = []


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
        return self


class ExtractionGroup(_Strict):
    name: str
    label: Optional[str] = None
    repeating: bool = False


class ExtractionSchema(_Strict):
    groups: list[ExtractionGroup] = []
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


class Screening(_Strict):
    """How screening runs: reviewers per record, blinding, what automation may do."""

    reviewers_per_record: int = Field(default=2, ge=1, le=5)
    blind: bool = True
    hide_ai_score_when_blind: bool = False
    automation_may_exclude: bool = False


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


class Protocol(_Strict):
    title: str = Field(min_length=1)
    short_name: Optional[str] = None
    registration: Optional[str] = None
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

    @model_validator(mode="after")
    def _unique_sources(self):
        names = [s.name for s in self.searches] + [o.name for o in self.other_methods]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source name(s) {', '.join(dupes)} used more than once")
        return self

    def reason_codes(self, stage: str) -> list[str]:
        return [r.code for r in getattr(self.exclusion_reasons, stage)]


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "(top level)"


def _format_errors(file: str, error: ValidationError) -> str:
    lines = [f"{file}: the protocol is not valid ({error.error_count()} problem(s)):"]
    for item in error.errors():
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if item["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        elif item["type"] == "missing":
            message = "required field is missing"
        lines.append(f"  - {_field_path(item['loc'])}: {message}")
    return "\n".join(lines)


def parse_protocol(data: dict, file: str = "protocol.yaml") -> Protocol:
    if not isinstance(data, dict):
        raise ProtocolError(f"{file}: expected a mapping of protocol fields at the top level")
    try:
        return Protocol.model_validate(data)
    except ValidationError as error:
        raise ProtocolError(_format_errors(file, error)) from None


def load_protocol(path: str | Path, *, check_files: bool = True) -> Protocol:
    """Read and validate a protocol; search and other-methods files must exist beside it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read the protocol ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProtocolError(f"{path}{where}: not valid YAML ({problem})") from None
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
