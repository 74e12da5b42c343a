"""The certainty widget on the worked example: pre-judged domains shown with their reasons, a
reviewer's judgement saved as one event and shown at once, errors next to the domain, and the
report's summary of findings carrying the judgement; the notebook is thin."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from review.appraisal.certainty import CertaintySession
from conftest import copy_review
from review.project import open_review
from review.report.outcome_report import write_outcomes
from review.widgets.certainty import CertaintyRater

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "04_certainty.ipynb"


@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    review = open_review(copy_review(worked_example, tmp_path_factory.mktemp("certainty") / "ex"))
    yield review
    review.store.dispose()


def test_widget_saves_a_reviewers_indirectness_judgement(example, tmp_path):
    rater = CertaintyRater(CertaintySession(example, "Ana Silva"))
    assert ["tumour volume", "tumour weight", "survival", "cytotoxicity"] == [
        value for _, value in rater.chooser.options]
    row = rater.rows["indirectness"]
    assert "judged <b>serious</b> by Amara Okafor" in row.heading.value  # the example's own
    assert "serious" == row.judgement.value and not row.reset_button.disabled
    before = example.store.event_count()
    row.judgement.value = "very serious"
    row.reason.value = "Mice only; <script>x</script> subcutaneous xenografts"
    rater.save("indirectness")
    assert before + 1 == example.store.event_count()
    assert "Saved." == row.message.value and not row.reset_button.disabled
    assert "&lt;script&gt;" in row.heading.value and "<script>" not in row.heading.value
    assert "judged <b>very serious</b> by Ana Silva" in row.heading.value
    report = write_outcomes(example, figures_dir=tmp_path / "f", tables_dir=tmp_path / "t")
    certainty = report.certainty[0]
    assert ("very serious", "reviewer") == (certainty.domain("indirectness").judgement,
                                       certainty.domain("indirectness").source)
    markdown = (tmp_path / "t" / "summary_of_findings.md").read_text(encoding="utf-8")
    assert "Indirectness, rated down two levels (judged by Ana Silva): Mice only" in markdown
    rater.withdraw("indirectness")
    assert before + 2 == example.store.event_count()
    heading = rater.rows["indirectness"].heading.value
    assert "Data: <b>not yet judged</b>" in heading and "no reviewer's judgement" in heading
    assert rater.rows["indirectness"].reset_button.disabled


def test_widget_shows_errors_next_to_the_domain_and_stores_nothing(example):
    rater = CertaintyRater(CertaintySession(example, "Ana Silva"))
    rater.go("survival")
    before = example.store.event_count()
    row = rater.rows["imprecision"]
    row.judgement.value = "very serious"
    row.reason.value = "  "
    rater.save("imprecision")
    assert "Reason: say why, in words" in row.message.value
    row.judgement.value = None
    row.reason.value = "two small studies"
    rater.save("imprecision")
    assert "Judgement: choose not serious, serious or very serious" in row.message.value
    assert before == example.store.event_count()


def test_the_notebook_is_thin():
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert ["parameters"] == code[0]["metadata"]["tags"]
    assert not any("def " in "".join(c["source"]) for c in code)
    assert all(not c["outputs"] for c in code)


def test_a_fault_of_ours_is_said_plainly_next_to_the_domain(example, monkeypatch, caplog):
    rater = CertaintyRater(CertaintySession(example, "Ana Silva"))
    before = example.store.event_count()

    def broken(*_a, **_k):
        raise AttributeError("'NoneType' object has no attribute 'rows'")
    monkeypatch.setattr(rater.session, "save", broken)
    monkeypatch.setattr(rater.session, "withdraw", broken)
    row = rater.rows["imprecision"]
    row.judgement.value, row.reason.value = "serious", "two small studies"
    rater.save("imprecision")
    assert "Not saved: something went wrong in the certainty form" in row.message.value
    assert "NoneType" not in row.message.value and "AttributeError" not in row.message.value
    rater.withdraw("imprecision")
    assert "Not withdrawn: something went wrong" in row.message.value
    assert "NoneType" in caplog.text and before == example.store.event_count()
