"""MEDLINE/nbib reader: PubMed's tagged text from PubMed, revtools, synthesisr and Biopython."""
from __future__ import annotations

from unittest.mock import patch

import pytest
from hypothesis import given, settings, strategies as st

from conftest import shared_file
from review.errors import ImportFormatError
from review.io import read_bytes, read_file
from review.io._text import decode
import review.io.medline as medline_module
from review.io.medline import iter_medline, read_medline, write_medline
from review.records import Parsed

#: (folder under ../shared/data/formats, file, records documented in SOURCES.md)
MEDLINE_FILES = [
    ("asreview_citation-file-formatting/Datasets/RIS", "_baseline_pubmed.ris", 50),
    ("mjwestgate_synthesisr/tests/testthat/testdata", "PubMed_example.txt", 3),
    ("mjwestgate_synthesisr/tests/testthat/testdata", "res_synth_methods.txt", 2),
    ("mjwestgate_revtools/examples", "restoration_pubmed.nbib", 104),
    ("biopython_biopython/Tests/Medline", "pubmed_result1.txt", 1),
    ("biopython_biopython/Tests/Medline", "pubmed_result2.txt", 4),
    ("biopython_biopython/Tests/Medline", "pubmed_result3.txt", 1),
]


@pytest.mark.parametrize("folder,name,count", MEDLINE_FILES, ids=[n for _, n, _ in MEDLINE_FILES])
def test_real_file_count_and_detection(folder, name, count):
    """Every real MEDLINE export (even one named .ris) is detected and fully read."""
    parsed = read_file(shared_file(folder, name)).parsed
    assert parsed.format == "medline"
    assert len(parsed.records) == count
    assert all(r["raw"].startswith("PMID- ") for r in parsed.records)
    assert parsed.warnings == []


SPOT_CHECKS = [
    ("asreview_citation-file-formatting/Datasets/RIS", "_baseline_pubmed.ris", 0, dict(
        title="Time lapse: A glimpse into prehistoric genomics.", first_author="Griffin, Darren K",
        year=2020, doi="10.1016/j.ejmg.2019.03.004", pmid="30922926", pmcid="PMC7026692",
        abstract="For the purpose of this review, 'time-lapse' refers to the reconstruction of",
        journal="European journal of medical genetics", line=1)),
    ("mjwestgate_synthesisr/tests/testthat/testdata", "PubMed_example.txt", 2, dict(
        title="Mulch and groundcover effects on soil temperature and moisture",
        first_author="Bavougian, Christina M", year=2018, doi="10.7717/peerj.5082",
        pmid="29967742", pages="e5082", journal="PeerJ")),
    ("biopython_biopython/Tests/Medline", "pubmed_result2.txt", 3, dict(
        title="PDB file parser and structure class implemented in Python.",
        first_author="Hamelryck, Thomas", year=2003, pmid="14630660", pages="2308-10",
        abstract="The biopython project provides a set of bioinformatics tools")),
    ("mjwestgate_revtools/examples", "restoration_pubmed.nbib", 0, dict(
        title="Ecosystem services changes between 2000 and 2015 in the Loess Plateau, China: A "
        "response to ecological restoration.", first_author="Wu, Dan", year=2019,
        doi="10.1371/journal.pone.0209483", pmid="30689646", volume="14", issue="1",
        language="eng", publication_type="Journal Article", line=2)),
]


@pytest.mark.parametrize("folder,name,index,expected", SPOT_CHECKS,
                         ids=[f"{n}#{i}" for _, n, i, _ in SPOT_CHECKS])
def test_spot_check_fields(folder, name, index, expected):
    """Key fields of sample records match the file: FAU names, DP year, '[doi]' ids, JT journal."""
    row = read_file(shared_file(folder, name)).parsed.frame().iloc[index]
    for key, value in expected.items():
        if key == "first_author":
            assert row["authors"][0] == value
        elif key in ("title", "abstract"):
            assert row[key].startswith(value)
        else:
            assert row[key] == value, key


SAMPLE = """Search results
PMID- 1
TI  - A title that
      wraps.
AU  - Doe J
MH  - Humans
OT  - trial
AID - 10.1/x [pii]
AID - 10.5555/abc [doi]

PMID- 2
TI  - Second
"""


def test_continuations_fallbacks_and_preamble():
    """Wrapped values join, AU stands in for FAU, only '[doi]' ids count, a preamble is warned."""
    parsed = read_medline(SAMPLE, "s.nbib")
    first, second = parsed.records
    assert first["title"] == "A title that wraps."
    assert (first["authors"], first["keywords"], first["doi"]) == (["Doe J"], ["trial", "Humans"],
                                                                   "10.5555/abc")
    assert (first["line"], second["line"], second["raw"]) == (2, 11, "PMID- 2\nTI  - Second")
    assert [(w.message, w.line) for w in parsed.warnings] == [
        ("text before the first record skipped: 'Search results'", 1)]


def test_unindented_text_inside_a_record_is_an_error():
    """A line that is neither a tag nor an indented continuation names its line and record."""
    with pytest.raises(ImportFormatError, match=r"m\.nbib, line 3, record 1: expected a MEDLINE "
                       r"tag line \('TI  - \.\.\.'\) or a continuation line indented by six spaces, "
                       r"found 'this line is loose'"):
        read_medline("PMID- 1\nTI  - x\nthis line is loose\n", "m.nbib")


def test_text_without_records_is_an_error():
    """Text with no tag line at all is not MEDLINE."""
    with pytest.raises(ImportFormatError, match="expected a MEDLINE record starting with 'PMID- '"):
        read_medline("just words\n", "m.nbib")


def test_write_medline_round_trip():
    """MEDLINE records are written back verbatim; the normalised real file comes back unchanged."""
    path = shared_file("mjwestgate_synthesisr/tests/testthat/testdata", "PubMed_example.txt")
    text = decode(path.read_bytes(), str(path)).text
    parsed = read_medline(text)
    out = write_medline(parsed.frame())
    assert [r["raw"] for r in read_medline(out).records] == [r["raw"] for r in parsed.records]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("PMIDTAU -\n\t 10.[]doi")), max_size=300))
def test_arbitrary_text_raises_only_import_format_error(text):
    """Whatever the text, read_medline returns records or raises ImportFormatError."""
    try:
        read_medline(text, "h.nbib")
    except ImportFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_import_format_error(data):
    """Arbitrary bytes forced through the MEDLINE reader fail only with ImportFormatError."""
    try:
        read_bytes(data, "h.nbib", format="medline")
    except ImportFormatError:
        pass


# ------------------------------------------------------------------ streaming and the fast path


def _outcome(read, *args):
    """(records, warnings) of a read, or the error message: what two ways of reading must share."""
    try:
        parsed = read(*args)
    except ImportFormatError as exc:
        return str(exc)
    return parsed.records, [str(w) for w in parsed.warnings]


def _read_pieces(pieces: list[str], file: str = "<string>") -> Parsed:
    warnings = []
    return Parsed(list(iter_medline(pieces, file, warnings)), warnings)


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
    """Whole records read in one step give exactly the records and warnings of the line-by-line path."""
    for folder, name, _ in MEDLINE_FILES:
        path = shared_file(folder, name)
        text = decode(path.read_bytes(), str(path)).text
        fast = _outcome(read_medline, text, name)
        with patch.object(medline_module, "_FAST_WINDOW", 0):
            slow = _outcome(read_medline, text, name)
        assert fast == slow, name


def test_iter_medline_streams_records_and_reports_the_preamble_first():
    """iter_medline yields what read_medline returns; the preamble warning precedes the others."""
    warnings = []
    stream = iter_medline(SAMPLE + "\nPMID- \nTI  - No id\n", "s.nbib", warnings)
    assert next(stream)["title"] == "A title that wraps."
    assert [w.message for w in warnings] == ["text before the first record skipped: 'Search results'"]
    rest = list(stream)
    assert [r["title"] for r in rest] == ["Second", "No id"]
    assert [(w.message, w.record) for w in warnings][1:] == [("record has no PMID", 3)]
    assert read_medline(SAMPLE).records == list(iter_medline(SAMPLE))


def test_record_spanning_pieces_keeps_its_exact_raw_text():
    """A record cut across pieces keeps its line, raw text and joined continuation lines."""
    whole = read_medline(SAMPLE).records
    for cuts in ([1], [2], [3, 4], [9, 10], [11], list(range(1, 14))):
        assert list(iter_medline(_line_pieces(SAMPLE, cuts))) == whole, cuts


_MEDLINE_LINES = st.sampled_from([
    "PMID- 1", "PMID- 22", "PMID-", "TI  - A title", "      wraps here", "\tindented", "AB  - ",
    "AB  - Text with  gaps", "FAU - Doe, Jane", "AU  - Doe J", "OT  - trial", "MH  - Humans",
    "AID - 10.1/x [doi]", "LID - 10.5555/abc [doi]", "DP  - 2020 Jan", "OWN - NLM", "", "   ",
    "Search results", "loose text", "TI  -x", "ZZZZ- unknown", "PMC - PMC12", "LA  - eng",
    "TI  - \u00e9t\u00e9\u2009ok", "PT  - Journal Article"])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_MEDLINE_LINES, max_size=40), cuts=st.lists(st.integers(0, 40), max_size=6))
def test_fast_path_pieces_and_line_by_line_always_agree(lines, cuts):
    """On any mix of layouts: whole text, line-aligned pieces and the line-by-line path agree."""
    text = "\n".join(lines)
    whole = _outcome(read_medline, text, "h.nbib")
    pieces = _outcome(_read_pieces, _line_pieces(text, cuts), "h.nbib")
    with patch.object(medline_module, "_FAST_WINDOW", 0):
        slow = _outcome(read_medline, text, "h.nbib")
    assert whole == pieces == slow
