"""MEDLINE / .nbib, PubMed's "PMID- " text format: four-character tags, values from column 7.

Records are blank-line separated and start with PMID; long values wrap onto lines indented by six
spaces. Read by hand because the layout is fixed and we need each record's line and raw text.
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..errors import ImportFormatError, ParseWarning
from ..records import Parsed

__all__ = ["read_medline", "write_medline", "MEDLINE_FIELD_TAGS"]

#: Canonical field -> MEDLINE tags, in order of preference.
MEDLINE_FIELD_TAGS = {
    "title": ("TI", "BTI", "TT"),
    "abstract": ("AB",),
    "authors": ("FAU", "AU"),
    "year": ("DP", "DEP", "EDAT"),
    "journal": ("JT", "TA"),
    "volume": ("VI",),
    "issue": ("IP",),
    "pages": ("PG",),
    "doi": ("LID", "AID"),
    "pmid": ("PMID",),
    "pmcid": ("PMC",),
    "keywords": ("OT", "MH"),
    "language": ("LA",),
    "publication_type": ("PT",),
}
#: A tag line: tag left-aligned and padded to four characters, "- ", then the value.
_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3}) {0,3}-(?: (.*)|)$")
_DOI_SUFFIX = re.compile(r"\s*(10\.\S+)\s*\[doi\]\s*$", re.I)


def read_medline(text: str, file: str = "<string>") -> Parsed:
    """Records from MEDLINE text; text before the first record is skipped with a warning."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    records: list[dict[str, Any]] = []
    warnings: list[ParseWarning] = []
    pairs: list[list[str]] | None = None
    start = end = 0
    preamble: int | None = None

    def close() -> None:
        record = _canonical(pairs)
        if record["pmid"] is None:
            warnings.append(ParseWarning(file, "record has no PMID", line=start + 1,
                                         record=len(records) + 1))
        record["line"] = start + 1
        record["raw"] = "\n".join(lines[start:end + 1])
        records.append(record)

    for i, line in enumerate(lines):
        if not line.strip():
            if pairs is not None:
                close()
                pairs = None
            continue
        match = None if line[:1].isspace() else _TAG_LINE.match(line)
        tag, value = (match.group(1), (match.group(2) or "").strip()) if match else ("", "")
        if tag:
            if tag == "PMID" and pairs:
                close()
                pairs = None
            if pairs is None:
                pairs, start = [], i
            pairs.append([tag, value])
            end = i
        elif line[:1].isspace() and pairs:
            last = pairs[-1]
            last[1] = f"{last[1]} {line.strip()}" if last[1] else line.strip()
            end = i
        elif pairs is None and not records:
            preamble = i + 1 if preamble is None else preamble
        else:
            raise ImportFormatError(
                file, "a MEDLINE tag line ('TI  - ...') or a continuation line indented by six "
                "spaces", line=i + 1, record=len(records) + 1, found=line)
    if pairs:
        close()
    if not records:
        raise ImportFormatError(file, "a MEDLINE record starting with 'PMID- '", line=preamble or 1,
                                found=lines[(preamble or 1) - 1].strip())
    if preamble is not None:
        warnings.insert(0, ParseWarning(
            file, f"text before the first record skipped: {lines[preamble - 1].strip()!r}",
            line=preamble))
    return Parsed(records, warnings, format="medline")


def _canonical(pairs: list[list[str]]) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    for tag, value in pairs:
        if value:
            fields.setdefault(tag, []).append(value)

    def first(name: str) -> str | None:
        for tag in MEDLINE_FIELD_TAGS[name]:
            if fields.get(tag):
                return fields[tag][0]
        return None

    authors = fields.get("FAU") or fields.get("AU") or []
    doi = None
    for tag in MEDLINE_FIELD_TAGS["doi"]:
        for value in fields.get(tag) or ():
            match = _DOI_SUFFIX.match(value)
            if match:
                doi = match.group(1)
                break
        if doi:
            break
    keywords = [k for tag in MEDLINE_FIELD_TAGS["keywords"] for k in fields.get(tag) or ()]
    return {
        "title": first("title"),
        "abstract": " ".join(fields["AB"]) if fields.get("AB") else None,
        "authors": list(authors),
        "year": first("year"),
        "journal": first("journal"),
        "volume": first("volume"),
        "issue": first("issue"),
        "pages": first("pages"),
        "doi": doi,
        "pmid": first("pmid"),
        "pmcid": first("pmcid"),
        "keywords": keywords,
        "language": first("language"),
        "publication_type": first("publication_type"),
        "url": None,
    }


def write_medline(frame) -> str:
    """MEDLINE text: records read from MEDLINE verbatim, others from their canonical fields."""
    blocks = []
    for row in frame.to_dict("records"):
        raw = row.get("raw")
        if row.get("raw_format") == "medline" and isinstance(raw, str) and raw.strip():
            blocks.append(raw)
            continue
        out = []
        simple = (("pmid", "PMID"), ("title", "TI"), ("abstract", "AB"))
        for name, tag in simple:
            if _present(row.get(name)):
                out.append(_line(tag, row[name]))
        out += [_line("FAU", a) for a in _items(row.get("authors"))]
        for name, tag in (("language", "LA"), ("publication_type", "PT"), ("year", "DP"),
                          ("journal", "JT"), ("volume", "VI"), ("issue", "IP"), ("pages", "PG"),
                          ("pmcid", "PMC")):
            if _present(row.get(name)):
                out.append(_line(tag, row[name]))
        if _present(row.get("doi")):
            out.append(_line("LID", f"{row['doi']} [doi]"))
        out += [_line("OT", k) for k in _items(row.get("keywords"))]
        if out:
            blocks.append("\n".join(out))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _present(value: Any) -> bool:
    if value is None or isinstance(value, (list, tuple)):
        return bool(value)
    try:
        if pd.isna(value):
            return False
    except (TypeError, ValueError):
        pass
    return str(value).strip() != ""


def _items(value: Any) -> list:
    if isinstance(value, str):
        return [value]
    return [v for v in value if _present(v)] if hasattr(value, "__iter__") else []


def _line(tag: str, value: Any) -> str:
    text = re.sub(r"\s+", " ", str(value)).strip()
    return f"{tag:<4}- {text}"
