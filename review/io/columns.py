"""Column names that exports use for each canonical field, kept as data (rispy/config.py style).

Headers are matched case-insensitively with surrounding spaces ignored. Named headers (Scopus,
Embase, PubMed, Rayyan, Covidence, ASReview, Zotero, EndNote, RefWorks, Lens, OpenAlex, CINAHL,
Cochrane, Google Scholar, EPPI, Abstrackr) go through `COLUMN_ALIASES`. Headers made of two-letter
tags go through `WOS_TAGS` (Web of Science tab-delimited) or `RIS_TAGS` (RIS tags as columns),
because the same tag means different things there (`ID`: Keywords Plus or a reference id, `SP`:
sponsors or start page, `DA`: export date or publication date). Earlier names win when a table
has several columns for one field; keyword columns are merged instead.
"""
from __future__ import annotations

import re
from typing import Sequence

__all__ = [
    "COLUMN_ALIASES", "WOS_TAGS", "RIS_TAGS", "MERGED_FIELDS", "BIBLIOGRAPHIC_FIELDS",
    "PAGE_PART_ALIASES", "CITATION_COLUMNS", "DATABASE_NAMES", "SCREENING_COLUMNS",
    "normalise_header", "header_profile", "match_columns", "find_column",
]

#: Canonical field -> header names, most trusted first (lower case, as normalise_header gives).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "title": (
        "title", "article title", "document title", "title primary", "primary title",
        "display_name", "titles", "item title",
    ),
    "abstract": ("abstract", "abstract note", "abstracts", "summary"),
    "authors": (
        "author full names",                      # Scopus: "Surname, Given (id); ..."
        "authors", "author", "author names",      # Scopus, Zotero, Embase ("Surname I., ...")
        "author(s)", "author/s", "authors, primary", "first_authors", "creators",
        "authorships.author.display_name", "authorships.raw_author_name",
    ),
    "year": (
        "year", "publication year", "publication_year", "published year", "pub year",
        "year published",
        # dates: the year is taken from them when no year column is filled
        "date", "publication date", "publication_date", "date published", "date of publication",
        "pub date free from",
    ),
    "journal": (
        "journal", "source title", "journal title", "publication title", "publication",
        "journal/book", "periodical full", "secondary title", "publicationname", "journal_title",
        "journal name", "primary_location.source.display_name", "source",
    ),
    "volume": ("volume", "biblio.volume"),
    "issue": ("issue", "issue number", "number", "biblio.issue"),
    "pages": ("pages", "page", "page range", "page numbers"),
    "doi": ("doi", "ids.doi", "article doi", "doi link"),
    "pmid": (
        "pmid", "pubmed id", "pubmedid", "pubmed_id", "medline pmid", "ids.pmid", "pubmed",
        "pubmed id number",
    ),
    "pmcid": ("pmcid", "pmc_id", "pmc id", "ids.pmcid"),
    "keywords": (
        "keywords", "author keywords", "index keywords", "author_keywords", "keywords.display_name",
        "manual tags", "automatic tags", "mesh terms", "subjects",
    ),
    "language": (
        "language", "article language", "language of original document", "output language",
    ),
    "publication_type": (
        "publication type", "document type", "item type", "reference type", "referencetype",
        "type_of_reference", "doctype", "type", "publication_type", "type_crossref",
    ),
    "url": (
        "url", "link", "full text link", "external url", "plink", "embase link", "links",
        "primary_location.landing_page_url", "source urls",
    ),
}

#: Web of Science (and BIOSIS, Zoological Record, MEDLINE via WoS) tab-delimited field tags.
WOS_TAGS: dict[str, tuple[str, ...]] = {
    "title": ("TI",),
    "abstract": ("AB",),
    "authors": ("AF", "AU"),        # AF: full names; AU: "Surname, I"
    "year": ("PY", "PD", "EY"),
    "journal": ("SO",),
    "volume": ("VL",),
    "issue": ("IS",),
    "pages": ("PS",),               # BIOSIS/ZooRec page span "1484-1496"
    "doi": ("DI",),
    "pmid": ("PM",),
    "keywords": ("DE", "ID"),       # author keywords, Keywords Plus
    "language": ("LA",),
    "publication_type": ("DT", "PT"),
    "url": ("UR",),
}

#: RIS tags used as column names (e.g. the eviatlas/synthesisr CSV and TSV exports).
RIS_TAGS: dict[str, tuple[str, ...]] = {
    "title": ("TI", "T1", "CT", "BT"),
    "abstract": ("AB", "N2"),
    "authors": ("AU", "A1"),
    "year": ("PY", "Y1", "DA"),
    "journal": ("JO", "JF", "T2", "JA", "J2"),
    "volume": ("VL",),
    "issue": ("IS",),
    "doi": ("DO",),
    "keywords": ("KW",),
    "language": ("LA",),
    "publication_type": ("TY",),
    "url": ("UR", "L2"),
}

#: Start and end page columns, used when no whole `pages` column is filled.
PAGE_PART_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "names": {
        "start": ("page start", "start page", "first page", "start_page", "biblio.first_page",
                  "startpage", "spage"),
        "end": ("page end", "end page", "last page", "end_page", "biblio.last_page", "other pages",
                "endpage", "epage"),
        # Article-number journals (Scopus "Art. No.") have no page range; the number stands in.
        "article": ("art. no.", "article number", "article no.", "art no", "elocation id"),
    },
    "wos": {"start": ("BP",), "end": ("EP",), "article": ("AR",)},
    "ris": {"start": ("SP",), "end": ("EP",)},
}

#: List fields whose columns are all merged (author and index keywords, tags) rather than
#: taken from the first filled column.
MERGED_FIELDS = ("keywords",)

#: A table needs at least one of these columns to be read as bibliographic records.
BIBLIOGRAPHIC_FIELDS = ("title", "doi", "pmid", "abstract")

#: Citation-string columns parsed for journal/year/volume/issue/pages when those are missing
#: (Embase "Journal (2014) 3:3 (152-160). Date of ...", PubMed "Abbrev. 2020 Feb;63(2):103640.").
CITATION_COLUMNS = ("source", "citation")

#: Values of a `Source` column that name the database, not the journal (Scopus exports).
DATABASE_NAMES = frozenset({
    "scopus", "embase", "medline", "pubmed", "web of science", "cinahl", "psycinfo", "wos",
})

#: Screening columns that stay in `raw` but that later stages look up: ASReview labels and ids,
#: Rayyan notes, Covidence/EPPI decisions, Abstrackr consensus.
SCREENING_COLUMNS: dict[str, tuple[str, ...]] = {
    "record_id": ("record_id",),
    "included": ("label_included", "included", "final_included", "debug_label", "consensus"),
    "abstract_included": ("label_abstract_screening",),
    "notes": ("notes", "note", "tags", "general notes (anonymous)"),
    "source_id": ("key", "covidence #", "lens id", "eid", "ut", "embase accession id", "pui",
                  "central id", "(internal) id", "reference id", "customid", "id"),
}

_TAG = re.compile(r"^[A-Z][A-Z0-9]$")


def normalise_header(name: object) -> str:
    """Lower-case header with surrounding spaces, BOMs and Excel `="..."` wrappers removed."""
    text = str(name or "").replace("\ufeff", "").strip()
    match = re.fullmatch(r'="(.*)"', text)
    if match:
        text = match.group(1).strip()
    return re.sub(r"\s+", " ", text).lower()


def header_profile(header: Sequence[str]) -> str:
    """'wos' or 'ris' when most header cells are two-letter tags, else 'names'."""
    cells = [str(c or "").replace("\ufeff", "").strip() for c in header]
    cells = [c for c in cells if c]
    tags = [c.upper() for c in cells if _TAG.match(c.upper())]
    if len(tags) < 3 or len(tags) < 0.6 * len(cells):
        return "names"
    return "ris" if "TY" in tags and "PT" not in tags else "wos"


def match_columns(header: Sequence[str]) -> dict[str, list[int]]:
    """Canonical field (and 'page_start'/'page_end') -> header indexes, most trusted first."""
    profile = header_profile(header)
    names = [normalise_header(h) for h in header]
    tags = [n.upper() for n in names]
    found: dict[str, list[int]] = {}

    def add(field: str, keys: list[str], aliases: Sequence[str]) -> None:
        for alias in aliases:
            for index, key in enumerate(keys):
                if key == alias and index not in found.get(field, []):
                    found.setdefault(field, []).append(index)

    if profile != "names":
        for field, aliases in (WOS_TAGS if profile == "wos" else RIS_TAGS).items():
            add(field, tags, aliases)
        for part, aliases in PAGE_PART_ALIASES[profile].items():
            add(f"page_{part}", tags, aliases)
    for field, aliases in COLUMN_ALIASES.items():
        add(field, names, aliases)
    for part, aliases in PAGE_PART_ALIASES["names"].items():
        add(f"page_{part}", names, aliases)
    return found


def find_column(header: Sequence[str], aliases: Sequence[str]) -> int | None:
    """Index of the first header cell matching one of `aliases` (case-insensitive), or None."""
    names = [normalise_header(h) for h in header]
    for alias in aliases:
        alias = normalise_header(alias)
        if alias in names:
            return names.index(alias)
    return None
