"""The extraction form the protocol's schema describes, and the values it accepts.

The schema (`protocol.extraction`) lists fields with a type, required flag, allowed values,
units and help, grouped into sections; repeating groups hold several experiments, arms or
outcomes of one study. This module turns it into a form model and parses what a reviewer typed
into the stored value, refusing anything else with a message that names the field:
`field 'mean_size' (Mean or modal size): expected a number, found 'big'`.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import ProtocolError, ReviewError

__all__ = [
    "CHOICE_SEPARATOR",
    "DEFAULT_GROUP",
    "NOT_REPORTED",
    "ExtractionValueError",
    "Form",
    "FormField",
    "FormGroup",
    "build_form",
    "check_required",
    "display_value",
    "form_for",
    "parse_value",
    "same_value",
]

#: Group of fields the schema puts in no group.
DEFAULT_GROUP = "general"
#: How multiple-choice values are joined in CSV files ("CD63; CD81").
CHOICE_SEPARATOR = "; "
#: What a yes/no field shows for "the report does not say": stored as no value (null).
NOT_REPORTED = "not reported"
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_UNSAID = {"", NOT_REPORTED, "nr", "n/a", "na"}


class ExtractionValueError(ReviewError):
    """A value a field does not accept; `field` is the field's name."""

    def __init__(self, field: FormField, expected: str, found: Any = None, *, where: str = ""):
        self.field, self.expected, self.found = field.name, expected, found
        message = f"{field.describe()}{where}: expected {expected}"
        if found is not None:
            message += f", found {_shown(found)}"
        super().__init__(message)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 62 else text[:58] + "...'"


@dataclass(frozen=True)
class FormField:
    """One question of the form."""

    name: str
    label: str
    type: str
    group: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    default_unit: str | None = None
    help: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    def describe(self) -> str:
        """How messages name the field: `field 'mean_size' (Mean or modal size)`."""
        if self.label and self.label != self.name:
            return f"field '{self.name}' ({self.label})"
        return f"field '{self.name}'"


@dataclass(frozen=True)
class FormGroup:
    """A section of the form; a repeating one holds numbered instances (1, 2, ...)."""

    name: str
    label: str
    repeating: bool
    fields: tuple[FormField, ...]

    @property
    def noun(self) -> str:
        """What one instance is called: "add experiment", "outcome 2"."""
        return self.name.replace("_", " ")

    def describe(self) -> str:
        if self.label and self.label != self.name:
            return f"group '{self.name}' ({self.label})"
        return f"group '{self.name}'"


@dataclass(frozen=True)
class Form:
    """The whole form: its groups in the protocol's order, each with its fields."""

    groups: tuple[FormGroup, ...]

    @property
    def fields(self) -> tuple[FormField, ...]:
        return tuple(f for g in self.groups for f in g.fields)

    def field(self, name: str) -> FormField:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise ReviewError(f"field {name!r} is not in the protocol's extraction schema "
                          f"(fields: {', '.join(f.name for f in self.fields)})")

    def group(self, name: str) -> FormGroup:
        for candidate in self.groups:
            if candidate.name == name:
                return candidate
        raise ReviewError(f"group {name!r} is not in the protocol's extraction schema "
                          f"(groups: {', '.join(g.name for g in self.groups)})")

    def to_frame(self) -> pd.DataFrame:
        """The codebook: one row per field, for a data dictionary beside the exports."""
        return pd.DataFrame([{
            "group": f.group, "repeating": self.group(f.group).repeating, "field": f.name,
            "label": f.label, "type": f.type, "required": f.required,
            "allowed": CHOICE_SEPARATOR.join(f.allowed), "units": CHOICE_SEPARATOR.join(f.units),
            "help": f.help or ""} for f in self.fields])


def build_form(schema) -> Form:
    """The form for an `ExtractionSchema`. Checks what the protocol model cannot see (a choice
    containing the CSV separator ';', a value listed twice, a default unit outside `units`),
    naming the field."""
    problems = []
    groups = list(schema.groups)
    declared = {g.name for g in groups}
    fields: dict[str, list[FormField]] = {}
    for spec in schema.fields:
        group = spec.group or DEFAULT_GROUP
        units = tuple(spec.units or ())
        if spec.unit and spec.unit not in units:
            if units:
                problems.append(f"field '{spec.name}': unit {spec.unit!r} is not one of its "
                                f"units ({', '.join(units)})")
            units = (spec.unit,) + units
        allowed = tuple(spec.allowed or ())
        for value in allowed:
            if ";" in value:
                problems.append(f"field '{spec.name}': allowed value {value!r} contains ';', "
                                "which separates multiple choices in CSV files")
        twice = sorted({v for v in allowed if allowed.count(v) > 1})
        if twice:
            problems.append(f"field '{spec.name}': allowed value(s) {', '.join(map(repr, twice))} "
                            "listed more than once")
        fields.setdefault(group, []).append(FormField(
            name=spec.name, label=spec.label or spec.name, type=spec.type, group=group,
            required=spec.required, allowed=allowed, units=units,
            default_unit=spec.unit or (units[0] if len(units) == 1 else None), help=spec.help,
            minimum=spec.minimum, maximum=spec.maximum))
    if problems:
        raise ProtocolError("the protocol's extraction schema is not valid:\n"
                            + "\n".join(f"  - extraction.fields: {p}" for p in problems))
    out = []
    if DEFAULT_GROUP in fields and DEFAULT_GROUP not in declared:
        out.append(FormGroup(DEFAULT_GROUP, "General", False, tuple(fields[DEFAULT_GROUP])))
    for g in groups:
        if fields.get(g.name):
            out.append(FormGroup(g.name, g.label or g.name, g.repeating, tuple(fields[g.name])))
    return Form(tuple(out))


def form_for(review) -> Form:
    """The form of an opened review's protocol."""
    return build_form(review.protocol.extraction)


# -- values ------------------------------------------------------------------------------------
def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _choice(field: FormField, value: Any, expected: str, where: str) -> str:
    if not isinstance(value, str):
        raise ExtractionValueError(field, expected, value, where=where)
    text = value.strip()
    if text in field.allowed:
        return text
    folded = [a for a in field.allowed if a.casefold() == text.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise ExtractionValueError(field, expected, text, where=where)


def _number(field: FormField, value: Any, where: str) -> float | int:
    whole = field.type == "integer"
    expected = "a whole number" if whole else "a number"
    if isinstance(value, bool):
        raise ExtractionValueError(field, expected, value, where=where)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ExtractionValueError(field, expected, value, where=where) from None
    elif isinstance(value, (int, float)) or hasattr(value, "item"):
        number = float(value)
    else:
        raise ExtractionValueError(field, expected, value, where=where)
    if not math.isfinite(number):
        raise ExtractionValueError(field, f"a finite {expected[2:]}", value, where=where)
    if whole and not number.is_integer():
        raise ExtractionValueError(field, expected, value, where=where)
    low, high = field.minimum, field.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = (f"between {low:g} and {high:g}" if low is not None and high is not None
                  else f"of at least {low:g}" if low is not None else f"of at most {high:g}")
        raise ExtractionValueError(field, f"{expected} {bounds}", value, where=where)
    return int(number) if whole else number


def _unit(field: FormField, unit: Any, where: str) -> str | None:
    unit = None if _blank(unit) else str(unit).strip()
    if not field.units:
        if unit is not None:
            raise ExtractionValueError(field, "no unit (the protocol gives it none)", unit, where=where)
        return None
    if unit is None:
        if field.default_unit:
            return field.default_unit
        raise ExtractionValueError(field, f"a unit ({', '.join(field.units)})", where=where)
    if unit not in field.units:
        raise ExtractionValueError(field, f"a unit of {', '.join(field.units)}", unit, where=where)
    return unit


def _date(field: FormField, value: Any, where: str) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = value.strip() if isinstance(value, str) else None
    try:
        if text is None or len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ExtractionValueError(field, "a date as YYYY-MM-DD", value, where=where) from None


def parse_value(field: FormField, value: Any, unit: Any = None, *,
                where: str = "") -> tuple[Any, str | None]:
    """The stored (value, unit) for what was entered; (None, None) for nothing entered.

    Text is stripped; numbers are floats, integers ints; a single choice must be one of the
    allowed values (case aside); multiple choices are a list in the protocol's order (a string
    is split at ';'); yes/no is a bool ("not reported" is no value); dates are ISO strings.
    `where` is added after the field's name in messages (", experiment 2")."""
    if field.type == "multiple_choice":
        items = value.split(";") if isinstance(value, str) else value
        if _blank(items):
            items = []
        if not isinstance(items, (list, tuple, set)):
            raise ExtractionValueError(field, "a list of choices", value, where=where)
        expected = "values from " + ", ".join(field.allowed)
        chosen = {_choice(field, v, expected, where) for v in items if not _blank(v)}
        picked = [a for a in field.allowed if a in chosen]
        return (picked or None), None
    if field.type == "yes_no":
        if isinstance(value, bool):
            return value, None
        text = "" if _blank(value) else str(value).strip().casefold()
        if text in _YES:
            return True, None
        if text in _NO:
            return False, None
        if text in _UNSAID:
            return None, None
        raise ExtractionValueError(field, f"yes, no or {NOT_REPORTED}", value, where=where)
    if _blank(value):
        return None, None
    if field.type in ("number", "integer"):
        return _number(field, value, where), _unit(field, unit, where)
    if not _blank(unit):
        raise ExtractionValueError(field, "no unit (the protocol gives it none)", unit, where=where)
    if field.type == "single_choice":
        return _choice(field, value, "one of " + ", ".join(field.allowed), where), None
    if field.type == "date":
        return _date(field, value, where), None
    if isinstance(value, (list, tuple, dict, set)):
        raise ExtractionValueError(field, "text", value, where=where)
    return str(value).strip(), None


def same_value(a: Any, b: Any) -> bool:
    """Whether two stored values say the same (lists in any order; 58.4 == 58.40)."""
    if _blank(a) or (isinstance(a, list) and not a):
        return _blank(b) or (isinstance(b, list) and not b)
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and sorted(map(str, a)) == sorted(map(str, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()) == " ".join(b.split())
    return a == b


def display_value(value: Any, unit: str | None = None) -> str:
    """A stored value as a reviewer reads it: "CD63; CD81", "yes", "128 nm", "" for none."""
    if _blank(value) or (isinstance(value, list) and not value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        text = CHOICE_SEPARATOR.join(map(str, value))
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return f"{text} {unit}" if unit else text


def check_required(form: Form, values: pd.DataFrame | Iterable[dict]) -> list[str]:
    """What a study still lacks: each required field without a value (per instance of a
    repeating group), and each repeating group with required fields but no instance yet.

    `values` holds one study's values (group, instance, field, value)."""
    rows = values.to_dict("records") if isinstance(values, pd.DataFrame) else list(values)
    filled = {(r["group"], int(r["instance"]), r["field"]) for r in rows
              if not _blank(r.get("value")) and r.get("value") != []}
    problems = []
    for group in form.groups:
        required = [f for f in group.fields if f.required]
        if not group.repeating:
            problems += [f"{f.describe()}: required, no value" for f in required
                         if (group.name, 1, f.name) not in filled]
            continue
        instances = sorted({i for g, i, _ in filled if g == group.name})
        if required and not instances:
            problems.append(f"{group.describe()}: at least one {group.noun} is required")
        for instance in instances:
            problems += [f"{f.describe()}, {group.noun} {instance}: required, no value"
                         for f in required if (group.name, instance, f.name) not in filled]
    return problems
