"""The protocol's extraction schema: the fields reviewers fill in per study, their types,
units and bounds, and the groups (repeating for one row per experiment) they belong to.

`_Strict` is here too, as the base of every protocol section: a misspelt key is an error that
names it, never silently ignored."""
from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
