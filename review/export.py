"""Exports of the stored records: RIS for reference managers, CSV and XLSX for spreadsheets."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import ReviewError

__all__ = ["EXPORT_FORMATS", "flat_table", "export_records"]

EXPORT_FORMATS = ("ris", "csv", "xlsx")
_TABLE_COLUMNS = ("record_id", "title", "abstract", "authors", "year", "journal", "volume", "issue",
                  "pages", "doi", "pmid", "pmcid", "keywords", "language", "publication_type", "url",
                  "database", "source_file", "position")


def flat_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per record with lists joined by '; ' — what a spreadsheet user expects."""
    table = frame[[c for c in _TABLE_COLUMNS if c in frame.columns]].copy()
    for name in ("authors", "keywords"):
        if name in table.columns:
            table[name] = table[name].map(lambda v: "; ".join(v) if isinstance(v, list) else v)
    return table


def export_records(frame: pd.DataFrame, format: str, out: str | Path) -> int:
    """Write records to `out` in `format`; returns how many were written."""
    out = Path(out)
    if format not in EXPORT_FORMATS:
        raise ReviewError(f"export format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    if format == "ris":
        from .io.ris import write_ris
        tmp.write_text(write_ris(frame), encoding="utf-8", newline="")
    elif format == "csv":
        from .io.table import write_csv
        write_csv(flat_table(frame), tmp)
    else:
        from .io.xlsx import write_xlsx
        write_xlsx(flat_table(frame), tmp)
    tmp.replace(out)
    return len(frame)
