"""The canonical records table that every importer produces and every later stage reads."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

from .errors import ParseWarning

__all__ = [
    "RECORD_FIELDS", "LIST_FIELDS", "PROVENANCE_FIELDS", "RECORD_COLUMNS", "Parsed",
    "records_frame", "normalise_record", "normalise_doi", "normalise_pmid", "normalise_pmcid",
    "parse_year", "split_authors", "has_value", "value_items",
]

#: Bibliographic fields of a record, in the order tables show them.
RECORD_FIELDS = (
    "title", "abstract", "authors", "year", "journal", "volume", "issue", "pages",
    "doi", "pmid", "pmcid", "keywords", "language", "publication_type", "url",
)
#: Fields that hold lists of strings.
LIST_FIELDS = ("authors", "keywords")
#: Where a record came from: database searched, file, record number and first line in that file,
#: and the untouched source record (`raw`, in the format named by `raw_format`).
PROVENANCE_FIELDS = ("database", "source_file", "position", "line", "raw_format", "raw")
RECORD_COLUMNS = ("record_id",) + RECORD_FIELDS + PROVENANCE_FIELDS


@dataclass
class Parsed:
    """What a reader returns: records as dicts (canonical keys, `raw` and `line`) and warnings."""

    records: list[dict[str, Any]]
    warnings: list[ParseWarning] = field(default_factory=list)
    format: str = ""
    encoding: str = "utf-8"

    def frame(self, *, source_file: str = "", database: str = "") -> pd.DataFrame:
        return records_frame(self.records, source_file=source_file, database=database,
                             raw_format=self.format)


def _clean_str(value: Any) -> str | None:
    """Stripped text with whitespace runs collapsed to one space; None when empty or missing."""
    if value is None:
        return None
    if value.__class__ is not str:
        if isinstance(value, float) and value != value:  # NaN from a table
            return None
        value = str(value)
    return _clean_text(value)


def _clean_text(value: str) -> str | None:
    """`_clean_str` for a str. Runs for every field of every record, so text that is already
    clean costs a strip and a few C-level scans; `split`/`join` runs only when needed."""
    text = value.strip()
    if "  " in text:
        text = " ".join(text.split())
    elif text.isascii():  # O(1); then only these characters can be whitespace besides " "
        if ("\n" in text or "\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text
                or "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text):
            text = " ".join(text.split())
    elif not text.isprintable():  # every whitespace character but " " is unprintable
        text = " ".join(text.split())
    return text or None


def _clean_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        value = [value]
    elif isinstance(value, (list, tuple)) and _clean_already(value):
        return list(value)
    out: list[str] = []
    seen: set[str] = set()
    for item in value:
        item = _clean_str(item)
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _clean_already(items: list | tuple) -> bool:
    """True when a list of strings needs no cleaning: checked with a few scans of one joined string."""
    try:
        probe = "|".join(items)
    except TypeError:  # not all strings
        return False
    return (probe.isprintable() and "  " not in probe and " |" not in probe and "| " not in probe
            and probe[:1] != " " and probe[-1:] != " " and "" not in items
            and len(set(items)) == len(items))


def _text_field(value: Any) -> str | None:
    if value is None:
        return None
    return _clean_text(value) if value.__class__ is str else _clean_str(value)


def normalise_record(rec: dict[str, Any], position: int | None = None, *, source_file: str = "",
                     database: str = "", raw_format: str = "") -> dict[str, Any]:
    """One reader record as a canonical row (every column of `RECORD_COLUMNS`, in order).

    The one place where fields are cleaned, used both by `records_frame` and by the streaming
    import, so a record stored in chunks is exactly the row the frame would have shown. Written
    out field by field because it runs for every record of every import.
    """
    get = rec.get
    raw = get("raw")
    return {
        "record_id": get("record_id"),
        "title": _text_field(get("title")),
        "abstract": _text_field(get("abstract")),
        "authors": _clean_list(get("authors")),
        "year": parse_year(get("year")),
        "journal": _text_field(get("journal")),
        "volume": _text_field(get("volume")),
        "issue": _text_field(get("issue")),
        "pages": _text_field(get("pages")),
        "doi": normalise_doi(get("doi")),
        "pmid": normalise_pmid(get("pmid")),
        "pmcid": normalise_pmcid(get("pmcid")),
        "keywords": _clean_list(get("keywords")),
        "language": _text_field(get("language")),
        "publication_type": _text_field(get("publication_type")),
        "url": _text_field(get("url")),
        "database": get("database") or database or None,
        "source_file": get("source_file") or source_file or None,
        "position": get("position") or position,
        "line": get("line"),
        "raw_format": get("raw_format") or raw_format or None,
        "raw": raw if raw is None or isinstance(raw, str) else json.dumps(raw, ensure_ascii=False),
    }


def records_frame(records: Iterable[dict[str, Any]], *, source_file: str = "",
                  database: str = "", raw_format: str = "") -> pd.DataFrame:
    """Build the canonical table: every column present, identifiers normalised, lists as lists."""
    rows = [normalise_record(rec, position, source_file=source_file, database=database,
                             raw_format=raw_format)
            for position, rec in enumerate(records, start=1)]
    # Column-wise construction: pandas infers each column once instead of walking row dicts.
    frame = pd.DataFrame({name: [row[name] for row in rows] for name in RECORD_COLUMNS},
                         columns=list(RECORD_COLUMNS))
    frame["year"] = frame["year"].astype("Int64")
    frame["position"] = frame["position"].astype("Int64")
    frame["line"] = frame["line"].astype("Int64")
    return frame


_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_PMID = re.compile(r"\b(\d{1,9})\b")
_PMCID = re.compile(r"PMC\s*(\d+)", re.IGNORECASE)
_DIGITS = re.compile(r"(\d+)")
_YEAR = re.compile(r"(?<!\d)([12]\d{3})(?!\d)")


def normalise_doi(value: Any) -> str | None:
    """Lower-case bare DOI: strips resolvers, 'doi:' prefixes and trailing punctuation."""
    text = _clean_str(value)
    if not text:
        return None
    match = _DOI.search(text)
    if not match:
        return None
    doi = match.group(0).rstrip(".,;)]}>\"'")
    return doi.lower()


def normalise_pmid(value: Any) -> str | None:
    text = _clean_str(value)
    if not text:
        return None
    match = _PMID.search(text)
    return match.group(1).lstrip("0") or None if match else None


def normalise_pmcid(value: Any) -> str | None:
    text = _clean_str(value)
    if not text:
        return None
    match = _PMCID.search(text) or _DIGITS.fullmatch(text)
    return f"PMC{match.group(1)}" if match else None


def parse_year(value: Any) -> int | None:
    """First plausible four-digit year (1000-2999) in a date-like value."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (int,)) and 1000 <= value < 3000:
        return int(value)
    if isinstance(value, float) and value.is_integer() and 1000 <= value < 3000:
        return int(value)
    match = _YEAR.search(value if value.__class__ is str else str(value))
    return int(match.group(1)) if match else None


def split_authors(value: Any, sep: str = ";") -> list[str]:
    """Split an author string on `sep`; lists pass through cleaned."""
    if isinstance(value, (list, tuple)):
        return _clean_list(value)
    text = _clean_str(value)
    if not text:
        return []
    return _clean_list(part for part in text.split(sep))


def has_value(value: Any) -> bool:
    """False for None, NaN/NA, empty strings and empty lists: what writers leave out."""
    if isinstance(value, str):  # the common case first: no pandas call per field
        return bool(value.strip())
    if value is None or isinstance(value, (list, tuple)):
        return bool(value)
    try:
        if pd.isna(value):
            return False
    except (TypeError, ValueError):
        pass
    return str(value).strip() != ""


def value_items(value: Any) -> list:
    """A list field's filled items; a lone string is one item."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if has_value(v)] if hasattr(value, "__iter__") else []
