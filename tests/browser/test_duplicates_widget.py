"""The duplicate-pair reviewer in a real JupyterLab: a click and a key press reach the store."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from review.cli import main
from review.dedup.decisions import pair_decisions
from review.project import open_review

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"
NOTEBOOK = ROOT / "notebooks" / "01_identify.ipynb"
REVIEWER = "browser-tester"

# Two pairs whose titles differ by one word (similarity 0.85-0.95), same authors, year and
# journal: dedup cannot call them alone, so both wait for a reviewer.
EMBASE = """TY  - JOUR
TI  - Natural killer cell exosomes suppress melanoma growth in mice
AU  - Zhu, Liya
AU  - Kalimuthu, Senthilkumar
PY  - 2017
T2  - Theranostics
ER  - 

TY  - JOUR
TI  - Extracellular vesicles from NK cells carry perforin to neuroblastoma cells
AU  - Rivera, Ana
AU  - Okafor, Chidi
PY  - 2021
T2  - Journal of Controlled Release
ER  - 

TY  - JOUR
TI  - A survey of exosome isolation methods
AU  - Novak, Petra
PY  - 2019
T2  - Cancers
ER  - 
"""

SCOPUS = """TY  - JOUR
TI  - Natural killer cell exosomes inhibit melanoma growth in mice
AU  - Zhu, Liya
AU  - Kalimuthu, Senthilkumar
PY  - 2017
T2  - Theranostics
ER  - 

TY  - JOUR
TI  - Extracellular vesicles from NK cells deliver perforin to neuroblastoma cells
AU  - Rivera, Ana
AU  - Okafor, Chidi
PY  - 2021
T2  - Journal of Controlled Release
ER  - 
"""


def build_review(tmp_path: Path) -> Path:
    """A review of 5 records from two databases, deduplicated, with two unsure pairs."""
    folder = tmp_path / "rev"
    assert main(["init", str(folder), "--protocol", str(PROTOCOL)]) == 0
    for name, text, database in (("embase.ris", EMBASE, "Embase"), ("scopus.ris", SCOPUS, "Scopus")):
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
def test_decide_two_pairs_by_click_and_key(lab, page, tmp_path, capsys):
    from playwright.sync_api import expect

    review_dir = build_review(tmp_path)
    assert main(["dedup", "--review", str(review_dir), "--unsure"]) == 0
    listed = capsys.readouterr().out
    assert "2 pair(s) wait for a reviewer" in listed and "1 ~ 4" in listed and "2 ~ 5" in listed

    name = f"{tmp_path.name}/01_identify.ipynb"
    lab.prepare_notebook(NOTEBOOK, name,
                         {"review_dir": str(review_dir), "reviewer": REVIEWER})
    panel = lab.open_notebook(page, name)
    lab.run_all_cells(page, panel)

    view = panel.locator(".review-duplicate-reviewer")
    expect(view).to_contain_text("0 of 2 pairs decided", timeout=60_000)
    expect(view).to_contain_text("Records 1 and 4")

    view.get_by_role("button", name="Same record (s)").click()
    expect(view).to_contain_text("1 of 2 pairs decided")
    expect(view).to_contain_text("Records 2 and 5")

    view.hover()  # ipyevents takes key events while the pointer is over the view
    page.keyboard.press("d")
    expect(view).to_contain_text("All pairs decided")
    expect(view).to_contain_text("2 of 2 pairs decided")

    assert wait_decisions(review_dir, 2) == [[1, 4, "same", REVIEWER],
                                             [2, 5, "different", REVIEWER]]
    print(f"\n[timing] lab start -> decisions asserted: {time.perf_counter() - lab.started:.1f}s")
