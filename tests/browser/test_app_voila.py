"""`review app` under Voila in headless Chromium: the index page carries the reviewer's name
into each task's link, and the screening page screens with the keyboard after one click."""
from __future__ import annotations

import time

import pytest

from review.project import open_review

from .conftest import require_browser
from .test_screener_widget import build_example

REVIEWER = "app-tester"


@pytest.fixture
def app(tmp_path):
    """`review app` on a free port, serving the worked example without screening decisions;
    started and stopped (Voila and its kernels with it) as benchmarks/app_open.py does."""
    require_browser()
    from app_open import start_app, stop_app

    review_dir = build_example(tmp_path)
    log = tmp_path / "app.log"
    process, base, _started, serving = start_app(review_dir, tmp_path / "home", log)
    print(f"\n[timing] review app serving in {serving:.1f}s")
    try:
        yield base, review_dir, log
    finally:
        stop_app(process)


@pytest.mark.browser
@pytest.mark.slow
def test_the_app_screens_with_the_keyboard_in_a_page_of_its_own(app, page):
    from playwright.sync_api import expect

    base, review_dir, log = app
    assert "at http://127.0.0.1:" in log.read_text()  # this machine only, by default
    opened = time.perf_counter()
    page.goto(f"{base}/voila/render/index.ipynb")
    name = page.get_by_placeholder("as it should appear on your decisions")
    expect(name).to_be_visible(timeout=60_000)
    print(f"\n[timing] index page usable {time.perf_counter() - opened:.1f}s after opening")
    expect(page.locator("body")).to_contain_text("Type your name first")
    name.fill(REVIEWER)
    name.press("Enter")
    link = page.get_by_role("link", name="Screening: Title/abstract")
    expect(link).to_have_attribute("href", f"screening.ipynb?reviewer={REVIEWER}&stage=title_abstract")

    opened = time.perf_counter()
    link.click()
    view = page.locator(".review-screener")
    header = view.locator(".review-decision-bar b").first
    expect(header).to_have_text("0 / 156 screened", timeout=60_000)
    print(f"[timing] screening page drawn {time.perf_counter() - opened:.1f}s after the click")
    expect(view).to_contain_text(f"{REVIEWER}, screening at Title/abstract")

    view.locator(".review-record-area h3").first.click()
    page.mouse.move(1, 1)
    expect(view.locator(".review-keys-cue")).to_have_attribute("data-live", "1")
    for n, key in enumerate("iemie", 1):
        page.keyboard.press(key)
        expect(header).to_have_text(f"{n} / 156 screened")

    deadline = time.time() + 30
    while True:
        review = open_review(review_dir)
        events = review.store.events("title_abstract")
        review.store.dispose()
        mine = events[events["actor"] == REVIEWER]
        if len(mine) >= 5 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert mine["action"].tolist() == ["include", "exclude", "maybe", "include", "exclude"]

    page.goto(f"{base}/voila/render/status.ipynb?reviewer={REVIEWER}")
    expect(page.locator("pre")).to_contain_text("156", timeout=60_000)
