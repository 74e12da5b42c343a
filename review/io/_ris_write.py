"""Writing RIS: records read from RIS go back verbatim, others are generated from their fields."""
from __future__ import annotations

import re
from typing import Any, Iterable

from rispy.config import TYPE_OF_REFERENCE_MAPPING

from ..records import has_value, value_items

__all__ = ["write_ris", "page_range"]

#: Canonical field -> tag when generating RIS for records from other formats, in output order.
#: A PMID goes in AN as "PMID: n" and a PMCID in C2 (EndNote's habit); both read back as such.
_WRITE_TAGS = (("title", "TI"), ("authors", "AU"), ("year", "PY"), ("journal", "T2"),
               ("volume", "VL"), ("issue", "IS"), ("pages", "SP"), ("doi", "DO"), ("pmid", "AN"),
               ("pmcid", "C2"), ("abstract", "AB"), ("keywords", "KW"), ("language", "LA"),
               ("url", "UR"))
#: Free-text publication types (MEDLINE PT, WoS DT, tables) -> RIS type code, for `write_ris`.
_TYPE_CODES = {
    "journal article": "JOUR", "article": "JOUR", "review": "JOUR", "letter": "JOUR",
    "editorial": "JOUR", "book": "BOOK", "book chapter": "CHAP", "chapter": "CHAP",
    "conference paper": "CPAPER", "proceedings paper": "CPAPER", "conference": "CONF",
    "thesis": "THES", "dissertation": "THES", "report": "RPRT", "preprint": "UNPB",
}


def _line(tag: str, value: Any) -> str:
    text = re.sub(r"\s+", " ", str(value)).strip()
    return f"{tag}  - {text}"


def _type_code(publication_type: Any, has_journal: bool) -> str:
    if has_value(publication_type):
        text = str(publication_type).strip()
        if text.upper() in TYPE_OF_REFERENCE_MAPPING:
            return text.upper()
        code = _TYPE_CODES.get(text.lower())
        if code:
            return code
    return "JOUR" if has_journal else "GEN"


def _generate(row: dict[str, Any]) -> list[str]:
    """RIS lines for a record that did not come from RIS, from its canonical fields."""
    ptype = row.get("publication_type")
    out = [_line("TY", _type_code(ptype, has_value(row.get("journal"))))]
    for name, tag in _WRITE_TAGS:
        value = row.get(name)
        if name in ("authors", "keywords"):
            out += [_line(tag, item) for item in value_items(value)]
        elif name == "pages" and has_value(value):
            first, last = page_range(value)
            out += [_line("SP", first)] + ([_line("EP", last)] if last else [])
        elif has_value(value):
            out.append(_line(tag, f"PMID: {value}" if name == "pmid" else value))
    if has_value(ptype) and str(ptype).strip().upper() not in TYPE_OF_REFERENCE_MAPPING:
        out.append(_line("M3", ptype))  # the source's own type name, kept beside the code
    out.append("ER  - ")
    return out


_RANGE = re.compile(r"^\s*([A-Za-z]*)(\d+)\s*[-\u2010-\u2015]+\s*([A-Za-z]*)(\d+)\s*$")


def page_range(pages: Any) -> tuple[str, str]:
    """First and last page of a range, the last written in full: MEDLINE's "2222-36" ->
    ("2222", "2236"), "S12-5" -> ("S12", "S15"); "e1234" -> ("e1234", ""). A range that does
    not read as one (words, a last page below the first) keeps its text as written."""
    text = re.sub(r"\s+", " ", str(pages)).strip()
    match = _RANGE.match(text)
    if not match:
        first, _, last = re.sub(r"[\u2010-\u2015]", "-", text).partition("-")
        return first.strip(), last.strip()
    prefix, first, last_prefix, last = match.groups()
    if len(last) < len(first):
        last = first[:len(first) - len(last)] + last
    if int(last) < int(first):
        return f"{prefix}{first}", f"{last_prefix}{match.group(4)}"
    return f"{prefix}{first}", f"{last_prefix or prefix}{last}"


def _with_database(lines: list[str], database: Any) -> list[str]:
    """Name the database (RIS DB) on a record that does not already."""
    if not has_value(database) or any(line[:2] == "DB" and line[2:5] == "  -" for line in lines):
        return lines
    names = value_items(database) if isinstance(database, (list, tuple)) else [database]
    if not names:
        return lines
    for index in range(len(lines) - 1, -1, -1):
        if lines[index][:2] == "ER":
            return lines[:index] + [_line("DB", "; ".join(map(str, names)))] + lines[index:]
    return lines + [_line("DB", "; ".join(map(str, names)))]


def _with_notes(lines: list[str], notes: Iterable[str]) -> list[str]:
    added = [_line("N1", note) for note in notes]
    if not added:
        return lines
    for index in range(len(lines) - 1, -1, -1):
        rest = lines[index][2:].strip()
        if lines[index][:2] == "ER" and (not rest or rest.startswith("-")):
            return lines[:index] + added + lines[index:]
    return lines + added


def write_ris(frame, notes: dict[Any, list[str]] | None = None) -> str:
    """RIS text for a records frame: RIS records verbatim, others generated; `notes` as N1 lines.
    Every record names its database (DB, from `database` or a merged record's `databases`)
    unless it already does.

    Records are separated by one blank line and the text ends with a newline, so a file in that
    layout reads and writes back byte for byte.
    """
    blocks = []
    for row in frame.to_dict("records"):
        raw = row.get("raw")
        if row.get("raw_format") == "ris" and isinstance(raw, str) and raw.strip():
            lines = raw.split("\n")
        else:
            lines = _generate(row)
        lines = _with_database(lines, row.get("databases") if isinstance(row.get("databases"), list)
                               else row.get("database"))
        if notes:
            lines = _with_notes(lines, notes.get(row.get("record_id")) or [])
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""
