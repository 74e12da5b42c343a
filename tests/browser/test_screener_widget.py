"""The screener in a real JupyterLab: a click, digit and letter keys and a typed note reach the
store as three decisions."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from review.cli import main
from review.project import open_review
from review.screening.session import ScreeningSession

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "protocols" / "nk-exosomes"
NOTEBOOK = ROOT / "notebooks" / "02_screen.ipynb"
REVIEWER = "browser-tester"


def build_example(tmp_path: Path) -> Path:
    """The worked example without its loaded screening decisions: every record still to screen."""
    protocol_dir = tmp_path / "protocol"
    shutil.copytree(EXAMPLE, protocol_dir, ignore=shutil.ignore_patterns("decisions.csv"))
    folder = tmp_path / "rev"
    assert main(["example", str(folder), "--protocol-dir", str(protocol_dir)]) == 0
    return folder


def wait_events(review_dir: Path, count: int, timeout: float = 30) -> list[tuple]:
    """(record id, action, reason, note) of the reviewer's title/abstract events, once `count`."""
    deadline = time.time() + timeout
    while True:
        review = open_review(review_dir)
        events = review.store.events("title_abstract")
        review.store.dispose()
        mine = events[events["actor"] == REVIEWER]
        rows = [(int(r), a, p.get("reason"), p.get("note"))
                for r, a, p in zip(mine["work_id"], mine["action"], mine["payload"])]
        if len(rows) >= count or time.time() > deadline:
            return rows
        time.sleep(0.1)


@pytest.mark.browser
@pytest.mark.slow
def test_screen_three_records_by_click_and_keys(lab, page, tmp_path):
    from playwright.sync_api import expect

    review_dir = build_example(tmp_path)
    review = open_review(review_dir)
    first = ScreeningSession(review, "title_abstract", REVIEWER).current.record_id
    review.store.dispose()

    name = f"{tmp_path.name}/02_screen.ipynb"
    lab.prepare_notebook(NOTEBOOK, name, {"review_dir": str(review_dir), "reviewer": REVIEWER})
    panel = lab.open_notebook(page, name)
    lab.run_all_cells(page, panel)

    view = panel.locator(".review-screener")
    expect(view).to_contain_text("0 / 152 screened · 0 included", timeout=60_000)
    expect(view).to_contain_text(f"record {first}")
    header = view.locator(".review-screener-keys h3").first

    view.get_by_role("button", name="Include (i)").click()
    expect(header).to_have_text("1 / 152 screened · 1 included")

    header.hover()  # ipyevents takes key events while the pointer is over the record area
    page.keyboard.press("2")
    expect(view).to_contain_text("Exclusion reason: No exosome / EV therapy tested")
    expect(view.locator("select option:checked")).to_have_text(  # option text has nbsp
        re.compile(r"^2\s·\sNo\sexosome\s/\sEV\stherapy\stested$"))
    page.keyboard.press("e")
    expect(header).to_have_text("2 / 152 screened · 1 included")

    note = view.locator("input[type='text']")
    note.click()  # outside the record area: typing there is text, not shortcuts
    note.press_sequentially("check methods")
    expect(note).to_have_value("check methods")
    header.hover()
    page.keyboard.press("m")
    expect(header).to_have_text("3 / 152 screened · 1 included")
    expect(note).to_have_value("")

    rows = wait_events(review_dir, 3)
    assert [row[1:] for row in rows] == [("include", None, ""),
                                         ("exclude", "wrong_intervention", ""),
                                         ("maybe", None, "check methods")]
    assert rows[0][0] == first and len({row[0] for row in rows}) == 3
    print(f"\n[timing] lab start -> decisions asserted: {time.perf_counter() - lab.started:.1f}s")
