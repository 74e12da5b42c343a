"""Table writers: escaping for LaTeX, Markdown and HTML, formula injection in CSV and XLSX, the
XLSX and Word formatting, and files written whole."""
from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from review.errors import ReviewError
from review.report.tables import (
    cell_text,
    escape_html,
    escape_latex,
    escape_markdown,
    format_number,
    to_html,
    to_latex,
    to_markdown,
    write_docx,
    write_table,
)

#: Every character that means something to LaTeX, Markdown or HTML, and some unicode.
NASTY = "a\\b & 50% $5 #1 x_y {z} ~t ^2 <b>\"q\" | *s* `c` [l] -- '' µg ≥ ± α Ω ³\nnext"
INJECTIONS = ['=HYPERLINK("http://evil.example","click")', "+1", "-2+3", "@SUM(A1)"]


def small_frame() -> pd.DataFrame:
    return pd.DataFrame({"Strategy": ["native", "native", "drug-loaded"],
                         "Study": ["Lugini 2012", "Rossi 2016", "Chen 2021"],
                         "Size": ["128 nm", None, "104 nm"]})


def test_latex_escapes_every_special_character():
    """LaTeX: specials as macros, unicode via textcomp/ensuremath, no dash or quote ligatures."""
    assert escape_latex(NASTY) == (
        r"a\textbackslash{}b \& 50\% \$5 \#1 x\_y \{z\} \textasciitilde{}t \textasciicircum{}2 "
        r"\textless{}b\textgreater{}" '"q"' r" \textbar{} *s* \textasciigrave{}c\textasciigrave{} "
        r"{[}l{]} -{}- '{}' \textmu{}g \ensuremath{\geq} \ensuremath{\pm} \ensuremath{\alpha} "
        r"\ensuremath{\Omega} \textsuperscript{3} next")


def test_latex_braces_a_leading_star_and_drops_control_characters():
    """A cell starting with '*' cannot become the star of the previous row's \\\\."""
    assert escape_latex("*p < 0.05\x07") == r"{*}p \textless{} 0.05"
    assert escape_latex("IFN-γ, TNF-α, 37 °C, 10⁹ particles — n = 5") == (
        r"IFN-\ensuremath{\gamma}, TNF-\ensuremath{\alpha}, 37 \textdegree{}C, "
        r"10\textsuperscript{9} particles --- n = 5")


def test_markdown_escapes_table_syntax_html_and_newlines():
    """Markdown: pipes, emphasis, code, links and maths escaped; HTML as entities; <br> for lines."""
    assert escape_markdown(NASTY) == (
        "a\\\\b &amp; 50% \\$5 #1 x\\_y {z} \\~t ^2 &lt;b&gt;\"q\" \\| \\*s\\* \\`c\\` \\[l\\] "
        "-- '' µg ≥ ± α Ω ³<br>next")


def test_html_escapes_markup_and_quotes():
    """HTML: & < > \" ' as entities, newlines as <br>."""
    assert escape_html(NASTY) == (
        "a\\b &amp; 50% $5 #1 x_y {z} ~t ^2 &lt;b&gt;&quot;q&quot; | *s* `c` [l] -- &#x27;&#x27; "
        "µg ≥ ± α Ω ³<br>next")


def test_cells_are_formatted_short_and_exact():
    """Numbers lose trailing .0, large ones get powers of ten, lists are joined, missing is blank."""
    assert [format_number(v) for v in (2012.0, 0.42, 58.4, 2e9, 1.5e-5, 123456.789)] == [
        "2012", "0.42", "58.4", "2 × 10⁹", "1.5 × 10⁻⁵", "123457"]
    assert [cell_text(v) for v in (["CD9", "CD81"], True, None, float("nan"), pd.NA, 7)] == [
        "CD9; CD81", "yes", "", "", "", "7"]
    assert cell_text(None, "NR") == "NR"


def test_markdown_table_with_caption_groups_and_footnotes():
    """A pipe table: pandoc caption, bold group rows, escaped footnote paragraphs."""
    text = to_markdown(small_frame(), caption="Included studies", group_by="Strategy",
                       footnotes=["# is not a heading", "NR, not reported."])
    assert text == (
        "Table: Included studies\n"
        "\n"
        "| Study | Size |\n"
        "|---|---|\n"
        "| **native** | |\n"
        "| Lugini 2012 | 128 nm |\n"
        "| Rossi 2016 |  |\n"
        "| **drug-loaded** | |\n"
        "| Chen 2021 | 104 nm |\n"
        "\n"
        "\\# is not a heading\n"
        "\n"
        "NR, not reported.\n")


def test_latex_table_is_booktabs_with_its_notes_below():
    """A short table: tabular with booktabs rules, italic group rows, notes in a paragraph under
    it (no threeparttable: a basic TeX installation compiles it)."""
    text = to_latex(small_frame(), caption="Included studies (100%)", label="tab:x",
                    group_by="Strategy", footnotes=["NR, not reported."])
    assert text == "\n".join([
        r"% Needs \usepackage{booktabs,array,textcomp}",
        r"\begin{table}[htbp]",
        r"\centering",
        r"\small",
        r"\caption{Included studies (100\%)}",
        r"\label{tab:x}",
        r"\begin{tabular}{ll}",
        r"\toprule",
        r"\textbf{Study} & \textbf{Size} \\",
        r"\midrule",
        r"\multicolumn{2}{@{}l}{\textit{native}} \\",
        r"Lugini 2012 & 128 nm \\",
        r"Rossi 2016 &  \\",
        r"\addlinespace",
        r"\multicolumn{2}{@{}l}{\textit{drug-loaded}} \\",
        r"Chen 2021 & 104 nm \\",
        r"\bottomrule",
        r"\end{tabular}",
        r"\par\smallskip",
        r"\begin{minipage}{\linewidth}",
        r"\footnotesize\raggedright",
        r"NR, not reported.\par",
        r"\end{minipage}",
        r"\end{table}"]) + "\n"


def test_long_latex_tables_repeat_their_header_and_wide_ones_wrap():
    """From LONGTABLE_ROWS rows a longtable with the header on every page; wide text wraps."""
    frame = pd.DataFrame({"Study": [f"Study {i}" for i in range(30)], "Notes": ["x" * 120] * 30})
    text = to_latex(frame, footnotes=["A note."])
    lines = text.splitlines()
    assert lines[1] == r"\begin{small}"
    # each column at least its longest word wide ("Study" in bold, 120 x's), the rest shared
    assert re.fullmatch(
        r"\\begin\{longtable\}\{>\{\\raggedright\\arraybackslash\}p\{\\dimexpr(\d+\.\d\d)em\+0\.16\d"
        r"\\dimexpr\\linewidth-(\d+\.\d\d)em-4\\tabcolsep\\relax\\relax\}"
        r">\{\\raggedright\\arraybackslash\}p\{\\dimexpr(\d+\.\d\d)em\+0\.83\d"
        r"\\dimexpr\\linewidth-\2em-4\\tabcolsep\\relax\\relax\}\}", lines[2])
    assert lines.count(r"\textbf{Study} & \textbf{Notes} \\") == 2
    assert lines.index(r"\endfirsthead") < lines.index(r"\endhead") < lines.index(r"\endlastfoot")
    assert r"\multicolumn{2}{@{}p{\linewidth}@{}}{\footnotesize A note.} \\" in lines
    assert lines[-2:] == [r"\end{longtable}", r"\end{small}"]
    assert sum(line.startswith("Study ") for line in lines) == 30
    wide = to_latex(pd.DataFrame([list("abcdefg")], columns=list("ABCDEFG"))).splitlines()
    assert wide[:2] == [r"% Needs \usepackage{booktabs,array,textcomp,pdflscape}",
                        r"\begin{landscape}"]
    assert wide[-1] == r"\end{landscape}"


def test_html_table_escapes_cells_caption_and_notes():
    """The HTML fragment escapes every text it holds."""
    frame = pd.DataFrame({"<th>": ["<script>alert(1)</script>"]})
    assert to_html(frame, caption="A & B", footnotes=["x < y"]) == (
        '<table class="review-table">\n'
        "<caption>A &amp; B</caption>\n"
        '<thead><tr><th scope="col">&lt;th&gt;</th></tr></thead>\n'
        "<tbody>\n"
        "<tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>\n"
        "</tbody>\n"
        '<tfoot><tr><td colspan="1">x &lt; y</td></tr></tfoot>\n'
        "</table>\n")


def test_csv_neutralises_formulas(tmp_path):
    """Cells a spreadsheet would run are written with a leading quote."""
    path = write_table(pd.DataFrame({"=cmd": INJECTIONS}), tmp_path / "t.csv")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["'=cmd"]] + [["'" + cell] for cell in INJECTIONS]


def test_xlsx_neutralises_formulas_and_formats_the_header(tmp_path):
    """XLSX: text cells never formulas, bold header with a rule, frozen top row, notes sheet."""
    from openpyxl import load_workbook
    frame = pd.DataFrame({"Study": ["Kim 2018"] * 4, "Value": INJECTIONS})
    path = write_table(frame, tmp_path / "t.xlsx", caption="=caption", footnotes=["@note"])
    workbook = load_workbook(path)
    sheet = workbook["table"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == (
        [["Study", "Value"]] + [["Kim 2018", "'" + cell] for cell in INJECTIONS])
    assert {c.data_type for row in sheet.iter_rows() for c in row} == {"s"}
    assert [c.font.b for c in sheet[1]] == [True, True]
    assert [c.border.bottom.style for c in sheet[1]] == ["thin", "thin"]
    assert sheet.freeze_panes == "A2"
    assert sheet["B2"].alignment.wrap_text is True
    assert [[c.value for c in row] for row in workbook["notes"].iter_rows()] == [
        ["Caption", "'=caption"], ["Note", "'@note"]]


def test_docx_has_the_rows_a_manuscript_style_and_notes(tmp_path):
    """Word: caption, header repeated and bold over a rule, no vertical lines, 9-pt text,
    group rows merged across, footnotes below."""
    import docx
    from docx.oxml.ns import qn
    path = write_docx(small_frame(), tmp_path / "t.docx", caption="Included studies",
                      group_by="Strategy", footnotes=["NR, not reported."])
    document = docx.Document(str(path))
    table = document.tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Study", "Size"], ["native", "native"], ["Lugini 2012", "128 nm"], ["Rossi 2016", ""],
        ["drug-loaded", "drug-loaded"], ["Chen 2021", "104 nm"]]
    header = table.rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")).get(qn("w:val")) == "true"
    assert all(run.bold for cell in header.cells for run in cell.paragraphs[0].runs)
    assert [c._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom")).get(qn("w:val"))
            for c in header.cells] == ["single", "single"]
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {child.tag.split("}")[1]: child.get(qn("w:val")) for child in borders} == {
        "top": "single", "left": "nil", "bottom": "single", "right": "nil", "insideH": "nil",
        "insideV": "nil"}
    sizes = {run.font.size.pt for row in table.rows for cell in row.cells
             for run in cell.paragraphs[0].runs}
    assert sizes == {9.0}
    assert [p.text for p in document.paragraphs] == ["Included studies", "NR, not reported."]
    assert document.paragraphs[0].style.name == "Caption"


def test_wide_docx_tables_are_set_landscape(tmp_path):
    """More than six columns turn the page."""
    import docx
    frame = pd.DataFrame([[str(i) for i in range(8)]], columns=[f"C{i}" for i in range(8)])
    section = docx.Document(str(write_docx(frame, tmp_path / "w.docx"))).sections[0]
    assert section.page_width > section.page_height


def test_every_format_is_chosen_by_suffix(tmp_path):
    """write_table writes each format to its own file and leaves no temporary file."""
    written = [write_table(small_frame(), tmp_path / f"evidence_table.{suffix}", caption="C",
                           group_by="Strategy")
               for suffix in ("csv", "xlsx", "md", "tex", "docx", "html")]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    page = (tmp_path / "evidence_table.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<caption>C</caption>" in page
    assert r"\label{tab:evidence-table}" in (tmp_path / "evidence_table.tex").read_text()


def test_unknown_suffix_and_group_column_are_refused(tmp_path):
    """The error names the file or column and says what was expected."""
    with pytest.raises(ReviewError, match=re.escape(
            f"{tmp_path / 't.pdf'}: cannot write a table as .pdf; expected one of "
            ".csv, .xlsx, .md, .tex, .docx, .html")):
        write_table(small_frame(), tmp_path / "t.pdf")
    with pytest.raises(ReviewError, match=re.escape(
            "table: no column 'Group' to group rows by; the columns are Strategy, Study, Size")):
        to_markdown(small_frame(), group_by="Group")


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    """Files are written to a temporary name first: a crash mid-write keeps the previous file."""
    import review.io.table
    path = write_table(small_frame(), tmp_path / "t.csv")
    before = path.read_bytes()

    def broken(frame, target):
        with open(target, "w", encoding="utf-8") as handle:
            handle.write("Strategy,St")
        raise OSError("disk full")
    monkeypatch.setattr(review.io.table, "write_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        write_table(small_frame().head(1), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]
