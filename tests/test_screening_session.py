"""The screening session without a kernel: queue, commit before moving on, undo, skip, blind
mode, dual screening, the prioritiser's order and the stopping report."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import copy_review
from review.project import open_review
from review.screening.decisions import reviewer_decisions
from review.screening.prioritise import Ranking
from review.screening.session import ScreeningSession, screening_order_labels, stopping_report


@pytest.fixture
def review(worked_example_undecided, tmp_path):
    return open_review(copy_review(worked_example_undecided, tmp_path / "ex"))


def test_each_decision_is_in_the_store_before_the_next_record(review):
    session = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    first = session.current.record_id
    session.include(note="clearly NK exosomes")
    stored = reviewer_decisions(review.store, "title_abstract")
    assert stored[["record_id", "reviewer", "decision", "note"]].values.tolist() == [
        [first, "ana", "include", "clearly NK exosomes"]]
    assert session.current.record_id != first
    assert session.progress.screened == 1 and session.progress.included == 1


def test_undo_shows_the_record_again_and_cancels_in_the_log(review):
    session = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    first = session.current.record_id
    session.exclude("not_cancer")
    action = session.undo()
    assert action.record_id == first and session.current.record_id == first
    assert reviewer_decisions(review.store, "title_abstract").empty
    assert session.undo() is None


def test_skipped_records_come_round_again(review):
    session = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    skipped = session.current.record_id
    session.skip()
    seen = []
    while session.current is not None and session.current.record_id != skipped:
        seen.append(session.current.record_id)
        session.exclude("not_cancer")
    assert len(seen) == 155 and session.current.record_id == skipped  # 152 works + 4 new in the update


def test_an_unknown_exclusion_reason_is_refused(review):
    session = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    with pytest.raises(ValueError, match="exclusion reason must be one of"):
        session.exclude("because")
    assert reviewer_decisions(review.store, "title_abstract").empty


def test_blind_mode_hides_other_reviewers_and_dual_screening_fills_up(review):
    ana = ScreeningSession(review, "title_abstract", "ana", ranker=None, seed=1)
    target = ana.current.record_id
    ana.include()
    ben = ScreeningSession(review, "title_abstract", "ben", ranker=None, seed=1)
    assert ben.show(target).others is None  # blind by protocol
    ben.exclude("wrong_intervention")
    cy = ScreeningSession(review, "title_abstract", "cy", ranker=None, seed=1)
    with pytest.raises(ValueError, match="not waiting for cy"):
        cy.show(target)  # two reviewers have decided it already
    resolver = ScreeningSession(review, "title_abstract", "chen", role="resolver")
    assert resolver.current.record_id == target
    assert {o["reviewer"] for o in resolver.current.others} == {"ana", "ben"}
    resolver.include(note="agreed at meeting")
    assert resolver.current is None


def test_the_model_puts_likely_relevant_records_first(review):
    session = ScreeningSession(review, "title_abstract", "ana", seed=3)
    while session.progress.included == 0 or session.progress.excluded == 0:
        title = (session.current.record.get("title") or "").lower()
        if "nk" in title and "exosom" in title:
            session.include()
        else:
            session.exclude("wrong_intervention")
    assert session.ranker.wait(10)
    session.reload()
    titles = []
    for _ in range(5):
        titles.append((session.current.record.get("title") or "").lower())
        session.include()
        session.ranker.wait(10)
    assert sum("exosom" in t or "vesicle" in t for t in titles) >= 4, titles


class _FixedRanker:
    """A ranker whose model order is set by the test; it records the labels it was given."""

    def __init__(self, order):
        self.order, self.submitted = list(order), []

    def submit(self, labels):
        self.submitted.append(dict(labels))

    def scores(self):
        return {r: -i for i, r in enumerate(self.order)}

    def ranking(self):
        return Ranking(np.array(self.order), np.linspace(1, 0, len(self.order)), "model", 0)


def test_the_queue_follows_the_model_order_and_learns_from_every_reviewer(review):
    """The next record is the first of the model's order still to screen (decided and skipped
    ones passed over); the labels handed to the model are every reviewer's standing includes
    and excludes, include when at least half are includes, and an undo takes its vote back."""
    ids = list(ScreeningSession(review, "title_abstract", "x", ranker=None).records.index)
    order = ids[::-1]
    ben = ScreeningSession(review, "title_abstract", "ben", ranker=None)
    ben.show(order[0])
    ben.exclude("not_cancer")
    ben.show(order[2])
    ben.include()
    # order[0] and order[2] are still ana's to screen, but the model ranks only records no one
    # has decided (it learns from them), so ana sees them after the rest
    ranker = _FixedRanker([r for r in order if r not in (order[0], order[2])])
    ana = ScreeningSession(review, "title_abstract", "ana", ranker=ranker)
    assert ranker.submitted[-1] == {order[0]: 0, order[2]: 1}
    assert ana.current.record_id == ranker.order[0]
    ana.skip()
    assert ana.current.record_id == ranker.order[1]
    ana.include()
    assert ana.current.record_id == ranker.order[2]
    ana.show(order[0])
    ana.include()  # one include, one exclude: include
    assert ranker.submitted[-1] == {order[0]: 1, order[2]: 1, ranker.order[1]: 1}
    ana.undo()
    assert ranker.submitted[-1] == {order[0]: 1, order[2]: 1, ranker.order[1]: 1}  # not resent
    ana.exclude("not_cancer")
    assert ranker.submitted[-1] == {order[0]: 0, order[2]: 1, ranker.order[1]: 1}
    assert ana.progress.included == 1 and ana.progress.excluded == 1 and ana.progress.screened == 2


def test_stopping_report_from_the_screening_order(review):
    session = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    for _ in range(20):
        session.exclude("not_cancer")
    assert screening_order_labels(review.store, reviewers_per_record=2) == [0] * 20
    estimate, figure = stopping_report(session)
    assert estimate.n_screened == 20 and estimate.relevant_found == 0 and not estimate.can_stop
    assert figure.axes[0].get_xlabel() == "records screened"
