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
    "records_frame", "normalise_doi", "normalise_pmid", "normalise_pmcid", "parse_year",
    "split_authors",
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
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None


def _clean_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        value = [value]
    out = []
    for item in value:
        item = _clean_str(item)
        if item and item not in out:
            out.append(item)
    return out


def records_frame(records: Iterable[dict[str, Any]], *, source_file: str = "",
                  database: str = "", raw_format: str = "") -> pd.DataFrame:
    """Build the canonical table: every column present, identifiers normalised, lists as lists."""
    rows = []
    for position, rec in enumerate(records, start=1):
        row: dict[str, Any] = {"record_id": rec.get("record_id")}
        for name in RECORD_FIELDS:
            value = rec.get(name)
            row[name] = _clean_list(value) if name in LIST_FIELDS else _clean_str(value)
        row["year"] = parse_year(rec.get("year"))
        row["doi"] = normalise_doi(row["doi"])
        row["pmid"] = normalise_pmid(row["pmid"])
        row["pmcid"] = normalise_pmcid(row["pmcid"])
        row["database"] = rec.get("database") or database or None
        row["source_file"] = rec.get("source_file") or source_file or None
        row["position"] = rec.get("position") or position
        row["line"] = rec.get("line")
        row["raw_format"] = rec.get("raw_format") or raw_format or None
        raw = rec.get("raw")
        row["raw"] = raw if raw is None or isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    frame["year"] = frame["year"].astype("Int64")
    frame["position"] = frame["position"].astype("Int64")
    frame["line"] = frame["line"].astype("Int64")
    return frame


_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)


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
    match = re.search(r"\b(\d{1,9})\b", text)
    return match.group(1).lstrip("0") or None if match else None


def normalise_pmcid(value: Any) -> str | None:
    text = _clean_str(value)
    if not text:
        return None
    match = re.search(r"PMC\s*(\d+)", text, re.IGNORECASE) or re.fullmatch(r"(\d+)", text)
    return f"PMC{match.group(1)}" if match else None


def parse_year(value: Any) -> int | None:
    """First plausible four-digit year (1000-2999) in a date-like value."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, (int,)) and 1000 <= value < 3000:
        return int(value)
    if isinstance(value, float) and value.is_integer() and 1000 <= value < 3000:
        return int(value)
    match = re.search(r"(?<!\d)([12]\d{3})(?!\d)", str(value))
    return int(match.group(1)) if match else None


def split_authors(value: Any, sep: str = ";") -> list[str]:
    """Split an author string on `sep`; lists pass through cleaned."""
    if isinstance(value, (list, tuple)):
        return _clean_list(value)
    text = _clean_str(value)
    if not text:
        return []
    return _clean_list(part for part in text.split(sep))
