"""What notebooks/03_extract.ipynb shows besides its widgets: the reviewer and tool it uses, each
study's progress for an extractor or a reconciler, and the count of final values per status."""
from __future__ import annotations

import re

import pytest
import yaml
from test_extraction_values import tiny_protocol, tiny_review

from review.errors import ReviewError
from review.extraction.notebook import (
    ALL_STUDIES,
    appraisal_tool,
    extraction_overview,
    final_value_counts,
    reviewer_name,
)
from review.extraction.reconcile import reconcile
from review.extraction.session import ExtractionSession
from review.extraction.values import record_values
from review.project import init_review

#: The values that complete a study of the tiny review's schema: every required field.
COMPLETE = {"strategy": "native", "source_cell": "NK-92",
            "isolation_method": ["differential ultracentrifugation"],
            "tumour_type": "melanoma", "model": "xenograft", "outcome_measure": "tumour volume"}


@pytest.fixture
def review(tmp_path):
    review = tiny_review(tmp_path)
    yield review
    review.store.dispose()


def extract(review, reviewer: str, study_id: str, values: dict) -> int:
    """Record `values` (field -> value) for one study as `reviewer`, an extractor."""
    return record_values(review, [{"reviewer": reviewer, "study_id": study_id, "field": f, "value": v}
                                  for f, v in values.items()])


def test_reviewer_name_is_given_or_from_the_environment(monkeypatch):
    """A given name is used as typed (trimmed); "" falls back to REVIEW_REVIEWER."""
    monkeypatch.setenv("REVIEW_REVIEWER", "Chen Wei")
    assert "Amara Okafor" == reviewer_name("  Amara Okafor ")
    assert "Chen Wei" == reviewer_name("")
    assert "Chen Wei" == reviewer_name("   ")


def test_appraisal_tool_defaults_to_the_protocol(review):
    """"" is the protocol's tool; a name in any case is the tool's own; "none" skips."""
    assert "SYRCLE" == appraisal_tool(review)
    assert "SYRCLE" == appraisal_tool(review, "")
    assert "MISEV" == appraisal_tool(review, "misev")
    assert "ROBINS-I" == appraisal_tool(review, "robins i")
    assert appraisal_tool(review, "None") is None


def test_appraisal_tool_none_in_the_protocol_skips(tmp_path):
    """A protocol without an appraisal tool gives None unless the notebook names one."""
    path = tiny_protocol(tmp_path / "protocol")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["risk_of_bias"] = {"tool": "none"}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    review = init_review(tmp_path / "review", path)
    try:
        assert appraisal_tool(review) is None
        assert "RoB2" == appraisal_tool(review, "RoB 2")
    finally:
        review.store.dispose()


def test_appraisal_tool_refuses_an_unknown_name(review):
    """The message names the parameter and the tools there are."""
    with pytest.raises(ReviewError, match=re.escape(
            "notebook parameter 'tool': unknown appraisal tool 'Cochrane': expected one of "
            "SYRCLE, RoB2, ROBINS-I, MISEV or the path of a tool YAML file")):
        appraisal_tool(review, "Cochrane")


def test_extractor_overview_shows_only_the_reviewers_own_progress(review):
    """Values, missing required fields and status per study, blind to the other extractor."""
    extract(review, "Amara", "Kim 2018", COMPLETE)
    extract(review, "Amara", "Rossi 2016a", {"strategy": "native", "cargo": "none"})
    extract(review, "Bruno", "Kim 2020", COMPLETE)
    overview = extraction_overview(ExtractionSession(review, "Amara"))
    assert ["study_id", "reports", "values", "missing", "status"] == list(overview.columns)
    assert [("Kim 2018", 1, 6, 0, "complete"),
            ("Kim 2020", 1, 0, 5, "not started"),
            ("Rossi 2016a", 1, 2, 4, "started"),
            ("Rossi 2016b", 1, 0, 5, "not started")] == list(overview.itertuples(index=False, name=None))


def test_reconciler_overview_counts_open_differences(review):
    """Extractors by name, differences still open, decisions taken and what is left to do."""
    extract(review, "Amara", "Kim 2018", COMPLETE)
    extract(review, "Bruno", "Kim 2018", {**COMPLETE, "strategy": "drug-loaded", "cargo": "paclitaxel"})
    extract(review, "Amara", "Rossi 2016a", COMPLETE)
    extract(review, "Bruno", "Rossi 2016a", COMPLETE)
    extract(review, "Bruno", "Kim 2020", COMPLETE)
    session = ExtractionSession(review, "Chen", role="resolver")
    assert [("Kim 2018", 1, "Amara; Bruno", 2, 0, "to reconcile"),
            ("Kim 2020", 1, "Bruno", 0, 0, "waiting for extractors"),
            ("Rossi 2016a", 1, "Amara; Bruno", 0, 0, "settled"),
            ("Rossi 2016b", 1, "", 0, 0, "waiting for extractors")] == \
        list(extraction_overview(session).itertuples(index=False, name=None))
    reconcile(review, study_id="Kim 2018", group="study", instance=1, field="strategy",
              value="drug-loaded", reviewer="Chen")
    session.reload()
    overview = extraction_overview(session)
    assert ["study_id", "reports", "extractors", "open_differences", "decided", "status"] == \
        list(overview.columns)
    assert ("Kim 2018", 1, "Amara; Bruno", 1, 1, "to reconcile") == \
        tuple(overview.iloc[0])
    reconcile(review, study_id="Kim 2018", group="study", instance=1, field="cargo",
              value=None, reviewer="Chen")
    session.reload()
    assert ("Kim 2018", 1, "Amara; Bruno", 0, 1, "settled") == tuple(extraction_overview(session).iloc[0])


def test_final_value_counts_per_study_and_in_total(review):
    """Agreed, reconciled, conflict and pending per study; studies without values show zeros."""
    extract(review, "Amara", "Kim 2018", COMPLETE)
    extract(review, "Bruno", "Kim 2018", {**COMPLETE, "strategy": "drug-loaded", "model": "syngeneic"})
    reconcile(review, study_id="Kim 2018", group="study", instance=1, field="strategy",
              value="native", reviewer="Chen")
    extract(review, "Amara", "Rossi 2016a", {"strategy": "native", "cargo": "none"})
    counts = final_value_counts(review)
    assert ["study_id", "agreed", "resolved", "conflict", "pending", "total"] == list(counts.columns)
    assert [("Kim 2018", 4, 1, 1, 0, 6),
            ("Kim 2020", 0, 0, 0, 0, 0),
            ("Rossi 2016a", 0, 0, 0, 2, 2),
            ("Rossi 2016b", 0, 0, 0, 0, 0),
            (ALL_STUDIES, 4, 1, 1, 2, 8)] == list(counts.itertuples(index=False, name=None))
    assert ["Kim 2018", "Kim 2020", "Rossi 2016a", "Rossi 2016b"] == \
        list(final_value_counts(review, totals=False)["study_id"])


def test_final_value_counts_of_a_review_without_values(review):
    """Before any extraction every included study is listed with zeros."""
    counts = final_value_counts(review)
    assert [("Kim 2018", 0, 0, 0, 0, 0), ("Kim 2020", 0, 0, 0, 0, 0),
            ("Rossi 2016a", 0, 0, 0, 0, 0), ("Rossi 2016b", 0, 0, 0, 0, 0),
            (ALL_STUDIES, 0, 0, 0, 0, 0)] == list(counts.itertuples(index=False, name=None))
