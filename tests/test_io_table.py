"""CSV/TSV tables: real exports from databases, reference managers and screening tools."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import shared_file
from review.errors import ImportFormatError
from review.io import read_bytes, read_file
from review.io.columns import header_profile, match_columns
from review.io.table import neutralise_formula, read_table, split_author_cell, write_csv
from review.records import records_frame

CFF = "asreview_citation-file-formatting/Datasets"
DEMO = "asreview_asreview/tests/demo_data"
TOOLS = "asreview_asreview-datatools/tests/demo_data"
SYN = "mjwestgate_synthesisr"
LIT = "elizagrames_litsearchr"

#: (path under ../shared/data/formats, records) with counts from SOURCES.md. Three differ:
#: _baseline_abstrackr.csv is documented as 11 rows but one row is Abstrackr's section line
#: "citations that are not yet labeled by anyone" (skipped with a warning), so 10 records;
#: _baseline_embase.csv and _baseline_excel.csv are documented as 12 rows as pandas saw them
#: with the "SEARCH QUERY" line as header (the dashes line and the real header row counted as
#: rows), so 12 - 2 = 10 records.
TABLE_FILES = [
    (f"{CFF}/CSV/_baseline.csv", 100),
    (f"{CFF}/CSV/_baseline_abstrackr.csv", 10),
    (f"{CFF}/CSV/_baseline_cinahl.csv", 10),
    (f"{CFF}/CSV/_baseline_cochrane.csv", 3),
    (f"{CFF}/CSV/_baseline_covidence.csv", 10),
    (f"{CFF}/CSV/_baseline_embase.csv", 10),
    (f"{CFF}/CSV/_baseline_excel.csv", 10),
    (f"{CFF}/CSV/_baseline_googlescholar.csv", 10),
    (f"{CFF}/CSV/_baseline_openalex.csv", 9),
    (f"{CFF}/CSV/_baseline_pubmed.csv", 10),
    (f"{CFF}/CSV/_baseline_rayyan.csv", 10),
    (f"{CFF}/CSV/_baseline_scopus.csv", 10),
    (f"{CFF}/CSV/_baseline_zotero.csv", 10),
    (f"{CFF}/TSV/_baseline.tsv", 100),
    (f"{CFF}/TSV/_baseline_refworks.tsv", 100),
    ("asreview_asreview/history_bd1fd10/asreview/webapp/tests/data/"
     "asreview-project-v0-19-startreview/data/Kwok_2020.csv", 99),
    (f"{DEMO}/duplicate_records.csv", 14),
    (f"{DEMO}/embase.csv", 6),
    (f"{DEMO}/embase_newpage.csv", 6),
    (f"{DEMO}/generic.csv", 2),
    (f"{DEMO}/generic_bad_record_id.csv", 6),
    (f"{DEMO}/generic_column_names_with_spaces.csv", 2),
    (f"{DEMO}/generic_labels.csv", 6),
    (f"{DEMO}/generic_labels_no_abs.csv", 6),
    (f"{DEMO}/generic_labels_no_title.csv", 6),
    (f"{DEMO}/generic_partial_labels.csv", 6),
    (f"{DEMO}/generic_semicolon.csv", 2),
    (f"{DEMO}/generic_tab.csv", 2),
    (f"{DEMO}/generic_tab.tab", 2),
    (f"{DEMO}/generic_tab.tsv", 2),
    (f"{DEMO}/missing_values.csv", 4),
    (f"{DEMO}/record_id.csv", 10),
    (f"{TOOLS}/duplicate_data_with_doi.csv", 5),
    (f"{TOOLS}/duplicate_data_without_doi.csv", 5),
    (f"{TOOLS}/sample_data.csv", 6),
    (f"{TOOLS}/snowballing_doi.csv", 2),
    (f"{TOOLS}/snowballing_openalex.csv", 2),
    ("camaradesuk_ASySD/test_export.csv", 3),
    ("camaradesuk_ASySD/test_export.txt", 3),
    ("camaradesuk_ASySD/zotero_export.csv", 1233),
    (f"{LIT}/history_3b11586/inst/extdata/biosis.txt", 212),
    (f"{LIT}/history_70ed111/inst/extdata/BBWO-BIOSIS-062118.csv", 258),
    (f"{LIT}/history_70ed111/inst/extdata/BBWO-Scopus-062118.csv", 203),
    (f"{LIT}/history_70ed111/inst/extdata/BBWO-ZooRec-062118.csv", 177),
    (f"{LIT}/history_a888644/inst/extdata/borealis/WoS_corecollection.txt", 163),
    (f"{LIT}/history_a888644/inst/extdata/borealis/WoS_current_contents.txt", 142),
    (f"{LIT}/history_a888644/inst/extdata/borealis/WoS_medline.txt", 10),
    (f"{SYN}/history_b2443a6/inst/extdata/WoS_biosis.txt", 145),
    (f"{SYN}/history_b2443a6/inst/extdata/WoS_zoological.txt", 133),
    (f"{SYN}/history_b2443a6/inst/extdata/scopus.csv", 137),
    (f"{SYN}/tests/testthat/testdata/eviatlas.csv", 1),
    (f"{SYN}/tests/testthat/testdata/eviatlas.tsv", 1),
    ("rafguns_wosfile/data/wos_tab_delimited_win_utf16.txt", 50),
    ("rafguns_wosfile/data/wos_tab_delimited_win_utf8.txt", 50),
]

#: ASReview screening data sets (../shared/data/screening), for the label columns.
SCREENING_FILES = [
    ("Cohen_2006/ADHD.csv", 851),
    ("Kitchenham_2010.csv", 1704),
    ("Nagtegaal_2019.csv", 2019),
]


def _read(*parts: str):
    return read_file(shared_file(*parts)).parsed


def _formats(path: str):
    return _read(*path.split("/"))


@pytest.mark.parametrize("path,count", TABLE_FILES)
def test_shared_table_counts(path, count):
    """Every shared CSV/TSV is detected as a table and yields the documented record count."""
    parsed = _formats(path)
    assert parsed.format == "table"
    assert len(parsed.records) == count
    assert all(rec["line"] >= 2 and isinstance(rec["raw"], dict) for rec in parsed.records)


@pytest.mark.parametrize("name,count", SCREENING_FILES)
def test_screening_datasets_keep_labels_in_raw(name, count):
    """ASReview data sets parse fully and keep record_id and label columns in raw."""
    parsed = _read("..", "screening", "asreview_systematic-review-datasets", *name.split("/"))
    assert len(parsed.records) == count
    assert {"record_id", "label_included"} <= set(parsed.records[0]["raw"])


def test_proba_csv_without_bibliographic_columns_is_refused():
    """A model-score table (record_id, proba) names file, line 1, expected and found columns."""
    path = ("asreview_asreview/history_bd1fd10/asreview/webapp/tests/data/"
            "asreview-project-v0-19-startreview/proba.csv")
    with pytest.raises(ImportFormatError, match=r"proba\.csv, line 1: expected a header row "
                       r"with a title, DOI, PMID or abstract column.*found 'record_id \| proba'"):
        _formats(path)


def test_scopus_new_prefers_author_full_names():
    """Scopus 2024: 'Author full names' lose their ids; pages from Page start/end; keywords merge."""
    rec = _formats(f"{CFF}/CSV/_baseline_scopus.csv").records[1]
    assert rec["title"] == "The origin of an invasive air sac system in sauropodomorph dinosaurs"
    assert rec["authors"][:2] == ["Aureliano, Tito", "Ghilardi, Aline M."]
    assert (rec["year"], rec["pages"], rec["doi"], rec["pmid"]) == (
        "2024", "1084-1092", "10.1002/ar.25209", "36971057")
    assert rec["keywords"][:2] == ["bone histology", "ornithodira"]
    assert "Air Sacs" in rec["keywords"]           # Index Keywords merged after Author Keywords
    assert rec["raw"]["EID"] == "2-s2.0-85151426146"


def test_scopus_old_comma_separated_authors():
    """Old Scopus 'Authors' joins "Surname I." names with commas; suffixes stay with the name."""
    records = _formats(f"{SYN}/history_b2443a6/inst/extdata/scopus.csv").records
    assert records[0]["authors"] == ["Craig, C.", "Mazerolle, M.J.", "Taylor, P.D.",
                                     "Tremblay, J.A.", "Villard, M.-A."]
    assert records[0]["pages"] == "134-141"
    assert records[1]["authors"] == ["Roach, M.C.", "Thompson, F.R., III", "Jones-Farrand, T."]


def test_wos_tab_delimited_utf16_equals_utf8():
    """WoS tab-delimited (trailing tab) reads the same from UTF-16 LE and UTF-8 files."""
    utf16 = _formats("rafguns_wosfile/data/wos_tab_delimited_win_utf16.txt")
    utf8 = _formats("rafguns_wosfile/data/wos_tab_delimited_win_utf8.txt")
    assert utf16.encoding == "utf-16-le"
    assert utf16.records == utf8.records
    rec = utf8.records[0]
    assert rec["title"].startswith("Knowledge networks as channels and conduits")
    assert rec["authors"] == ["Owen-Smith, J", "Powell, WW"]
    assert (rec["year"], rec["journal"], rec["doi"], rec["pages"]) == (
        "2004", "ORGANIZATION SCIENCE", "10.1287/orsc.1030.0054", "5-21")
    assert rec["abstract"].startswith("We contend that two important")
    assert rec["raw"]["UT"] == "WOS:000220015600001"


def test_wos_biosis_cr_only_and_email_in_author():
    """BIOSIS tab-delimited (BOM, CR-only line ends): emails after author names are dropped."""
    rec = _formats(f"{SYN}/history_b2443a6/inst/extdata/WoS_biosis.txt").records[0]
    assert rec["title"].startswith("Cross-scale occupancy dynamics of a postfire specialist")
    assert rec["authors"][:2] == ["Tingley, Morgan W.", "Stillman, Andrew N."]
    assert (rec["pmid"], rec["doi"], rec["pages"], rec["line"]) == (
        "29782655", "10.1111/1365-2656.12851", "1484-1496", 2)


def test_wos_tab_abstract_starting_with_quote_keeps_rows():
    """WoS tab files are unquoted: an abstract opening with '"' stays one cell, quotes kept."""
    records = _formats(f"{SYN}/history_b2443a6/inst/extdata/WoS_biosis.txt").records
    quoted = [r for r in records if (r["abstract"] or "").startswith('"Species-centered')]
    assert len(quoted) == 1 and quoted[0]["line"] == 128


def test_embase_csv_query_block_and_lines():
    """Embase CSV: the header under the SEARCH QUERY block is found; lines follow the file."""
    parsed = _formats(f"{CFF}/CSV/_baseline_embase.csv")
    assert "SEARCH QUERY" in parsed.warnings[0].message
    rec = parsed.records[0]
    assert rec["line"] == 5
    assert rec["authors"] == ["Yang, Z.", "Jiang, B.", "Xu, J.", "McNamara, M.E."]
    assert (rec["journal"], rec["year"], rec["pmid"]) == ("Nature Communications", "2024",
                                                          "38773066")


def test_old_embase_source_is_parsed():
    """ASReview's old Embase CSV has only 'Source': journal, year, volume, issue, pages from it."""
    rec = _formats(f"{DEMO}/embase.csv").records[1]
    assert (rec["journal"], rec["year"], rec["volume"], rec["issue"], rec["pages"]) == (
        "Cancer", "2004", "102", "4", "253-258")


def test_abstrackr_multiline_authors_and_section_row():
    """Abstrackr: ' and '-joined authors over several lines; its section line is a warning."""
    parsed = _formats(f"{CFF}/CSV/_baseline_abstrackr.csv")
    first = parsed.records[0]
    assert first["authors"] == ["Longrich, N.R.", "Pereda-Suberbiola, X.", "Bardet, N.",
                                "Jalil, N.-E."]
    assert [r["line"] for r in parsed.records[:2]] == [2, 8]
    assert (first["raw"]["consensus"], first["raw"]["Anonymous"]) == ("o", "1")
    assert first["raw"]["labeled_at.1"] == "2024-08-15 08:42:23"   # repeated header made unique
    [warning] = parsed.warnings
    assert warning.line == 36 and "skipped" in warning.message


def test_rayyan_cleans_ris_leftovers_and_keeps_notes():
    """Rayyan: DOI/URL cells with RIS leftovers are trimmed; notes stay in raw."""
    rec = _formats(f"{CFF}/CSV/_baseline_rayyan.csv").records[0]
    assert rec["doi"] == "10.1038/s41467-024-48400-3"
    assert rec["url"].endswith("id=L2029880245&from=export")
    assert rec["authors"] == ["Yang, Z.", "Jiang, B.", "Xu, J.", "McNamara, M.E."]
    assert rec["raw"]["notes"] == 'RAYYAN-INCLUSION: {"Emily"=>"Included"}'


def test_pubmed_cinahl_cochrane_covidence_fields():
    """PubMed, CINAHL (="..." cells), Cochrane and Covidence columns map to canonical fields."""
    pubmed = _formats(f"{CFF}/CSV/_baseline_pubmed.csv").records[0]
    assert pubmed["authors"] == ["Griffin, DK", "Larkin, DM", "O'Connor, RE"]
    assert (pubmed["pmid"], pubmed["pmcid"], pubmed["volume"], pubmed["issue"],
            pubmed["pages"]) == ("30922926", "PMC7026692", "63", "2", "103640")
    cinahl = _formats(f"{CFF}/CSV/_baseline_cinahl.csv").records[0]
    assert cinahl["year"] == "4/3/2024" and cinahl["raw"]["ISSN"] == '="19326203"'
    cochrane = _formats(f"{CFF}/CSV/_baseline_cochrane.csv").records[0]
    assert (cochrane["journal"], cochrane["pmid"]) == ("Trials", "PUBMED 21314913")
    covidence = _formats(f"{CFF}/CSV/_baseline_covidence.csv").records[0]
    assert covidence["raw"]["Covidence #"] == "#1"


def test_openalex_pipe_lists_and_eviatlas_ris_columns():
    """OpenAlex '|' lists split; eviatlas RIS-tag columns (AU, TI, JO, SP, DO) map."""
    openalex = _formats(f"{CFF}/CSV/_baseline_openalex.csv").records[0]
    assert openalex["authors"][:2] == ["Alba Vicente", "Josep Sanjuan"]
    assert openalex["keywords"] == ["Archipelago", "Aptian", "Paleoclimatology"]
    evi = _formats(f"{SYN}/tests/testthat/testdata/eviatlas.tsv").records[0]
    assert evi["authors"][0] == "Haddaway, Neal R."
    assert (evi["journal"], evi["doi"], evi["pages"]) == (
        "Environmental Evidence", "10.1186/s13750-019-0167-1", "22")


def test_asreview_generic_labels_and_bad_record_ids():
    """ASReview list literals are split; repeated record_id values give one warning."""
    parsed = _formats(f"{DEMO}/generic_bad_record_id.csv")
    assert parsed.records[0]["authors"] == ["Marx, Karl", "Lindgren, Astrid"]
    assert parsed.records[0]["raw"]["label_included"] == "1"
    assert [w.message for w in parsed.warnings] == ["record_id '0' repeats (first at record 1)"]


def test_missing_values_rows_warn_but_stay():
    """Rows with an abstract but no title or identifier are kept with a warning each."""
    parsed = _formats(f"{DEMO}/missing_values.csv")
    assert [w.line for w in parsed.warnings] == [3, 5]
    assert all("kept" in w.message for w in parsed.warnings)


def test_endnote_tab_export_with_trailing_tab():
    """ASySD's EndNote tab export (trailing tab, URL and url columns) keeps both URL columns."""
    rec = _formats("camaradesuk_ASySD/test_export.txt").records[0]
    assert (rec["title"], rec["journal"], rec["pages"]) == ("Title 1", "Journal 1", "1-10")
    assert rec["raw"]["Label"] == "Label1"


def test_quoted_multiline_cells_track_lines():
    """Line numbers follow the decoded text across quoted multi-line cells."""
    text = 'title,abstract\n"A","one\ntwo\nthree"\n\nB,"x"\n'
    parsed = read_table(text, "t.csv")
    assert [(r["title"], r["line"]) for r in parsed.records] == [("A", 2), ("B", 6)]
    assert parsed.records[0]["abstract"] == "one\ntwo\nthree"


def test_unclosed_quote_names_its_line():
    """A quoted cell never closed is an error naming the line where it opened."""
    text = 'title,abstract\nA,fine\nB,"never closed\nstill open\n'
    with pytest.raises(ImportFormatError, match=r"t\.csv, line 3: expected a closing double "
                       r"quote .* found 'never closed"):
        read_table(text, "t.csv")


def test_no_bibliographic_column_error():
    """A table without title/DOI/PMID/abstract columns names line 1 and the header found."""
    with pytest.raises(ImportFormatError, match=r"^x\.csv, line 1: expected a header row with a "
                       r"title, DOI, PMID or abstract column .* found 'name \| score'$"):
        read_table("name,score\na,1\n", "x.csv")


def test_extra_cells_and_empty_rows():
    """Empty rows vanish silently; non-empty cells beyond the header go to raw with a warning."""
    parsed = read_table("TI\tAU\tPY\t\nT1\tA, B\t2001\t\n\t\t\t\nT2\tC, D\t2002\tX\n", "w.txt")
    assert [r["title"] for r in parsed.records] == ["T1", "T2"]
    assert parsed.records[1]["raw"]["_extra_1"] == "X"
    assert [w.line for w in parsed.warnings] == [4]


def test_header_profiles_resolve_tag_clashes():
    """'ID' is Keywords Plus in a WoS header, a reference id in RIS columns, nothing in names."""
    assert header_profile(["PT", "AU", "TI", "ID", "UT"]) == "wos"
    assert match_columns(["PT", "AU", "TI", "ID", "UT"])["keywords"] == [3]
    assert "keywords" not in match_columns(["TY", "AU", "TI", "ID"])
    assert "keywords" not in match_columns(["id", "title", "abstract"])
    assert match_columns(["  Abstract ", "TITLE"])["abstract"] == [0]


def test_split_author_cell_styles():
    """Author cells in each tool's style become "Surname, Given" strings."""
    assert split_author_cell("van den Hoven,null;Smits,Maarten L. J.") == [
        "van den Hoven", "Smits, Maarten L. J."]
    assert split_author_cell("Gutzwiller K.J., Barrow W.C., Jr., Johnson-Randall L.") == [
        "Gutzwiller, K.J.", "Barrow, W.C., Jr.", "Johnson-Randall, L."]
    assert split_author_cell("World Health Organization") == ["World Health Organization"]


def test_round_trip_write_csv_read_table():
    """write_csv of a records frame reads back to the same canonical fields."""
    records = [
        {"title": "Caf\u00e9 \"quoted\", title", "abstract": "Line one\nline two",
         "authors": ["Smith, J", "Doe, A"], "year": "2020", "journal": "J Test", "volume": "3",
         "issue": "2", "pages": "10-20", "doi": "10.1000/xyz", "pmid": "123",
         "keywords": ["a", "b c"], "language": "English", "url": "https://example.org/x"},
        {"title": "Second", "authors": [], "year": "1999", "keywords": []},
    ]
    frame = records_frame(records, source_file="in.ris", raw_format="ris")
    buffer = io.StringIO()
    write_csv(frame, buffer)
    back = read_table(buffer.getvalue(), "out.csv").frame()
    fields = ["title", "abstract", "authors", "year", "journal", "volume", "issue", "pages",
              "doi", "pmid", "keywords", "language", "url"]
    assert back[fields].to_dict("records") == frame[fields].to_dict("records")
    assert [r["line"] for r in read_table(buffer.getvalue(), "o").records] == [2, 3]


def test_formula_injection_neutralised_in_csv(tmp_path):
    """A formula-like title is written with a leading quote and read back as plain text."""
    frame = pd.DataFrame({"title": ['=HYPERLINK("http://x")', "-2+3", "plain"],
                          "year": [2001, -1, None]})
    path = tmp_path / "out.csv"
    write_csv(frame, path)
    text = path.read_text(encoding="utf-8-sig")
    assert '"\'=HYPERLINK(""http://x"")"' in text and "'-2+3" in text
    assert ",2001\n" in text and ",-1\n" in text   # numbers are not text, so not prefixed
    titles = [r["title"] for r in read_file(path).parsed.records]
    assert titles == ['\'=HYPERLINK("http://x")', "'-2+3", "plain"]
    assert neutralise_formula("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_formula("\tx") == "'\tx" and neutralise_formula(5) == 5


def test_write_csv_lists_and_missing_values():
    """Lists join with '; ', missing values are empty, dicts become JSON."""
    frame = pd.DataFrame({"authors": [["A, B", "C, D"]], "x": [pd.NA], "raw": [{"k": 1}]})
    buffer = io.StringIO()
    write_csv(frame, buffer)
    assert buffer.getvalue().splitlines()[1] == '"A, B; C, D",,"{""k"": 1}"'
    assert json.loads(read_table("title," + buffer.getvalue().replace("\n", "\nt,", 1),
                                 "j").records[0]["raw"]["raw"]) == {"k": 1}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list('ab,;\t"\n\r =TIAUtitle\x00')) | st.characters(),
               max_size=300))
def test_arbitrary_text_only_import_format_error(text):
    """read_table raises nothing but ImportFormatError on arbitrary text."""
    try:
        read_table(text, "fuzz.csv")
    except ImportFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_import_format_error(data):
    """Bytes forced through the table reader raise nothing but ImportFormatError."""
    try:
        read_bytes(b"title,doi\n" + data, "fuzz.csv", format="table")
    except ImportFormatError:
        pass
