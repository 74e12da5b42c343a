"""The duplicate-pair reviewer in a real JupyterLab: a click and a key press reach the store."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from review.cli import main
from review.dedup.decisions import pair_decisions
from review.project import open_review

from .snapshots import compare_snapshot

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"
NOTEBOOK = ROOT / "notebooks" / "01_identify.ipynb"
REVIEWER = "browser-tester"

# Record 1 (Embase) and record 3 (Scopus: the same article, authors as "Zhu L.", a trailing full
# stop) are one work; record 4 (PubMed) differs from both by one word of the title, so dedup is
# unsure of it against each of them: one question, record 4 against the cluster {1, 3}.
EMBASE = """TY  - JOUR
TI  - Natural killer cell exosomes suppress melanoma growth in mice
AU  - Zhu, Liya
AU  - Kalimuthu, Senthilkumar
PY  - 2017
T2  - Theranostics
ER  - 

TY  - JOUR
TI  - A survey of exosome isolation methods
AU  - Novak, Petra
PY  - 2019
T2  - Cancers
ER  - 
"""

SCOPUS = """TY  - JOUR
TI  - Natural killer cell exosomes suppress melanoma growth in mice.
AU  - Zhu L.
AU  - Kalimuthu S.
PY  - 2017
T2  - Theranostics
ER  - 
"""

PUBMED = """TY  - JOUR
TI  - Natural killer cell exosomes inhibit melanoma growth in mice
AU  - Zhu, Liya
AU  - Kalimuthu, Senthilkumar
PY  - 2017
T2  - Theranostics
ER  - 
"""


def build_review(tmp_path: Path) -> Path:
    """A review of 4 records from three databases, deduplicated: one work of two records and
    a third record the deduplication is unsure of against both."""
    folder = tmp_path / "rev"
    assert main(["init", str(folder), "--protocol", str(PROTOCOL)]) == 0
    for name, text, database in (("embase.ris", EMBASE, "Embase"), ("scopus.ris", SCOPUS, "Scopus"),
                                 ("pubmed.ris", PUBMED, "PubMed")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert main(["import", str(path), "--review", str(folder), "--database", database]) == 0
    assert main(["dedup", "--review", str(folder)]) == 0
    return folder


def wait_decisions(review_dir: Path, count: int, timeout: float = 30) -> list[list]:
    deadline = time.time() + timeout
    while True:
        decided = pair_decisions(open_review(review_dir).store)
        rows = decided[["record_a", "record_b", "decision", "reviewer"]].values.tolist()
        if len(rows) >= count or time.time() > deadline:
            return rows
        time.sleep(0.1)


@pytest.mark.browser
@pytest.mark.slow
def test_one_cluster_question_answered_by_key_applies_to_every_member(lab, page, tmp_path, capsys):
    from playwright.sync_api import expect

    review_dir = build_review(tmp_path)
    assert main(["dedup", "--review", str(review_dir), "--unsure"]) == 0
    listed = capsys.readouterr().out
    assert "2 pair(s) wait for a reviewer" in listed and "1 ~ 4" in listed and "3 ~ 4" in listed

    name = f"{tmp_path.name}/01_identify.ipynb"
    lab.prepare_notebook(NOTEBOOK, name,
                         {"review_dir": str(review_dir), "reviewer": REVIEWER})
    panel = lab.open_notebook(page, name)
    lab.run_all_cells(page, panel)
    cells_before = panel.locator(".jp-Cell").count()

    view = panel.locator(".review-duplicate-reviewer")
    expect(view).to_contain_text("0 of 1 questions answered", timeout=60_000)
    expect(view).to_contain_text("Is record 4 the same work as a cluster of 2 records of one work?")
    table = view.locator(".review-comparison-area table")
    expect(table.locator("th")).to_contain_text(["", "Asked about: record 4", "record 1", "record 3"])
    expect(table.locator("mark")).to_contain_text(["inhibit", "suppress", "suppress"])  # only the word
    expect(table).to_contain_text("Zhu, Liya; Kalimuthu, Senthilkumar (the same in all)")

    view.locator(".review-comparison-area").click()  # one click on the comparison...
    page.mouse.move(3, 300)  # ...and the pointer parked outside the widget
    expect(view.locator(".review-keys-cue")).to_have_attribute("data-live", "1")
    page.keyboard.press("d")
    expect(view).to_contain_text("All duplicate questions answered")
    expect(view).to_contain_text("1 of 1 questions answered")

    assert wait_decisions(review_dir, 2) == [[1, 4, "different", REVIEWER],
                                             [3, 4, "different", REVIEWER]]
    assert panel.locator(".jp-Cell").count() == cells_before  # `d` deleted no cell
    page.set_viewport_size({"width": 1024, "height": 700})
    try:
        cut = view.locator("button").evaluate_all(
            "bs => bs.filter(b => b.offsetParent !== null && b.scrollWidth > b.clientWidth + 1)"
            ".map(b => b.textContent.trim())")
        assert cut == []
        compare_snapshot(view.locator(".review-decision-bar"), "duplicates-1024x700", tmp_path)
        page.set_viewport_size({"width": 1920, "height": 1080})
        compare_snapshot(view.locator(".review-decision-bar"), "duplicates-1920x1080", tmp_path)
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})
    print(f"\n[timing] lab start -> decisions asserted: {time.perf_counter() - lab.started:.1f}s")
