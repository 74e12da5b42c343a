"""Comparison keys for deduplication: what two exports of one article still share once
punctuation, case, diacritics, name order, journal abbreviations and page styles are set aside."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from ..records import has_value, normalise_doi, normalise_pmcid, normalise_pmid, parse_year, value_items
from .corrections import cites_corrected_article, correction_title
from .fold import PLACEHOLDERS, ascii_fold
from .fold import plain as _plain
from .venues import venue_kind, venue_tokens, venues_compatible

__all__ = [
    "RecordKey", "record_key", "title_key", "title_heads", "recurring_item", "author_names",
    "venue_tokens", "venue_kind", "venues_compatible", "first_page", "volume_key", "doi_identity",
    "record_kind", "KINDS", "title_numbers", "translated_title", "ascii_fold", "PLACEHOLDERS",
]

_GREEK = str.maketrans({"α": " alpha ", "β": " beta ", "γ": " gamma ", "δ": " delta ", "ε": " epsilon ",
                        "κ": " kappa ", "λ": " lambda ", "μ": " mu ", "σ": " sigma ", "τ": " tau ",
                        "ω": " omega ", "Α": " alpha ", "Β": " beta ", "Γ": " gamma ", "Δ": " delta ",
                        "ϰ": " kappa ", "ζ": " zeta ", "η": " eta ", "θ": " theta ", "π": " pi ",
                        "χ": " chi ", "ψ": " psi ", "φ": " phi ", "ν": " nu ", "ξ": " xi ", "ρ": " rho "})
_LANGUAGES = ("spanish|french|german|italian|portuguese|chinese|japanese|russian|polish|dutch|czech|"
              "hungarian|turkish|korean|danish|swedish|norwegian|finnish|greek|hebrew|croatian|"
              "serbian|romanian|bulgarian|slovak|slovenian|ukrainian|persian|arabic|lithuanian")
#: Notes that databases append to titles: "[Review] [33 refs]", "[Spanish]", "[Erratum appears in
#: ...]", "[abstract no: 134]"; and Ovid's "<ORIGINAL> title in the original language".
_TITLE_NOTES = re.compile(
    r"\[\s*(?:review|\d+\s*refs?|erratum[^\]]*|comment[^\]]*|see [^\]]*|abstract[^\]]*|"
    r"retraction[^\]]*|english abstract|(?:article|text) in [^\]]*|"
    r"(?:[a-z]+\s*)?(?:" + _LANGUAGES + r")(?:\s*[a-z]*)?)\s*(?:\]\.?|$)"
    r"|<original>.*$", re.I)


def title_key(value: Any) -> str:
    """Words of a title, folded: databases' notes, brackets of translated titles, Greek letters
    (spelled out, as other databases print them) and trailing periods vanish."""
    if not has_value(value):
        return ""
    text = str(value)
    if "[" in text or "<" in text:
        text = _TITLE_NOTES.sub(" ", text)
    if not text.isascii():
        text = text.translate(_GREEK)
    return _plain(text)


_ROMAN = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii"})  # not i, v, x: words too


def title_numbers(a: str, b: str) -> bool:
    """Whether two folded titles differ in a number: 'FOCUS 1' and 'FOCUS 2', 'phase II' and
    'phase III' are different studies. '10 000' and '10000' are the same number, and a title
    cut short by a database is compared only as far as it goes."""
    ca, cb = a.replace(" ", ""), b.replace(" ", "")
    n = min(len(ca), len(cb))
    if re.findall(r"\d+", ca[:n - 2]) != re.findall(r"\d+", cb[:n - 2]):
        return True
    if ca.startswith(cb) or cb.startswith(ca):
        return False
    return sorted(w for w in a.split() if w in _ROMAN) != sorted(w for w in b.split() if w in _ROMAN)


#: Where a subtitle starts: "Title: subtitle", "Title - subtitle", "Title. Subtitle", "Title? Sub".
_SUBTITLE = re.compile(r"\s*(?::|\s[-\u2013\u2014]+\s|[.?!]\s+(?=\S))\s*")


#: MEDLINE prints the English translation of a title in square brackets: "[Comparison of ...]".
_TRANSLATED = re.compile(r"^\s*\[[^\[\]]{12,}\]\s*\.?\s*$")


def translated_title(value: Any) -> bool:
    """Whether a title is a translation (MEDLINE's brackets), so that another database's record
    of the same article may carry the original title or a different translation."""
    return has_value(value) and bool(_TRANSLATED.match(str(value)))


def title_heads(value: Any) -> tuple[str, ...]:
    """The folded title cut at each subtitle separator, shortest first: what a database that
    drops subtitles keeps of 'Optimal therapy of malignant pleural effusions: report of a trial'."""
    if not has_value(value):
        return ()
    text = str(value).strip().strip('"').rstrip(" .")
    heads = []
    for match in _SUBTITLE.finditer(text):
        head = title_key(text[:match.start()])
        if len(head.split()) >= 3:  # "Editorial: ..." or "Part 1: ..." is not a title
            heads.append(head)
    return tuple(dict.fromkeys(heads))


#: Items a journal prints again and again under one generic title (an editor's comments each
#: issue, corrections, replies, book reviews, meeting-abstract series): their titles say nothing
#: about which one a record is, so only the issue and pages (or an identifier) can.
_RECURRING = re.compile(
    r"^(?:(?:the\s+)?editor\s*s?\s+(?:comments?|notes?|introduction|remarks|corner|choice|page|"
    r"letter|message|column|preface|foreword)|from\s+the\s+(?:editors?|editor\s*s?\s+desk|"
    r"editor\s+in\s+chief|chair|president)|editorials?(?:\s+(?:comment|note|board|introduction))?|"
    r"guest\s+editorial|(?:editor\s*s?|editorial|publisher\s*s?)\s+note|"
    r"in\s+this\s+issue|this\s+issue|issue\s+information|table\s+of\s+contents|contents|"
    r"front\s+matter|back\s+matter|masthead|cover|index|author\s+index|subject\s+index|"
    r"(?:author\s+|publisher\s*s?\s+)?corrections?|errat(?:um|a)|corrigend(?:um|a)|"
    r"(?:in\s+)?reply|response|author\s*s?\s+reply|reply\s+(?:from|by)\s+the\s+authors?|"
    r"letters?(?:\s+to\s+the\s+editor)?|correspondence|comments?|commentary|"
    r"book\s+reviews?|books?\s+received|reviews?\s+of\s+books|new\s+books|"
    r"(?:meeting|conference|congress|poster|oral|selected|free|late\s+breaking)\s+abstracts?|"
    r"abstracts?|proceedings|announcements?|news(?:\s+and\s+notes)?|calendar|call\s+for\s+papers|"
    r"(?:acknowledge?ment\s+(?:of|to)\s+)?reviewers?(?:\s+(?:list|acknowledge?ments?))?|"
    r"thank\s+you\s+to\s+(?:our\s+)?reviewers|obituary|in\s+memoriam|introduction|preface|"
    r"foreword|president\s*s?\s+(?:message|column|page|letter)|highlights|research\s+highlights|"
    r"notes?\s+from\s+the\s+field|case\s+of\s+the\s+month|image\s+of\s+the\s+month|quiz|"
    r"ethics\s+in\s+practice)"
    r"(?:\s+(?:\d+|[ivxl]+|part\s+\w+|vol(?:ume)?\s+\w+|no\s+\w+|issue\s+\w+))*$")


def recurring_item(folded_title: str) -> bool:
    """Whether a folded title is one of the generic titles journals reuse issue after issue."""
    return bool(folded_title) and len(folded_title) <= 80 and bool(_RECURRING.match(folded_title))


# -- authors ---------------------------------------------------------------------------------

_GLUED = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][a-z'])")  # "Adeli K.Lewis G. F." -> two names
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,3}$")
_SPLIT_ITEM = re.compile(r"\s*;\s*|\s+and\s+|\s*&\s*")
#: Surname particles that exports keep, drop or move: "van der Graaf", "Graaf, Y van der".
_PARTICLES = re.compile(r"\b(?:van|von|der|den|de|del|della|di|da|dos|du|le|la|ten|ter|al|el)\s+(?=\w)",
                        re.I)
_PARENS = re.compile(r"\([^)]*\)")  # e-mail addresses or affiliations after a name


@lru_cache(maxsize=262_144)  # authors recur across records and databases: fold each name once
def _name_parts(name: str) -> tuple[str, ...]:
    """Candidate surnames of one author name, folded. Unambiguous forms give one."""
    name = _PARENS.sub(" ", name).strip(" ,.")
    name = _PARTICLES.sub("", name)
    if not name or ascii_fold(name).strip(" .") in PLACEHOLDERS:
        return ()
    if "," in name:
        surname = name.split(",", 1)[0]
        return (_plain(surname).replace(" ", ""),) if _plain(surname) else ()
    words = [w for w in re.split(r"\s+", name) if w]
    if len(words) == 1:
        return (_plain(words[0]).replace(" ", ""),)
    if _INITIALS.match(words[-1]) and not _INITIALS.match(words[0]):  # "Zuna RE", "Tan A."
        surname = " ".join(w for w in words if not _INITIALS.match(w))
        return (_plain(surname).replace(" ", ""),)
    if _INITIALS.match(words[0]):  # "B. Abrahao", "R E Zuna"
        surname = " ".join(w for w in words if not _INITIALS.match(w))
        return (_plain(surname).replace(" ", ""),)
    # "Omulo Sylvia" or "Sylvia Omulo": both ends are words; either may be the surname.
    return tuple(dict.fromkeys(p for p in (_plain(words[0]).replace(" ", ""),
                                           _plain(words[-1]).replace(" ", "")) if p))


def author_names(value: Any, limit: int = 12) -> tuple[tuple[str, ...], ...]:
    """Candidate surnames per author, in order, from a list or a joined string of names."""
    items: list[str] = []
    for item in value_items(value) if not isinstance(value, str) else [value]:
        text = str(item)
        for part in _SPLIT_ITEM.split(text):
            items.extend(p for p in _GLUED.split(part) if p.strip())
        if len(items) >= limit:
            break
    names = tuple(parts for parts in map(_name_parts, items[:limit]) if parts)
    return names


# -- locators --------------------------------------------------------------------------------

_FIRST_NUMBER = re.compile(r"[a-z]*\d+")


_MONTHS = frozenset(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                     "dec"))
#: Page ranges a spreadsheet turned into dates: "11-19" shown as "Nov-19", "9-11" as "11-Sep".
_EXCEL_DATE = re.compile(r"^(?:([a-z]{3})-(\d+)|(\d+)-([a-z]{3}))$")


def first_page(value: Any) -> str:
    """'e1234', '221' from '221-8', 'cd002273': the first locator token of a page range."""
    if not has_value(value):
        return ""
    text = ascii_fold(str(value)).strip()
    date = _EXCEL_DATE.match(text)
    if date and (date.group(1) in _MONTHS or date.group(4) in _MONTHS):
        return ""  # which number was the first page is lost; no evidence either way
    match = _FIRST_NUMBER.search(text)
    if match:
        return match.group(0).lstrip("0")
    roman = _ROMAN_PAGE.match(text)  # front matter: an editor's comments on pages 'iii-xii'
    return roman.group(1) if roman else ""


_ROMAN_PAGE = re.compile(r"^\s*([ivxlc]+)\b")
_RANGE = re.compile(r"^\s*(\d+)\s*(?:[-\u2013]+\s*(\d+))?\s*$")


def page_span(value: Any) -> int:
    """Pages a plain numeric range covers ('221-8' is 8, '1107' is 1); 0 when unknown."""
    if not has_value(value):
        return 0
    match = _RANGE.match(str(value))
    if not match:
        return 0
    first, last = match.group(1), match.group(2)
    if last is None:
        return 1
    if len(last) < len(first):  # '221-8' -> 228
        last = first[: len(first) - len(last)] + last
    span = int(last) - int(first) + 1
    return span if span > 0 else 0


def last_page(value: Any) -> str:
    """The last page of a plain numeric range ('228' from '221-8', '1107' from '1107')."""
    span = page_span(value)
    if not span:
        return ""
    first = _RANGE.match(str(value)).group(1)
    return str(int(first) + span - 1)


def volume_key(value: Any) -> str:
    """Digits of a volume; '' for a fragment such as '1)' left by a split of '57(1)'."""
    if not has_value(value):
        return ""
    if str(value).count(")") != str(value).count("("):
        return ""
    match = re.search(r"\d+", str(value))
    return match.group(0).lstrip("0") if match else ""


_COCHRANE_VERSION = re.compile(r"^(10\.1002/14651858\.[a-z]{2}\d+)(?:\.pub\d+)?$")
_VALID_DOI = re.compile(r"^10\.\d{4,9}/\S*[0-9a-z]$")


def doi_identity(value: Any, *, cochrane_versions_same: bool = True) -> str:
    """The DOI that names the work: a truncated DOI ('10.17705/1cais.') names nothing, and by
    default a Cochrane review's versions (.pub2, .pub3) are one review."""
    if has_value(value) and "%" in str(value):
        value = unquote(str(value))  # "10.1016/s0025-7753%2817%2930624-3" is "(17)"
    doi = normalise_doi(value) if has_value(value) else None
    if not doi or not _VALID_DOI.match(doi):
        return ""
    if cochrane_versions_same:
        match = _COCHRANE_VERSION.match(doi)
        if match:
            return match.group(1)
    return doi


# -- kind of publication ---------------------------------------------------------------------

#: Kinds of record that are never the same as a research article (unless the protocol says so).
KINDS = ("erratum", "retraction", "comment", "preprint", "conference_abstract")

_TITLE_KINDS = (
    ("retraction", re.compile(r"^(retraction( note| notice)?|retracted|notice of retraction|"
                              r"withdrawn|expression of concern)\b")),
    ("erratum", re.compile(r"^(erratum|errata|correction|corrigendum|corrigenda|"
                           r"author correction|publisher correction|correction to)\b")),
    ("comment", re.compile(r"^(comment on|comments on|commentary on|reply to|response to|"
                           r"in reply|letter to the editor regarding|re)\b")),
)
_TYPE_KINDS = (
    ("retraction", ("retraction", "retracted")),
    ("erratum", ("erratum", "correction", "corrigendum")),
    ("comment", ("comment", "letter")),
    ("conference_abstract", ("conference abstract", "meeting abstract", "congress abstract",
                             "conference review", "abstract")),
    ("preprint", ("preprint", "posted content")),
)
_PREPRINT_VENUES = ("biorxiv", "medrxiv", "arxiv", "ssrn", "research square", "researchsquare",
                    "preprints", "chemrxiv", "psyarxiv", "osf preprints", "authorea")
_PREPRINT_DOIS = ("10.1101/", "10.21203/rs.", "10.48550/", "10.2139/ssrn", "10.20944/preprints",
                  "10.26434/chemrxiv", "10.31234/", "10.22541/au.")
_SUPPLEMENT = re.compile(r"\bsuppl|\bsupplement|\b[sS]\d+\b|abstract", re.I)


_WOS_CORRECTION = re.compile(r"\(vol \d+\w*, pg \w+, \d{4}\)\s*$", re.I)


def record_kind(title: Any, publication_type: Any, journal: Any, doi: str, issue: Any = None,
                volume: Any = None) -> str:
    """'article' unless the record is an erratum, retraction, comment, preprint or
    conference abstract: kinds that share a title with the article they concern."""
    if has_value(title) and _WOS_CORRECTION.search(str(title)):
        return "erratum"  # Web of Science titles a correction "Title (vol 142, pg 310, 2003)"
    folded_title = _plain(title)
    for kind, pattern in _TITLE_KINDS:
        if pattern.match(folded_title):
            return kind
    if cites_corrected_article(title):
        return "erratum"  # Embase titles a correction "Title (Journal (2009) 360 (542-544))"
    types = " ".join(ascii_fold(str(t)) for t in value_items(publication_type)) \
        if not isinstance(publication_type, str) else ascii_fold(publication_type)
    if types.strip() in ("conf", "abst"):  # RIS types of a conference abstract (Embase: CONF)
        return "conference_abstract"
    for kind, words in _TYPE_KINDS:
        if any(w in types for w in words):
            if kind == "comment" and "article" in types:
                continue
            if kind == "conference_abstract" and "paper" in types and not any(
                    has_value(v) and _SUPPLEMENT.search(str(v)) for v in (issue, volume)):
                continue  # a full conference paper is an article of its proceedings
            return kind
    venue = ascii_fold(str(journal)) if has_value(journal) else ""
    if any(v in venue for v in _PREPRINT_VENUES) or doi.startswith(_PREPRINT_DOIS):
        return "preprint"
    return "article"


@dataclass(frozen=True, slots=True)
class RecordKey:
    """Everything the matcher compares, computed once per record."""

    title: str
    authors: tuple[tuple[str, ...], ...]
    year: int | None
    venue: tuple[str, ...]
    volume: str
    page: str
    span: int
    issue: str
    doi: str
    pmid: str
    pmcid: str
    kind: str
    #: The title cut at its subtitle separators (see `title_heads`).
    heads: tuple[str, ...] = ()
    #: A generic title a journal reuses (see `recurring_item`).
    recurring: bool = False
    #: Last page of a plain numeric range ('' when unknown).
    last: str = ""
    #: The title is a translation (see `translated_title`).
    translated: bool = False

    @property
    def first_author(self) -> tuple[str, ...]:
        return self.authors[0] if self.authors else ()

    @property
    def surnames(self) -> str:
        """One string of the authors' surnames, in order, for fuzzy comparison."""
        return " ".join(parts[0] for parts in self.authors)


def record_key(record: dict[str, Any], *, cochrane_versions_same: bool = True) -> RecordKey:
    doi = doi_identity(record.get("doi"), cochrane_versions_same=cochrane_versions_same)
    year = record.get("year")
    kind = record_kind(record.get("title"), record.get("publication_type"), record.get("journal"),
                       doi, record.get("issue"), record.get("volume"))
    # a correction notice is compared on the title of the article it corrects (see corrections)
    shown = correction_title(record.get("title")) if kind == "erratum" else record.get("title")
    title = title_key(shown)
    return RecordKey(
        title=title,
        authors=author_names(record.get("authors")),
        year=parse_year(year) if has_value(year) else None,
        venue=venue_tokens(record.get("journal")),
        volume=volume_key(record.get("volume")),
        page=first_page(record.get("pages")),
        span=page_span(record.get("pages")),
        issue=volume_key(record.get("issue")),
        doi=doi,
        pmid=normalise_pmid(record.get("pmid")) or "" if has_value(record.get("pmid")) else "",
        pmcid=normalise_pmcid(record.get("pmcid")) or "" if has_value(record.get("pmcid")) else "",
        kind=kind,
        heads=title_heads(shown),
        recurring=recurring_item(title),
        last=last_page(record.get("pages")),
        translated=translated_title(record.get("title")),
    )
