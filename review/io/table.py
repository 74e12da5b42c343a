"""CSV, TSV and semicolon tables from databases, reference managers and screening tools.

Every export names its columns differently, so columns go through `columns.py`; cells are split
the way each tool joins them (';', '|', ' and ', or Scopus/Embase/PubMed comma lists of
"Surname I." names). The header is searched for under a query block (Embase, Excel), and every
record keeps its 1-based start line even across quoted multi-line cells. Writing neutralises
cells that a spreadsheet would run as a formula.
"""
from __future__ import annotations

import ast
import csv
import json
import math
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..errors import ImportFormatError, ParseWarning
from ..records import RECORD_FIELDS, Parsed
from .columns import (
    BIBLIOGRAPHIC_FIELDS, CITATION_COLUMNS, DATABASE_NAMES, MERGED_FIELDS, SCREENING_COLUMNS,
    find_column, header_profile, match_columns, normalise_header,
)

__all__ = [
    "read_table", "write_csv", "neutralise_formula", "records_from_rows", "header_score",
    "export_value", "split_author_cell", "split_list_cell", "EXPECTED_COLUMNS",
]

#: Delimiters tried on a header line, preferred in this order when counts tie.
DELIMITERS = ("\t", ",", ";")
#: How many lines (or sheet rows) may precede the header, e.g. Embase's "SEARCH QUERY" block.
HEADER_SEARCH_ROWS = 50
#: A header row must name at least this many canonical fields to win over the first row.
MIN_HEADER_FIELDS = 2
#: Cells starting with these are run by spreadsheets (CSV/formula injection, OWASP).
#: Text a spreadsheet runs as a formula: these first characters, and their full-width forms
#: (＝ ＋ － ＠), which some spreadsheets read as the ASCII ones.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
EXPECTED_COLUMNS = ("a header row with a title, DOI, PMID or abstract column (e.g. Title, DOI, "
                    "PMID, Abstract, or Web of Science TI, DI, PM, AB)")
#: Name suffixes that comma-separated author lists put after the initials ("Thompson F.R., III").
NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "2nd", "3rd"})
#: Embase 'Source': "Cancer (2004) 102:4 (253-258). Date of Publication: 25 Aug 2004".
EMBASE_SOURCE = re.compile(r"^(?P<journal>[^()]+?) \((?P<year>\d{4})\)(?: (?P<volume>[^\s:(]+)"
                           r"(?::(?P<issue>[^\s(]+))?)?(?: \((?P<pages>[^)]+)\))?")
#: PubMed 'Citation': "Eur J Med Genet. 2020 Feb;63(2):103640. doi: ...".
PUBMED_CITATION = re.compile(r"(?P<year>\d{4})[^;]*;(?P<volume>[^(:;\s]+)?"
                             r"(?:\((?P<issue>[^)]+)\))?(?::(?P<pages>[^.;\s]+))?")

_INITIALS_NAME = re.compile(r"^(?P<surname>\S.*?\S)\s+(?P<initials>(?:[A-Z](?:[a-z]?\.)?-?){1,5})$")
_TRAILING_ID = re.compile(r"\s*\((?:\d+|[^()]*@[^()]*)\)\s*$")
_A_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_EXCEL_TEXT = re.compile(r'="(.*)"', re.DOTALL)
_EOF = "\x00review-end-of-table\x00"
_IDENTIFIERS = ("doi", "pmid", "pmcid")


def neutralise_formula(value: Any) -> Any:
    """Prefix a single quote to a string a spreadsheet would treat as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _clean(cell: Any) -> str:
    """Cell text without surrounding space or Excel's `="..."` text wrapper."""
    text = "" if cell is None else str(cell).strip()
    match = _EXCEL_TEXT.fullmatch(text)
    return match.group(1).replace('""', '"').strip() if match else text


def _literal_list(text: str) -> list[str] | None:
    """ASReview writes list cells as Python literals: "['Marx, Karl', 'Lindgren, Astrid']"."""
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else None


def _name(part: str) -> str:
    part = _TRAILING_ID.sub("", part.strip()).strip()
    part = re.sub(r",\s*null$", "", part)           # RefWorks "van den Hoven,null"
    part = re.sub(r"\s*,\s*", ", ", part)
    if "," not in part:
        match = _INITIALS_NAME.match(part)
        if match:                                  # "Craig C." / "Griffin DK" -> "Craig, C."
            part = f"{match['surname']}, {match['initials']}"
    return part.strip(" ,")


def _comma_names(text: str) -> list[str]:
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    merged: list[str] = []
    for token in tokens:
        if merged and token.lower() in NAME_SUFFIXES:
            merged[-1] = f"{merged[-1]}, {token}"
        else:
            merged.append(token)
    if len(merged) >= 2 and all("." not in t for t in merged[:-1]) and merged[-1].endswith("."):
        merged[-1] = merged[-1][:-1]               # PubMed: "Griffin DK, ..., O'Connor RE."
    names = [t.split(",")[0] for t in merged]
    if len(merged) >= 2 and all(_INITIALS_NAME.match(n) for n in names):
        return [_name(n) + t[len(n):] for n, t in zip(names, merged)]
    return [_name(text)]


def split_author_cell(cell: Any) -> list[str]:
    """Author names from one cell, joined by ';', '|', ' and ' or Scopus/PubMed commas."""
    text = _clean(cell)
    if not text:
        return []
    listed = _literal_list(text)
    if listed is not None:
        parts = listed
    elif ";" in text:
        parts = text.split(";")
    elif "|" in text:
        parts = text.split("|")
    elif re.search(r"\s+and\s+", text):
        parts = re.split(r"\s+and\s+", text)
    elif "," in text:
        return [n for n in _comma_names(text) if n]
    else:
        parts = [text]
    names = [_name(p) for p in parts]
    return [n for n in names if n]


def split_list_cell(cell: Any) -> list[str]:
    """Keywords from one cell: ';' or '|' lists, else commas outside parentheses."""
    text = _clean(cell)
    if not text:
        return []
    listed = _literal_list(text)
    if listed is not None:
        parts = listed
    elif ";" in text:
        parts = text.split(";")
    elif "|" in text:
        parts = text.split("|")
    else:
        parts = re.split(r",(?![^()]*\))", text)
    return [p.strip() for p in parts if p.strip()]


def _first_token(text: str, must_contain: str = "") -> str:
    """Rayyan appends RIS leftovers to a cell ("10.1038/x     LK  - https://..."): keep the value."""
    tokens = text.split()
    return next((t for t in tokens if must_contain in t), text if must_contain else tokens[0])


def _record(columns: dict[str, list[int]], names: list[str], cells: list[str]) -> dict[str, Any]:
    values = {i: _clean(c) for i, c in enumerate(cells)}

    def first(field: str) -> str:
        return next((values.get(i, "") for i in columns.get(field, []) if values.get(i)), "")

    rec: dict[str, Any] = {f: None for f in RECORD_FIELDS}
    for field in ("title", "abstract", "year", "volume", "issue", "pmid", "pmcid", "language",
                  "publication_type"):
        rec[field] = first(field) or None
    author_cell = first("authors")
    rec["authors"] = split_author_cell(author_cell)
    keywords: list[str] = []
    for field in MERGED_FIELDS:
        for index in columns.get(field, []):
            keywords += [k for k in split_list_cell(values.get(index)) if k not in keywords]
    rec["keywords"] = keywords
    doi = first("doi")
    rec["doi"] = _first_token(doi, "10.") if doi else None
    url = first("url")
    rec["url"] = _first_token(url) if url else None
    start, end = first("page_start"), first("page_end")
    rec["pages"] = first("pages") or (f"{start}-{end}" if start and end and start != end
                                      else start or end) or first("page_article") or None
    citation: dict[str, str] = {}
    for index in columns.get("journal", []):
        value = values.get(index, "")
        if names[index] == "source" and value:
            match = EMBASE_SOURCE.match(value)
            if value.lower() in DATABASE_NAMES:
                continue
            if match:
                citation = {k: v for k, v in match.groupdict().items() if v}
                value = citation["journal"]
        if value:
            rec["journal"] = value
            break
    for name in CITATION_COLUMNS:
        index = names.index(name) if name in names else None
        if index is not None and values.get(index) and not citation:
            pattern = EMBASE_SOURCE if name == "source" else PUBMED_CITATION
            match = pattern.search(values[index])
            citation = {k: v for k, v in match.groupdict().items() if v} if match else {}
    for field in ("year", "volume", "issue", "pages"):
        if not rec[field] and citation.get(field):
            rec[field] = citation[field]
    return rec


def header_score(header: Sequence[Any]) -> int:
    """How many canonical fields a candidate header row names."""
    return len(set(match_columns([str(h or "") for h in header])) & set(RECORD_FIELDS))


def _unique_names(header: Sequence[str]) -> list[str]:
    """Raw-dict keys: the header as written, with repeats and blanks made unique like pandas."""
    keys: list[str] = []
    for index, name in enumerate(header):
        key = str(name).replace("\ufeff", "").strip() or f"Unnamed: {index}"
        base, n = key, 0
        while key in keys:
            n += 1
            key = f"{base}.{n}"
        keys.append(key)
    return keys


def records_from_rows(header: Sequence[str], rows: Iterable[tuple[int, list[str]]], file: str,
                      *, header_line: int, format: str = "table") -> Parsed:
    """Canonical records from (line, cells) rows under `header`; shared by CSV/TSV and XLSX."""
    header = [str(h or "") for h in header]
    while header and not header[-1].strip():
        header.pop()                                   # WoS: trailing tab after the last tag
    columns = match_columns(header)
    if not any(field in columns for field in BIBLIOGRAPHIC_FIELDS):
        raise ImportFormatError(file, EXPECTED_COLUMNS, line=header_line,
                                found=" | ".join(h.strip() for h in header) or "an empty row")
    names = [normalise_header(h) for h in header]
    keys = _unique_names(header)
    records: list[dict[str, Any]] = []
    warnings: list[ParseWarning] = []
    for line, cells in rows:
        cells = ["" if c is None else str(c) for c in cells]
        if not any(c.strip() for c in cells):
            continue
        raw = {k: c for k, c in zip(keys, cells) if c.strip()}
        extra = cells[len(header):]
        if any(c.strip() for c in extra):
            raw.update({f"_extra_{i}": c for i, c in enumerate(extra, 1) if c.strip()})
            warnings.append(ParseWarning(
                file, f"row has {len(cells)} cells but the header has {len(header)}; the extra "
                "cells are kept in raw as _extra_N", line=line, record=len(records) + 1))
        rec = _record(columns, names, cells[:len(header)])
        if not rec["title"] and not any(rec[f] for f in _IDENTIFIERS):
            has_something = any(rec[f] for f in RECORD_FIELDS)
            warnings.append(ParseWarning(
                file, "row has no title and no DOI/PMID/PMCID; " + (
                    "kept" if has_something else f"skipped (only {', '.join(raw)[:80]})"),
                line=line, record=len(records) + 1 if has_something else None))
            if not has_something:
                continue
        rec["line"], rec["raw"] = line, raw
        records.append(rec)
    warnings += _duplicate_ids(records, header, file)
    return Parsed(records, warnings, format=format)


def _duplicate_ids(records: list[dict[str, Any]], header: list[str], file: str) -> list[ParseWarning]:
    """ASReview links labels by record_id: a repeated id would attach a label to two records."""
    index = find_column(header, SCREENING_COLUMNS["record_id"])
    if index is None:
        return []
    key = _unique_names(header)[index]
    seen: dict[str, int] = {}
    for number, rec in enumerate(records, 1):
        value = rec["raw"].get(key, "").strip()
        if value and value in seen:
            return [ParseWarning(file, f"{key} {value!r} repeats (first at record {seen[value]})",
                                 line=rec["line"], record=number)]
        seen.setdefault(value, number)
    return []


def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"?', "", line)


def _sniff(line: str) -> str:
    """The delimiter of a header line: the most frequent of DELIMITERS outside quotes."""
    bare = _outside_quotes(line)
    counts = {d: bare.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _find_header(lines: list[str]) -> tuple[int, str]:
    """Index of the header line (first naming >= 2 fields, else first non-empty) and delimiter."""
    first: tuple[int, str] | None = None
    for index, line in enumerate(lines[:HEADER_SEARCH_ROWS]):
        if not line.strip():
            continue
        delimiter = _sniff(line)
        cells = next(csv.reader([line], delimiter=delimiter), [])
        if first is None:
            first = (index, delimiter)
        if header_score(cells) >= MIN_HEADER_FIELDS:
            return index, delimiter
    return first if first is not None else (0, ",")


def _csv_rows(lines: list[str], start: int, delimiter: str, quoting: int,
              file: str) -> Iterator[tuple[int, list[str]]]:
    """(1-based start line, cells) for each row from line index `start`, across quoted newlines."""
    def source() -> Iterator[str]:
        for line in lines[start:]:
            yield line + "\n"
        if quoting != csv.QUOTE_NONE:
            yield _EOF + "\n"

    reader = csv.reader(source(), delimiter=delimiter, quoting=quoting)
    consumed = 0
    while True:
        row_line = start + 1 + consumed
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFormatError(file, f"a well-formed {delimiter!r}-delimited row",
                                    line=row_line, found=str(exc)) from None
        consumed = reader.line_num
        if cells and cells[-1] == _EOF and len(cells) == 1:
            return
        for number, cell in enumerate(cells):
            if _EOF in cell:
                open_line = row_line + sum(c.count("\n") for c in cells[:number])
                raise ImportFormatError(file, 'a closing double quote (") for the quoted cell '
                                        "opened here", line=open_line,
                                        found=cell.replace(_EOF, "").strip()[:60])
        yield row_line, cells


def _quote_warnings(rows: Iterable[tuple[int, list[str]]], header: list[str], delimiter: str,
                    file: str, warnings: list[ParseWarning]) -> Iterator[tuple[int, list[str]]]:
    """Pass rows through, warning about a quoted cell that spans lines although its first line
    alone holds exactly the rest of its row's cells: most likely a quote that should have
    closed on that line, so two rows are read as one record."""
    width = len(header)
    columns = match_columns(header)
    years = columns.get("year", [])
    for number, (line, cells) in enumerate(rows, 1):
        at = line
        for index, cell in enumerate(cells):
            if "\n" in cell and width > 2:
                parts = cell.split("\n")
                rest = width - index - 1
                pieces = parts[0].split(delimiter)
                # The first line alone holds the cells the row still needs (a few more when the
                # unclosed cell itself held the delimiter), the cell closes on the next line, and
                # when a year column follows, one of those cells is a year.
                if (len(parts) == 2 and parts[1].strip() and rest >= 1
                        and rest + 1 <= len(pieces) <= rest + 3
                        and (any(_A_YEAR.fullmatch(p.strip()) for p in pieces[1:])
                             if any(y > index for y in years) else rest >= 2)):
                    name = header[index].strip() if index < width else f"cell {index + 1}"
                    warnings.append(ParseWarning(
                        file, f"the quoted {name!r} cell opened on line {at} closes on line "
                        f"{at + len(parts) - 1} although line {at} alone holds the whole row; "
                        f"read as one cell (check the quotes on line {at})",
                        line=at, record=number))
            at += cell.count("\n")
        yield line, cells


def read_table(text: str, file: str = "<string>") -> Parsed:
    """Records from CSV/TSV/semicolon text with a header row (see module docstring)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise ImportFormatError(file, EXPECTED_COLUMNS, line=1, found="an empty file")
    csv.field_size_limit(2**31 - 1)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    start, delimiter = _find_header(lines)
    header_cells = next(csv.reader([lines[start]], delimiter=delimiter), [])
    quoting = (csv.QUOTE_NONE if delimiter == "\t" and header_profile(header_cells) == "wos"
               else csv.QUOTE_MINIMAL)
    rows = _csv_rows(lines, start, delimiter, quoting, file)
    header_line, header = next(rows, (start + 1, []))
    quote_warnings: list[ParseWarning] = []
    rows = _quote_warnings(rows, header, delimiter, file, quote_warnings)
    parsed = records_from_rows(header, rows, file, header_line=header_line)
    parsed.warnings[:0] = quote_warnings
    skipped = [line.strip(" \t;,") for line in lines[:start] if line.strip(" \t;,")]
    if skipped:
        parsed.warnings.insert(0, ParseWarning(
            file, f"{len(skipped)} line(s) before the header row skipped: "
            + " / ".join(skipped)[:200], line=1))
    return parsed


def export_value(value: Any) -> Any:
    """A frame cell as a spreadsheet cell: lists joined by '; ', missing as None, neutralised."""
    if isinstance(value, (list, tuple, set)):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    elif isinstance(value, float) and value.is_integer():
        value = int(value)                       # a year column with gaps is float in pandas
    elif type(value).__name__ in ("NAType", "NaTType"):
        return None
    elif hasattr(value, "item") and not isinstance(value, str):   # numpy scalars
        value = value.item()
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    return neutralise_formula(value)


def write_csv(frame, path_or_buffer) -> None:
    """Write a DataFrame as UTF-8 CSV (BOM for files, so Excel reads it), formulas neutralised."""
    def write(handle) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([neutralise_formula(str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            writer.writerow(["" if (v := export_value(c)) is None else v for c in row])

    if isinstance(path_or_buffer, (str, Path)):
        with open(path_or_buffer, "w", encoding="utf-8-sig", newline="") as handle:
            write(handle)
    else:
        write(path_or_buffer)
