"""BibTeX reader and writer: every real .bib in ../shared, malformed entries, LaTeX, round trips."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import shared_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review.errors import ImportFormatError
from review.io import read_bytes, read_file
from review.io._text import decode
from review.io.bibtex import read_bibtex, write_bibtex
from review.records import RECORD_FIELDS, records_frame

BP = "sciunto-org_python-bibtexparser"
V1 = f"{BP}/v1_tests_data"
SCI = "pikatech_Scicopia/scicopia/tests/data"
LIT = "elizagrames_litsearchr"
WOS = f"{LIT}/history_27af822/inst/extdata/borealis/final_search"
SCOPUS = f"{LIT}/history_c7ebafc/inst/extdata/borealis/final_search"
SYN = "mjwestgate_synthesisr/tests/testthat/testdata"
ASYSD = "camaradesuk_ASySD"

#: (folder under ../shared/data/formats, file, records documented in SOURCES.md)
BIBTEX_FILES = [
    (f"{BP}/tests/resources", "gbk_test.bib", 1), (V1, "article_missing_coma.bib", 2),
    (V1, "article_multilines.bib", 1), (V1, "article_start_with_bom.bib", 1),
    (V1, "article_with_special_characters.bib", 1), (V1, "article_with_strings.bib", 1),
    (V1, "biber-examples.bib", 118), (V1, "book_bom.bib", 1), (V1, "comments_percentage.bib", 2),
    (V1, "encoding.bib", 1), (V1, "messy_bibfile.bib", 942), (V1, "random.bib", 229),
    (V1, "traps.bib", 1), (SCI, "bibtex.bib", 3), (SCI, "bibtex_error.bib", 8),
    (WOS, "WoS_corecollection_final_1.bib", 500), (SCOPUS, "scopus_final.bib", 1115),
    (SYN, "Scopus_bib_example.bib", 3), (SYN, "litsearchr.txt", 1),
    (ASYSD, "test_export.bib", 3), (ASYSD, "zotero_export.bib", 1000),
]


def _read(folder: str, name: str):
    return read_file(shared_file(folder, name)).parsed


def _values(column) -> list:
    return [None if not isinstance(v, list) and pd.isna(v) else v for v in column]


def _same_fields(a: pd.DataFrame, b: pd.DataFrame, fields=RECORD_FIELDS) -> None:
    assert len(a) == len(b)
    for name in fields:
        assert _values(a[name]) == _values(b[name]), name


@pytest.mark.parametrize("folder,name,count", BIBTEX_FILES,
                         ids=[f"{f}/{n}" for f, n, _ in BIBTEX_FILES])
def test_real_file_count_and_detection(folder, name, count):
    """Every real BibTeX file is detected as BibTeX and yields its documented record count."""
    parsed = _read(folder, name)
    assert parsed.format == "bibtex"
    assert len(parsed.records) == count


@pytest.mark.parametrize("folder,name", [(V1, "messy_bibfile.bib"), (SCOPUS, "scopus_final.bib"),
                                         (V1, "article_start_with_bom.bib")])
def test_raw_is_the_source_text_at_its_line(folder, name):
    """Each record's raw is the exact text of its entry, starting on the record's line."""
    path = shared_file(folder, name)
    text = decode(path.read_bytes(), name).text
    lines = text.split("\n")
    for record in read_bytes(path.read_bytes(), name).records:
        start = len("\n".join(lines[: record["line"] - 1])) + (record["line"] > 1)
        assert text[start:].lstrip().startswith(record["raw"])
        assert record["raw"].startswith("@")


def test_wos_export_fields():
    """Web of Science BibTeX: double braces removed, names split, 'Jr' after the given name."""
    first = _read(WOS, "WoS_corecollection_final_1.bib").frame().iloc[0]
    assert first.title == ("Effects of pine-oak woodland restoration on breeding bird densities "
                           "in the Ozark-Ouachita Interior Highlands")
    assert first.authors == ["Roach, Melissa C.", "Thompson, Frank R., III", "Jones-Farrand, Todd"]
    assert (first.year, first.journal) == (2019, "FOREST ECOLOGY AND MANAGEMENT")
    assert (first.doi, first.pages, first.line) == ("10.1016/j.foreco.2018.12.057", "443-459", 2)
    assert first.abstract.startswith("Restoration is underway to restore lost or degraded remnants")


def test_scopus_export_and_salvaged_entries():
    """Scopus: 1,115 records, two with an unbalanced brace read line by line and reported."""
    parsed = _read(SCOPUS, "scopus_final.bib")
    frame = parsed.frame()
    first = frame.iloc[0]
    assert first.title.startswith("Burn severity and heterogeneity mediate avian response")
    assert first.authors[0] == "Zlonis, E.J."
    assert (first.year, first.doi) == (2019, "10.1016/j.foreco.2019.02.043")
    assert first.abstract.endswith("conservation efforts. © 2019")
    salvaged = [(w.line, w.record) for w in parsed.warnings if "could not parse" in w.message]
    assert salvaged == [(8576, 427), (13718, 677)]
    michelat = frame.iloc[426]
    assert michelat.authors[:2] == ["Michelat, D.", "Déforêt, T."]
    assert (michelat.year, michelat.journal, michelat.pages) == (2012, "Alauda", "101-116")
    assert "White-footed Crayfish Austropotamobius pallipes). From 1993" in michelat.abstract
    assert michelat.raw.startswith("@ARTICLE{Michelat2012101,") and michelat.raw.endswith("}")
    duplicates = [w.line for w in parsed.warnings if "repeats the entry" in w.message]
    assert duplicates == [21535, 22122]


def test_scicopia_error_file_counts_every_entry():
    """bibtex_error.bib has 8 @entries (the documented count): duplicate keys, empty keys and
    empty entries are all records, each problem a warning with its line."""
    parsed = _read(SCI, "bibtex_error.bib")
    assert [r["line"] for r in parsed.records] == [1, 8, 15, 22, 29, 36, 39, 46]
    assert [(w.line, w.message) for w in parsed.warnings if "repeats" in w.message] == [
        (22, "entry key 'Ipsum2019c' repeats the entry at line 15; kept as a separate record"),
        (39, "entry key '' repeats the entry at line 36; kept as a separate record"),
        (46, "entry key '' repeats the entry at line 36; kept as a separate record")]
    assert ("entry has no fields", 36) in [(w.message, w.line) for w in parsed.warnings]
    assert parsed.records[3]["authors"] == ["Ipsum, Lorem", "Ipßüm, Lörem"]  # quotes removed
    assert parsed.records[0]["authors"] == ["Ipsum, Lorem", "Ipßüm, Lörem"]


def test_strings_latex_and_braces():
    """@string macros (also concatenated) resolve, LaTeX accents decode, protective braces go."""
    strings = _read(V1, "article_with_strings.bib").records[0]
    assert (strings["journal"], strings["authors"]) == ("Nice Journal", ["César, Jean"])
    special = _read(V1, "article_with_special_characters.bib").records[0]
    assert special["authors"] == ["Césarü, Jean"]
    traps = _read(V1, "traps.bib").records[0]
    assert traps["title"] == "An amazing title"
    assert traps["authors"] == ["Jean Laidé, Ben Loaeb"]


def test_small_exports():
    """Zotero, litsearchr (.txt), Scopus and ASySD test exports: key fields of the first record."""
    zotero = _read(ASYSD, "zotero_export.bib").records[0]
    assert zotero["title"] == ("Microangiography of the humeral condyle in Cocker Spaniel and "
                               "non-Cocker Spaniel dogs")
    assert zotero["authors"][0] == "Larsen, LJ" and zotero["year"] == "1999"
    assert zotero["keywords"][:2] == ["blood supply", "Cocker Spaniels"]
    lit = _read(SYN, "litsearchr.txt").records[0]
    assert lit["authors"][0] == "Grames, Eliza M" and lit["year"] == "2019"
    scopus = _read(SYN, "Scopus_bib_example.bib")
    assert scopus.records[0]["doi"] == "10.1080/20964129.2020.1722034"
    assert scopus.records[0]["keywords"][:2] == ["Environmental factors", "Lake Taihu"]
    assert [w.message for w in scopus.warnings] == [
        "field 'funding_details' repeated; the first value is used"]
    test_export = _read(ASYSD, "test_export.bib").frame()
    assert test_export.title.tolist() == ["Title 1", "Title 2", "Title 3"]
    assert (test_export.publication_type == "article").all()


def test_gbk_file_is_read_with_a_decoding_warning():
    """A non-UTF-8 file is still read; the dispatcher's fallback decoding is reported."""
    parsed = _read(f"{BP}/tests/resources", "gbk_test.bib")
    assert parsed.encoding == "cp1252"
    assert parsed.records[0]["title"] == "Test Title"
    assert "not valid UTF-8" in parsed.warnings[0].message


def test_percent_and_ampersand_are_text():
    """A bare % or & in a title is text, not a LaTeX comment that would eat the rest."""
    record = read_bibtex("@article{k, title = {50% of R&D --- a {\\\"u}ber test}}").records[0]
    assert record["title"] == "50% of R&D — a über test"


def test_eprint_identifiers_and_pages():
    """BibLaTeX eprints give PMID/PMCID; '--' page ranges become '-'; date gives the year."""
    record = read_bibtex("@article{k, title={T}, date={2020-05-01}, pages={3--9},"
                         " eprint={123456}, eprinttype={pubmed}, pmcid={PMC42}}").records[0]
    assert (record["pmid"], record["pmcid"], record["pages"]) == ("123456", "PMC42", "3-9")
    assert records_frame([record]).year.iloc[0] == 2020


def test_only_broken_entries_is_an_error():
    """A file whose every @entry fails names the first failed block's line and the reason."""
    text = "% export\n\n@article{x,\n  title = {Broken {brace},\n  year = {2000}\n}\n"
    with pytest.raises(ImportFormatError, match=r"^b\.bib, line 3: expected a readable BibTeX "
                       r"entry \(@type\{key, field = \{value\}\}\), found 'Unexpectedly reached"):
        read_bibtex(text, "b.bib")


def test_no_entries_is_an_error():
    """Text without any @entry (only @string and comments) says what was expected."""
    with pytest.raises(ImportFormatError, match=r"^s\.bib, line 1: expected at least one BibTeX "
                       r"entry \(@type\{key, \.\.\.\}\), found '@string\{a = \{b\}\}'"):
        read_bibtex("@string{a = {b}}\n% nothing else\n", "s.bib")


@pytest.mark.parametrize("folder,name", [(V1, "messy_bibfile.bib"), (V1, "biber-examples.bib"),
                                         (SCOPUS, "scopus_final.bib"), (SCI, "bibtex_error.bib"),
                                         (V1, "article_with_strings.bib")])
def test_round_trip_keeps_every_field(folder, name):
    """read -> write_bibtex -> read gives the same canonical fields for every record."""
    frame = _read(folder, name).frame()
    again = read_bibtex(write_bibtex(frame)).frame()
    _same_fields(frame, again)


def test_writer_gives_back_the_source_text():
    """Imported entries are written verbatim: the output is the file's entries, nothing else."""
    path = shared_file(V1, "comments_percentage.bib")
    frame = read_file(path).parsed.frame()
    entries = decode(path.read_bytes(), "x").text.replace("% comment.\n", "\n")
    assert write_bibtex(frame) == entries


def test_writer_regenerates_edited_rows_and_macros():
    """A row edited since import, or needing an @string of its old file, is written from the table."""
    frame = _read(V1, "comments_percentage.bib").frame()
    frame.loc[1, "title"] = "A corrected title"
    out = write_bibtex(frame)
    assert out.startswith("@ARTICLE{Cesar2013,") and "@article{Baltazar2013" in out
    assert read_bibtex(out).records[1]["title"] == "A corrected title"
    strings = write_bibtex(_read(V1, "article_with_strings.bib").frame())
    assert "nice_journal" not in strings and "journal = {Nice Journal}" in strings


def test_generated_entries_escape_and_map_types():
    """Rows from other formats become escaped entries with a mapped type and read back the same."""
    frame = records_frame([{
        "title": "50% of {R&D} costs $5 #1 a_b ~x^2 \\ end -- 'quoted'", "year": 2001,
        "authors": ["O'Neil, Ann", "World Health Organization", "Smith, John, Jr."],
        "journal": "J & K", "keywords": ["a; b", "c"], "doi": "10.1000/x_y%z",
        "publication_type": "Journal Article", "pages": "1-9", "url": "https://x.org/a?b=1&c=%20",
    }], raw_format="ris")
    out = write_bibtex(frame)
    assert out.startswith("@article{ONeil2001,\n  title = {50\\% of \\textbraceleft{}R\\&D")
    assert "author = {O'Neil, Ann and {World Health Organization} and Smith, Jr., John}" in out
    again = read_bibtex(out).frame()
    _same_fields(frame, again, [f for f in RECORD_FIELDS if f not in ("publication_type",
                                                                       "keywords")])
    assert again.keywords.iloc[0] == ["a, b", "c"]


def test_generated_entries_from_pubmed_xml():
    """A PubMed XML table written as BibTeX reads back with the same fields (type mapped)."""
    frame = read_file(shared_file("PathwayCommons_ncbiutils/tests/data", "pubmed.xml")).parsed.frame()
    again = read_bibtex(write_bibtex(frame)).frame()
    _same_fields(frame, again, [f for f in RECORD_FIELDS if f != "publication_type"])
    assert set(again.publication_type) == {"article"}


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                max_size=40).map(lambda s: " ".join(s.split())).filter(bool)
_SPECIAL = st.text(alphabet=list("abc Zé{}\\&%$#_~^-'`\"@,;=()<>"), min_size=1,
                   max_size=30).map(lambda s: " ".join(s.split())).filter(bool)
_NAME = _SPECIAL.filter(lambda s: "," not in s and " and " not in f" {s} ")


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(title=_TEXT | _SPECIAL, abstract=_TEXT | _SPECIAL, journal=_TEXT | _SPECIAL,
       surname=_NAME, given_name=_NAME)
def test_generated_round_trip_property(title, abstract, journal, surname, given_name):
    """Any text in a generated entry reads back unchanged."""
    frame = records_frame([{"title": title, "abstract": abstract, "journal": journal,
                            "authors": [f"{surname}, {given_name}"], "year": 1999}])
    _same_fields(frame, read_bibtex(write_bibtex(frame)).frame(),
                 ["title", "abstract", "journal", "authors", "year"])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.lists(st.sampled_from(
    ["@article{", "@string{", "@comment{", "k,", "title = ", "{", "}", '"', "#", " and ", "\\'",
     "%", "\n", "author = {", "x", "=", ",", "@preamble{", "$", "\\"]), max_size=40).map("".join))
def test_arbitrary_text_raises_only_import_format_error(text):
    """Whatever the text, the reader returns records or raises ImportFormatError, nothing else."""
    try:
        read_bibtex(text, "fuzz.bib")
    except ImportFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_import_format_error(data):
    """Through the dispatcher, arbitrary bytes forced to BibTeX fail only as ImportFormatError."""
    try:
        read_bytes(data, "fuzz.bib", format="bibtex")
    except ImportFormatError:
        pass
