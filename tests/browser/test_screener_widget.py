"""The screener in a real JupyterLab: one click on the record, the pointer parked outside, then
30 records screened with the keyboard alone. The decisions reach the store, no notebook cell
changes type or disappears (JupyterLab's `m`, `d d`, `i i` never fire), the Include button stays
in place from record to record, and at 1024 × 700 no button label is cut."""
from __future__ import annotations

import re
import shutil
import statistics
import time
from pathlib import Path

import pytest

from review.cli import main
from review.project import open_review

from .snapshots import compare_snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "protocols" / "nk-exosomes"
NOTEBOOK = ROOT / "notebooks" / "02_screen.ipynb"
REVIEWER = "browser-tester"
#: (keys pressed, decision, reason) for each record, in turn: every decision, with reasons by
#: digit, and keys JupyterLab would take as notebook shortcuts (m, d d, a lone i, x, Enter).
PLAN = [(["i"], "include", None), (["2", "e"], "exclude", "wrong_intervention"),
        (["m"], "maybe", None), (["d", "d", "e"], "exclude", None),
        (["x", "Enter", "i"], "include", None), (["5", "e"], "exclude", "conference_abstract")]


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


def cell_kinds(panel) -> list[str]:
    return panel.locator(".jp-Cell").evaluate_all(
        "cells => cells.map(c => c.classList.contains('jp-MarkdownCell') ? 'markdown'"
        " : c.classList.contains('jp-CodeCell') ? 'code' : 'raw')")


def truncated_labels(view) -> list[str]:
    """Buttons whose label does not fit (scrollWidth beyond clientWidth)."""
    return view.locator("button").evaluate_all(
        "buttons => buttons.filter(b => b.offsetParent !== null && b.scrollWidth > b.clientWidth + 1)"
        ".map(b => b.textContent.trim())")


@pytest.mark.browser
@pytest.mark.slow
def test_screen_30_records_with_the_keyboard_after_one_click(lab, page, tmp_path):
    from playwright.sync_api import expect

    review_dir = build_example(tmp_path)
    name = f"{tmp_path.name}/02_screen.ipynb"
    lab.prepare_notebook(NOTEBOOK, name, {"review_dir": str(review_dir), "reviewer": REVIEWER})
    panel = lab.open_notebook(page, name)
    lab.run_all_cells(page, panel)

    view = panel.locator(".review-screener")
    header = view.locator(".review-decision-bar b").first
    expect(header).to_have_text(re.compile(r"^0 / \d+ screened$"), timeout=60_000)
    total = int(header.inner_text().split("/")[1].split()[0])  # the example's records to screen
    expect(view.locator(".review-keys-cue")).to_have_attribute("data-live", "0")
    cells_before = cell_kinds(panel)
    include = view.get_by_role("button", name="Include (i)")

    view.locator(".review-record-area h3").first.click()  # the one click: on the record's title
    page.mouse.move(3, 300)  # the pointer parked outside the widget, over the side bar
    expect(view.locator(".review-keys-cue")).to_have_attribute("data-live", "1")
    expect(view.locator(".review-keys-cue")).to_contain_text("Keys live")

    # When the page redraws the record (its title, first of all), measured in the page.
    page.evaluate("""area => {
        window.__drawn = [];
        new MutationObserver(() => window.__drawn.push(performance.now()))
            .observe(area, {childList: true, subtree: true, characterData: true});
    }""", view.locator(".review-record-area .widget-html").first.element_handle())
    tops, latencies, expected = [], [], []
    for n in range(30):
        keys, decision, reason = PLAN[n % len(PLAN)]
        tops.append(include.bounding_box()["y"])
        for key in keys[:-1]:
            page.keyboard.press(key)
        started = page.evaluate("performance.now()")
        page.keyboard.press(keys[-1])
        expect(header).to_have_text(f"{n + 1} / {total} screened")
        page.wait_for_function(f"window.__drawn.some(t => t >= {started})")
        latencies.append(page.evaluate(f"window.__drawn.find(t => t >= {started})") - started)
        expected.append((decision, reason))
    tops.append(include.bounding_box()["y"])

    rows = wait_events(review_dir, 30)
    assert [(action, reason) for _r, action, reason, _n in rows] == expected
    assert len({r for r, *_ in rows}) == 30
    assert cell_kinds(panel) == cells_before  # no cell turned Markdown, none deleted
    assert max(tops) - min(tops) <= 3, f"the Include button moved: {tops}"
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"\n[timing] key -> next record drawn: median {statistics.median(latencies):.0f} ms, "
          f"p95 {p95:.0f} ms over 30 records ({total} in the review)")

    # A click elsewhere releases the keys: JupyterLab's own keys work again.
    panel.locator(".jp-Cell").first.click()
    expect(view.locator(".review-keys-cue")).to_have_attribute("data-live", "0")

    for width, height in ((1024, 700), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        view.scroll_into_view_if_needed()
        time.sleep(0.5)
        assert truncated_labels(view) == [], f"labels cut at {width} × {height}"
        for label in ("Include (i)", "Exclude (e)", "Maybe (m)", "Skip (s)", "Undo (u)"):
            expect(view.get_by_role("button", name=label)).to_be_visible()
        cue = view.locator(".review-keys-cue")
        assert cue.evaluate("c => c.scrollWidth <= c.clientWidth + 1"), "key hint line cut"
        compare_snapshot(view.locator(".review-decision-bar"), f"screener-{width}x{height}", tmp_path)
    page.set_viewport_size({"width": 1280, "height": 800})
    print(f"\n[timing] lab start -> decisions asserted: {time.perf_counter() - lab.started:.1f}s")
    assert re.match(r"^\d", header.inner_text())
