"""Reading the project's own CSV files (decisions, extractions, judgements): rows as dicts,
with one clear message when the file cannot be read or lacks a column."""
from __future__ import annotations

import csv
from pathlib import Path

from ..errors import ReviewError

__all__ = ["read_csv_rows"]


def read_csv_rows(path: str | Path, columns: tuple[str, ...], *,
                  allow_empty: bool = False) -> list[dict]:
    """Every row of a UTF-8 CSV (BOM or not) as a dict; the header must hold `columns`."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = reader.fieldnames or []
    except OSError as exc:
        raise ReviewError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ReviewError(f"{path}: expected UTF-8 text, found byte 0x{exc.object[exc.start]:02x} "
                          f"at offset {exc.start}") from None
    missing = [c for c in columns if c not in header]
    if missing:
        raise ReviewError(f"{path}: expected a CSV with columns {', '.join(columns)}; "
                          f"missing {', '.join(missing)}")
    if not rows and not allow_empty:
        raise ReviewError(f"{path}: expected a CSV with columns {', '.join(columns)}; "
                          "found no rows")
    return rows
