"""Excel workbooks: records from the first sheet with a bibliographic header, and safe export.

Exports from Embase and Lens put a title or the search query above the header, so the header is
the first row naming at least two canonical fields (`table.MIN_HEADER_FIELDS`). A record's `line`
is its sheet row number. Writing sets every text cell as a string, never a formula, and prefixes
formula-like text with a quote, so opening an export cannot run anything.
"""
from __future__ import annotations

import datetime as _dt
import io
import zipfile
from pathlib import Path
from typing import Any, Iterator

from ..errors import ImportFormatError, ParseWarning
from ..records import Parsed
from .table import (
    EXPECTED_COLUMNS, HEADER_SEARCH_ROWS, MIN_HEADER_FIELDS, export_value, header_score,
    neutralise_formula, records_from_rows,
)

__all__ = ["read_xlsx", "write_xlsx", "EXCEL_CELL_LIMIT"]

#: Excel refuses cells longer than this; longer text is cut and the cut reported by a marker.
EXCEL_CELL_LIMIT = 32767
TRUNCATION_MARKER = " [truncated]"
#: Column width bounds (characters) for written sheets.
MIN_WIDTH, MAX_WIDTH = 8, 60
#: Rows sampled per column to size it.
WIDTH_SAMPLE = 200


def _text(value: Any) -> str:
    """A cell value as the text a CSV export would hold (2012, not 2012.0; ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


#: A workbook part expanding beyond this (bytes) is refused before it is read.
MAX_PART_BYTES = 128 << 20
#: ... and so is a large part that expands more than this many times (a "zip bomb": text and
#: XML compress 5-20 times, a bomb of repeated strings 1,000 times or more).
MAX_RATIO = 100
#: Parts smaller than this are never refused for their ratio.
RATIO_FLOOR = 8 << 20
#: Shared strings a workbook may declare (each becomes a Python string before any row is read).
MAX_SHARED_STRINGS = 2_000_000


def _check_archive(data: bytes, file: str) -> None:
    """Refuse, before openpyxl reads anything, a ZIP that is not a workbook (a renamed archive)
    and a workbook whose parts would expand beyond memory (a shared-string bomb)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFormatError(file, "an Excel workbook (.xlsx)",
                                found=f"a damaged ZIP archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            raise ImportFormatError(
                file, "an Excel workbook (.xlsx) or a text export (RIS, CSV, ...); unzip the "
                "archive and import the files inside", found=f"a ZIP archive of {shown or 'nothing'}")
        for info in infos:
            size, packed = info.file_size, max(info.compress_size, 1)
            if size > MAX_PART_BYTES or (size > RATIO_FLOOR and size / packed > MAX_RATIO):
                raise ImportFormatError(
                    file, f"an Excel workbook whose parts expand at most {MAX_RATIO} times and to "
                    f"at most {MAX_PART_BYTES >> 20} MB (export the records as CSV instead)",
                    found=f"{info.filename.rsplit('/', 1)[-1]} of {packed >> 10:,} KB expanding "
                          f"to {size >> 20:,} MB")
        if "xl/sharedStrings.xml" in names:
            with archive.open("xl/sharedStrings.xml") as part:
                head = part.read(2048).decode("utf-8", "replace")
            import re
            declared = re.search(r'uniqueCount="(\d+)"', head) or re.search(r'count="(\d+)"', head)
            if declared and int(declared.group(1)) > MAX_SHARED_STRINGS:
                raise ImportFormatError(
                    file, f"an Excel workbook with at most {MAX_SHARED_STRINGS:,} distinct texts "
                    f"(export the records as CSV instead)",
                    found=f"{int(declared.group(1)):,} in sharedStrings.xml")


def _open(data: bytes, file: str):
    import openpyxl
    _check_archive(data, file)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, KeyError (missing part), InvalidFileException, XML errors
        kind = "not a zip archive" if isinstance(exc, zipfile.BadZipFile) else type(exc).__name__
        raise ImportFormatError(file, "an Excel workbook (.xlsx)", found=f"{kind}: {exc}") from None


#: Columns read per row: a sheet claiming more is cut with a warning (Excel's own limit).
MAX_COLUMNS = 16384


def _sheet_rows(sheet, file: str = "", warnings: list | None = None
                ) -> Iterator[tuple[int, list[str]]]:
    """(sheet row number, cell texts); openpyxl fills gaps, so numbering follows the sheet.
    A cell longer than Excel allows (32,767 characters) is cut, with a warning."""
    sheet.reset_dimensions()    # some writers record a wrong used range
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_text(v) for v in row[:MAX_COLUMNS]]
        for index, cell in enumerate(cells):
            if len(cell) > EXCEL_CELL_LIMIT:
                cells[index] = cell[:EXCEL_CELL_LIMIT]
                if warnings is not None:
                    warnings.append(ParseWarning(
                        file, f"sheet {sheet.title!r}: a cell of {len(cell):,} characters (column "
                        f"{index + 1}) is longer than Excel allows; cut to {EXCEL_CELL_LIMIT:,}",
                        line=number))
        yield number, cells


def read_xlsx(data: bytes, file: str = "<bytes>") -> Parsed:
    """Records from the first worksheet whose header (within the first rows) names a field."""
    workbook = _open(data, file)
    try:
        return _read_workbook(workbook, file)
    except ImportFormatError:
        raise
    except Exception as exc:  # openpyxl reads sheets lazily: broken XML surfaces here
        raise ImportFormatError(file, "an Excel workbook with readable worksheets",
                                found=f"{type(exc).__name__}: {exc}") from None
    finally:
        workbook.close()


def _read_workbook(workbook, file: str) -> Parsed:
    first_seen: tuple[str, int, list[str]] | None = None
    cut: list[ParseWarning] = []
    for sheet in workbook.worksheets:
        if not hasattr(sheet, "iter_rows"):
            continue
        rows = _sheet_rows(sheet, file, cut)
        preamble: list[str] = []
        for number, cells in rows:
            if number > HEADER_SEARCH_ROWS:
                break
            if not any(c.strip() for c in cells):
                continue
            if first_seen is None:
                first_seen = (sheet.title, number, cells)
            if header_score(cells) >= MIN_HEADER_FIELDS:
                parsed = records_from_rows(cells, rows, file, header_line=number, format="xlsx")
                if preamble:
                    parsed.warnings.insert(0, ParseWarning(
                        file, f"sheet {sheet.title!r}: {len(preamble)} row(s) before the header "
                        "row skipped: " + " / ".join(preamble)[:200], line=1))
                parsed.warnings[:0] = cut
                return parsed
            preamble.append(" ".join(c.strip() for c in cells if c.strip()))
    if first_seen is None:
        raise ImportFormatError(file, EXPECTED_COLUMNS, line=1, found="an empty workbook")
    title, number, cells = first_seen
    cut.clear()
    rows = ((n, c) for n, c in _sheet_rows(workbook[title], file, cut) if n > number)
    parsed = records_from_rows(cells, rows, file, header_line=number, format="xlsx")
    parsed.warnings[:0] = cut
    return parsed


def _cell_text(value: Any) -> Any:
    value = export_value(value)
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_CELL_LIMIT:
            value = value[:EXCEL_CELL_LIMIT - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
    return value


def write_xlsx(frame, path: str | Path) -> None:
    """Write a DataFrame to one sheet: bold frozen header, sized columns, no live formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "records"
    widths: list[int] = []
    bold = Font(bold=True)
    for col, name in enumerate(frame.columns, start=1):
        cell = sheet.cell(row=1, column=col, value=_cell_text(neutralise_formula(str(name))))
        cell.data_type = "s"
        cell.font = bold
        widths.append(len(str(name)))
    for row_number, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for col, value in enumerate(row, start=1):
            value = _cell_text(value)
            cell = sheet.cell(row=row_number, column=col, value=value)
            if isinstance(value, str):
                cell.data_type = "s"        # text, never a formula
                if row_number <= WIDTH_SAMPLE:
                    longest = max((len(part) for part in value.split("\n")), default=0)
                    widths[col - 1] = max(widths[col - 1], longest)
            elif value is not None and row_number <= WIDTH_SAMPLE:
                widths[col - 1] = max(widths[col - 1], len(str(value)))
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = max(MIN_WIDTH,
                                                                     min(MAX_WIDTH, width + 2))
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        sheet.auto_filter.ref = sheet.dimensions
    workbook.save(path)
