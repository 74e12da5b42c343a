"""Correction notices (errata) as databases dress them, so that two exports of one notice meet.

A notice repeats the title of the article it corrects and adds a label or a citation of it:
Embase writes "Erratum: Title (Journal (2003) 142 (310-315))" or, without the label, "Title (New
England Journal of Medicine (2009) 360 (542-544))"; Web of Science writes "Title (vol 142, pg 310,
2003)". Those additions differ between databases and say nothing about which notice a record is,
so they are set aside before two notices are compared; the volume, issue and page then decide,
as for any item printed under a title that is not its own.
"""
from __future__ import annotations

import re
from typing import Any

from ..records import has_value

__all__ = ["cites_corrected_article", "correction_title"]

#: "Erratum: ", "Correction to: ", "Corrigendum to ", "Author Correction: " before the title.
_LABEL = re.compile(r"^\s*(?:author\s+|publisher\s*'?s?\s+)?(?:erratum|errata|correction|corrigendum|"
                    r"corrigenda)(?:\s*[:.\-\u2013]\s*|\s+(?:to|for)\b\s*[:.\-\u2013]?\s*)", re.I)
#: Where the citation of the corrected article starts: " (vol 142, pg 310, 2003)" or
#: " (Journal Name (2009) ..." with a year or a month in the inner brackets; exports often cut
#: the title inside it ("(The Journal of Pediatrics (M").
_CITATION = re.compile(r"\s\((?:vol\s+\d|[A-Z][^()]*\((?:\d{4}|[A-Z][a-z]*))")
#: Embase's notice without a label: the whole citation, closed, at the end of the title.
_EMBASE_CITATION = re.compile(r"\s\([A-Z][^()]*\(\d{4}\)\s*\d+[^()]*\(\s*[A-Za-z]?\d+[^()]*\)\s*\)\s*$")


def cites_corrected_article(title: Any) -> bool:
    """Whether a title ends in Embase's citation of the article a notice corrects."""
    return has_value(title) and bool(_EMBASE_CITATION.search(str(title)))


def correction_title(title: Any) -> str:
    """The corrected article's title inside a notice's title: label and citation set aside
    (the title unchanged when nothing would be left of it, as for a bare "Erratum")."""
    if not has_value(title):
        return ""
    text = str(title)
    stripped = _LABEL.sub("", text, count=1)
    cut = _CITATION.search(stripped)
    if cut:
        stripped = stripped[:cut.start()]
    return stripped.strip() or text
