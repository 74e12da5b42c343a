"""How a reviewer compares a record with its duplicates: values normalised before they are
called different, and the words or authors that really differ marked.

"Wang, Xiaoming" and "Wang X." are one author; "Journal Article" and "JOUR" one publication
type; case and a trailing full stop never make two titles differ. Record text is data: every
word is HTML-escaped before any markup.
"""
from __future__ import annotations

import html
import re

from .normalise import ascii_fold

__all__ = ["normalised", "author_key", "publication_type_key", "marked_against", "SEPARATOR"]

#: How list fields (authors, keywords) are joined for display, and split again here.
SEPARATOR = "; "
_TRAILING = re.compile(r"[\s.,;:]+$")
_SPACES = re.compile(r"\s+")
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,3}$")
_WORD_EDGES = re.compile(r"^[^\w]+|[^\w]+$")
#: Publication-type codes (RIS, PubMed, Scopus, Web of Science) -> one wording.
_PUBLICATION_TYPES = {
    "jour": "journal article", "journal article": "journal article", "article": "journal article",
    "ja": "journal article", "j": "journal article", "research article": "journal article",
    "original article": "journal article", "ejour": "journal article",
    "conf": "conference paper", "cpaper": "conference paper", "conference paper": "conference paper",
    "proceedings paper": "conference paper", "inproceedings": "conference paper",
    "abst": "conference abstract", "meeting abstract": "conference abstract",
    "conference abstract": "conference abstract", "rev": "review", "review": "review",
    "book": "book", "chap": "book chapter", "chapter": "book chapter",
    "book chapter": "book chapter", "thes": "thesis", "thesis": "thesis",
    "elec": "web page", "web page": "web page", "webpage": "web page", "editorial": "editorial",
    "edit": "editorial", "letter": "letter", "lett": "letter", "preprint": "preprint",
}


def _fold(text: str) -> str:
    return _SPACES.sub(" ", ascii_fold(str(text))).strip().casefold()


def author_key(name: str) -> str:
    """Surname and first initial, folded: "Wang, Xiaoming", "Wang X." and "X. Wang" -> "wang x"."""
    name = str(name).strip(" .;,")
    if "," in name:
        surname, given = (part.strip() for part in name.split(",", 1))
    else:
        words = name.split()
        if len(words) > 1 and _INITIALS.match(words[-1]):
            surname, given = " ".join(words[:-1]), words[-1]
        elif len(words) > 1:
            surname, given = words[-1], words[0]
        else:
            surname, given = name, ""
    initial = next((c for c in given if c.isalpha()), "")
    return f"{_fold(surname)} {_fold(initial)}".strip()


def publication_type_key(value: str) -> str:
    """One wording per publication type, whatever code the database used."""
    folded = _TRAILING.sub("", _fold(value))
    return _PUBLICATION_TYPES.get(folded, folded)


def normalised(field: str, value: str) -> str:
    """A displayed value as it is compared: folded case and accents, no trailing punctuation,
    authors by surname and initial, publication types by meaning, DOIs without their prefix."""
    if field == "authors":
        return SEPARATOR.join(author_key(a) for a in str(value).split(SEPARATOR) if a.strip())
    if field == "publication_type":
        return SEPARATOR.join(publication_type_key(v) for v in str(value).split(SEPARATOR))
    folded = _TRAILING.sub("", _fold(value))
    if field == "doi":
        folded = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", folded)
    return folded


def _units(field: str, value: str) -> list[tuple[str, str]]:
    """(shown text, compared key) of each unit compared: an author, or a word."""
    if field in ("authors", "publication_type", "keywords"):
        items = [a for a in str(value).split(SEPARATOR) if a.strip()]
        key = author_key if field == "authors" else (
            publication_type_key if field == "publication_type" else _fold)
        return [(a, key(a)) for a in items]
    return [(w, _WORD_EDGES.sub("", _fold(w))) for w in str(value).split()]


def marked_against(field: str, value: str, others: list[str]) -> str:
    """`value` as HTML, with each author or word that none of `others` has marked."""
    seen = {key for other in others for _shown, key in _units(field, other)}
    joiner = SEPARATOR if field in ("authors", "publication_type", "keywords") else " "
    return joiner.join(html.escape(shown) if key in seen or not key else
                       f"<mark>{html.escape(shown)}</mark>" for shown, key in _units(field, value))
