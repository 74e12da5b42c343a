"""notebooks/03_extract.ipynb in a real JupyterLab: typed text and numbers, chosen options, an
added experiment, a yes/no toggle and a risk-of-bias judgement with its answer and support text
reach the store as the reviewer's values and judgement."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from review.cli import main

from .snapshots import compare_snapshot
from review.extraction.studies import study_table
from review.project import open_review

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "03_extract.ipynb"
REVIEWER = "browser-tester"
SUPPORT = "Allocation by cage <b>not</b> described; \"randomised\" only in the abstract."


def wait_events(review_dir: Path, stage: str, action: str, count: int,
                timeout: float = 30) -> list[dict]:
    """The reviewer's `stage`/`action` events (typed columns and payload in one dict), once
    there are `count`."""
    deadline = time.time() + timeout
    while True:
        review = open_review(review_dir)
        events = review.store.events(stage)
        review.store.dispose()
        mine = events[(events["actor"] == REVIEWER) & (events["action"] == action)]
        payloads = [{**{k: v for k, v in row.items() if k != "payload"}, **row["payload"]}
                    for row in mine.to_dict("records")]
        if len(payloads) >= count or time.time() > deadline:
            return payloads
        time.sleep(0.1)


@pytest.mark.browser
@pytest.mark.slow
def test_extract_and_appraise_a_study_in_the_notebook(lab, page, tmp_path):
    """The notebook's form and appraiser save what is typed, chosen and clicked to the store."""
    from playwright.sync_api import expect

    review_dir = tmp_path / "rev"
    assert main(["example", str(review_dir)]) == 0
    review = open_review(review_dir)
    table = study_table(review)
    first, first_id = table["study_id"].iloc[0], int(table["study"].iloc[0])
    # the example's studies have their two extractors and assessors: a third person may join
    # only when the protocol asks for three
    data = yaml.safe_load((review_dir / "protocol.yaml").read_text(encoding="utf-8"))
    data["extraction"]["extractors_per_study"] = 3
    data["risk_of_bias"]["assessors_per_study"] = 3
    (tmp_path / "protocol-3.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    review.update_protocol(tmp_path / "protocol-3.yaml", actor="test")
    review.store.dispose()

    name = f"{tmp_path.name}/03_extract.ipynb"
    lab.prepare_notebook(NOTEBOOK, name, {"review_dir": str(review_dir), "reviewer": REVIEWER})
    panel = lab.open_notebook(page, name)
    lab.run_all_cells(page, panel)

    form = panel.locator(".review-extraction")
    expect(form).to_contain_text("0 / 15 studies complete", timeout=60_000)
    expect(form.locator("select").first).to_have_value(f"{first} · not started")  # the label

    cargo = form.locator(".review-field-cargo input")
    cargo.fill("paclitaxel")
    cargo.press("Enter")
    expect(form).to_contain_text(f"Saved Cargo or drug = paclitaxel for {first}")

    size = form.locator(".review-field-mean_size input")
    size.fill("big")
    size.press("Enter")
    expect(form.locator(".review-field-mean_size").locator("xpath=..")).to_contain_text(
        "Expected a number, not big.")
    size.fill("-5")
    size.press("Enter")
    expect(form.locator(".review-field-mean_size").locator("xpath=..")).to_contain_text(
        "Expected a number of at least 0, not -5.")
    size.fill("128")
    size.press("Enter")
    expect(form).to_contain_text("Saved Mean or modal size = 128 nm")

    form.locator(".review-field-strategy select").select_option("drug-loaded")
    expect(form).to_contain_text("Saved Strategy = drug-loaded")

    form.get_by_role("button", name="add experiment").click()
    expect(form.locator(".review-field-tumour_type")).to_have_count(2)
    form.locator(".review-field-tumour_type select").nth(1).select_option("lung")
    expect(form).to_contain_text("Saved Tumour type (experiment 2) = lung")

    form.locator(".review-field-tem_imaging").get_by_role("button", name="yes", exact=True).click()
    expect(form).to_contain_text("Saved Single-EV imaging (TEM/cryo-EM) = yes")
    expect(form.locator("h3").first).to_have_text("0 / 15 studies complete")

    appraiser = panel.locator(".review-appraiser")
    expect(appraiser).to_contain_text("0 / 15 studies complete · 0 / 150 domain judgements")
    appraiser.get_by_text("D1 · Sequence generation — not judged").click()
    domain = appraiser.locator(".review-domain", has_text="1.1 Is a random component")
    domain.get_by_role("button", name="N", exact=True).click()
    expect(domain).to_contain_text("Suggested from the answers: High risk")
    domain.locator("textarea").fill(SUPPORT)
    domain.get_by_role("button", name="Save judgement").click()
    expect(appraiser).to_contain_text(f"Saved: D1 High risk for {first}.")
    expect(domain).to_contain_text("Saved: High risk")  # beside its Save button
    expect(appraiser).to_contain_text("D1 · Sequence generation — High risk")

    values = wait_events(review_dir, "extraction", "value", 5)
    assert {(first, "study", 1, "cargo"): ("paclitaxel", None),
            (first, "vesicle", 1, "mean_size"): (128.0, "nm"),
            (first, "study", 1, "strategy"): ("drug-loaded", None),
            (first, "experiment", 2, "tumour_type"): ("lung", None),
            (first, "vesicle", 1, "tem_imaging"): (True, None)} == \
        {(first if p["study_id"] == first_id else p["study_id"], p["form_group"], p["instance"],
          p["field"]): (p["value"], p["unit"]) for p in values}
    assert {"extractor"} == {p["role"] for p in values}
    judgements = wait_events(review_dir, "risk_of_bias", "judgement", 1)
    assert [("SYRCLE", first_id, "D1", "high", SUPPORT, {"1.1": "N"}, "assessor")] == [
        (j["tool"], j["study_id"], j["domain"], j["judgement"], j["support"], j["answers"],
         j["role"]) for j in judgements]

    # Keys: one click on the form's header, the pointer away; n moves to the next study, and
    # JupyterLab's m (to Markdown) and d d (delete cell) never reach the notebook.
    kinds = panel.locator(".jp-Cell").evaluate_all(
        "cells => cells.map(c => c.classList.contains('jp-MarkdownCell') ? 'md' : 'code')")
    form.locator("h3").first.click()
    page.mouse.move(3, 300)
    expect(form.locator(".review-keys-cue")).to_have_attribute("data-live", "1")
    for key in ("m", "d", "d", "n"):
        page.keyboard.press(key)
    expect(form.locator("select").first).not_to_have_value(f"{first} · 5 missing")
    expect(form.locator("select").first).not_to_have_value(re.compile(f"^{re.escape(first)} · "))
    assert kinds == panel.locator(".jp-Cell").evaluate_all(
        "cells => cells.map(c => c.classList.contains('jp-MarkdownCell') ? 'md' : 'code')")
    for width, height in ((1024, 700), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        time.sleep(0.5)
        for widget, name in ((form, "extraction"), (appraiser, "appraiser")):
            widget.scroll_into_view_if_needed()
            cut = widget.locator("button, .widget-label").evaluate_all(
                "els => els.filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)"
                ".map(e => e.textContent.trim())")
            assert cut == [], f"{name}: labels cut at {width} × {height}: {cut}"
            compare_snapshot(widget.locator(".review-decision-bar").first,
                             f"{name}-{width}x{height}", tmp_path)
    page.set_viewport_size({"width": 1280, "height": 800})
    print(f"\n[timing] lab start -> values asserted: {time.perf_counter() - lab.started:.1f}s")
