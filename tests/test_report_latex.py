"""The LaTeX tables compile: each `.tex` table the report writes is set in a minimal document by
pdflatex (Debian's texlive-latex-base and texlive-latex-recommended), with no column narrower
than a word it holds (no overfull box) and no table taller than its page.

Skipped where pdflatex is not installed; CI sets REVIEW_REQUIRE_LATEX=1 to make that a failure."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from review.report.tables import to_latex

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "protocols" / "nk-exosomes"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdflatex() -> str:
    found = shutil.which("pdflatex")
    if found is None:
        message = "pdflatex is not installed (Debian: texlive-latex-base texlive-latex-recommended)"
        if os.environ.get("REVIEW_REQUIRE_LATEX") == "1":
            pytest.fail(message + " and CI requires it")
        pytest.skip(message)
    return found


def compile_table(pdflatex: str, table: Path) -> str:
    """Set `table` in a minimal article with the packages its first line asks for; returns the
    log after asserting that it compiled without overfull boxes or a float too large."""
    first = table.read_text(encoding="utf-8").splitlines()[0]
    packages = re.fullmatch(r"% Needs \\usepackage\{([^}]*)\}", first)
    assert packages, f"{table.name}: first line should name its packages, found {first!r}"
    document = table.with_name(f"doc-{table.stem}.tex")
    document.write_text("\\documentclass{article}\n"
                        f"\\usepackage{{{packages.group(1)}}}\n"
                        "\\begin{document}\n"
                        f"\\input{{{table.name}}}\n"
                        "\\end{document}\n", encoding="utf-8")
    run = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", document.name],
                         cwd=table.parent, capture_output=True, text=True, timeout=300)
    log = document.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert run.returncode == 0, f"{table.name} does not compile: {errors or run.stdout[-2000:]}"
    too_wide = re.findall(r"Overfull \\hbox.*\n.*", log)
    assert not too_wide, f"{table.name}: a column is narrower than a word in it: {too_wide[:3]}"
    assert "Float too large" not in log, f"{table.name}: the table is taller than its page"
    return log


def test_the_example_tables_compile_and_every_column_fits_its_longest_word(pdflatex,
                                                                           worked_example,
                                                                           tmp_path_factory):
    from conftest import copy_review
    from review.extraction.load import load_extraction
    from review.project import open_review
    from review.report.evidence import write_evidence_tables
    folder = tmp_path_factory.mktemp("latex")
    review = open_review(copy_review(worked_example, folder / "ex"))
    if review.store.events("extraction", action="value").empty:
        load_extraction(review, EXAMPLE_DIR / "extraction")
    from review.report.meta_report import write_meta_analysis
    written = write_evidence_tables(review, folder / "tables", formats=("tex",),
                                    echo=lambda _: None)
    # every .tex table the report's writers make is compiled, whichever writer made it
    write_meta_analysis(review, figures_dir=folder / "figures", tables_dir=folder / "tables")
    from review.report.outcome_report import write_outcomes
    write_outcomes(review, figures_dir=folder / "figures", tables_dir=folder / "tables")
    tables = sorted((folder / "tables").glob("*.tex"))
    assert written and tables
    names = {t.name for t in tables}
    assert "summary_of_findings.tex" in names
    swim = sorted(t for t in tables if t.name.startswith("swim_"))
    assert swim, f"no SWiM table among {sorted(names)}"   # the example has outcomes not pooled
    for table in swim:
        text = table.read_text(encoding="utf-8")
        assert text.splitlines()[0].endswith(",amssymb}"), text.splitlines()[0]
        assert not set(text) & set("\u25b2\u25bc\u25c4\u25ba"), table.name
        assert r"\ensuremath{\blacktriangle}" in text          # ▲ as amssymb draws it
    for table in tables:
        compile_table(pdflatex, table)


@pytest.mark.parametrize("rows, columns", [(3, 2), (3, 7), (40, 3), (12, 8)])
def test_tables_of_every_shape_compile(pdflatex, tmp_path, rows, columns):
    """Short and long, narrow and wide (landscape) tables, with long words, special characters,
    units, group rows and notes."""
    words = ["ultracentrifugation", "perforin/granzyme", "MDA-MB-231", "50 µg/mL", "x & y",
             "100% ≥ 3", "tumour volume, day 21: 318 vs 902 mm³", "size-exclusion chromatography"]
    # each column draws on two of the words, as a real column holds one kind of value
    frame = pd.DataFrame({f"Column {c} heading": [" ".join(words[(c + 3 * (r % 2)) % len(words)]
                                                           for _ in range(1 + (r % 3)))
                                                  for r in range(rows)] for c in range(columns)})
    frame.insert(0, "Group", ["native" if r < rows // 2 else "drug-loaded" for r in range(rows)])
    path = tmp_path / "table.tex"
    path.write_text(to_latex(frame, caption="A caption with 5% & more", label="tab:t",
                             group_by="Group", footnotes=["NR, not reported.", "A second note."]),
                    encoding="utf-8")
    compile_table(pdflatex, path)


def test_a_table_too_wide_for_any_page_still_compiles(pdflatex, tmp_path):
    """Nine columns each holding the longest words cannot fit: LaTeX says so, but it compiles."""
    frame = pd.DataFrame({f"C{c}": ["ultracentrifugation immunohistochemistry"] * 3
                          for c in range(9)})
    path = tmp_path / "wide.tex"
    path.write_text(to_latex(frame), encoding="utf-8")
    with pytest.raises(AssertionError, match="narrower than a word"):
        compile_table(pdflatex, path)
