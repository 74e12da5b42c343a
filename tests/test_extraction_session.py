"""The extraction session: studies with progress, navigation, values committed at once,
repeating instances added and removed, required fields checked per study."""
from __future__ import annotations

import re

import pytest
from test_extraction_values import tiny_review

from review.errors import ReviewError
from review.extraction.form import ExtractionValueError
from review.extraction.session import ExtractionSession
from review.extraction.studies import link_reports
from review.extraction.values import reviewer_values


@pytest.fixture
def review(tmp_path):
    review = tiny_review(tmp_path)
    yield review
    review.store.dispose()


@pytest.fixture
def session(review):
    return ExtractionSession(review, "Amara")


def _stored(review, reviewer="Amara"):
    values = reviewer_values(review)
    mine = values[values["reviewer"] == reviewer]
    return [(r.study_id, r.group, r.instance, r.field, r.value, r.unit) for r in mine.itertuples()]


def test_lists_studies_with_their_reports(review):
    """Studies come in the study table's order; a linked study shows both reports."""
    link_reports(review, "Kim 2018", [4], reviewer="Chen")
    session = ExtractionSession(review, "Amara")
    assert ["Kim 2018", "Rossi 2016a", "Rossi 2016b"] == session.study_ids
    assert "Kim 2018" == session.current
    assert [3, 4] == list(session.study_reports()["record_id"])
    assert [(2, 0, False)] == [(p.reports, p.values, p.started) for p in session.progress][:1]
    assert {"studies": 3, "complete": 0, "started": 0} == session.summary()


def test_navigation_stays_within_the_studies(session):
    """Next and previous stop at the ends; going to an unknown study is refused."""
    assert "Kim 2018" == session.previous()
    assert ["Kim 2020", "Rossi 2016a", "Rossi 2016b", "Rossi 2016b"] == [session.next() for _ in range(4)]
    assert "Kim 2020" == session.go("Kim 2020")
    with pytest.raises(ReviewError, match=re.escape("study 'Lugini 2012' is not one of the review's included studies")):
        session.go("Lugini 2012")


def test_each_value_is_committed_at_once(session, review):
    """A value is in the store as soon as it is set; an unchanged one writes nothing."""
    first = session.set_value("strategy", "native")
    assert [("Kim 2018", "study", 1, "strategy", "native", None)] == _stored(review)
    assert first is not None and session.set_value("strategy", "Native") is None
    session.set_value("dose", "50", "ug protein", instance=2)
    assert (50.0, "ug protein") == session.value("dose", 2)
    assert session.set_value("strategy", "") is not None
    assert [("Kim 2018", "experiment", 2, "dose", 50.0, "ug protein")] == _stored(review)
    assert 3 == len(review.store.events("extraction", action="value"))
    again = ExtractionSession(review, "Amara")
    assert (50.0, "ug protein") == again.value("dose", 2)
    assert (None, None) == ExtractionSession(review, "Bruno").value("dose", 2)


def test_a_refused_value_stores_nothing(session, review):
    """The message names the field (and instance); the store is untouched."""
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'treated_n' (Treated n), outcome 1: expected a whole number, found 'six'")):
        session.set_value("treated_n", "six")
    assert review.store.events("extraction", action="value").empty


def test_instances_are_added_and_removed_keeping_numbers_dense(session, review):
    """Added instances wait empty; removing one moves the later ones up in one transaction."""
    assert [1] == session.instances("experiment") == session.instances("study")
    assert 2 == session.add_instance("experiment")
    assert [1, 2] == session.instances("experiment")
    session.set_value("cell_line", "A375", instance=1)
    session.set_value("cell_line", "SK-MEL-28", instance=2)
    session.set_value("route", "intravenous", instance=2)
    assert 3 == session.add_instance("experiment")
    session.set_value("cell_line", "B16", instance=3)
    before = len(review.store.events("extraction", action="value"))
    assert 3 == session.remove_instance("experiment", 2)
    assert before + 3 == len(review.store.events("extraction", action="value"))
    assert [1, 2] == session.instances("experiment")
    assert [("Kim 2018", "experiment", 1, "cell_line", "A375", None),
            ("Kim 2018", "experiment", 2, "cell_line", "B16", None)] == _stored(review)
    with pytest.raises(ReviewError, match=re.escape(
            "group 'experiment' (Experiments (one per model or arm)): study 'Kim 2018' has no experiment 5")):
        session.remove_instance("experiment", 5)
    with pytest.raises(ReviewError, match=re.escape("group 'study' (Study characteristics) does not repeat")):
        session.add_instance("study")


def test_required_fields_and_completion_per_study(session):
    """A study is complete once every required field of every instance has a value."""
    assert "group 'outcome' (Outcomes (one per measure and time point)): at least one outcome is required" \
        in session.missing()
    for field, value in (("strategy", "native"), ("source_cell", "NK-92"),
                         ("isolation_method", "density gradient"), ("tumour_type", "hepatocellular"),
                         ("model", "orthotopic")):
        session.set_value(field, value)
    assert ["group 'outcome' (Outcomes (one per measure and time point)): at least one outcome is required"] \
        == session.missing()
    session.set_value("time_point", "day 21")
    assert ["field 'outcome_measure' (Outcome), outcome 1: required, no value"] == session.missing()
    session.set_value("outcome_measure", "tumour weight")
    assert [] == session.missing()
    progress = session.study_progress()
    assert (True, True, 7) == (progress.started, progress.complete, progress.values)
    assert {"studies": 4, "complete": 1, "started": 1} == session.summary()


def test_a_session_needs_a_reviewer(review):
    """Values always say who entered them."""
    with pytest.raises(ReviewError, match=re.escape("an extraction session needs the reviewer's name")):
        ExtractionSession(review, " ")
