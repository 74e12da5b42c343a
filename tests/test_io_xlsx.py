"""Excel workbooks: real exports (Lens, Embase, EPPI-Reviewer) and safe export."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_file
from review.errors import ImportFormatError
from review.io import read_bytes, read_file
from review.io.xlsx import EXCEL_CELL_LIMIT, read_xlsx, write_xlsx
from review.records import records_frame

XLSX = ("asreview_citation-file-formatting", "Datasets", "XLSX")

#: (file, records). SOURCES.md counts rows as pandas saw them with row 1 as the header:
#: _baseline.xlsx is documented as 101 (sheet title "_baseline" in row 1, real header in row 2,
#: so 101 - 1 = 100 records); _baseline_embase.xlsx as 13 (SEARCH QUERY, dashes and an empty
#: row above the header in row 4, so 13 - 3 = 10 records); _baseline_eppireviewer.xlsx as 10.
XLSX_FILES = [
    ("_baseline.xlsx", 100),
    ("_baseline_embase.xlsx", 10),
    ("_baseline_eppireviewer.xlsx", 10),
]


@pytest.mark.parametrize("name,count", XLSX_FILES)
def test_shared_xlsx_counts(name, count):
    """Each shared workbook is detected as xlsx and yields its true record count."""
    parsed = read_file(shared_file(*XLSX, name)).parsed
    assert parsed.format == "xlsx"
    assert len(parsed.records) == count


def test_lens_workbook_with_title_row():
    """Lens: the sheet-title row is skipped (warned); line is the sheet row number."""
    parsed = read_file(shared_file(*XLSX, "_baseline.xlsx")).parsed
    assert "_baseline" in parsed.warnings[0].message
    rec = parsed.records[0]
    assert rec["line"] == 3 and parsed.records[-1]["line"] == 102
    assert rec["title"].startswith("The Value of Radiologic Interventions and 18 F-DOPA PET")
    assert rec["authors"][0] == "Björn A. Blomberg"
    assert (rec["year"], rec["doi"], rec["pmid"], rec["pages"]) == (
        "2012", "10.1007/s11307-012-0572-0", "22752652", "97-105")
    assert rec["abstract"].startswith("This systematic review and meta-analysis aimed")


def test_embase_workbook_with_query_block():
    """Embase: header found under the SEARCH QUERY block in row 4; records from row 5."""
    parsed = read_file(shared_file(*XLSX, "_baseline_embase.xlsx")).parsed
    assert "SEARCH QUERY dinosaur:ti" in parsed.warnings[0].message
    rec = parsed.records[0]
    assert rec["line"] == 5
    assert rec["title"].startswith("Cellular structure of dinosaur scales")
    assert rec["authors"][0] == "Yang, Z."
    assert (rec["doi"], rec["pmid"]) == ("10.1038/s41467-024-48400-3", "38773066")


def test_eppi_workbook_keeps_decisions_in_raw():
    """EPPI-Reviewer: Included (I/E) and ID stay in raw, ints become text."""
    rec = read_file(shared_file(*XLSX, "_baseline_eppireviewer.xlsx")).parsed.records[0]
    assert rec["raw"] == {"Included": "I", "ID": "102199191", "ShortTitle": "Brownstein (2024)",
                          "Title": rec["title"], "Year": "2024"}
    assert rec["title"].startswith("A juvenile bird with possible crown-group affinities")


def _frame():
    records = [
        {"title": '=HYPERLINK("http://x")', "authors": ["Smith, J", "Doe, A"], "year": "2020",
         "doi": "10.1000/xyz", "keywords": ["a", "b"], "abstract": "+1 and more"},
        {"title": "Plain title", "authors": [], "year": "1999", "pmid": "42"},
    ]
    return records_frame(records, source_file="x.ris", raw_format="ris")


def test_write_xlsx_header_widths_and_round_trip(tmp_path):
    """write_xlsx: bold frozen header, bounded widths, and read_xlsx gets the fields back."""
    frame = _frame()
    path = tmp_path / "out.xlsx"
    write_xlsx(frame, path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    widths = [dim.width for dim in sheet.column_dimensions.values()]
    assert widths and all(8 <= w <= 60 for w in widths)
    back = read_xlsx(path.read_bytes(), "out.xlsx")
    assert back.format == "xlsx" and [r["line"] for r in back.records] == [2, 3]
    assert back.records[0]["authors"] == ["Smith, J", "Doe, A"]
    assert (back.records[1]["title"], back.records[1]["year"], back.records[1]["pmid"]) == (
        "Plain title", "1999", "42")


def test_formula_injection_neutralised_in_xlsx(tmp_path):
    """A formula-like title is stored as the string "'=HYPERLINK(...)", never as a formula."""
    path = tmp_path / "out.xlsx"
    write_xlsx(_frame(), path)
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    title = sheet.cell(row=2, column=header.index("title") + 1)
    assert title.data_type == "s" and title.value == '\'=HYPERLINK("http://x")'
    abstract = sheet.cell(row=2, column=header.index("abstract") + 1)
    assert abstract.value == "'+1 and more"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    assert read_xlsx(path.read_bytes(), "o").records[0]["title"] == '\'=HYPERLINK("http://x")'


def test_write_xlsx_strips_illegal_and_truncates(tmp_path):
    """Control characters Excel refuses are dropped and over-long cells truncated, not fatal."""
    frame = pd.DataFrame({"title": ["bad\x01char", "x" * (EXCEL_CELL_LIMIT + 10)]})
    path = tmp_path / "odd.xlsx"
    write_xlsx(frame, path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A2"].value == "badchar"
    assert len(sheet["A3"].value) == EXCEL_CELL_LIMIT and sheet["A3"].value.endswith("[truncated]")


def _workbook(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_workbook_without_bibliographic_columns():
    """A sheet without title/DOI/PMID/abstract names the file, row and header found."""
    data = _workbook([["name", "score"], ["a", 1]])
    with pytest.raises(ImportFormatError, match=r"^s\.xlsx, line 1: expected a header row with a "
                       r"title, DOI, PMID or abstract column .* found 'name \| score'$"):
        read_xlsx(data, "s.xlsx")


def test_workbook_gaps_keep_sheet_row_numbers():
    """Empty rows are skipped but later records keep their sheet row numbers."""
    data = _workbook([["Title", "DOI"], ["A", "10.1/a"], [], [None, None], ["B", 2020.0]])
    parsed = read_xlsx(data, "g.xlsx")
    assert [(r["title"], r["line"]) for r in parsed.records] == [("A", 2), ("B", 5)]
    assert parsed.records[1]["raw"]["DOI"] == "2020"


def test_broken_workbook_is_import_format_error():
    """A zip that is not a workbook, or a truncated one, is a clear ImportFormatError."""
    with pytest.raises(ImportFormatError, match=r"^b\.xlsx: expected an Excel workbook"):
        read_bytes(b"PK\x03\x04" + b"\x00" * 40, "b.xlsx")
    data = _workbook([["Title"], ["A"]])
    with pytest.raises(ImportFormatError, match=r"expected an Excel workbook"):
        read_xlsx(data[: len(data) // 2], "t.xlsx")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_import_format_error(data):
    """read_xlsx raises nothing but ImportFormatError on arbitrary bytes."""
    try:
        read_xlsx(b"PK\x03\x04" + data, "fuzz.xlsx")
    except ImportFormatError:
        pass


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(), st.floats(allow_nan=False),
                                   st.text(max_size=20)), max_size=5), max_size=6))
def test_arbitrary_sheets_only_import_format_error(rows):
    """Any sheet content gives records or an ImportFormatError, nothing else."""
    clean = [[c.replace("\x00", "") if isinstance(c, str) else c for c in row] for row in rows]
    try:
        data = _workbook(clean)
    except Exception:        # openpyxl refuses some control characters on write
        return
    try:
        read_xlsx(data, "fuzz.xlsx")
    except ImportFormatError:
        pass


def test_corrupt_sheet_xml_is_import_format_error():
    """A workbook whose sheet XML is cut short fails as ImportFormatError, not a ParseError."""
    data = _workbook([["Title"], ["A"]])
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            target.writestr(item, content)
    with pytest.raises(ImportFormatError, match=r"^c\.xlsx: expected an Excel workbook with "
                       r"readable worksheets, found 'ParseError"):
        read_xlsx(out.getvalue(), "c.xlsx")
