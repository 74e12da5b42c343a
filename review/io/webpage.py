"""Web pages and pasted text: PRISMA 2020's "records identified via other methods".

A reviewer saves a page (HTML) or pastes its text (plain text, Markdown). A page is one work, so it
gives one record, `raw` the whole text and `line` 1. HTML metadata wins (Highwire/Google Scholar
`citation_*`, Dublin Core, og:title, JSON-LD, then <h1>, then <title>); the visible text then fills
the gaps with the heuristics used for pasted text. Text is cut at the first "References", "Cited
by", "Similar articles", "Comments" ... heading, so another work's DOI or authors never become the
page's own. Whatever is guessed (title, abstract, a truncated author list) is a ParseWarning.

Pasted reference lists: text that is not HTML and whose EVERY blank-line-separated paragraph holds
a DOI or PMID (and no "Title:"-style label or Markdown heading) is read as citations, one record
per paragraph (Vancouver "Authors. Title. Journal. Year..." or APA "Authors (Year). Title. ...").

The HTML side (<meta>, JSON-LD, visible text) lives in _html_meta.py to keep each module to one
concern; this module keeps the entry point, the text heuristics and the citation parser.
"""
from __future__ import annotations

import re

from ..errors import ImportFormatError, ParseWarning
from ..records import RECORD_FIELDS, Parsed
from ._html_meta import BOILERPLATE, DUBLIN_CORE, HIGHWIRE, html_fields, is_html
from ._html_meta import DOI as _DOI
from ._html_meta import clean as _clean
from ._html_meta import fill as _fill
from ._html_meta import split_list as _split_list

__all__ = ["read_webpage", "LABELS", "HIGHWIRE", "DUBLIN_CORE"]

EXPECTED = "a web page or pasted text with a title, DOI or PMID"
#: "Label: value" lines (also "**Label**:", "- **Label**:"), label lower-cased -> field.
LABELS = {
    **dict.fromkeys(("title", "article title", "paper title", "标题", "题目"), "title"),
    **dict.fromkeys(("author", "authors", "作者"), "authors"),
    **dict.fromkeys(("journal", "journal title", "source title", "published in", "期刊"),
                    "journal"),
    **dict.fromkeys(("year", "publication year", "publication date", "published", "date published",
                     "发表日期", "出版日期"), "year"),
    **dict.fromkeys(("doi",), "doi"), **dict.fromkeys(("pmid", "pubmed id"), "pmid"),
    **dict.fromkeys(("pmcid", "pmc id", "pmc"), "pmcid"),
    **dict.fromkeys(("keywords", "keyword", "key words", "关键词", "关键字"), "keywords"),
    **dict.fromkeys(("abstract", "摘要"), "abstract"),
    "volume": "volume", "issue": "issue", "pages": "pages", "language": "language",
    **dict.fromkeys(("publication type", "article type"), "publication_type"),
    **dict.fromkeys(("url", "link", "pubmed url", "source url"), "url"),
}
#: Labels that may stand alone as a heading, their value in the lines below.
BLOCK_FIELDS = ("abstract", "keywords", "authors")
#: Headings after which a page lists OTHER works or chatter: nothing below them is read.
CUT_HEADING = re.compile(
    r"(references?|bibliography|literature cited|cited by\b.*|citing articles|similar articles"
    r"|related (articles|papers|posts|content|reading)|recommended( articles| reading)?"
    r"|you (may|might) also like|more like this|linkout - more resources|comments?( \(\d+\))?"
    r"|leave a (reply|comment)|参考文献|相关文献|相似文献|推荐|评论|引用文献)")

_LABEL = re.compile(r"\s*(?:[-*+•]\s+)?(?:\*\*|__)?(?P<label>[^\W\d_][^:：*_\n]{0,30}?)"
                    r"(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(?P<value>.*)")
_MD_TITLE = re.compile(r"#\s+(\S.*)")
_PMID = re.compile(r"\bPMID:?\s*(\d{1,9})\b|pubmed\.ncbi\.nlm\.nih\.gov/(\d{1,9})", re.I)
_PMCID = re.compile(r"\bPMC\d{4,9}\b")
_ET_AL = re.compile(r"[,;]?\s*\bet\.?\s*al\b\.?|[,;]?\s*\band others\b", re.I)
_PUBMED_CITE = re.compile(r"(?P<journal>[^.;\n]{0,150})\.\s*(?P<year>(?:1[89]|20)\d\d)\b"
                          r"[^;\n]{0,20};"
                          r"\s*(?P<volume>[^(:;\s]*)\s*(?:\((?P<issue>[^)]{1,20})\))?"
                          r"\s*(?::\s*(?P<pages>[^.;\s]+))?")
_PUBMED_AUTHORS = re.compile(r"(?P<authors>[^.]{2,300}?)\.\s+(?P<journal>[^.]{2,150}?)\.\s*\.?\s*")
_PUBMED_SKIP = re.compile(r"(epub|ecollection|online ahead of print|free pmc article|review\.)",
                          re.I)
_APA = re.compile(r"(?P<authors>.{2,400}?)\s*\((?P<year>(?:1[89]|20)\d\d)[a-z]?(?:,[^)]*)?\)\.?\s+"
                  r"(?P<title>.+?[.?!])\s+(?P<rest>.*)")
_IDS_START = re.compile(r"\s(?:doi:|doi\s|https?://|pmid|pmcid)", re.I)
_SENTENCE = re.compile(r"(.+?[.!?])(?=\s+[A-Z\"“(]|\s*$)")


def read_webpage(text: str, file: str = "<string>") -> Parsed:
    """One record per page (HTML or text), or one per citation in a pasted reference list."""
    if not text or not text.strip():
        raise ImportFormatError(file, EXPECTED, line=1, found="an empty file")
    warns: list[ParseWarning] = []
    if is_html(text):
        have, visible = html_fields(text, file, warns, authors=_authors)
        fields = _from_text(visible, file, have, warns)
    else:
        blocks = _citation_blocks(text)
        if blocks:
            return Parsed([_citation(block, line, number, file, warns)
                           for number, (line, block) in enumerate(blocks, start=1)], warns)
        fields = _from_text(text, file, {}, warns)
    if not any(fields.get(key) for key in ("title", "doi", "pmid", "pmcid")):
        first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
        raise ImportFormatError(file, EXPECTED, line=1, found="an HTML page without any"
                                if is_html(text) else first)
    return Parsed([_record(fields, 1, text)], warns)


def _record(fields: dict, line: int | None, raw: str) -> dict:
    record = {name: fields.get(name) for name in RECORD_FIELDS}
    record.update(authors=fields.get("authors") or [], keywords=fields.get("keywords") or [])
    return {**record, "line": line, "raw": raw}


def _heading(line: str) -> str:
    return _clean(line.strip().lstrip("#").strip(" *_").rstrip(":：").strip(" *_")).lower()


def _known_label(line: str) -> str | None:
    """The field a "Label: value" line fills, or None."""
    match = _LABEL.fullmatch(line)
    return LABELS.get(_clean(match.group("label")).lower()) if match else None


def _split_names(value: str) -> tuple[list[str], bool]:
    """Names as the source gives them; "Surname, Given, Surname, Given" is paired up."""
    truncated = bool(_ET_AL.search(value))
    body = _clean(_ET_AL.sub("", value)).strip(" ,;")
    separated = ";" in body
    parts = body.split(";") if separated else re.split(r",|\s+&\s+|\s+and\s+", body)
    parts = [p for p in (re.sub(r"^(?:&|and)\s+", "", p.strip()) for p in parts) if p]
    if not separated and len(parts) >= 2 and len(parts) % 2 == 0 \
            and all(" " not in p for p in parts[0::2]):
        parts = [f"{a}, {b}" for a, b in zip(parts[0::2], parts[1::2])]
    return parts, truncated


def _names_line(line: str, single: bool = False) -> bool:
    """A line made only of personal names ("Yang, Jing, Yuan, Bin et al.", "Fais S")."""
    body = _clean(_ET_AL.sub("", line)).strip(" .,;")
    if not body or len(body) > 400 or re.search(r"[\d:?!()\[\]/@|]", body):
        return False
    parts = [p.split() for p in re.split(r"[;,]|\s&\s|\sand\s", body) if p.strip()]
    initials = any(len(p) > 1 and re.fullmatch(r"[A-Z]{1,3}\.?", p[-1]) for p in parts)
    return (single or initials or (len(parts) >= 2 and bool(re.search(r"[,;]", body)))) and all(
        1 <= len(p) <= 4 and all(w[0].isupper() for w in p) for p in parts)


def _authors(value: str, file: str, line: int | None, warns: list) -> list[str]:
    names, truncated = _split_names(value)
    if truncated and names:
        warns.append(ParseWarning(file, f"author list ends with 'et al.': only the first "
                                  f"{len(names)} author(s) are on the page", line=line, record=1))
    return names


# -- plain text and Markdown ---------------------------------------------------------------

def _from_text(text: str, file: str, have: dict, warns: list) -> dict:
    """Fields from visible text; `have` (HTML metadata) wins over everything found here."""
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group().count("\n"), text, flags=re.S)
    lines = [line.rstrip() for line in text.split("\n")]
    cut = next((i for i, ln in enumerate(lines) if i and CUT_HEADING.fullmatch(_heading(ln))),
               len(lines))
    lines, found = lines[:cut], dict(have)
    _fill(found, _labelled(lines, file, warns))
    if not found.get("title"):
        _fill(found, _pubmed_layout(lines, file, warns))
    if not found.get("title"):
        found["title"] = _title(lines, file, warns)
    names_at = None if found.get("authors") else next(
        (i for i, ln in enumerate(lines) if _names_line(ln)), None)  # the first: later = widgets
    if names_at is not None:
        found["authors"] = _authors(lines[names_at], file, names_at + 1, warns)
    if not found.get("abstract"):
        found["abstract"] = _first_prose(lines, file, warns)
    _body_ids(found, "\n".join(lines), file, warns)
    return found


def _labelled(lines: list[str], file: str, warns: list) -> dict:
    """First "Label: value" line per field, "Abstract"/"Keywords" blocks, then a "# Title"."""
    found: dict = {}
    heading = next((m.group(1) for m in map(_MD_TITLE.fullmatch, lines) if m), None)
    for i, line in enumerate(lines):
        field = _known_label(line)
        value = _clean(_LABEL.fullmatch(line).group("value")) if field else ""
        if not field and len(line) < 40 and LABELS.get(_heading(line)) in BLOCK_FIELDS:
            field = LABELS[_heading(line)]
        if not field or field in found:
            continue
        if not value and field in BLOCK_FIELDS:
            value = _block(lines, i + 1, whole=field == "abstract")
            if field == "authors" and not _names_line(value):
                continue
        if value and field == "authors":
            found[field] = _authors(value, file, i + 1, warns)
        elif value:
            found[field] = _split_list(value) if field == "keywords" else value
    _fill(found, {"title": _clean(heading)})
    return found


def _block(lines: list[str], start: int, whole: bool) -> str:
    """The paragraph below a heading (or only its first line when not `whole`)."""
    taken: list[str] = []
    for line in lines[start:start + 200]:
        if not line.strip():
            if taken:
                break
            continue
        if line.lstrip().startswith("#") or (taken and _known_label(line)):
            break
        taken.append(line.strip())
        if not whole:
            break
    return _clean(" ".join(taken))


def _pubmed_layout(lines: list[str], file: str, warns: list) -> dict:
    """PubMed's page: ". 2013 Jan 1;2(1):e22337." / "doi: ..." / title / "Author. Journal. ."."""
    for i, line in enumerate(lines[:80]):
        cite = _PUBMED_CITE.match(line.strip())
        if not cite:
            continue
        found = {k: cite.group(k) for k in ("year", "volume", "issue", "pages")}
        found["journal"], j = cite.group("journal").strip() or None, i
        for k in range(i, min(i + 3, len(lines))):
            doi = re.search(r"doi:\s*(10\.\S+)", lines[k], re.I)
            if doi:
                found["doi"], j = doi.group(1).rstrip("."), k
                break
        rest = [(k, ln.strip()) for k, ln in enumerate(lines[j + 1:], start=j + 1) if ln.strip()
                and not BOILERPLATE.fullmatch(ln.strip()) and not _PUBMED_SKIP.match(ln.strip())]
        if not rest:
            return {}
        found["title"] = rest[0][1]
        for k, ln in rest[1:8]:
            names = _PUBMED_AUTHORS.fullmatch(ln)
            if names and _names_line(names.group("authors"), single=True):
                found["authors"] = _authors(names.group("authors"), file, k + 1, warns)
                found["journal"] = found["journal"] or names.group("journal").strip()
                break
        return found
    return {}


def _titleish(line: str) -> bool:
    line, words = line.strip(), len(line.split())
    cjk = len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", line))
    return (8 <= len(line) <= 250 and (3 <= words <= 35 or cjk >= 6)
            and not BOILERPLATE.fullmatch(line) and not _names_line(line)
            and not line.endswith((":", "：")) and not (line.endswith(".") and words >= 15)
            and not re.match(r"(doi\b|https?:|www\.|\d+\.\s)", line, re.I)
            and not _known_label(line) and not _PUBMED_CITE.match(line))


def _title(lines: list[str], file: str, warns: list) -> str | None:
    """A line repeated at the top; else (guessed) the first title-like line; else a sentence."""
    top = [(i, ln.strip()) for i, ln in enumerate(lines) if ln.strip()][:12]
    for n, (i, line) in enumerate(top):
        if _titleish(line) and any(line == other for _, other in top[n + 1:]):
            return line
    prose = next((i for i, ln in enumerate(lines) if len(ln.strip()) >= 200), None)
    for i, line in [(i, ln) for i, ln in top if prose is None or i < prose][:10]:
        if _titleish(line):
            warns.append(ParseWarning(file, "title guessed from the first title-like line (no "
                                      f"title line or metadata): {line[:60]!r}",
                                      line=i + 1, record=1))
            return line
    sentence = _SENTENCE.match(lines[prose].strip()) if prose is not None else None
    if sentence and 3 <= len(sentence.group(1).split()) <= 30 and len(sentence.group(1)) <= 250:
        warns.append(ParseWarning(file, "title guessed from the first sentence of the page (the "
                                  "page has no title line): check it against the source",
                                  line=prose + 1, record=1))
        return sentence.group(1).rstrip(".")
    return None


def _first_prose(lines: list[str], file: str, warns: list) -> str | None:
    start = next((i for i, ln in enumerate(lines)
                  if len(ln.strip()) >= 200 and not _known_label(ln)), None)
    if start is None:
        return None
    taken = [lines[start].strip()]
    for line in lines[start + 1:]:
        if len(line.strip()) < 120 or BOILERPLATE.fullmatch(line.strip()):
            break
        taken.append(line.strip())
    warns.append(ParseWarning(file, "no abstract heading: abstract taken from the first "
                              "paragraph of the page", line=start + 1, record=1))
    return " ".join(taken)


def _body_ids(found: dict, text: str, file: str, warns: list) -> None:
    """Unlabelled identifiers count only when the (cut) page names exactly one of a kind."""
    for field, values in (("doi", [m.group(0).rstrip(".,;)]}") for m in _DOI.finditer(text)]),
                          ("pmid", [m.group(1) or m.group(2) for m in _PMID.finditer(text)]),
                          ("pmcid", _PMCID.findall(text))):
        distinct = list(dict.fromkeys(v.lower() for v in values))
        if found.get(field) or not distinct:
            continue
        if len(distinct) == 1:
            found[field] = values[0]
        else:
            shown = ", ".join(distinct[:3])
            warns.append(ParseWarning(file, f"{len(distinct)} different {field.upper()}s on the "
                                      f"page and none labelled: none taken ({shown})", record=1))


# -- pasted reference lists ------------------------------------------------------------------

def _citation_blocks(text: str) -> list[tuple[int, str]]:
    """(first line, exact text) per paragraph, or [] unless every paragraph is a citation."""
    blocks, start, current = [], 0, []
    for i, line in enumerate(text.split("\n") + [""], start=1):
        if line.strip():
            start = start if current else i
            current.append(line)
        elif current:
            blocks.append((start, "\n".join(current)))
            current = []
    for _, block in blocks:
        lines = block.split("\n")
        if len(block) > 2000 or len(lines) > 6 or not (_DOI.search(block) or _PMID.search(block)):
            return []
        if any(line.lstrip().startswith("#") or LABELS.get(_heading(line))
               or _known_label(line) not in (None, "doi", "pmid", "pmcid", "url")
               or CUT_HEADING.fullmatch(_heading(line)) for line in lines):
            return []
    return blocks


def _citation(block: str, line: int, number: int, file: str, warns: list) -> dict:
    flat = re.sub(r"^\s*(?:\[\d+\]|\d+\.)\s+", "", _clean(block))
    ids = _IDS_START.search(" " + flat)
    body = flat[:ids.start() - 1].strip() if ids else flat
    pmid, doi, pmcid = _PMID.search(flat), _DOI.search(flat), _PMCID.search(flat)
    found: dict = {"doi": doi and doi.group(0), "pmcid": pmcid and pmcid.group(0),
                   "pmid": pmid and (pmid.group(1) or pmid.group(2))}
    apa = _APA.fullmatch(body)
    if apa:
        authors, title = apa.group("authors"), apa.group("title")
        found.update(journal=apa.group("rest").split(",")[0].strip(" .") or None,
                     year=apa.group("year"))
    else:
        parts = [p.strip() for p in re.split(r"\.\s+(?=\S)", body) if p.strip()]
        if parts and not _names_line(parts[0]):
            parts.insert(0, "")
        (authors, title), tail = (parts + ["", ""])[:2], " ".join(parts[2:])
        if parts[2:] and not re.match(r"\d", parts[2]):
            found["journal"] = parts[2].rstrip(".")
        year = re.search(r"\b(?:1[89]|20)\d\d\b", tail)
        found["year"] = year and year.group(0)
        numbers = re.search(r"\d{4}[^;]{0,20};\s*(\w+)\s*(?:\((\w+)\))?\s*:\s*([\w-]+)", tail)
        if numbers:
            found["volume"], found["issue"], found["pages"] = numbers.groups()
    found["title"] = title.strip().rstrip(".") or None
    found["authors"] = _split_names(authors)[0] if authors else []
    if not found["title"]:
        warns.append(ParseWarning(file, "no title found in this citation",
                                  line=line, record=number))
    return _record(found, line, block)
