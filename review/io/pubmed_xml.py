"""PubMed XML (efetch `PubmedArticleSet`): articles, book articles and bare MEDLINE citations.

The XML is parsed once with a parser that never fetches the DTD or expands entities, so an
export cannot reach the network or blow up memory. Text is taken with `itertext`-like walking
so that inline markup (<i>, <sup>, MathML) keeps its words and the text after it.
"""
from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ..errors import ImportFormatError, ParseWarning
from ..records import Parsed
from ._xml import collect_text, parse_xml

__all__ = ["RECORD_TAGS", "read_pubmed_xml"]

#: Elements that each make one record. A MedlineCitation counts only outside a PubmedArticle.
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation")
#: ArticleIdList/ArticleId @IdType -> canonical field.
ARTICLE_ID_TYPES = {"doi": "doi", "pubmed": "pmid", "pmc": "pmcid"}
#: Where each simple field is found, relative to the record element, first match wins.
PATHS = {
    "journal": ("MedlineCitation/Article/Journal/Title", "Article/Journal/Title",
                "MedlineCitation/MedlineJournalInfo/MedlineTA", "MedlineJournalInfo/MedlineTA",
                "BookDocument/Book/BookTitle"),
    "volume": ("MedlineCitation/Article/Journal/JournalIssue/Volume",
               "Article/Journal/JournalIssue/Volume", "BookDocument/Book/Volume"),
    "issue": ("MedlineCitation/Article/Journal/JournalIssue/Issue",
              "Article/Journal/JournalIssue/Issue"),
    "pages": ("MedlineCitation/Article/Pagination/MedlinePgn", "Article/Pagination/MedlinePgn",
              "BookDocument/Pagination/MedlinePgn"),
}
#: The Article element (journal articles) or BookDocument (books), relative to the record.
ARTICLE_PATHS = ("MedlineCitation/Article", "Article", "BookDocument")
#: Publication dates in order of preference (year taken from Year, else MedlineDate).
DATE_PATHS = ("Journal/JournalIssue/PubDate", "Book/PubDate", "ArticleDate", "PubDate")


def _text(el: Any) -> str | None:
    """All text inside `el`, markup dropped but its text and tails kept; whitespace collapsed."""
    if el is None:
        return None
    parts: list[str] = []
    collect_text(el, parts)
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    return text or None


def _first(el: Any, paths: tuple[str, ...]) -> str | None:
    for path in paths:
        value = _text(el.find(path))
        if value:
            return value
    return None


def _abstract(article: Any) -> str | None:
    """AbstractText sections as 'LABEL: text' paragraphs (one per line)."""
    paragraphs = []
    for section in article.findall("Abstract/AbstractText"):
        text = _text(section)
        if not text:
            continue
        label = (section.get("Label") or "").strip()
        paragraphs.append(f"{label}: {text}" if label else text)
    return "\n".join(paragraphs) or None


def _authors(article: Any) -> list[str]:
    names = []
    for author_list in article.findall("AuthorList") or article.findall("Book/AuthorList"):
        if author_list.get("Type", "authors") != "authors":
            continue  # editors of a book
        for author in author_list.findall("Author"):
            collective = _text(author.find("CollectiveName"))
            last = _text(author.find("LastName"))
            given = _text(author.find("ForeName")) or _text(author.find("Initials"))
            if last:
                names.append(f"{last}, {given}" if given else last)
            elif collective:
                names.append(collective)
    return names


def _year(article: Any) -> str | None:
    for path in DATE_PATHS:
        for date in article.findall(path):
            year = _text(date.find("Year"))
            if year:
                return year
            medline = _text(date.find("MedlineDate"))
            if medline and re.search(r"[12]\d{3}", medline):
                return medline
    return None


def _ids(record: Any, article: Any) -> dict[str, str]:
    """DOI, PMID and PMCID from the record's own ArticleIdList (not its reference list)."""
    found: dict[str, str] = {}
    for path in ("PubmedData/ArticleIdList/ArticleId", "PubmedBookData/ArticleIdList/ArticleId",
                 "BookDocument/ArticleIdList/ArticleId"):
        for node in record.findall(path):
            field = ARTICLE_ID_TYPES.get((node.get("IdType") or "").lower())
            value = _text(node)
            if field and value and field not in found:
                found[field] = value
    for node in article.findall("ELocationID"):
        if (node.get("EIdType") or "").lower() == "doi" and "doi" not in found and _text(node):
            found["doi"] = _text(node)
    pmid = _first(record, ("MedlineCitation/PMID", "BookDocument/PMID", "PMID"))
    if pmid:
        found["pmid"] = pmid
    return found


def _keywords(record: Any) -> list[str]:
    words: list[str] = []
    for path in (".//KeywordList/Keyword", ".//MeshHeadingList/MeshHeading/DescriptorName"):
        for node in record.iterfind(path):
            word = _text(node)
            if word and word not in words:
                words.append(word)
    return words


def _joined(article: Any, path: str) -> str | None:
    values = [v for v in (_text(n) for n in article.findall(path)) if v]
    return "; ".join(dict.fromkeys(values)) or None


def _record(el: Any, number: int, file: str, warnings: list[ParseWarning]) -> dict[str, Any]:
    article = next((a for a in (el.find(p) for p in ARTICLE_PATHS) if a is not None), None)
    line = el.sourceline
    if article is None:
        article = etree.Element("Article")
        warnings.append(ParseWarning(file, f"<{el.tag}> has no Article or BookDocument element",
                                     line=line, record=number))
    title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    if title is None and article.tag == "BookDocument":
        title = _text(article.find("Book/BookTitle"))
    if title is None:
        warnings.append(ParseWarning(file, "no ArticleTitle or VernacularTitle; title left empty",
                                     line=line, record=number))
    abstract = _abstract(article)
    if abstract is None:
        warnings.append(ParseWarning(file, "no abstract", line=line, record=number))
    ids = _ids(el, article)
    record: dict[str, Any] = {
        "title": title,
        "abstract": abstract,
        "authors": _authors(article),
        "year": _year(article),
        "keywords": _keywords(el),
        "language": _joined(article, "Language"),
        "publication_type": _joined(article, "PublicationTypeList/PublicationType")
        or _joined(article, "PublicationType"),
        "url": None,
        "doi": ids.get("doi"),
        "pmid": ids.get("pmid"),
        "pmcid": ids.get("pmcid"),
        "line": line,
        "raw": etree.tostring(el, encoding="unicode", with_tail=False),
    }
    for field, paths in PATHS.items():
        record[field] = _first(el, paths)
    if record["pages"] is None:
        start = _text(article.find("Pagination/StartPage"))
        end = _text(article.find("Pagination/EndPage"))
        record["pages"] = f"{start}-{end}" if start and end else start
    return record


def _record_elements(root: Any) -> list[Any]:
    if root.tag in RECORD_TAGS:
        return [root]
    found = []
    for el in root.iter(*RECORD_TAGS):
        if el.tag == "MedlineCitation" and el.getparent() is not None \
                and el.getparent().tag == "PubmedArticle":
            continue
        found.append(el)
    return found


def read_pubmed_xml(text: str, file: str = "<string>") -> Parsed:
    """Read a PubMed efetch XML export; one record per PubmedArticle/PubmedBookArticle."""
    root = parse_xml(text, file, "well-formed PubMed XML")
    elements = _record_elements(root)
    if not elements:
        raise ImportFormatError(file, "<PubmedArticle> or <PubmedBookArticle> elements",
                                line=root.sourceline, found=f"<{root.tag}> without them")
    warnings: list[ParseWarning] = []
    records = [_record(el, number, file, warnings) for number, el in enumerate(elements, 1)]
    return Parsed(records, warnings, format="pubmed_xml")
