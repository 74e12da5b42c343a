"""Tables for a manuscript, written from one DataFrame to CSV, XLSX, Markdown, LaTeX, HTML and Word.

Cell text is data: every writer escapes it for its format, so a title holding `|`, `&`, `%` or
`<script>` prints as typed and never breaks or drives the document. CSV and XLSX go through
`review.io` (which neutralises spreadsheet formulas). A `group_by` column, where given, becomes a
row introducing each run of rows with the same value in Markdown, LaTeX, HTML and Word (the frame
is taken in the order given) and stays an ordinary column in CSV and XLSX. Files are written whole:
to a temporary name first, then moved into place.

LaTeX output needs `booktabs`, `array` and `textcomp` (and `longtable` for long tables,
`pdflscape` for wide ones), all in a basic TeX installation (Debian's texlive-latex-base and
texlive-latex-recommended); the table's notes are a paragraph under it. Unicode is mapped to
LaTeX where a standard macro exists (µ, °, ±, ≥, Greek letters via `\\ensuremath`, super- and
subscript digits, dashes and quotes); other characters, such as accented letters, are passed
through as UTF-8, which LaTeX reads by default since 2018 (characters outside the T1/TS1 fonts
then need XeLaTeX or LuaLaTeX).
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ReviewError
from .latex_columns import LATEX_WRAP_WIDTH, latex_columns, too_tall  # noqa: F401 - re-exported

__all__ = [
    "cell_text", "format_number", "escape_markdown", "escape_latex", "escape_html",
    "to_markdown", "to_latex", "to_html", "write_docx", "write_xlsx_table", "write_table",
    "TABLE_SUFFIXES", "LONGTABLE_ROWS",
]

#: Suffixes `write_table` knows.
TABLE_SUFFIXES = (".csv", ".xlsx", ".md", ".tex", ".docx", ".html")
#: From this many rows a LaTeX table becomes a `longtable` that breaks across pages.
LONGTABLE_ROWS = 25
#: Word and LaTeX tables with more columns than this are set on a landscape page.
LANDSCAPE_COLUMNS = 6
DOCX_FONT_PT, DOCX_NOTE_PT = 9, 8
_GROUP_MISSING = "Not reported"

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def format_number(value: float) -> str:
    """2012 -> "2012", 0.42 -> "0.42", 2e9 -> "2 × 10⁹": short, exact to six significant digits."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not math.isfinite(value):
        return str(value)
    if value and (abs(value) >= 1e6 or abs(value) < 1e-4):
        exponent = math.floor(math.log10(abs(value)))
        mantissa = f"{value / 10 ** exponent:.4g}"
        head = "" if mantissa == "1" else f"{mantissa} × "
        return f"{head}10{str(exponent).translate(_SUPERSCRIPT)}"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def cell_text(value: Any, missing: str = "") -> str:
    """A cell as text: lists joined by "; ", numbers short, booleans yes/no, missing as `missing`."""
    if isinstance(value, (list, tuple, set)):
        parts = [cell_text(v) for v in value]
        return "; ".join(p for p in parts if p) or missing
    if value is None or value is pd.NA or value is pd.NaT:
        return missing
    if isinstance(value, float) and math.isnan(value):
        return missing
    if hasattr(value, "item") and not isinstance(value, str):   # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return format_number(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# -- escaping ---------------------------------------------------------------------------------------
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\|*_`~[]$"})
_MARKDOWN_BLOCK_START = re.compile(r"^(#|[-+]\s|\d+[.)]\s)")


def _newlines(text: str, replacement: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", replacement)


def escape_markdown(text: str) -> str:
    """Text for a Markdown table cell: HTML characters as entities, Markdown punctuation (and
    pandoc's `$` of inline maths) backslash-escaped, line breaks as <br>."""
    text = html.escape(str(text), quote=False).translate(_MARKDOWN)
    return _newlines(text, "<br>")


def _markdown_paragraph(text: str) -> str:
    """Escaped text that cannot start a heading or a list."""
    text = escape_markdown(text)
    return "\\" + text if _MARKDOWN_BLOCK_START.match(text) else text


def escape_html(text: str) -> str:
    """Text for an HTML element: `& < > " '` as entities, line breaks as <br>."""
    return _newlines(html.escape(str(text), quote=True), "<br>")


_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi o pi rho "
          "varsigma sigma tau upsilon phi chi psi omega").split()
_GREEK_UPPER = "A B Gamma Delta E Z H Theta I K Lambda M N Xi O Pi P - Sigma T Upsilon Phi X Psi Omega"
_LATEX: dict[str, str] = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "`": r"\textasciigrave{}",
    "[": "{[}", "]": "{]}", "\n": " ", "\r": " ", "\t": " ",
    "\u00a0": "~", "\u2009": r"\,", "\u202f": r"\,", "–": "--", "—": "---", "‘": "`", "’": "'",
    "“": "``", "”": "''", "…": r"\ldots{}", "µ": r"\textmu{}", "°": r"\textdegree{}",
    "‰": r"\textperthousand{}", "•": r"\textbullet{}", "†": r"\textdagger{}",
    "‡": r"\textdaggerdbl{}", "§": r"\S{}", "¶": r"\P{}", "©": r"\textcopyright{}",
    "®": r"\textregistered{}", "™": r"\texttrademark{}", "€": r"\texteuro{}", "£": r"\pounds{}",
    "±": r"\ensuremath{\pm}", "×": r"\ensuremath{\times}", "÷": r"\ensuremath{\div}",
    "≥": r"\ensuremath{\geq}", "≤": r"\ensuremath{\leq}", "≈": r"\ensuremath{\approx}",
    "≠": r"\ensuremath{\neq}", "∞": r"\ensuremath{\infty}", "−": r"\ensuremath{-}",
    "·": r"\ensuremath{\cdot}", "∼": r"\ensuremath{\sim}", "→": r"\ensuremath{\rightarrow}",
    "←": r"\ensuremath{\leftarrow}", "↑": r"\ensuremath{\uparrow}", "↓": r"\ensuremath{\downarrow}",
}
for _offset, _name in enumerate(_GREEK):
    _LATEX[chr(0x3B1 + _offset)] = rf"\ensuremath{{\{_name}}}" if _name != "o" else "o"
for _offset, _name in enumerate(_GREEK_UPPER.split()):
    if _name != "-":
        _LATEX[chr(0x391 + _offset)] = rf"\ensuremath{{\{_name}}}" if len(_name) > 1 else _name
for _digit, (_sup, _sub) in enumerate(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "₀₁₂₃₄₅₆₇₈₉")):
    _LATEX[_sup] = rf"\textsuperscript{{{_digit}}}"
    _LATEX[_sub] = rf"\textsubscript{{{_digit}}}"
_LATEX.update({"⁺": r"\textsuperscript{+}", "⁻": r"\textsuperscript{-}"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_latex(text: str) -> str:
    """Text for LaTeX that prints as typed: special characters as macros, unicode mapped where
    a standard macro exists (see the module docstring), "--" and "''" kept from joining into
    dashes and quotes, and a leading "*" braced so it cannot follow a row's `\\\\` as its star."""
    text = _CONTROL.sub("", str(text))
    out = []
    for i, char in enumerate(text):
        mapped = _LATEX.get(char, char)
        if char in "-'," and i + 1 < len(text) and text[i + 1] == char:
            mapped = char + "{}"
        out.append(mapped)
    escaped = "".join(out)
    return "{*}" + escaped[1:] if escaped.startswith("*") else escaped


# -- shared shape -----------------------------------------------------------------------------------
def _check_group(frame: pd.DataFrame, group_by: str | None) -> None:
    if group_by is not None and group_by not in frame.columns:
        raise ReviewError(f"table: no column {group_by!r} to group rows by; "
                          f"the columns are {', '.join(map(str, frame.columns))}")


def _body(frame: pd.DataFrame, group_by: str | None
          ) -> tuple[list[str], Iterator[tuple[str | None, list[str]]]]:
    """Header texts and (group label where a new group starts, row texts) per row."""
    _check_group(frame, group_by)
    columns = [c for c in frame.columns if c != group_by]
    header = [cell_text(c) for c in columns]

    def rows() -> Iterator[tuple[str | None, list[str]]]:
        previous: object = object()
        groups = frame[group_by] if group_by is not None else [None] * len(frame)
        for group, (_, row) in zip(groups, frame[columns].iterrows()):
            label = None
            if group_by is not None:
                label = cell_text(group, _GROUP_MISSING)
                label = None if label == previous else label
                previous = label if label is not None else previous
            yield label, [cell_text(v) for v in row]
    return header, rows()


# -- Markdown ---------------------------------------------------------------------------------------
def to_markdown(frame: pd.DataFrame, *, caption: str | None = None, footnotes: Sequence[str] = (),
                group_by: str | None = None) -> str:
    """A pipe table (GitHub and pandoc), caption as pandoc's "Table: ..." line above it, footnotes
    as paragraphs below; group rows in bold."""
    header, rows = _body(frame, group_by)
    lines = []
    if caption:
        lines += [f"Table: {escape_markdown(caption)}", ""]
    lines.append("| " + " | ".join(escape_markdown(h) for h in header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    for group, cells in rows:
        if group is not None:
            lines.append(f"| **{escape_markdown(group)}** |" + " |" * (len(header) - 1))
        lines.append("| " + " | ".join(escape_markdown(c) for c in cells) + " |")
    for note in footnotes:
        lines += ["", _markdown_paragraph(note)]
    return "\n".join(lines) + "\n"


# -- LaTeX ------------------------------------------------------------------------------------------
def latex_cell(text: str) -> str:
    """A cell's text for LaTeX: escaped, with a break allowed after each slash
    ("perforin/granzyme" would otherwise be one unbreakable word)."""
    return escape_latex(text).replace("/", r"/\allowbreak{}")


def to_latex(frame: pd.DataFrame, *, caption: str | None = None, footnotes: Sequence[str] = (),
             label: str | None = None, group_by: str | None = None, long: bool | None = None,
             landscape: bool | None = None, font_size: str | None = None) -> str:
    """A booktabs table: `tabular` with its notes in a paragraph below, or (`long`, by default
    from `LONGTABLE_ROWS` rows or when its wrapped rows would not fit on a page) a `longtable`
    repeating its header on every page with the notes as a last row. Group rows are set in
    italics across the table. A table of more than `LANDSCAPE_COLUMNS` columns is set on a
    landscape page (`pdflscape`), as in Word, in \\footnotesize with narrower column gaps (4 pt)
    so that each column still fits its longest word; other tables are \\small by default."""
    header, body = _body(frame, group_by)
    body = list(body)
    landscape = len(header) > LANDSCAPE_COLUMNS if landscape is None else landscape
    if long is None:
        long = len(body) >= LONGTABLE_ROWS or \
            too_tall(header, [cells for _, cells in body], landscape, footnotes)
    n = max(len(header), 1)
    spec = latex_columns(header, [cells for _, cells in body])
    font_size = font_size or ("footnotesize" if landscape else "small")
    head = " & ".join(rf"\textbf{{{latex_cell(h)}}}" for h in header) + r" \\"
    packages = ["booktabs", "array", "textcomp"] + (["longtable"] if long else []) \
        + (["pdflscape"] if landscape else [])
    text = _latex_body(body, spec, head, n, caption=caption, footnotes=footnotes,
                       label=label, long=long, font_size=font_size, narrow_gaps=landscape)
    if landscape:
        text = "\\begin{landscape}\n" + text + "\\end{landscape}\n"
    return rf"% Needs \usepackage{{{','.join(packages)}}}" + "\n" + text


def _latex_body(body: list, spec: str, head: str, n: int, *,
                caption: str | None, footnotes: Sequence[str], label: str | None, long: bool,
                font_size: str, narrow_gaps: bool = False) -> str:
    lines: list[str] = []
    rows = []
    for i, (group, cells) in enumerate(body):
        if group is not None:
            if i:
                rows.append(r"\addlinespace")
            rows.append(rf"\multicolumn{{{n}}}{{@{{}}l}}{{\textit{{{escape_latex(group)}}}}} \\")
        rows.append(" & ".join(latex_cell(c) for c in cells) + r" \\")
    caption_tex = rf"\caption{{{escape_latex(caption)}}}" if caption else None
    label_tex = rf"\label{{{label}}}" if label else None
    if long:
        lines.append(rf"\begin{{{font_size}}}")
        if narrow_gaps:
            lines.append(r"\setlength{\tabcolsep}{4pt}")
        lines.append(rf"\begin{{longtable}}{{{spec}}}")
        if caption_tex or label_tex:
            lines.append("".join(filter(None, [caption_tex, label_tex])) + r" \\")
        lines += [r"\toprule", head, r"\midrule", r"\endfirsthead",
                  rf"\multicolumn{{{n}}}{{@{{}}l}}{{\textit{{(continued)}}}} \\",
                  r"\toprule", head, r"\midrule", r"\endhead",
                  r"\bottomrule", r"\endfoot", r"\bottomrule"]
        lines += [rf"\multicolumn{{{n}}}{{@{{}}p{{\linewidth}}@{{}}}}{{\footnotesize "
                  rf"{escape_latex(note)}}} \\" for note in footnotes]
        lines += [r"\endlastfoot"] + rows + [r"\end{longtable}", rf"\end{{{font_size}}}"]
        return "\n".join(lines) + "\n"
    lines += [r"\begin{table}[htbp]", r"\centering", rf"\{font_size}"]
    if narrow_gaps:
        lines.append(r"\setlength{\tabcolsep}{4pt}")
    lines += [t for t in (caption_tex, label_tex) if t]
    lines += [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", head, r"\midrule"] + rows
    lines += [r"\bottomrule", r"\end{tabular}"]
    if footnotes:
        lines += [r"\par\smallskip", r"\begin{minipage}{\linewidth}", r"\footnotesize\raggedright"]
        lines += [rf"{escape_latex(note)}\par" for note in footnotes]
        lines.append(r"\end{minipage}")
    lines += [r"\end{table}"]
    return "\n".join(lines) + "\n"


# -- HTML -------------------------------------------------------------------------------------------
def to_html(frame: pd.DataFrame, *, caption: str | None = None, footnotes: Sequence[str] = (),
            group_by: str | None = None, css_class: str = "review-table") -> str:
    """An HTML table fragment: caption, header, group rows as row-group headings, footnotes in
    the table's footer; every text escaped."""
    header, rows = _body(frame, group_by)
    n = max(len(header), 1)
    out = [f'<table class="{escape_html(css_class)}">']
    if caption:
        out.append(f"<caption>{escape_html(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f'<th scope="col">{escape_html(h)}</th>' for h in header)
               + "</tr></thead>")
    out.append("<tbody>")
    for group, cells in rows:
        if group is not None:
            out.append(f'<tr class="group"><th colspan="{n}" scope="rowgroup">'
                       f"{escape_html(group)}</th></tr>")
        out.append("<tr>" + "".join(f"<td>{escape_html(c)}</td>" for c in cells) + "</tr>")
    out.append("</tbody>")
    if footnotes:
        out.append("<tfoot>" + "".join(f'<tr><td colspan="{n}">{escape_html(note)}</td></tr>'
                                       for note in footnotes) + "</tfoot>")
    out.append("</table>")
    return "\n".join(out) + "\n"


def _html_document(fragment: str, caption: str | None) -> str:
    style = ("body{font-family:sans-serif;font-size:10pt}table{border-collapse:collapse}"
             "caption{text-align:left;font-weight:bold;margin-bottom:.4em}"
             "thead th{border-top:2px solid #000;border-bottom:1px solid #000;text-align:left}"
             "tbody{border-bottom:2px solid #000}th,td{padding:.2em .6em;vertical-align:top}"
             "tr.group th{text-align:left;font-style:italic}tfoot td{font-size:9pt}")
    title = escape_html(caption or "Table")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title}</title>\n<style>{style}</style>\n</head>\n<body>\n{fragment}"
            "</body>\n</html>\n")


# -- Word -------------------------------------------------------------------------------------------
#: Elements that must follow a table's or a cell's borders in Word's schema (order matters).
_AFTER_BORDERS = {
    "w:tblBorders": ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                     "w:tblDescription", "w:tblPrChange"),
    "w:tcBorders": ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
                    "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge",
                    "w:tcPrChange"),
}
_EDGES = ("top", "left", "bottom", "right", "insideH", "insideV")


def _border(parent, tag: str, edges: dict[str, str | None]) -> None:
    """Give a table (`w:tblBorders`) or cell (`w:tcBorders`) these edges: size in eighths of a
    point, None for no line; elements in the order Word's schema requires."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    borders = OxmlElement(tag)
    for edge in sorted(edges, key=_EDGES.index):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single" if edges[edge] else "nil")
        if edges[edge]:
            element.set(qn("w:sz"), edges[edge])
            element.set(qn("w:space"), "0")
            element.set(qn("w:color"), "000000")
        borders.append(element)
    old = parent.find(qn(tag))
    if old is not None:
        parent.remove(old)
    after = [child for child in parent if child.tag in {qn(t) for t in _AFTER_BORDERS[tag]}]
    if after:
        after[0].addprevious(borders)
    else:
        parent.append(borders)


def _docx_cell(cell, text: str, *, bold: bool = False, italic: bool = False) -> None:
    from docx.shared import Pt
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    lines = _newlines(text, "\n").split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        run.font.size, run.bold, run.italic = Pt(DOCX_FONT_PT), bold, italic
        if i + 1 < len(lines):
            run.add_break()


def write_docx(frame: pd.DataFrame, path: str | Path, *, caption: str | None = None,
               footnotes: Sequence[str] = (), group_by: str | None = None,
               landscape: bool | None = None) -> Path:
    """A Word document holding the table in a manuscript style: rules above and below the table
    and under the bold header row (no vertical lines), the header repeated on every page,
    9-pt text, caption above and footnotes below; landscape when the table is wide."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    header, rows = _body(frame, group_by)
    document = Document()
    section = document.sections[0]
    if landscape if landscape is not None else len(header) > LANDSCAPE_COLUMNS:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    if caption:
        document.add_paragraph(caption, style="Caption")
    table = document.add_table(rows=1, cols=max(len(header), 1))
    properties = table._tbl.tblPr
    _border(properties, "w:tblBorders", {"top": "8", "bottom": "8", "left": None, "right": None,
                                         "insideH": None, "insideV": None})
    head = table.rows[0]
    flag = OxmlElement("w:tblHeader")             # repeat the header row on each page
    flag.set(qn("w:val"), "true")
    head._tr.get_or_add_trPr().append(flag)
    for cell, text in zip(head.cells, header):
        _docx_cell(cell, text, bold=True)
        _border(cell._tc.get_or_add_tcPr(), "w:tcBorders", {"bottom": "4"})
    for group, cells in rows:
        if group is not None:
            row = table.add_row()
            merged = row.cells[0].merge(row.cells[-1]) if len(row.cells) > 1 else row.cells[0]
            _docx_cell(merged, group, italic=True)
        row = table.add_row()
        for cell, text in zip(row.cells, cells):
            _docx_cell(cell, text)
    for note in footnotes:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.add_run(note).font.size = Pt(DOCX_NOTE_PT)
    return _atomic(path, lambda tmp: document.save(str(tmp)))


# -- files ------------------------------------------------------------------------------------------
def _atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Run `write` on a temporary name beside `path`, then move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")   # openpyxl wants the suffix
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_xlsx_table(frame: pd.DataFrame, path: str | Path, *, caption: str | None = None,
                     footnotes: Sequence[str] = (), sheet: str = "table") -> Path:
    """`review.io.xlsx.write_xlsx` (bold frozen header, sized columns, formulas neutralised), then
    wrapped top-aligned cells, a rule under the header, and the caption and footnotes on a
    second sheet 'notes' (kept off the data sheet so it still reads as a table)."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from ..io.table import neutralise_formula
    from ..io.xlsx import write_xlsx

    def write(tmp: Path) -> None:
        write_xlsx(frame, tmp)
        workbook = load_workbook(tmp)
        data = workbook.active
        data.title = sheet
        wrap, rule = Alignment(wrap_text=True, vertical="top"), Border(bottom=Side(style="thin"))
        for row in data.iter_rows():
            for cell in row:
                cell.alignment = wrap
        for cell in data[1]:
            cell.border = rule
        notes = [("Caption", caption)] if caption else []
        notes += [("Note", note) for note in footnotes]
        if notes:
            sheet_notes = workbook.create_sheet("notes")
            for number, (kind, text) in enumerate(notes, start=1):
                sheet_notes.cell(row=number, column=1, value=kind).font = Font(bold=True)
                cell = sheet_notes.cell(row=number, column=2, value=neutralise_formula(str(text)))
                cell.data_type = "s"
            sheet_notes.column_dimensions["B"].width = 100
        workbook.save(tmp)
    return _atomic(path, write)


def _write_text(path: str | Path, text: str) -> Path:
    return _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_table(frame: pd.DataFrame, path: str | Path, *, caption: str | None = None,
                footnotes: Iterable[str] = (), group_by: str | None = None) -> Path:
    """Write `frame` in the format its suffix names (see `TABLE_SUFFIXES`); returns the path.
    CSV holds the data alone (no caption or notes), so it reads back as a table."""
    path = Path(path)
    footnotes = list(footnotes)
    suffix = path.suffix.lower()
    _check_group(frame, group_by)
    if suffix == ".csv":
        from ..io.table import write_csv
        return _atomic(path, lambda tmp: write_csv(frame, tmp))
    if suffix == ".xlsx":
        return write_xlsx_table(frame, path, caption=caption, footnotes=footnotes)
    if suffix == ".docx":
        return write_docx(frame, path, caption=caption, footnotes=footnotes, group_by=group_by)
    if suffix == ".md":
        return _write_text(path, to_markdown(frame, caption=caption, footnotes=footnotes,
                                             group_by=group_by))
    if suffix == ".tex":
        label = "tab:" + re.sub(r"[^A-Za-z0-9]+", "-", path.stem).strip("-")
        return _write_text(path, to_latex(frame, caption=caption, footnotes=footnotes,
                                          group_by=group_by, label=label))
    if suffix == ".html":
        fragment = to_html(frame, caption=caption, footnotes=footnotes, group_by=group_by)
        return _write_text(path, _html_document(fragment, caption))
    raise ReviewError(f"{path}: cannot write a table as {suffix or 'a file without suffix'}; "
                      f"expected one of {', '.join(TABLE_SUFFIXES)}")
