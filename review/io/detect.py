"""Which reader a file needs, decided from its content first and its suffix only to break ties."""
from __future__ import annotations

import re
from pathlib import PurePath

__all__ = ["FORMATS", "detect_format", "format_from_suffix"]

#: Every format name a reader is registered under, with what a reviewer calls it.
FORMATS = {
    "ris": "RIS",
    "medline": "MEDLINE/nbib (PubMed)",
    "pubmed_xml": "PubMed XML (efetch)",
    "endnote_xml": "EndNote XML",
    "bibtex": "BibTeX",
    "wos": "Web of Science tagged (.ciw/.txt)",
    "table": "CSV/TSV table (Scopus, Web of Science tab-delimited, Rayyan, Covidence, ASReview, ...)",
    "xlsx": "Excel workbook (.xlsx)",
    "webpage": "web page or pasted text (records found by other methods)",
}

_SUFFIXES = {
    ".ris": "ris", ".nbib": "medline", ".medline": "medline", ".bib": "bibtex",
    ".bibtex": "bibtex", ".ciw": "wos", ".csv": "table", ".tsv": "table", ".tab": "table",
    ".xlsx": "xlsx", ".html": "webpage", ".htm": "webpage", ".xml": None, ".txt": None,
}

_RIS_TAG = re.compile(r"^\s*TY\s{1,2}-", re.MULTILINE)
_MEDLINE_TAG = re.compile(r"^PMID-\s*\d", re.MULTILINE)
_WOS_HEADER = re.compile(r"^(FN |VR |PT [A-Z]\s*$)", re.MULTILINE)
_WOS_TAGGED = re.compile(r"^(PT|AU|TI|SO|UT|ER)(\s|$)", re.MULTILINE)
_BIBTEX = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_TAB_HEADER = re.compile(r"^(?:[A-Z][A-Z0-9]\t){3,}")


def format_from_suffix(name: str) -> str | None:
    return _SUFFIXES.get(PurePath(name).suffix.lower())


def detect_binary(data: bytes) -> str | None:
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    return None


def detect_format(text: str, file: str = "") -> str | None:
    """Format name for decoded text, or None when nothing bibliographic is recognised."""
    head = text[:20000]
    stripped = head.lstrip()
    lowered = stripped[:2000].lower()
    if stripped.startswith("<"):
        if "<pubmedarticle" in lowered or "<!doctype pubmedarticleset" in lowered or "<pubmedarticleset" in lowered or "<medlinecitation" in lowered:
            return "pubmed_xml"
        if re.search(r"<records>\s*<record>", lowered) or lowered.startswith("<xml><records>"):
            return "endnote_xml"
        if "<html" in lowered or "<!doctype html" in lowered or "<head" in lowered or "<body" in lowered:
            return "webpage"
        if "<record" in lowered and "<ref-type" in lowered:
            return "endnote_xml"
        return "pubmed_xml" if "pubmed" in lowered else None
    if _MEDLINE_TAG.search(head):
        return "medline"
    if _RIS_TAG.search(head):
        return "ris"
    first_line = stripped.split("\n", 1)[0]
    if _TAB_HEADER.match(first_line):
        return "table"
    if _WOS_HEADER.search(head) and _WOS_TAGGED.search(head):
        return "wos"
    if _BIBTEX.search(head):
        return "bibtex"
    if _looks_tabular(stripped):
        return "table"
    suffix = format_from_suffix(file) if file else None
    if suffix == "webpage":
        return "webpage"
    return None


def _looks_tabular(text: str) -> bool:
    lines = [line for line in text.split("\n")[:6] if line.strip()]
    if len(lines) < 2:
        return False
    for delimiter in (",", "\t", ";"):
        if lines[0].count(delimiter) >= 1 and "  " not in lines[0][:3]:
            header = lines[0]
            # A header is short cells, not prose: most cells under 60 characters.
            cells = header.split(delimiter)
            if len(cells) >= 2 and sum(len(c) < 60 for c in cells) >= 0.8 * len(cells):
                return True
    return False
