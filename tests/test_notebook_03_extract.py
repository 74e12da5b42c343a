"""notebooks/03_extract.ipynb runs under papermill on the worked example: as an extractor, as
the reconciler and without appraisal, showing each study's progress, its widgets and the final
values, and writing nothing to the store by being opened."""
from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest

from conftest import copy_review
from review.appraisal import AppraisalSession, robvis_table
from review.appraisal import differences as appraisal_differences
from review.project import open_review
from review.extraction.notebook import (
    ALL_STUDIES,
    extraction_overview,
    final_value_counts,
)
from review.extraction.session import ExtractionSession
from review.extraction.studies import studies

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03_extract.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    review = open_review(copy_review(worked_example, tmp_path_factory.mktemp("example") / "ex"))
    yield review
    review.store.dispose()


def run(review, tmp_path: Path, **parameters) -> tuple[dict[str, list[dict]], list[list[str]]]:
    """Execute the notebook on `review`: the outputs of each code cell by the cell's id, and
    the options of each "Study" list its widgets showed (from the saved widget state, in no
    particular order)."""
    import papermill
    out = tmp_path / "03_extract.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False,
                               parameters={"review_dir": str(review.path), **parameters})
    notebook = json.loads(out.read_text(encoding="utf-8"))
    outputs = {c["id"]: c.get("outputs", []) for c in notebook["cells"] if c["cell_type"] == "code"}
    state = notebook["metadata"]["widgets"][WIDGET_STATE]["state"]
    lists = [m["state"]["_options_labels"] for m in state.values()
             if m["model_name"] == "DropdownModel" and m["state"].get("description") == "Study"]
    return outputs, lists


def text(outputs: list[dict]) -> str:
    """What a cell printed and its result's plain text."""
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                   for o in outputs)


def table(outputs: list[dict]) -> pd.DataFrame:
    """The DataFrame a cell displayed, read back from its HTML."""
    shown = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert 1 == len(shown), outputs
    frame = pd.read_html(StringIO("".join(shown[0])))[0]
    return frame.drop(columns=frame.columns[0])  # the index


def widget(outputs: list[dict]) -> str:
    """The class name of the one widget a cell displayed."""
    views = [o["data"] for o in outputs if WIDGET in o.get("data", {})]
    assert 1 == len(views), outputs
    return "".join(views[0]["text/plain"]).split("(", 1)[0]


def as_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as it reads back from HTML (numbers as numbers, no index)."""
    return pd.read_html(StringIO(frame.to_html(index=False)))[0]


@pytest.mark.slow
def test_runs_as_an_extractor(example, tmp_path):
    """Amara's progress on every study, her form and appraiser over the studies, the counts."""
    events = len(example.store.events())
    outputs, lists = run(example, tmp_path, reviewer="Amara Okafor")
    assert len(example.store.events()) == events  # opening the notebook records nothing
    assert "Amara Okafor, extracting; appraisal tool: SYRCLE\n" == text(outputs["open-review"])
    ids = list(studies(example)["study_id"])
    progress = table(outputs["progress"])
    expected = extraction_overview(ExtractionSession(example, "Amara Okafor"))
    pd.testing.assert_frame_equal(as_shown(expected), progress)
    assert ids == list(progress["study_id"])
    assert "ExtractionForm" == widget(outputs["extract"])
    assert "Appraiser" == widget(outputs["appraise"])
    form_list, appraiser_list = sorted(lists, key=lambda options: " · " not in options[0])
    assert [f"{s} · complete" for s in ids] == form_list  # Amara extracted every study
    assert AppraisalSession(example, "Amara Okafor", "SYRCLE").studies == appraiser_list == ids
    pd.testing.assert_frame_equal(as_shown(final_value_counts(example)), table(outputs["final-values"]))
    pd.testing.assert_frame_equal(as_shown(robvis_table(example, "SYRCLE")),
                                  table(outputs["final-judgements"]))


@pytest.mark.slow
def test_runs_as_the_reconciler(example, tmp_path):
    """Chen Wei sees each study's extractors and open differences, and the reconciling views."""
    outputs, lists = run(example, tmp_path, reviewer="Chen Wei", reconcile=True)
    assert "Chen Wei, reconciling; appraisal tool: SYRCLE\n" == text(outputs["open-review"])
    ids = list(studies(example)["study_id"])
    progress = table(outputs["progress"])
    expected = extraction_overview(ExtractionSession(example, "Chen Wei", role="resolver"))
    pd.testing.assert_frame_equal(as_shown(expected), progress)
    assert ids == list(progress["study_id"])
    assert "ReconciliationView" == widget(outputs["extract"])
    assert "Appraiser" == widget(outputs["appraise"])
    reconciliation_list, appraiser_list = sorted(lists, key=lambda options: options[0] != "all studies")
    assert ["all studies"] == reconciliation_list  # every extraction difference is settled
    assert sorted(set(appraisal_differences(example, "SYRCLE")["study_id"])) == appraiser_list
    assert set(appraiser_list) < set(ids) and appraiser_list
    assert ids + [ALL_STUDIES] == list(table(outputs["final-values"])["study_id"])


@pytest.mark.slow
def test_runs_without_appraisal(example, tmp_path):
    """tool="none" shows no appraiser and no judgement table; extraction is unaffected."""
    outputs, lists = run(example, tmp_path, reviewer="Bruno Lindqvist", tool="none")
    assert "Bruno Lindqvist, extracting; appraisal tool: none\n" == text(outputs["open-review"])
    assert "ExtractionForm" == widget(outputs["extract"])
    assert 1 == len(lists)
    assert "\"No appraisal: the tool is 'none'.\"" == text(outputs["appraise"])
    assert [] == outputs["final-judgements"]
