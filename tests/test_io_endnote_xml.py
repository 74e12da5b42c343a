"""EndNote XML reader: EndNote, Zotero and Mendeley exports in ../shared, style runs, errors."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import shared_file
from hypothesis import given, settings
from hypothesis import strategies as st

from review.errors import ImportFormatError
from review.io import read_bytes, read_file
from review.io.endnote_xml import read_endnote_xml

RESPIRATORY = ("..", "dedup", "CoLRev_bib-dedupe", "respiratory")

#: (path parts under ../shared/data/formats, records documented in SOURCES.md)
ENDNOTE_FILES = [
    ((*RESPIRATORY, "Respiratory_endnote.xml"), 1988),
    (("camaradesuk_ASySD", "mendeley_export.xml"), 1233),
    (("camaradesuk_ASySD", "zotero_export.xml"), 1233),
]

RECORD = """<?xml version="1.0" encoding="UTF-8" ?><xml><records>
<record><ref-type name="Book Section">5</ref-type>
<contributors><authors><author><style face="normal" font="default" size="100%">Smith, Ann</style></author></authors>
<secondary-authors><author>Editor, Ed</author></secondary-authors></contributors>
<titles><title><style face="normal" font="default" size="100%">Growth of </style><style face="italic" font="default" size="100%">E. coli</style><style face="normal" font="default" size="100%"> in milk</style></title>
<secondary-title>Book of Bacteria</secondary-title></titles>
<dates><pub-dates><date>March 2001</date></pub-dates></dates>
<accession-num>WOS:000123456700001</accession-num>
<urls><related-urls><url>https://example.org/a?b=1&amp;c=2</url></related-urls></urls>
<custom1>kept in raw</custom1>
</record>
</records></xml>
"""


def _read(parts: tuple[str, ...]):
    return read_file(shared_file(*parts)).parsed


@pytest.mark.parametrize("parts,count", ENDNOTE_FILES, ids=[p[-1] for p, _ in ENDNOTE_FILES])
def test_real_file_count_and_detection(parts, count):
    """Every real EndNote XML export is detected as such and yields its documented record count."""
    parsed = _read(parts)
    assert parsed.format == "endnote_xml"
    assert len(parsed.records) == count
    assert all(r["raw"].startswith("<record>") and r["raw"].endswith("</record>")
               for r in parsed.records)


def test_respiratory_matches_its_csv_twin():
    """The EndNote library agrees record by record with the same set's records_pre_merged.csv."""
    parsed = _read((*RESPIRATORY, "Respiratory_endnote.xml"))
    csv = pd.read_csv(shared_file(*RESPIRATORY, "records_pre_merged.csv"), dtype=str)
    frame = parsed.frame()
    assert frame.title.tolist() == csv.title.tolist()
    assert frame.year.astype(str).tolist() == csv.year.tolist()
    assert frame.journal.tolist() == csv.journal.tolist()
    assert [" and ".join(r["authors"]) or None for r in parsed.records] == \
        [None if pd.isna(a) else a for a in csv.author]
    assert frame.issue.tolist() == csv.number.tolist()  # EndNote keeps the issue in <number>


def test_respiratory_first_record():
    """Style-wrapped values of the first EndNote record are read as plain text."""
    record = _read((*RESPIRATORY, "Respiratory_endnote.xml")).records[0]
    assert record["title"] == ("Perioperative nutritional support in patients undergoing "
                               "hepatectomy for hepatocellular carcinoma")
    assert record["authors"] == ["Ziegler, T. R."]
    assert (record["year"], record["volume"], record["pages"]) == ("1996", "20", "91-92")
    assert record["journal"] == "Jpen: Journal of Parenteral & Enteral Nutrition"
    assert (record["publication_type"], record["line"]) == ("Journal Article", 1)


@pytest.mark.parametrize("name", ["mendeley_export.xml", "zotero_export.xml"])
def test_reference_manager_exports(name):
    """Zotero and Mendeley exports: title, authors, year, DOI, abstract and keywords."""
    parsed = _read(("camaradesuk_ASySD", name))
    first = parsed.records[0]
    assert first["title"] == "Myoclonus in older Cavalier King Charles Spaniels."
    assert first["authors"] == ["Rotter, Carina", "Whittaker, Danielle", "Rusbridge, Clare"]
    assert (first["year"], first["doi"]) == ("2022", "10.1111/jvim.16404")
    assert first["journal"] == "Journal of veterinary internal medicine"
    assert (first["volume"], first["issue"], first["pages"]) == ("36", "3", "1032-1038")
    assert first["abstract"].startswith("BACKGROUND: Myoclonus is observed in older Cavalier")
    assert first["language"] == "eng"
    assert "Animals" in first["keywords"]
    assert parsed.warnings == []


def test_mendeley_accession_number_is_the_pmid():
    """Mendeley puts the PMID in accession-num; ref-type names become publication types."""
    frame = _read(("camaradesuk_ASySD", "mendeley_export.xml")).frame()
    assert frame.pmid.iloc[0] == "35319117"
    assert frame.publication_type.value_counts().to_dict() == {"Journal Article": 1133,
                                                               "Generic": 100}


def test_style_runs_secondary_title_and_urls():
    """Several style runs join into one title; non-numeric accession numbers are not PMIDs."""
    record = read_endnote_xml(RECORD).records[0]
    assert record["title"] == "Growth of E. coli in milk"
    assert record["authors"] == ["Smith, Ann"]  # editors stay in raw
    assert (record["journal"], record["year"]) == ("Book of Bacteria", "March 2001")
    assert record["pmid"] is None
    assert record["url"] == "https://example.org/a?b=1&c=2"
    assert record["publication_type"] == "Book Section"
    assert "<custom1>kept in raw</custom1>" in record["raw"] and record["line"] == 2


def test_record_without_title_warns():
    """A record with no title is kept, with a warning naming its line and number."""
    parsed = read_endnote_xml("<xml><records><record><dates><year>1999</year></dates></record>"
                              "</records></xml>", "x.xml")
    assert parsed.records[0]["year"] == "1999"
    assert [str(w) for w in parsed.warnings] == ["x.xml, line 1, record 1: record has no titles/title"]


def test_malformed_xml_names_the_line():
    """A broken export is one ImportFormatError naming the line where parsing stopped."""
    broken = RECORD.replace("</titles>", "")
    with pytest.raises(ImportFormatError, match=r"^lib\.xml, line 11: expected well-formed EndNote "
                       r"XML, found 'Opening and ending tag mismatch: titles line 5 and record'"):
        read_endnote_xml(broken, "lib.xml")


def test_xml_without_records():
    """Well-formed XML without <record> elements says what an EndNote export looks like."""
    with pytest.raises(ImportFormatError, match=r"expected EndNote XML <record> elements"):
        read_endnote_xml("<xml><records></records></xml>", "empty.xml")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.lists(st.sampled_from(
    ["<xml>", "<records>", "<record>", "</record>", "<title>", "</title>", "<titles>", "</titles>",
     "<style>", "</style>", "&amp;", "&nbsp;", "x", "\n", "<!--c-->", "</records>", "</xml>"]),
    max_size=40).map("".join))
def test_arbitrary_text_raises_only_import_format_error(text):
    """Whatever the text, the reader returns records or raises ImportFormatError, nothing else."""
    try:
        read_endnote_xml(text, "fuzz.xml")
    except ImportFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_import_format_error(data):
    """Through the dispatcher, arbitrary bytes forced to EndNote XML fail only as ImportFormatError."""
    try:
        read_bytes(data, "fuzz.xml", format="endnote_xml")
    except ImportFormatError:
        pass
