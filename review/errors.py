"""Errors and warnings a reviewer reads: each names the file, where in it, and what was expected."""
from __future__ import annotations

from dataclasses import dataclass, asdict

__all__ = ["ReviewError", "ImportFormatError", "ParseWarning", "ProtocolError", "StoreError",
           "field_path", "validation_report"]


class ReviewError(Exception):
    """Base of every error the CLI turns into a one-line message instead of a traceback."""


def _where(file: str | None, line: int | None, record: int | None) -> str:
    parts = [str(file) if file else "<input>"]
    if line is not None:
        parts.append(f"line {line}")
    if record is not None:
        parts.append(f"record {record}")
    return ", ".join(parts)


class ImportFormatError(ReviewError):
    """A file that cannot be read as the format it claims or appears to be."""

    def __init__(self, file: str | None, expected: str, *, line: int | None = None,
                 record: int | None = None, found: str | None = None):
        self.file, self.line, self.record = file, line, record
        self.expected, self.found = expected, found
        message = f"{_where(file, line, record)}: expected {expected}"
        if found is not None:
            shown = found if len(found) <= 60 else found[:57] + "..."
            message += f", found {shown!r}"
        super().__init__(message)


@dataclass(frozen=True)
class ParseWarning:
    """Something skipped or guessed while reading a file; stored with the source."""

    file: str
    message: str
    line: int | None = None
    record: int | None = None

    def __str__(self) -> str:
        return f"{_where(self.file, self.line, self.record)}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


class ProtocolError(ReviewError):
    """A protocol file that does not validate; the message lists every field that is wrong."""


class StoreError(ReviewError):
    """The review store is missing, of the wrong version, or refused a change."""


def field_path(loc: tuple) -> str:
    """A pydantic error location as a reader writes it: `searches[1].file`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "(top level)"


def validation_report(file: str, what: str, error, *, path=field_path) -> str:
    """Every problem of a pydantic ValidationError in a YAML file, one line each, in words a
    reviewer understands ("unknown field (check its spelling)", "required field is missing")."""
    lines = [f"{file}: the {what} is not valid ({error.error_count()} problem(s)):"]
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        elif item["type"] == "missing":
            message = "required field is missing"
        lines.append(f"  - {path(item['loc'])}: {message}")
    return "\n".join(lines)
