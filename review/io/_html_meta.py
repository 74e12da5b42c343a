"""HTML half of the web-page importer: <meta>, JSON-LD and visible-text extraction.

Split from webpage.py (entry point, text heuristics, pasted citations) so each module holds one
concern. This is the lower layer: it imports nothing from webpage.py, which imports the small
string helpers and shared patterns from here; the one text heuristic it needs (author-name
splitting, with its "et al." warning) is passed in, so the import runs one way only.
"""
from __future__ import annotations

import json
import re
import warnings as _warnings
from collections import defaultdict
from collections.abc import Callable

from ..errors import ParseWarning

__all__ = ["BLOCK_TAGS", "BOILERPLATE", "DOI", "DUBLIN_CORE", "HIDDEN_TAGS", "HIGHWIRE",
           "JSONLD_TYPES", "LAST_RESORT_META", "OPEN_GRAPH", "clean", "fill", "html_fields",
           "is_html", "split_list"]

#: HTML <meta> names per field, best first: Highwire/Google Scholar, Dublin Core/PRISM, OG.
HIGHWIRE = {
    "title": ("citation_title",), "authors": ("citation_author", "citation_authors"),
    "journal": ("citation_journal_title", "citation_conference_title", "citation_inbook_title"),
    "year": ("citation_publication_date", "citation_date", "citation_online_date", "citation_year"),
    "doi": ("citation_doi",), "pmid": ("citation_pmid",), "pmcid": ("citation_pmcid",),
    "abstract": ("citation_abstract",), "keywords": ("citation_keywords",),
    "volume": ("citation_volume",), "issue": ("citation_issue",),
    "language": ("citation_language",),
    "url": ("citation_abstract_html_url", "citation_fulltext_html_url", "citation_public_url"),
}
DUBLIN_CORE = {
    "title": ("dc.title", "dcterms.title"), "authors": ("dc.creator", "dcterms.creator"),
    "year": ("dc.date", "dcterms.issued", "dc.date.issued", "prism.publicationdate"),
    "doi": ("dc.identifier", "dcterms.identifier", "prism.doi"),
    "journal": ("prism.publicationname",), "abstract": ("dc.description", "dcterms.abstract"),
    "keywords": ("dc.subject",), "language": ("dc.language",), "publication_type": ("dc.type",),
}
OPEN_GRAPH = {"title": ("og:title",), "url": ("og:url",)}
LAST_RESORT_META = {"abstract": ("description", "og:description")}
#: JSON-LD @type values of a work, best first.
JSONLD_TYPES = ("ScholarlyArticle", "MedicalScholarlyArticle", "Article", "BlogPosting",
                "NewsArticle", "Report", "Chapter", "Book", "CreativeWork")
#: Tags around which visible text starts a new paragraph.
BLOCK_TAGS = ["p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "li",
              "ul", "ol", "dl", "dt", "dd", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
              "blockquote", "pre", "figure", "figcaption", "form"]
#: Tags whose text a reader never sees.
HIDDEN_TAGS = ("script", "style", "noscript", "template", "head", "svg")
#: Lines that are page furniture, never a title.
BOILERPLATE = re.compile(
    r"(skip to\b.*|u\.s\. flag|an official website of\b.*|dot gov|https?|the \.gov means\b.*"
    r"|federal government websites\b.*|the site is secure\.?|the https:// ensures\b.*"
    r"|access keys\b.*|.*\bcookies?\b.*|share (on|this|via)\b.*|tweet|print|e-?mail|save|cite"
    r"|share|menu|search|home|log ?in|sign ?in|download( pdf)?|full text links|pubmed disclaimer"
    r"|affiliations?|figures?|tables?|none|open access|free pmc article|permalink"
    r"|comments? \(\d+\)|leave a (reply|comment)|your email address\b.*"
    r"|generated (on )?(\w{3,9}\.? \d{1,2},? \d{4}|\d{4}-\d\d-\d\d).*|[\d\s.,/%★☆-]+"
    r"|\d(\.\d)? ?(/ ?5|stars?|review|article|rating)|this document was automatically generated.*"
    r"|all rights reserved.*|©.*|copyright\b.*)", re.I)
#: A DOI anywhere in a string (meta content, JSON-LD ids, page text).
DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"'<>]+")
#: The caller's author-name splitter: (value, file, line, warns) -> names.
Authors = Callable[[str, str, "int | None", list], "list[str]"]


def fill(target: dict, new: dict) -> None:
    """Set each field of `new` that `target` lacks: earlier sources win."""
    for key, value in new.items():
        if value and not target.get(key):
            target[key] = value


def clean(value) -> str:
    """A string with Markdown bold markers dropped and whitespace collapsed ("" if not a str)."""
    value = value if isinstance(value, str) else ""
    return re.sub(r"\s+", " ", value.replace("**", "").replace("__", "")).strip()


def split_list(value: str) -> list[str]:
    """Items of a ";"-separated (else ","-separated) list."""
    value = clean(value).rstrip(".")
    return [p.strip().rstrip(".") for p in value.split(";" if ";" in value else ",") if p.strip()]


def is_html(text: str) -> bool:
    """True when the text is an HTML document or fragment (judged from its first 5000 chars)."""
    head = text.lstrip()[:5000].lower()
    return bool(re.search(r"<(?:!doctype\s+html|html|head|body|meta)\b", head)) or (
        head.startswith("<") and bool(re.search(r"</(?:h1|p|div|article|title)>", head)))


# -- HTML ----------------------------------------------------------------------------------

def html_fields(text: str, file: str, warns: list, authors: Authors) -> tuple[dict, str]:
    """(fields from the page's metadata, its visible text) - the caller reads the text."""
    from bs4 import BeautifulSoup  # lazy: only HTML pages need it
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        soup = BeautifulSoup(text, "lxml")
    metas: dict[str, list[str]] = defaultdict(list)
    for tag in soup.find_all("meta"):
        key = tag.get("name") or tag.get("property") or tag.get("itemprop")
        if isinstance(key, str) and clean(tag.get("content")):
            metas[key.strip().lower()].append(clean(tag.get("content")))
    found: dict = {}
    for mapping in (HIGHWIRE, DUBLIN_CORE, OPEN_GRAPH):
        fill(found, _from_meta(metas, mapping, file, warns, authors))
    first, last = metas.get("citation_firstpage"), metas.get("citation_lastpage")
    if first:
        found["pages"] = first[0] + (f"-{last[0]}" if last else "")
    fill(found, _from_jsonld(soup, file, warns))
    fill(found, _from_meta(metas, LAST_RESORT_META, file, warns, authors))
    h1 = [clean(tag.get_text(" ")) for tag in soup.find_all("h1")]
    fill(found, {"title": next((h for h in h1 if h and not BOILERPLATE.fullmatch(h)), None)})
    if soup.title and soup.title.string:  # "Title | Site" or "Title - PubMed": the site goes
        title = re.sub(r"\s+[-|–—]\s+[^-|–—]{1,40}$", "", clean(soup.title.string))
        fill(found, {"title": title})
    canonical = soup.find("link", rel="canonical")
    fill(found, {"url": canonical and clean(canonical.get("href"))})
    visible = "\n".join(clean(ln) for ln in _visible_text(soup).split("\n"))
    return found, re.sub(r"\n\s*\n\s*", "\n\n", visible).strip()


def _visible_text(soup) -> str:
    """Text a reader sees, block elements as paragraphs (a loop: deep pages do not recurse)."""
    from bs4 import NavigableString, Tag
    out: list[str] = []
    stack: list = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag) and node.name not in HIDDEN_TAGS:
            block = node.name in BLOCK_TAGS
            out.append("\n\n" if block else "\n" if node.name == "br" else "")
            stack.extend(["\n\n"] if block else [])
            stack.extend(reversed(node.contents))
        elif type(node) in (str, NavigableString):
            out.append(node)
    return "".join(out)


def _from_meta(metas: dict, mapping: dict, file: str, warns: list,
               authors: Authors) -> dict:
    found: dict = {}
    for field, names in mapping.items():
        values = [v for name in names for v in metas.get(name, [])
                  if field != "doi" or DOI.search(v)]  # dc.identifier may be an ISBN or URL
        if values and field == "authors":
            found[field] = authors(values[0], file, None, warns) if len(values) == 1 else values
        elif values:
            found[field] = [k for v in values for k in split_list(v)] \
                if field == "keywords" else values[0]
    return found


def _from_jsonld(soup, file: str, warns: list) -> dict:
    """The best-ranked work (ScholarlyArticle first) in the page's JSON-LD blocks."""
    works: list[tuple[int, dict]] = []

    def many(value) -> list:
        return value if isinstance(value, list) else [value]

    def walk(node, depth=0):
        if isinstance(node, list) and depth < 20:
            for item in node:
                walk(item, depth + 1)
        elif isinstance(node, dict) and depth < 20:
            ranks = [JSONLD_TYPES.index(k) for k in many(node.get("@type"))
                     if isinstance(k, str) and k in JSONLD_TYPES]
            if ranks:
                works.append((min(ranks), node))
            walk(node.get("@graph"), depth + 1)

    for script in soup.find_all("script", type="application/ld+json"):
        try:
            walk(json.loads(script.string or ""))
        except (ValueError, RecursionError):
            warns.append(ParseWarning(file, "a JSON-LD block is not valid JSON: ignored", record=1))
    if not works:
        return {}
    work = min(works, key=lambda pair: pair[0])[1]

    def text(value) -> str:
        if isinstance(value, dict):
            value = value.get("name") if isinstance(value.get("name"), str) else " ".join(
                v for v in (value.get("familyName"), value.get("givenName")) if isinstance(v, str))
        return clean(value)

    journal, part = "", work.get("isPartOf")
    while isinstance(part, dict) and not journal:
        journal = text(part) if "Periodical" in many(part.get("@type")) else ""
        part = part.get("isPartOf")
    ids = " ".join(str(work.get(k) or "") for k in ("identifier", "sameAs", "@id", "url"))
    keywords = work.get("keywords")
    return {"title": text(work.get("headline")) or text(work.get("name")),
            "authors": [a for a in map(text, many(work.get("author"))) if a],
            "year": text(work.get("datePublished")), "journal": journal,
            "doi": (DOI.search(ids) or [None])[0], "url": text(work.get("url")),
            "abstract": text(work.get("abstract")) or text(work.get("description")),
            "keywords": split_list(keywords) if isinstance(keywords, str)
            else [k for k in map(text, many(keywords)) if k]}
