"""Whether two records are one article: identifier rules first, then title, authors, year,
venue and locators, with a grey band that goes to a reviewer instead of being merged silently."""
from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from .normalise import RecordKey, title_numbers, venue_kind, venues_compatible

__all__ = ["DedupOptions", "Comparison", "compare", "author_agreement", "title_similarity"]


@dataclass(frozen=True)
class DedupOptions:
    """How cautious matching is. The defaults keep errata, retractions, comments, preprints
    and conference abstracts apart from the article they concern, as PRISMA reporting needs."""

    keep_apart: frozenset[str] = frozenset({"erratum", "retraction", "comment", "preprint",
                                             "conference_abstract"})
    #: Title similarity (0-1) from which a pair with agreeing authors and year is one record.
    title_same: float = 0.95
    #: Title similarity from which a pair is shown to a reviewer rather than called distinct.
    title_unsure: float = 0.85
    #: A Cochrane review's versions (.pub2, .pub3) count as one review.
    cochrane_versions_same: bool = True
    #: Largest block of records compared all-against-all; larger blocks use a sliding window.
    max_block: int = 60
    window: int = 5


@dataclass(slots=True)
class Comparison:
    decision: str  # duplicate | unsure | distinct
    rule: str
    score: float
    details: dict = field(default_factory=dict)


def title_similarity(a: str, b: str) -> float | None:
    """Indel similarity of folded titles; a title cut short by a database counts as the same."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    similarity = fuzz.ratio(a, b) / 100.0
    short, full = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 60 and full.startswith(short):
        similarity = max(similarity, 0.96)
    return similarity


def _names_match(x: tuple[str, ...], y: tuple[str, ...]) -> bool:
    for p in x:
        for q in y:
            if p == q or (len(p) > 3 and len(q) > 3 and fuzz.ratio(p, q) >= 85):
                return True
            # "Sberro-Soussan" written "Sberro Soussan", "Le Quintrec" vs "LeQuintrec"
            if len(p) > 4 and len(q) > 4 and (p.startswith(q) or q.startswith(p)):
                return True
    return False


def author_agreement(a: tuple, b: tuple) -> tuple[bool, float] | None:
    """(first authors agree, share of the shorter author list found in the longer one)."""
    if not a or not b:
        return None
    first = bool(set(a[0]) & set(b[0])) or _names_match(a[0], b[0])
    short, full = (a, b) if len(a) <= len(b) else (b, a)
    pool = {p for parts in full for p in parts}
    found = 0
    for parts in short:
        if any(p in pool for p in parts):
            found += 1
        elif any(_names_match(parts, other) for other in full):
            found += 1
    return first, found / len(short)


def _conflict(x: str, y: str) -> bool:
    return bool(x) and bool(y) and x != y


def compare(a: RecordKey, b: RecordKey, options: DedupOptions) -> Comparison:
    """One pair's verdict with the rule that decided it and the scores behind it."""
    for name in ("doi", "pmid", "pmcid"):
        if _conflict(getattr(a, name), getattr(b, name)):
            return Comparison("distinct", f"different {name.upper()}s", 0.0)
    if a.kind != b.kind and (a.kind in options.keep_apart or b.kind in options.keep_apart):
        return Comparison("distinct", "kept apart: " + " and ".join(sorted((a.kind, b.kind))), 0.0)

    title = title_similarity(a.title, b.title)
    same_id = next((name for name in ("doi", "pmid", "pmcid")
                    if getattr(a, name) and getattr(a, name) == getattr(b, name)), None)
    located = bool(a.volume and a.volume == b.volume and a.page and a.page == b.page)
    # a title cut before its subtitle is decided by its own rule where the titles alone differ
    cut = bool(a.title and b.title and (a.title in b.heads or b.title in a.heads)) \
        and (title or 0.0) < options.title_unsure
    # a record published ahead of print may carry a title the print issue changed
    retitled = _ahead_of_print(a, b) and (title or 0.0) >= options.title_unsure - 0.15
    if not same_id and not located and not cut and not retitled \
            and (title is None or title < options.title_unsure):
        # most candidate pairs end here, before the costlier author and venue comparisons
        return Comparison("distinct", "no title to compare" if title is None else "titles differ",
                          0.6 * (title or 0.0), {"title": _round(title)})
    authors = author_agreement(a.authors, b.authors)
    year_gap = abs(a.year - b.year) if a.year is not None and b.year is not None else None
    venue = venues_compatible(a.venue, b.venue)
    kinds = (venue_kind(a.venue), venue_kind(b.venue))
    venue_clash = bool(kinds[0] and kinds[1] and kinds[0] != kinds[1])
    volume_clash, page_clash = _conflict(a.volume, b.volume), _conflict(a.page, b.page)
    locators_agree = bool(a.page and a.page == b.page and (not volume_clash))
    details = {"title": _round(title), "year_gap": year_gap, "venue": venue,
               "first_author": None if authors is None else authors[0],
               "authors": None if authors is None else round(authors[1], 3),
               "volume_clash": volume_clash, "page_clash": page_clash}
    score = _score(title, authors, year_gap, venue, locators_agree)

    if same_id:
        first = authors is not None and authors[0]
        if page_clash and a.page.isdigit() and b.page.isdigit() and same_id == "doi":
            # one DOI for a whole supplement of abstracts: the pages tell them apart
            return Comparison("unsure", "same DOI but first pages differ", score, details)
        if title is None or title >= 0.8 or (first and title >= 0.6):
            return Comparison("duplicate", f"same {same_id.upper()}", max(score, 0.99), details)
        return Comparison("unsure", f"same {same_id.upper()} but different titles", score, details)
    if options.cochrane_versions_same and a.page.startswith("cd") and a.page == b.page \
            and a.page[2:].isdigit() and title is not None and title >= options.title_unsure \
            and venue and any("cochrane" in k.venue for k in (a, b)):
        return Comparison("duplicate", RULE_COCHRANE, max(score, 0.98), details)
    if (a.recurring or b.recurring) and title is not None and title >= options.title_unsure:
        return _recurring(a, b, year_gap, venue, score, details)
    if a.kind == b.kind == "erratum" and title is not None and title >= options.title_unsure:
        return _recurring(a, b, year_gap, venue, score, details, CORRECTION_RULES)
    if cut:
        return _cut_title(a, b, authors, year_gap, venue, volume_clash, score, details)
    if title is not None and title >= options.title_unsure and \
            title_numbers(a.title, b.title):
        return Comparison("unsure", "titles differ in a number", score, details)
    same_place = located and year_gap == 0 and bool(venue)
    if same_place and title is not None and (title >= 0.9 or (title >= 0.6 and authors and authors[0])):
        return Comparison("duplicate", "same journal, year, volume and first page", score, details)
    if same_place and (a.translated or b.translated) and authors and authors[0] \
            and authors[1] >= 0.8 and max(a.span, b.span) > 1 and a.last == b.last:
        # one database gives the article's title in English, another in its own language
        return Comparison("duplicate", RULE_TRANSLATED, score, details)
    if same_place and authors and authors[0]:
        return Comparison("unsure", "same journal, volume and page but titles differ", score, details)
    if title is None:
        return Comparison("distinct", "no title to compare", score, details)

    authors_ok = None if authors is None else (authors[0] and authors[1] >= 0.5) or authors[1] >= 0.8
    authors_differ = authors is not None and not authors[0] and authors[1] < 0.34
    if title < options.title_unsure:
        if retitled and year_gap == 0 and venue and _same_author_order(a.authors, b.authors):
            return Comparison("unsure", RULE_RETITLED, score, details)
        return Comparison("distinct", "titles differ", score, details)
    if authors_differ:
        return Comparison("distinct", "authors differ", score, details)
    if venue is False and (volume_clash or page_clash or not locators_agree):
        return Comparison("unsure", "journals differ", score, details)
    if venue_clash:
        return Comparison("unsure" if title >= options.title_same else "distinct",
                          f"venues differ ({kinds[0]} and {kinds[1]})", score, details)
    if title >= options.title_same and year_gap in (0, None):
        if volume_clash:
            return Comparison("unsure", "same title but volumes differ", score, details)
        if page_clash and a.span and b.span and (a.span == 1) != (b.span == 1) \
                and not _within(a, b):
            # a one-page item with an article's title: an erratum or a comment not marked as one
            return Comparison("unsure", "same title but one is a single page", score, details)
        if page_clash and a.span == b.span == 1 and _conflict(a.issue, b.issue) \
                and a.volume and a.volume == b.volume and a.page.isdigit() and b.page.isdigit():
            # two one-page items of different issues under an article's title: two notices
            # (corrections, replies) of it, not two exports of one
            return Comparison("unsure", RULE_ONE_PAGE_ITEMS, score, details)
        if page_clash and title < 1.0 and a.page.isdigit() and b.page.isdigit() \
                and abs(int(a.page) - int(b.page)) <= 2 and not _same_end(a, b, authors_ok):
            # neighbouring abstracts of one supplement often share title words and authors
            return Comparison("unsure", "same title but on neighbouring pages", score, details)
        if authors_ok:
            if year_gap is None and venue is None and not locators_agree:
                return Comparison("unsure", "same title and authors, year unknown", score, details)
            return Comparison("duplicate", "same title, authors and year", score, details)
        if authors_ok is None and (venue or locators_agree) and year_gap == 0:
            return Comparison("duplicate", "same title, year and journal (authors missing)",
                              score, details)
        return Comparison("unsure", "same title, authors or journal unclear", score, details)
    if title >= 0.97 and year_gap == 1 and authors and authors[1] >= 0.8 and venue \
            and not volume_clash:
        return Comparison("duplicate", "same title, authors and journal; online-first year",
                          score, details)
    if year_gap is not None and year_gap > 1:
        return Comparison("distinct", "years differ", score, details)
    return Comparison("unsure", "similar titles", score, details)


#: Names of the rules that decide the harder classes of pair (shown by --explain and counted
#: per rule by benchmarks/dedup_quality.py).
RULE_RECURRING_SAME = "recurring item: same issue and pages"
RULE_RECURRING_APART = "recurring item: issue or pages differ"
RULE_RECURRING_UNKNOWN = "recurring item: issue or pages unknown"
RULE_CORRECTION_SAME = "correction notices of one article: same issue and pages"
RULE_CORRECTION_APART = "correction notices of one article: issue or pages differ"
RULE_CORRECTION_UNKNOWN = "correction notices of one article: issue or pages unknown"
RULE_RETITLED = "ahead-of-print record under another title; same authors, journal and year"
RULE_ONE_PAGE_ITEMS = "same title but one-page items in different issues"
RULE_TRANSLATED = "translated title; same authors, journal, volume and pages"
RECURRING_RULES = (RULE_RECURRING_SAME, RULE_RECURRING_APART, RULE_RECURRING_UNKNOWN)
CORRECTION_RULES = (RULE_CORRECTION_SAME, RULE_CORRECTION_APART, RULE_CORRECTION_UNKNOWN)
RULE_CUT_TITLE = "title cut before its subtitle; same authors, year, venue and pages"
RULE_CUT_TITLE_UNSURE = "title cut before its subtitle; pages or venue unconfirmed"
RULE_COCHRANE = "same Cochrane review number"


def _recurring(a: RecordKey, b: RecordKey, year_gap, venue, score, details,
               rules: tuple[str, str, str] = RECURRING_RULES) -> Comparison:
    """An editor's comments, a correction, a reply, a book review or a meeting-abstract series
    under one generic title, or two correction notices of one article (which repeat its title):
    the same work only when issue and first page agree (identifiers, which would settle it, were
    compared before). `rules` names the verdicts: same, apart, unknown."""
    same, apart, unknown = rules
    locators = [(a.volume, b.volume), (a.issue, b.issue), (a.page, b.page)]
    if any(_conflict(x, y) for x, y in locators) or (year_gap or 0) > 0 or venue is False:
        return Comparison("distinct", apart, score, details)
    if a.issue and b.issue and a.page and b.page and year_gap == 0 and venue:
        return Comparison("duplicate", same, score, details)
    return Comparison("unsure", unknown, score, details)


def _cut_title(a: RecordKey, b: RecordKey, authors, year_gap, venue, volume_clash, score,
               details) -> Comparison:
    """One database dropped the subtitle: the same work when the authors, year, venue and first
    page all agree; a reviewer looks when one of them cannot be checked."""
    same_authors = authors is not None and authors[0] and authors[1] >= 0.8
    if not same_authors or (year_gap or 0) > 0 or venue is False or volume_clash \
            or _conflict(a.page, b.page) or _conflict(a.issue, b.issue):
        return Comparison("distinct", "titles differ", score, details)
    if year_gap == 0 and venue and a.page and a.page == b.page:
        return Comparison("duplicate", RULE_CUT_TITLE, score, details)
    return Comparison("unsure", RULE_CUT_TITLE_UNSURE, score, details)


def _ahead_of_print(a: RecordKey, b: RecordKey) -> bool:
    """One record has neither volume nor page (published online first), the other has both."""
    return (not a.volume and not a.page) != (not b.volume and not b.page) \
        and bool((a.volume and a.page) or (b.volume and b.page))


def _same_author_order(a: tuple, b: tuple) -> bool:
    """At least three authors, the shorter list the longer one's first names in the same order
    (databases cut author lists): a retitled record is still signed by the same team."""
    short, full = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 3:
        return False
    return all(set(x) & set(y) or _names_match(x, y) for x, y in zip(short, full))


def _same_end(a: RecordKey, b: RecordKey, authors_ok) -> bool:
    """Same last page and authors: one article whose first page a database gave one off
    ('2141-2147' and '2142-2147', '487-488' and '488'); neighbouring abstracts end apart."""
    return bool(authors_ok and a.last and a.last == b.last and max(a.span, b.span) > 1)


def _within(a: RecordKey, b: RecordKey) -> bool:
    """Whether the one-page record's page lies in the other's range ('488' in '487-488')."""
    single, ranged = (a, b) if a.span == 1 else (b, a)
    if not (single.page.isdigit() and ranged.page.isdigit()):
        return False
    start = int(ranged.page)
    return start <= int(single.page) < start + ranged.span


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _score(title, authors, year_gap, venue, locators_agree) -> float:
    """One number to order pairs by strength of evidence; decisions come from the rules."""
    score = 0.6 * (title or 0.0)
    score += 0.2 * (0.5 if authors is None else authors[1])
    score += 0.1 * (0.5 if year_gap is None else max(0.0, 1.0 - year_gap))
    score += 0.1 * (1.0 if locators_agree else 0.7 if venue else 0.3 if venue is None else 0.0)
    return round(score, 4)
