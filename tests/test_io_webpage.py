"""Web pages and pasted text (records found via other methods): the five seed pages, the worked
example's saved pages, HTML metadata, pasted reference lists and broken input."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from review.errors import ImportFormatError
from review.io import read_bytes, read_file
from review.io.webpage import read_webpage

EXAMPLES = Path(__file__).resolve().parents[1] / "protocols" / "nk-exosomes" / "other-methods"
SEEDS = {
    "000": "000_62f8fd3e9d073551.txt",
    "001": "001_4141d819f7d7871a.txt",
    "002": "002_9c0ec11f6e7c478f.txt",
    "003": "003_12cbadc3ca8361fe.txt",
    "004": "004_8140068d12de1149.txt",
}


def _seed(seeds_dir: Path, key: str):
    loaded = read_file(seeds_dir / SEEDS[key], format="webpage")
    assert loaded.parsed.format == "webpage"
    assert len(loaded.parsed.records) == 1
    return loaded.parsed, loaded.parsed.frame().iloc[0]


def _one(text: str):
    parsed = read_webpage(text, "page")
    assert len(parsed.records) == 1
    return parsed, parsed.frame().iloc[0]


# -- the five seed pages ---------------------------------------------------------------------

def test_seed_000_ai_summary_without_title(seeds_dir):
    """An AI summary page with no title line: the first sentence becomes a flagged, guessed title."""
    parsed, row = _seed(seeds_dir, "000")
    assert row["title"] == "Tumors remain one of the major challenges confronting researchers today"
    assert row["doi"] is None and row["pmid"] is None and row["pmcid"] is None
    assert row["authors"] == ["Yang, Jing", "Yuan, Bin", "Liu, Qiuyu"]  # not the widget's names
    assert pd.isna(row["year"]) and row["journal"] is None  # "Generated Aug 10, 2025" is no year
    assert row["abstract"].startswith("Tumors remain one of the major challenges")
    messages = [w.message for w in parsed.warnings]
    assert any(m.startswith("title guessed from the first sentence") for m in messages)
    assert any("et al." in m for m in messages)
    assert parsed.records[0]["line"] == 1
    assert parsed.records[0]["raw"] == (seeds_dir / SEEDS["000"]).read_text(encoding="utf-8")


def test_seed_001_blog_title_repeated(seeds_dir):
    """A blog post whose title is repeated at the top: that title, no identifiers, no authors."""
    parsed, row = _seed(seeds_dir, "001")
    assert row["title"] == ("Unleashing the Killer Within: Exploring NK Cell Exosome Infusion "
                            "for Cancer Therapy")
    assert row["doi"] is None and row["pmid"] is None
    assert row["authors"] == []
    assert row["abstract"].startswith("The fight against cancer is constantly evolving")
    assert not any("title guessed" in w.message for w in parsed.warnings)


def test_seed_002_pubmed_page(seeds_dir):
    """A PubMed page: title, DOI, journal, year from its layout, never a DOI from its References."""
    parsed, row = _seed(seeds_dir, "002")
    assert row["title"] == "NK cell-released exosomes: Natural nanobullets against tumors"
    assert row["doi"] == "10.4161/onci.22337"
    assert row["journal"] == "Oncoimmunology"
    assert row["year"] == 2013
    assert (row["volume"], row["issue"], row["pages"]) == ("2", "1", "e22337")
    assert row["authors"] == ["Stefano Fais"]
    assert row["abstract"].startswith("We have recently reported that human natural killer (NK)")
    assert row["keywords"] == ["exosomes", "nanomedicine", "natural killer", "perorin", "theranostic"]
    fields = " ".join(str(row[k]) for k in ("doi", "abstract", "title", "pmid", "url"))
    assert "10.1084/jem.20011624" not in fields and "Andreola" not in fields
    assert parsed.warnings == []


def test_seed_003_aggregator_page(seeds_dir):
    """A Chinese aggregator page: rating line skipped, title guessed, DOI and 关键词 keywords."""
    parsed, row = _seed(seeds_dir, "003")
    assert row["title"] == "Harnessing cancer stem cell-derived exosomes to improve cancer therapy"
    assert row["doi"] == "10.1186/s13046-023-02717-x"
    assert row["keywords"] == ["Cancer stem cells", "Exosomes", "The tumor microenvironment",
                               "Therapeutic target", "Cancer anticancer strategy"]
    assert row["authors"] == [] and row["journal"] is None
    assert any(w.message.startswith("title guessed from the first title-like line") and w.line == 3
               for w in parsed.warnings)


def test_seed_004_generated_markdown(seeds_dir):
    """A generated Markdown summary: every labelled field, the title kept with PubMed's period."""
    parsed, row = _seed(seeds_dir, "004")
    assert row["title"] == "Tumor-derived exosomes and their application in cancer treatment."
    assert row["doi"] == "10.1186/s12967-025-06814-7"
    assert row["pmid"] == "40629355"
    assert row["pmcid"] == "PMC12236016"
    assert row["journal"] == "Journal of translational medicine"
    assert row["year"] == 2025
    assert row["authors"] == ["Afsaneh Javdani-Mallak", "Seyed Javad Mowla", "Mona Alibolandi"]
    assert row["keywords"] == ["Cancer", "Engineering exosomes", "Tumor cell-derived exosomes",
                               "Tumor microenvironment"]
    assert row["abstract"].startswith("BACKGROUND: Tumor-derived exosomes (TDEs) are vesicles")
    assert row["abstract"].endswith(".") and "Collection Information" not in row["abstract"]
    assert (row["language"], row["publication_type"]) == ("eng", "Journal Article, Review")
    assert row["url"] == "https://pubmed.ncbi.nlm.nih.gov/40629355/"
    assert parsed.warnings == []


def test_seed_text_needs_explicit_format(seeds_dir):
    """Pasted text is not auto-detected: the dispatcher asks for --format webpage."""
    with pytest.raises(ImportFormatError, match="for a web page or pasted text use --format webpage"):
        read_file(seeds_dir / SEEDS["004"])


# -- the worked example's saved pages ------------------------------------------------------

@pytest.mark.parametrize("name, title, doi, pmid", [
    ("000-yang-nk-exos-review-summary.md",
     "NK-derived exosomes in anti-tumor strategies",
     None, None),
    ("001-nk-exosome-infusion-blog.txt",
     "Unleashing the Killer Within: Exploring NK Cell Exosome Infusion for Cancer Therapy",
     None, None),
    ("002-fais-2013-citation.txt",
     "NK cell-released exosomes: Natural nanobullets against tumors", "10.4161/onci.22337", None),
    ("003-cancer-stem-cell-exosomes.html",
     "Harnessing cancer stem cell-derived exosomes to improve cancer therapy",
     "10.1186/s13046-023-02717-x", None),
    ("004-javdani-mallak-2025.html",
     "Tumor-derived exosomes and their application in cancer treatment.",
     "10.1186/s12967-025-06814-7", "40629355"),
])
def test_worked_example_pages(name, title, doi, pmid):
    """Each saved page of the worked example gives one record with its title and identifiers."""
    loaded = read_file(EXAMPLES / name, format=None if name.endswith(".html") else "webpage")
    assert loaded.parsed.format == "webpage"
    frame = loaded.parsed.frame()
    assert len(frame) == 1
    assert (frame.loc[0, "title"], frame.loc[0, "doi"], frame.loc[0, "pmid"]) == (title, doi, pmid)


def test_worked_example_details():
    """The example pages carry authors, journal and year where their seeds give them."""
    def row(name):
        return read_file(EXAMPLES / name, format="webpage").parsed.frame().iloc[0]
    assert row("000-yang-nk-exos-review-summary.md")["authors"] == ["Yang, Jing", "Yuan, Bin", "Liu, Qiuyu"]
    fais = row("002-fais-2013-citation.txt")
    assert (fais["authors"], fais["journal"], fais["year"]) == (["Fais S"], "Oncoimmunology", 2013)
    paper = row("004-javdani-mallak-2025.html")
    assert paper["authors"] == ["Javdani-Mallak, Afsaneh", "Mowla, Seyed Javad", "Alibolandi, Mona"]
    assert (paper["journal"], paper["year"], paper["pmcid"]) == (
        "Journal of translational medicine", 2025, "PMC12236016")


# -- HTML ----------------------------------------------------------------------------------

HIGHWIRE_PAGE = """<!DOCTYPE html><html><head>
<title>Site title - Some Journal</title>
<meta property="og:title" content="OG title">
<meta name="dc.title" content="DC title">
<meta name="citation_title" content="Highwire title">
<meta name="citation_author" content="Smith, Jane"><meta name="citation_author" content="Doe, John">
<meta name="citation_journal_title" content="Journal of Tests">
<meta name="citation_publication_date" content="2021/03/04">
<meta name="citation_doi" content="10.1234/abc.5">
<meta name="citation_pmid" content="12345">
<meta name="citation_firstpage" content="10"><meta name="citation_lastpage" content="19">
<meta name="citation_keywords" content="alpha; beta">
<meta name="citation_abstract" content="An abstract from the meta tag.">
</head><body><h1>Heading title</h1><p>Body text.</p>
<h2>References</h2><p>Other A. Another paper. doi: 10.9999/other.1</p></body></html>"""


def test_html_highwire_wins():
    """citation_* meta tags win over Dublin Core, og:title, <h1> and <title>."""
    parsed, row = _one(HIGHWIRE_PAGE)
    assert row["title"] == "Highwire title"
    assert row["authors"] == ["Smith, Jane", "Doe, John"]
    assert (row["journal"], row["year"], row["doi"], row["pmid"]) == (
        "Journal of Tests", 2021, "10.1234/abc.5", "12345")
    assert (row["pages"], row["keywords"]) == ("10-19", ["alpha", "beta"])
    assert row["abstract"] == "An abstract from the meta tag."
    assert parsed.records[0]["raw"] == HIGHWIRE_PAGE and parsed.records[0]["line"] == 1


@pytest.mark.parametrize("head, body, title", [
    ('<meta name="DC.title" content="DC title"><meta property="og:title" content="OG title">',
     "<h1>H1</h1>", "DC title"),
    ('<meta property="og:title" content="OG title">', "<h1>H1 title here</h1>", "OG title"),
    ("", "<h1>The H1 title</h1>", "The H1 title"),
    ("<title>Only the title element | My Blog</title>", "<p>Text.</p>", "Only the title element"),
])
def test_html_title_order(head, body, title):
    """Dublin Core, then og:title, then <h1>, then <title> (site suffix removed)."""
    page = f"<html><head>{head}</head><body>{body}</body></html>"
    assert _one(page)[1]["title"] == title


def test_html_jsonld_scholarly_article():
    """A JSON-LD ScholarlyArticle gives title, authors, journal, year and DOI."""
    page = """<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "name": "Site"},
     {"@type": "ScholarlyArticle", "headline": "JSON-LD title",
      "author": [{"@type": "Person", "name": "Jane Smith"}, {"familyName": "Doe", "givenName": "J"}],
      "datePublished": "2019-05-01", "sameAs": "https://doi.org/10.5555/jsonld.1",
      "isPartOf": {"@type": "Periodical", "name": "LD Journal"}, "keywords": "x, y"}]}
    </script></head><body><h1>Other heading</h1></body></html>"""
    row = _one(page)[1]
    assert (row["title"], row["authors"], row["year"]) == ("JSON-LD title", ["Jane Smith", "Doe J"], 2019)
    assert (row["journal"], row["doi"], row["keywords"]) == ("LD Journal", "10.5555/jsonld.1", ["x", "y"])


def test_html_visible_text_fills_gaps():
    """Without metadata the visible text is read like pasted text; References are ignored."""
    page = """<html><body><nav>Skip to main content</nav><h1>Visible Title of a Paper</h1>
    <p>DOI: 10.1111/own.2</p><h2>Abstract</h2><p>The abstract text.</p>
    <h2>References</h2><ol><li>X. Y. doi: 10.2222/ref.3</li></ol></body></html>"""
    row = _one(page)[1]
    assert (row["title"], row["doi"], row["abstract"]) == (
        "Visible Title of a Paper", "10.1111/own.2", "The abstract text.")


# -- pasted text heuristics ------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Title: A Labelled Title\nDOI: 10.1000/x.1\nPMID: 77\nPMC ID: PMC9\n",
    "**Title**: A Labelled Title\n**DOI**: 10.1000/x.1\n**PMID**: 77\n**PMCID**: PMC9\n",
    "- **Title:** A Labelled Title\n- DOI: 10.1000/x.1\n- PubMed ID: 77\n- PMC: PMC9\n",
])
def test_labelled_lines_any_spelling(text):
    """Labelled lines are read in plain, bold and bullet-list spellings."""
    row = _one(text)[1]
    assert (row["title"], row["doi"], row["pmid"], row["pmcid"]) == (
        "A Labelled Title", "10.1000/x.1", "77", "PMC9")


def test_title_label_beats_markdown_heading():
    """A "Title:" line wins over a Markdown '# ' heading (often the site's name)."""
    assert _one("# My Reading Notes\n\nTitle: The Real Paper Title\n")[1]["title"] == (
        "The Real Paper Title")


def test_boilerplate_never_title():
    """Banners, share buttons, ratings and comment counters are skipped when guessing a title."""
    text = "Skip to main page content\nShare on facebook\n4.7\n\nA Real Page Title Here\n\nComments (0)\n"
    parsed, row = _one(text)
    assert row["title"] == "A Real Page Title Here"
    assert parsed.warnings[0].message.startswith("title guessed from")


def test_body_doi_only_when_single():
    """An unlabelled DOI counts only when it is the page's only one; several give a warning."""
    assert _one("A Page About Something\n\nSee https://doi.org/10.1000/one.\n")[1]["doi"] == "10.1000/one"
    parsed, row = _one("A Page About Something\n\nSee 10.1000/one and 10.1000/two here.\n")
    assert row["doi"] is None
    assert any("2 different DOIs" in w.message for w in parsed.warnings)


def test_references_section_cut():
    """DOIs and PMIDs under a References / Similar articles heading are never the page's."""
    text = "A Page About Something\n\nSimilar articles\n\nOther paper. PMID: 999. doi: 10.9999/other\n"
    parsed, row = _one(text)
    assert row["doi"] is None and row["pmid"] is None


# -- pasted reference lists ----------------------------------------------------------------

CITATIONS = """Fais S. NK cell-released exosomes: Natural nanobullets against tumors. Oncoimmunology. 2013;2(1):e22337. doi: 10.4161/onci.22337

Smith, J., & Doe, A. (2020). A second paper title. Journal of Things, 3(2), 1-9.
https://doi.org/10.5555/second.2

Jones K. Third paper title. Lancet. 2001;1:1. PMID: 40629355
"""


def _strings(column) -> list:
    return [value if isinstance(value, str) else None for value in column]


def test_pasted_reference_list():
    """Paragraphs that each hold a DOI or PMID are one citation each, with line and raw slice."""
    parsed = read_webpage(CITATIONS, "list")
    frame = parsed.frame()
    assert list(frame["title"]) == [
        "NK cell-released exosomes: Natural nanobullets against tumors", "A second paper title",
        "Third paper title"]
    assert _strings(frame["doi"]) == ["10.4161/onci.22337", "10.5555/second.2", None]
    assert _strings(frame["pmid"]) == [None, None, "40629355"]
    assert frame.loc[1, "authors"] == ["Smith, J.", "Doe, A."] and frame.loc[1, "year"] == 2020
    assert [r["line"] for r in parsed.records] == [1, 3, 6]
    assert parsed.records[1]["raw"] == CITATIONS.split("\n\n")[1]


def test_paragraph_without_identifier_means_one_page():
    """One paragraph without DOI/PMID makes the text a single page, not a reference list."""
    parsed = read_webpage("Intro line of a page here\n\n" + CITATIONS, "page")
    assert len(parsed.records) == 1


# -- broken input ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, found", [
    ("", "an empty file"),
    ("  \n\n ", "an empty file"),
    ("4.7\n\nComments (0)\n", "4.7"),
    ("<html><head></head><body></body></html>", "an HTML page without any"),
    ("<html><body><p>Share on facebook</p><p>4.7</p></body></html>", "an HTML page without any"),
])
def test_unusable_input_rejected(text, found):
    """Empty input or input without a title, DOI or PMID is one clear ImportFormatError."""
    with pytest.raises(ImportFormatError, match="expected a web page or pasted text with a title, "
                       "DOI or PMID") as info:
        read_webpage(text, "page.txt")
    assert info.value.found == found and info.value.line == 1


def test_dispatcher_rejects_empty_file(tmp_path):
    """An empty file given as a web page fails in the dispatcher with a clear message."""
    path = tmp_path / "empty.html"
    path.write_text("")
    with pytest.raises(ImportFormatError, match="expected at least one record, found 'an empty file'"):
        read_file(path, format="webpage")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600))
def test_arbitrary_text_raises_only_import_format_error(text):
    """Any text gives records or an ImportFormatError, never another exception."""
    try:
        read_webpage(text, "fuzz")
    except ImportFormatError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(
    lambda s: ("<html><head><meta name='citation_title' content='" + s + "'></head><body>"
               + s + "</body></html>").encode())))
def test_arbitrary_bytes_raise_only_import_format_error(data):
    """Any bytes, HTML-wrapped or not, give records or an ImportFormatError."""
    try:
        read_bytes(data, "fuzz.html", format="webpage")
    except ImportFormatError:
        pass
