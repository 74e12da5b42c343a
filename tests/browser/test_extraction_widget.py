"""The extraction form in a real JupyterLab: typed text and a number, a chosen option, a clicked
"add experiment" and a yes/no toggle reach the store as the reviewer's values."""
from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from review.cli import main
from review.extraction.studies import study_table
from review.project import open_review

from .conftest import KERNELSPEC

REVIEWER = "browser-tester"
CELL = """from review.project import open_review
from review.widgets.extraction import ExtractionForm

form = ExtractionForm.for_review(open_review({folder!r}), {reviewer!r})
form"""


def write_notebook(path: Path, folder: Path) -> None:
    """A one-cell notebook showing the extraction form for `folder`."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(CELL.format(folder=str(folder), reviewer=REVIEWER))]
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))


def wait_values(review_dir: Path, count: int, timeout: float = 30) -> dict[tuple, tuple]:
    """(study, group, instance, field) -> (value, unit) of the reviewer's values, once `count`."""
    deadline = time.time() + timeout
    while True:
        review = open_review(review_dir)
        events = review.store.events("extraction")
        review.store.dispose()
        mine = events[(events["actor"] == REVIEWER) & (events["action"] == "value")]
        values = {(p["study_id"], p["group"], p["instance"], p["field"]): (p["value"], p["unit"])
                  for p in mine["payload"]}
        if len(values) >= count or time.time() > deadline:
            return values
        time.sleep(0.1)


@pytest.mark.browser
@pytest.mark.slow
def test_fill_a_study_and_find_it_in_the_store(lab, page, tmp_path):
    """A text, a number, a choice, a click and a toggle end up as five stored values."""
    from playwright.sync_api import expect

    review_dir = tmp_path / "rev"
    assert main(["example", str(review_dir)]) == 0
    review = open_review(review_dir)
    first = study_table(review)["study_id"].iloc[0]
    review.store.dispose()

    name = f"{tmp_path.name}/extract.ipynb"
    write_notebook(lab.root / name, review_dir)
    panel = lab.open_notebook(page, name)
    lab.run_all_cells(page, panel)

    view = panel.locator(".review-extraction")
    expect(view).to_contain_text("0 / 15 studies complete", timeout=60_000)
    expect(view.locator("select").first).to_have_value(f"{first} · not started")  # the label
    status = view.locator("h3").first

    cargo = view.locator(".review-field-cargo input")
    cargo.fill("paclitaxel")
    cargo.press("Enter")
    expect(view).to_contain_text(f"Saved Cargo or drug = paclitaxel for {first}")

    size = view.locator(".review-field-mean_size input")
    size.fill("big")
    size.press("Enter")
    expect(view.locator(".review-field-mean_size").locator("xpath=..")).to_contain_text(
        "field 'mean_size' (Mean or modal size): expected a number, found 'big'")
    size.fill("128")
    size.press("Enter")
    expect(view).to_contain_text("Saved Mean or modal size = 128 nm")

    view.locator(".review-field-strategy select").select_option("drug-loaded")
    expect(view).to_contain_text("Saved Strategy = drug-loaded")

    view.get_by_role("button", name="add experiment").click()
    expect(view.locator(".review-field-tumour_type")).to_have_count(2)
    view.locator(".review-field-tumour_type select").nth(1).select_option("lung")
    expect(view).to_contain_text("Saved Tumour type (experiment 2) = lung")

    view.locator(".review-field-tem_imaging").get_by_role("button", name="yes", exact=True).click()
    expect(view).to_contain_text("Saved Single-EV imaging (TEM/cryo-EM) = yes")
    expect(status).to_have_text("0 / 15 studies complete")

    values = wait_values(review_dir, 5)
    assert {(first, "study", 1, "cargo"): ("paclitaxel", None),
            (first, "vesicle", 1, "mean_size"): (128.0, "nm"),
            (first, "study", 1, "strategy"): ("drug-loaded", None),
            (first, "experiment", 2, "tumour_type"): ("lung", None),
            (first, "vesicle", 1, "tem_imaging"): (True, None)} == values
    print(f"\n[timing] lab start -> values asserted: {time.perf_counter() - lab.started:.1f}s")
