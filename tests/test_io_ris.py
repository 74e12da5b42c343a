"""RIS reader and writer: every real dialect in ../shared, odd layouts, errors, round trips, speed."""
from __future__ import annotations


import re
from unittest.mock import patch

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from conftest import shared_file
from review.errors import ImportFormatError
from review.io import read_bytes, read_file
from review.io._text import decode
import review.io.ris as ris_module
from review.io.ris import iter_ris, read_ris, write_ris
from review.records import Parsed, records_frame

CFF = "asreview_citation-file-formatting/Datasets/RIS"
ASR = "asreview_asreview/tests/demo_data"
RISPY = "MrTango_rispy/tests/data"
SYN = "mjwestgate_synthesisr"

#: (folder under ../shared/data/formats, file, records documented in SOURCES.md)
RIS_FILES = [
    (CFF, "_baseline.ris", 100), (CFF, "_baseline_cinahl.ris", 9), (CFF, "_baseline_citavi.ris", 100),
    (CFF, "_baseline_cochrane_endnote.ris", 3), (CFF, "_baseline_cochrane_procite.ris", 3),
    (CFF, "_baseline_cochrane_refman.ris", 3), (CFF, "_baseline_covidence_endnote.ris", 10),
    (CFF, "_baseline_covidence_mendeley.ris", 10), (CFF, "_baseline_covidence_refworks.ris", 10),
    (CFF, "_baseline_covidence_zotero.ris", 10), (CFF, "_baseline_embase.ris", 10),
    (CFF, "_baseline_endnote.ris", 10), (CFF, "_baseline_eppireviewer.ris", 10),
    (CFF, "_baseline_eric_ovid.ris", 10), (CFF, "_baseline_googlescholar.ris", 10),
    (CFF, "_baseline_mdpi.ris", 11), (CFF, "_baseline_mendeley.ris", 10),
    (CFF, "_baseline_openalex.ris", 9), (CFF, "_baseline_psychInfo_ovid.ris", 10),
    (CFF, "_baseline_rayyan.ris", 10), (CFF, "_baseline_refworks.ris", 10),
    (CFF, "_baseline_scopus.ris", 10), (CFF, "_baseline_webofscience.ris", 10),
    (CFF, "_baseline_zotero.ris", 10),
    ("asreview_asreview/asreview/webapp/tests/data", "ris_many_authors.ris", 1),
    (ASR, "_baseline.ris", 100), (ASR, "baseline_empty_values.ris", 4),
    (ASR, "baseline_reference_types.ris", 61), (ASR, "baseline_tag-notes.ris", 12),
    (ASR, "baseline_tag-notes_labels.ris", 32), (ASR, "baseline_tag-notes_zotero.ris", 4),
    (ASR, "baseline_tag_and_field_definitions.ris", 2),
    (ASR, "baseline_tag_and_field_definitions_lists.ris", 1), (ASR, "baseline_zotero.ris", 100),
    (ASR, "embase.ris", 6), (ASR, "faulty_year.ris", 1), (ASR, "ovid_psycinfo.ris", 6),
    (ASR, "ovid_zotero.ris", 6), (ASR, "proquest.ris", 6), (ASR, "pubmed_endnote.txt", 6),
    (ASR, "pubmed_zotero.ris", 6), (ASR, "ris_issue_1099.txt", 7), (ASR, "ris_issue_992.txt", 19),
    (ASR, "scopus.ris", 6), (ASR, "web_of_science.txt", 10),
    ("asreview_asreview-datatools/tests/demo_data", "dataset_1.ris", 6),
    ("asreview_asreview-datatools/tests/demo_data", "dataset_2.ris", 8),
    ("camaradesuk_ASySD", "ris_export.txt", 69), ("camaradesuk_ASySD", "scopus.ris", 10),
    ("camaradesuk_ASySD", "test_export.ris", 3), ("camaradesuk_ASySD", "wos_test.ris", 50),
    ("camaradesuk_ASySD", "zotero_export.ris", 1000),
    (RISPY, "example_basic.ris", 1), (RISPY, "example_bom.ris", 1),
    (RISPY, "example_custom_list_tags.ris", 1), (RISPY, "example_empty_tag.ris", 1),
    (RISPY, "example_extraneous_data.ris", 2), (RISPY, "example_full.ris", 2),
    (RISPY, "example_full_without_whitespace.ris", 2), (RISPY, "example_full_write.ris", 2),
    (RISPY, "example_multi_unknown_tags.ris", 1), (RISPY, "example_multiline.ris", 3),
    (RISPY, "example_single_unknown_tag.ris", 1), (RISPY, "example_starting_newlines.ris", 1),
    (RISPY, "example_urls.ris", 4), (RISPY, "example_utf_chars.ris", 1),
    (f"{SYN}/history_9fa6843/inst/extdata", "scielo.ris", 38),
    (f"{SYN}/inst/extdata", "scopus.ris", 92),
    (f"{SYN}/tests/testthat/testdata", "ASP_ris_example.ris", 4),
    (f"{SYN}/tests/testthat/testdata", "Ovid_ris_example.ris", 4),
    (f"{SYN}/tests/testthat/testdata", "Scopus_ris_example.ris", 3),
    (f"{SYN}/tests/testthat/testdata", "citesource_issue_24.ris", 17),
    (f"{SYN}/tests/testthat/testdata", "eviatlas.txt", 1),
    ("mjwestgate_revtools/examples", "restoration_scopus.ris", 286),
    ("mjwestgate_revtools/inst/extdata", "avian_ecology_bibliography.ris", 20),
]


def _read(folder: str, name: str):
    return read_file(shared_file(folder, name)).parsed


@pytest.mark.parametrize("folder,name,count", RIS_FILES, ids=[f"{f}/{n}" for f, n, _ in RIS_FILES])
def test_real_file_count_and_detection(folder, name, count):
    """Every real RIS export is detected as RIS and yields its documented number of records."""
    parsed = _read(folder, name)
    assert parsed.format == "ris"
    assert len(parsed.records) == count
    assert all(isinstance(r["raw"], str) and r["raw"].lstrip().startswith(("TY", "UK"))
               for r in parsed.records)


# (folder, file, record index, expected fields), checked against the file by eye.
SPOT_CHECKS = [
    (CFF, "_baseline_scopus.ris", 0, dict(
        title="Global latitudinal gradients and the evolution of body size in dinosaurs and mammals",
        first_author="Wilson, L.N.", year=2024, doi="10.1038/s41467-024-46843-2",
        abstract="Global climate patterns fundamentally shape", pmid="38580657",
        journal="Nature Communications")),
    (CFF, "_baseline_embase.ris", 0, dict(
        title="Cellular structure of dinosaur scales reveals retention of reptile-type skin during "
        "the evolutionary transition to feathers", first_author="Yang, Z.", year=2024,
        doi="10.1038/s41467-024-48400-3", abstract="Fossil feathers have transformed",
        pmid="38773066", journal="Nature Communications")),
    (CFF, "_baseline_rayyan.ris", 0, dict(first_author="Yang, Z.", year=2024,
                                          doi="10.1038/s41467-024-48400-3", journal="Nat. Commun.")),
    (CFF, "_baseline_cinahl.ris", 1, dict(
        title="Diving dinosaurs? Caveats on the use of bone compactness and",
        first_author="Myhrvold, Nathan P.", year=2024, doi="10.1371/journal.pone.0298957",
        abstract="The lifestyle of spinosaurid dinosaurs", journal="PLoS ONE")),
    (CFF, "_baseline_cochrane_endnote.ris", 0, dict(
        title="The Incredible Years Therapeutic Dinosaur Programme", first_author="Bywater, T",
        year=2011, doi="10.1186/1745-6215-12-39", abstract="BACKGROUND: School interventions",
        publication_type="JOUR", journal="Trials")),
    (ASR, "pubmed_endnote.txt", 0, dict(
        title="Boswellia serrata: an overall assessment", first_author="Abdel-Tawab, M.",
        year=2011, doi="10.2165/11586800-000000000-00000", pmid="21553931", pages="349-69",
        abstract="Non-steroidal anti-inflammatory drug (NSAID) intake")),
    (ASR, "ovid_psycinfo.ris", 0, dict(
        title="The influence of self-criticism on depression symptoms", first_author="Trindade, Ines A",
        year=2019, doi="10.1002/cpp.2398", journal="Clinical Psychology & Psychotherapy")),
    (ASR, "web_of_science.txt", 0, dict(
        title="Holding Yourself Captive: Perceptions of Custody", first_author="Alceste, F",
        year=2018, doi="10.1016/j.jarmac.2018.03.001", pages="387-397",
        abstract="Police custody activates important legal safeguards")),
    ("camaradesuk_ASySD", "ris_export.txt", 25, dict(
        title="Alzheimer mechanisms and therapeutic strategies", first_author="Huang, Y.", year=2012,
        doi="10.1016/j.cell.2012.02.040", pmid="22424230", pmcid="PMC3319071", journal="Cell")),
    (f"{SYN}/history_9fa6843/inst/extdata", "scielo.ris", 37, dict(
        title="Effects of forest fragmentation on amazonian understory bird",
        first_author="Bierregaard Jr, Richard O.", year=1989, doi="10.1590/1809-43921989191241",
        pages="215-241", journal="Acta Amazonica")),
    (ASR, "proquest.ris", 0, dict(
        title="Predictors of posttraumatic stress symptom trajectories", first_author="Jones, Hannah",
        year=2019, doi="10.1002/jts.22387", journal="Journal of Traumatic Stress")),
]


@pytest.mark.parametrize("folder,name,index,expected", SPOT_CHECKS,
                         ids=[f"{n}#{i}" for _, n, i, _ in SPOT_CHECKS])
def test_spot_check_fields(folder, name, index, expected):
    """Key fields of sample records match what the file says, through the canonical frame."""
    row = _read(folder, name).frame().iloc[index]
    for key, value in expected.items():
        if key == "first_author":
            assert row["authors"][0] == value
        elif key in ("title", "abstract"):
            assert row[key].startswith(value)
        else:
            assert row[key] == value, key


def test_continuation_lines_are_list_items_or_joined():
    """EndNote/Rayyan one-keyword-per-line continuations become keywords; abstracts are joined."""
    parsed = _read(ASR, "ris_issue_992.txt")
    assert parsed.records[0]["keywords"][:3] == [
        "Health Facility Administration", "Joint Commission", "Standards"]
    text = "TY  - JOUR\nAB  - first line,\nER then second line\n   and the last\nER  - \n"
    record = read_ris(text).records[0]
    assert record["abstract"] == "first line, ER then second line and the last"


def test_ovid_trailer_and_headers_are_reported_once():
    """Ovid's NL line after ER is skipped with one warning; record numbers are dropped silently."""
    parsed = _read(ASR, "ovid_psycinfo.ris")
    assert len(parsed.warnings) == 1
    assert "text outside records skipped in 6 place(s)" in parsed.warnings[0].message
    assert "NL  - Clin Psychol Psychother" in parsed.warnings[0].message
    assert _read(RISPY, "example_extraneous_data.ris").warnings == []


def test_tab_separated_tags_and_record_without_ty():
    """'A1<tab>- x' is a tag; a tag block ending in ER without TY is a record, with a warning."""
    parsed = _read(ASR, "baseline_tag_and_field_definitions.ris")
    assert parsed.records[0]["authors"][0] == "First Authors"
    assert parsed.records[1]["publication_type"] is None
    assert [w.message for w in parsed.warnings] == ["record has no TY line; read up to its ER"]
    assert parsed.warnings[0].record == 2


ODD = "\ufeff\n\nTY - JOUR\r\nTI  - A title\r\nAU  -\r\nZZ  - unknown\r\nER  - \r\n"


def test_odd_inputs_bom_crlf_blank_start_one_space_empty_and_unknown_tags():
    """BOM, CRLF, leading blank lines, 'TY - ', empty values and unknown tags all read cleanly."""
    parsed = read_ris(ODD, "odd.ris")
    record = parsed.records[0]
    assert (record["title"], record["publication_type"], record["authors"]) == ("A title", "JOUR", [])
    assert record["line"] == 3
    assert record["raw"] == "TY - JOUR\nTI  - A title\nAU  -\nZZ  - unknown\nER  - "
    assert [str(w) for w in parsed.warnings] == [
        "odd.ris, line 6: 1 tag(s) the RIS specification does not define (ZZ): read, kept in "
        "each record's raw text only"]  # issue 20: an unknown tag is read with a warning


def test_missing_final_er_and_text_before_first_ty_warn():
    """A file without its last ER keeps the record; text before the first TY is skipped, warned."""
    text = "Exported by Someone\nTY  - JOUR\nTI  - One\nER  - \n\nTY  - BOOK\nTI  - Two\n\n"
    parsed = read_ris(text, "t.ris")
    assert [r["title"] for r in parsed.records] == ["One", "Two"]
    assert parsed.records[1]["raw"] == "TY  - BOOK\nTI  - Two"
    messages = [(w.message, w.line, w.record) for w in parsed.warnings]
    assert messages == [("text before the first TY skipped: 'Exported by Someone'", 1, None),
                        ("record has no ER line; kept up to the file ends", 6, 2)]


def test_missing_er_mid_file_ends_record_at_next_ty():
    """A TY inside an open record closes it (with a warning) instead of merging two records."""
    parsed = read_ris("TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\nER  - \n", "t.ris")
    assert [r["title"] for r in parsed.records] == ["One", "Two"]
    assert parsed.warnings[0].message == "record has no ER line; kept up to the next TY"


def test_er_inside_abstract_does_not_end_record():
    """'ER' at the start of a wrapped abstract line is text, not the end-of-record tag."""
    text = "TY  - JOUR\nAB  - Stress of the\nER stress response\nER  -\n"
    parsed = read_ris(text)
    assert len(parsed.records) == 1
    assert parsed.records[0]["abstract"] == "Stress of the ER stress response"


def test_malformed_tag_is_a_clear_error_but_plain_text_is_continuation():
    """A two-character non-tag in tag layout ('ti  - ') is an error; other text continues a value."""
    with pytest.raises(ImportFormatError, match=r"bad\.ris, line 3, record 1: expected a RIS tag "
                       r"of two capitals or a capital and a digit \('TI  - \.\.\.'\), found 'ti  - x'"):
        read_ris("TY  - JOUR\nTI  - ok\nti  - x\nER  - \n", "bad.ris")
    assert read_ris("TY  - JOUR\nTI  - ok\nnot a tag\nER  - \n").records[0]["title"] == "ok not a tag"


def test_no_record_is_an_error():
    """Text with no RIS record at all names the first line and what was expected."""
    with pytest.raises(ImportFormatError, match=r"x\.ris, line 2: expected a RIS record starting "
                       r"with 'TY  - ', found 'hello'"):
        read_ris("\nhello\nworld\n", "x.ris")


def test_identifiers_found_only_when_clear():
    """DOIs from doi.org URLs/L3 and PMIDs from 'PMID:' notes or PubMed URLs; other URLs ignored."""
    text = ("TY  - JOUR\nUR  - https://link.springer.com/article/10.1007/abc\nL3  - 10.1000/xyz\n"
            "N1  - PMID: 123456\nER  - \n\nTY  - JOUR\nUR  - https://doi.org/10.5555/q\n"
            "L2  - https://pubmed.ncbi.nlm.nih.gov/999/\nAN  - 42\nER  - \n")
    one, two = read_ris(text).records
    assert (one["doi"], one["pmid"]) == ("10.1000/xyz", "123456")
    assert (two["doi"], two["pmid"]) == ("10.5555/q", "999")


def test_golden_round_trip_of_normalised_files():
    """Reading then writing a file laid out as write_ris does gives back the same text."""
    for folder, name in [(ASR, "pubmed_zotero.ris"), (ASR, "scopus.ris"), (ASR, "embase.ris"),
                         (ASR, "baseline_zotero.ris"), (RISPY, "example_multiline.ris")]:
        path = shared_file(folder, name)
        text = decode(path.read_bytes(), str(path)).text
        assert write_ris(read_ris(text, name).frame()) == text, name


@pytest.mark.parametrize("folder,name", [(CFF, "_baseline_rayyan.ris"), (ASR, "ovid_psycinfo.ris"),
                                         (CFF, "_baseline_cochrane_endnote.ris")])
def test_write_then_read_keeps_every_record(folder, name):
    """Any RIS file written back and read again gives the same raw records and fields."""
    first = _read(folder, name)
    again = read_ris(write_ris(first.frame()))
    assert [r["raw"] for r in again.records] == [r["raw"] for r in first.records]
    assert [r["title"] for r in again.records] == [r["title"] for r in first.records]


def test_notes_are_written_as_n1_before_er():
    """Screening notes go in as N1 lines just before each record's ER."""
    frame = read_ris("TY  - JOUR\nTI  - One\nER  - \n").frame()
    frame["record_id"] = ["r1"]
    out = write_ris(frame, notes={"r1": ["included: relevant", "second"]})
    assert out == "TY  - JOUR\nTI  - One\nN1  - included: relevant\nN1  - second\nER  - \n"


def test_generated_ris_from_canonical_fields_reads_back():
    """Records from other formats are written as RIS from their fields and read back the same."""
    frame = pd.DataFrame([{
        "record_id": "a", "title": "A study", "authors": ["Doe, Jane", "Roe, R"], "year": 2020,
        "journal": "J Test", "volume": "3", "issue": "2", "pages": "10-19", "doi": "10.1/x",
        "pmid": "12345", "pmcid": "PMC99", "keywords": ["k1", "k2"], "language": "eng",
        "publication_type": "Journal Article", "url": "https://x.org/a", "abstract": "Text.",
        "raw_format": "medline", "raw": "PMID- 12345"}])
    record = read_ris(write_ris(frame)).records[0]
    expected = {"title": "A study", "authors": ["Doe, Jane", "Roe, R"], "year": "2020",
                "journal": "J Test", "volume": "3", "issue": "2", "pages": "10-19", "doi": "10.1/x",
                "pmid": "12345", "pmcid": "PMC99", "keywords": ["k1", "k2"], "language": "eng",
                "publication_type": "JOUR", "url": "https://x.org/a", "abstract": "Text."}
    assert {k: record[k] for k in expected} == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("TYERAUI -\n\t\r 10.abx:\ufeff")), max_size=300))
def test_arbitrary_text_raises_only_import_format_error(text):
    """Whatever the text, read_ris returns records or raises ImportFormatError, nothing else."""
    try:
        read_ris(text, "h.ris")
    except ImportFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_import_format_error(data):
    """Arbitrary bytes forced through the RIS reader fail only with ImportFormatError."""
    try:
        read_bytes(data, "h.ris", format="ris")
    except ImportFormatError:
        pass


def test_generated_ris_skips_missing_values():
    """Missing values in a canonical frame (None, NaN, <NA>) write no lines at all."""
    frame = records_frame([{"title": "Only a title"}], raw_format="table")
    assert write_ris(frame) == "TY  - GEN\nTI  - Only a title\nER  - \n"


# ------------------------------------------------------------------ streaming and the fast path


#: Matches nothing: patched in for the fast path's pattern, every record goes line by line.
_NEVER = re.compile("(?!)")


def _outcome(read, *args):
    """(records, warnings) of a read, or the error message: what two ways of reading must share."""
    try:
        parsed = read(*args)
    except ImportFormatError as exc:
        return str(exc)
    return parsed.records, [str(w) for w in parsed.warnings]


def _read_pieces(pieces: list[str], file: str = "<string>") -> Parsed:
    warnings = []
    return Parsed(list(iter_ris(pieces, file, warnings)), warnings)


def _line_pieces(text: str, cuts: list[int]) -> list[str]:
    """`text` cut after the given line numbers: pieces as the dispatcher streams them."""
    lines = text.split("\n")
    where = sorted({c for c in cuts if 0 < c < len(lines)})
    pieces, start = [], 0
    for cut in where:
        pieces.append("\n".join(lines[start:cut]) + "\n")
        start = cut
    pieces.append("\n".join(lines[start:]))
    return pieces


def test_fast_path_reads_every_real_file_as_line_by_line():
    """Clean records read in one step give exactly the records and warnings of the line-by-line path."""
    for folder, name, _ in RIS_FILES:
        path = shared_file(folder, name)
        text = decode(path.read_bytes(), str(path)).text
        fast = _outcome(read_ris, text, name)
        with patch.object(ris_module, "_CLEAN_RECORD", _NEVER):
            slow = _outcome(read_ris, text, name)
        assert fast == slow, name


def test_iter_ris_yields_what_read_ris_returns_and_fills_warnings_at_the_end():
    """iter_ris streams the same records; its layout warnings are complete once it is exhausted."""
    text = "Exported\nTY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\n"
    warnings = []
    stream = iter_ris(text, "t.ris", warnings)
    assert next(stream)["title"] == "One" and warnings == []
    assert [r["title"] for r in stream] == ["Two"]
    assert [w.message for w in warnings] == [
        "text before the first TY skipped: 'Exported'", "record has no ER line; kept up to the file ends"]
    assert read_ris(text, "t.ris").records == list(iter_ris(text, "t.ris"))


def test_error_after_records_is_raised_when_reached():
    """A malformed line late in a stream fails there, after the records before it were yielded."""
    stream = iter_ris("TY  - JOUR\nTI  - One\nER  - \nTY  - JOUR\nti  - bad\nER  - \n", "b.ris")
    assert next(stream)["title"] == "One"
    with pytest.raises(ImportFormatError, match=r"b\.ris, line 5, record 2: expected a RIS tag"):
        next(stream)


def test_record_spanning_pieces_keeps_its_exact_raw_text():
    """A record cut across pieces (with or without ER) keeps its line, raw text and fields."""
    text = ("TY  - JOUR\nTI  - One\nAB  - long\nwrapped\nER  - \n\nTY  - JOUR\nTI  - Two\n\n\n"
            "TY  - BOOK\nTI  - Three\nER  - \n")
    whole = read_ris(text).records
    for cuts in ([1], [2, 3], [4], [6, 8], [9, 10], list(range(1, 14))):
        assert list(iter_ris(_line_pieces(text, cuts))) == whole, cuts
    assert whole[1]["raw"] == "TY  - JOUR\nTI  - Two" and whole[2]["line"] == 11


_RIS_LINES = st.sampled_from([
    "TY  - JOUR", "TY  - ", "TY  -", "TY - BOOK", "ER  - ", "ER  -", "ER\t- ", "TI  - A title",
    "AU  - Doe, J", "A1  - Roe, R", "AU  - ", "KW  - k1", "AB  - text  with  gaps", "continued",
    "   indented more", "", " ", "\t", "DO  - 10.1/x     LK  - https://x.org", "TI\t- tabbed",
    "Record #1 of 2", "1.", "ti  - bad", "TY  -x", "PY  - 2020", "UR  - http://a.b; http://c.d",
    "N1  - PMID: 12", "ZZ  - unknown", "ER stress", "AB  - \u00e9t\u00e9\u2009ok", "SP  - 1",
    "EP  - 9"])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_RIS_LINES, max_size=40), cuts=st.lists(st.integers(0, 40), max_size=6))
def test_fast_path_pieces_and_line_by_line_always_agree(lines, cuts):
    """On any mix of layouts: whole text, line-aligned pieces and the line-by-line path agree."""
    text = "\n".join(lines)
    whole = _outcome(read_ris, text, "h.ris")
    pieces = _outcome(_read_pieces, _line_pieces(text, cuts), "h.ris")
    with patch.object(ris_module, "_CLEAN_RECORD", _NEVER):
        slow = _outcome(read_ris, text, "h.ris")
    assert whole == pieces == slow
