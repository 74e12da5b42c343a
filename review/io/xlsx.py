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


def _open(data: bytes, file: str):
    import openpyxl
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, KeyError (missing part), InvalidFileException, XML errors
        kind = "not a zip archive" if isinstance(exc, zipfile.BadZipFile) else type(exc).__name__
        raise ImportFormatError(file, "an Excel workbook (.xlsx)", found=f"{kind}: {exc}") from None


def _sheet_rows(sheet) -> Iterator[tuple[int, list[str]]]:
    """(sheet row number, cell texts); openpyxl fills gaps, so numbering follows the sheet."""
    sheet.reset_dimensions()    # some writers record a wrong used range
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, [_text(v) for v in row]


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
    for sheet in workbook.worksheets:
        if not hasattr(sheet, "iter_rows"):
            continue
        rows = _sheet_rows(sheet)
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
                return parsed
            preamble.append(" ".join(c.strip() for c in cells if c.strip()))
    if first_seen is None:
        raise ImportFormatError(file, EXPECTED_COLUMNS, line=1, found="an empty workbook")
    title, number, cells = first_seen
    rows = ((n, c) for n, c in _sheet_rows(workbook[title]) if n > number)
    return records_from_rows(cells, rows, file, header_line=number, format="xlsx")


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
