"""EndNote XML (`<xml><records><record>...`), as written by EndNote, Zotero and Mendeley.

EndNote wraps every text in `<style face=... font=...>` runs (several when a title mixes
italics and plain text), so values are the joined text of all runs. Parsing never loads a DTD
or expands entities.
"""
from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ..errors import ImportFormatError, ParseWarning
from ..records import Parsed
from ._xml import collect_text, parse_xml

__all__ = ["FIELD_PATHS", "read_endnote_xml"]

#: Canonical field -> paths inside <record>, first non-empty wins.
FIELD_PATHS = {
    "title": ("titles/title",),
    "abstract": ("abstract",),
    "journal": ("periodical/full-title", "titles/secondary-title", "alt-periodical/full-title",
                "periodical/abbr-1"),
    "volume": ("volume",),
    "issue": ("issue", "number"),
    "pages": ("pages",),
    "doi": ("electronic-resource-num",),
    "language": ("language",),
    "url": ("urls/related-urls/url", "urls/web-urls/url", "urls/pdf-urls/url"),
}
#: Year from dates/year, else the first year in a publication date.
YEAR_PATHS = ("dates/year", "dates/pub-dates/date")
#: A PMID is an accession number made only of digits.
PMID_PATTERN = re.compile(r"\d{1,9}")


def _text(el: Any) -> str | None:
    """Joined text of all <style> runs (and any other markup) inside `el`."""
    if el is None:
        return None
    parts: list[str] = []
    collect_text(el, parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(parts))
    text = "\n".join(line.strip() for line in text.split("\n")).strip()
    return text or None


def _first(record: Any, paths: tuple[str, ...]) -> str | None:
    for path in paths:
        for node in record.findall(path):
            value = _text(node)
            if value:
                return value
    return None


def _all(record: Any, path: str) -> list[str]:
    return [v for v in (_text(n) for n in record.findall(path)) if v]


def _record(el: Any, number: int, file: str, warnings: list[ParseWarning]) -> dict[str, Any]:
    line = el.sourceline
    record: dict[str, Any] = {name: _first(el, paths) for name, paths in FIELD_PATHS.items()}
    record["authors"] = _all(el, "contributors/authors/author")
    record["keywords"] = [k for node in el.findall("keywords/keyword")
                          for k in (_text(node) or "").split("\n") if k.strip()]
    record["year"] = _first(el, YEAR_PATHS)
    kind = el.find("ref-type")
    record["publication_type"] = None if kind is None else kind.get("name") or _text(kind)
    accession = _first(el, ("accession-num",))
    record["pmid"] = accession if accession and PMID_PATTERN.fullmatch(accession) else None
    record["pmcid"] = None
    if record["title"] is None:
        warnings.append(ParseWarning(file, "record has no titles/title", line=line, record=number))
    record["line"] = line
    record["raw"] = etree.tostring(el, encoding="unicode", with_tail=False)
    return record


def read_endnote_xml(text: str, file: str = "<string>") -> Parsed:
    """Read an EndNote XML export: one record per <record> element."""
    root = parse_xml(text, file, "well-formed EndNote XML")
    elements = [root] if root.tag == "record" else list(root.iter("record"))
    if not elements:
        raise ImportFormatError(file, "EndNote XML <record> elements (<xml><records><record>)",
                                line=root.sourceline, found=f"<{root.tag}> without them")
    warnings: list[ParseWarning] = []
    records = [_record(el, number, file, warnings) for number, el in enumerate(elements, 1)]
    return Parsed(records, warnings, format="endnote_xml")
