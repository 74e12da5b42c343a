"""When to stop screening: the hypergeometric rule and the random-sample test by hand, the hint a
reviewer reads (own order when blind, refreshed on each decision, only at title/abstract, never
"0 left"), the methods sentence, the recall curve as a picture, a failing model that says so,
and sessions that let their threads go."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from scipy.stats import hypergeom

from conftest import copy_review
from review.project import open_review
from review.screening.prioritise import BackgroundPrioritiser, Prioritiser
from review.screening.session import ScreeningSession, stopping_report
from review.screening.stopping import (RecallCurve, random_sample_test, recall_below_target_p,
                                       recall_curve_figure, stopping_estimate, stopping_point,
                                       validation_sample_size)
from review.screening.when_to_stop import VALIDATION_NOTE


@pytest.fixture
def review(worked_example_undecided, tmp_path):
    """A copy of the worked example without screening decisions (`--without-decisions`)."""
    return open_review(copy_review(worked_example_undecided, tmp_path / "ex"))


def _brute_p(labels, n_records, target=0.95):
    """The rule as Callaghan & Müller-Hansen state it: every n, smallest p."""
    labels = np.asarray(labels)
    found = labels.sum()
    n = np.arange(1, len(labels) + 1)
    k = np.cumsum(labels[::-1])
    population = n_records - len(labels) + n
    k_h0 = np.floor(found / target - (found - k) + 1)
    return float(hypergeom.cdf(k, population, np.minimum(k_h0, population), n).min())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rule_p_value_equals_the_minimum_over_every_sample_size(seed):
    """Only the ends of runs of irrelevant records are evaluated; the p-value is the same."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(700) < np.linspace(0.4, 0.0, 700)).astype(int)
    for screened in (30, 200, 450, 700):
        assert recall_below_target_p(labels[:screened], 1500) == pytest.approx(
            _brute_p(labels[:screened], 1500), rel=1e-12)
    assert recall_below_target_p([], 10) == 1.0 and recall_below_target_p([0, 0], 10) == 1.0
    assert recall_below_target_p([1, 0], 2) == 0.0  # everything screened


def test_stopping_point_is_the_first_rejection_and_keeps_recall_in_a_good_order():
    rng = np.random.default_rng(3)
    labels = (rng.random(600) < np.linspace(0.5, 0.0, 600)).astype(int)
    stop = stopping_point(labels, 2000)
    padded = np.r_[labels, np.zeros(1400, int)]
    assert recall_below_target_p(padded[:stop], 2000) < 0.05
    assert all(recall_below_target_p(padded[:n], 2000) >= 0.05 for n in range(stop - 20, stop))
    assert padded[:stop].sum() >= 0.95 * labels.sum()
    assert stopping_point([1, 0, 0], 3) == 3  # never rejected before the end: screen everything


def test_random_sample_test_by_hand():
    """40 relevant found, 1,000 unscreened, a random sample of 300 with none: under H0 at least
    floor(40/0.95 - 40) + 1 = 3 relevant are among the 1,000."""
    test = random_sample_test(40, 1000, [0] * 300, 2000, 0.95)
    assert test.p == pytest.approx(hypergeom.cdf(0, 1000, 3, 300))
    assert test.passed == (test.p < 0.05)
    one = random_sample_test(40, 1000, [1] + [0] * 299, 2000, 0.95)  # 41 found: K >= 4
    assert one.p == pytest.approx(hypergeom.cdf(1, 1000, 4, 300)) and not one.passed
    size = validation_sample_size(40, 1000)
    assert hypergeom.cdf(0, 1000, 3, size) < 0.05 <= hypergeom.cdf(0, 1000, 3, size - 1)
    assert random_sample_test(40, 1000, [0] * size, 2000).passed
    with pytest.raises(ValueError, match="a sample of 11 from 10"):
        random_sample_test(1, 10, [0] * 11, 20)


def test_recall_curve_is_a_picture_in_a_notebook():
    figure = recall_curve_figure([1, 0, 1, 0], 10, 3)
    assert isinstance(figure, RecallCurve)
    assert figure._repr_png_().startswith(b"\x89PNG")


def _screen(session, n, include_every=0):
    for i in range(n):
        if include_every and i % include_every == 0:
            session.include()
        else:
            session.exclude(None)


def test_hint_reads_the_reviewers_own_order_when_blind_and_refreshes_on_each_decision(review):
    assert review.protocol.screening.blind
    bob = ScreeningSession(review, "title_abstract", "bob", ranker=None)
    _screen(bob, 30, include_every=2)  # another reviewer's includes must not count for ana
    ana = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    assert "nothing screened yet" in ana.stopping_hint(wait=True)
    heard = []
    ana.on_stopping_hint(heard.append)
    _screen(ana, 20)
    hint = ana.stopping_hint(wait=True)
    assert "no relevant record found yet in 20 screened" in hint and heard[-1] == hint
    ana.include()
    hint = ana.stopping_hint(wait=True)
    assert hint.startswith("Your screening found 1 relevant record in 21 of 156 records")
    assert "Keep screening: recall of 95 % is not shown yet" in hint
    status = ana.stopping_status()
    assert (status.estimate.n_screened, status.estimate.relevant_found) == (21, 1)


def test_hint_never_says_zero_left_for_probably_no_relevant_record_left(review):
    ana = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    ana.include()
    _screen(ana, 120)
    hint = ana.stopping_hint(wait=True)
    assert " 0 " not in hint and "about 0" not in hint
    assert "may remain among the 35 records not yet screened (95 % bound)" in hint


def test_team_order_when_not_blind(review):
    bob = ScreeningSession(review, "title_abstract", "bob", ranker=None)
    _screen(bob, 10, include_every=5)
    ana = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    ana.blind = False
    assert ana.stopping_hint(wait=True).startswith("The team's screening found 2 relevant records "
                                                   "in 10 of 156")


def test_no_stopping_hint_at_full_text_or_for_a_resolver(review):
    assert ScreeningSession(review, "full_text", "ana", ranker=None).stopping_hint() is None
    resolver = ScreeningSession(review, "title_abstract", "cy", ranker=None, role="resolver")
    assert resolver.stopping_hint() is None and resolver.methods_sentence() is None
    assert stopping_report(resolver) == (None, None)


def test_random_validation_sample_is_queued_marked_in_the_log_and_tested(review):
    from review.screening.decisions import reviewer_decisions
    ana = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    ana.include()
    _screen(ana, 99)
    size = ana.start_validation_sample(20)
    assert 20 == size
    sample = list(ana._validation)
    for _ in range(20):
        assert ana.current.record_id in sample
        ana.exclude(None)
    notes = reviewer_decisions(review.store, "title_abstract").set_index("record_id")["note"]
    assert all(VALIDATION_NOTE in notes[r] for r in sample)
    assert sum(VALIDATION_NOTE in n for n in notes) == 20
    status = ana.stopping_status()
    assert (status.test.sample_size, status.test.relevant_in_sample, status.test.unscreened) == \
        (20, 0, 56)
    assert "Random validation sample: 20 of 20 screened, 0 relevant records in it" in \
        ana.stopping_hint(wait=True)
    sentence = ana.methods_sentence()
    assert sentence.startswith("Screening at title/abstract stopped after 120 of 156 records, "
                               "with 1 relevant record found")
    assert "a simple random sample of 20 of the 56 records then unscreened held 0 relevant " \
           "records (exact hypergeometric test of recall below 95 %: p = " in sentence
    again = ScreeningSession(review, "title_abstract", "ana", ranker=None)  # read from the log
    assert again.stopping_status().test.sample_size == 20


def test_protocol_recall_target_is_used(review):
    review.protocol.screening.stopping.recall_target = 0.8
    ana = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    ana.include()
    assert ana.stopping_status().estimate.recall_target == 0.8
    assert "recall of 80 % is not shown yet" in ana.stopping_hint(wait=True)


def test_methods_sentence_when_the_rule_was_met():
    from review.screening.when_to_stop import StoppingStatus, methods_sentence
    estimate = stopping_estimate([1] * 40 + [0] * 1700, 2000)
    assert estimate.can_stop
    sentence = methods_sentence(StoppingStatus(estimate, "your"))
    assert sentence == ("Screening at title/abstract stopped after 1,740 of 2,000 records, with 40 "
                        "relevant records found, when the hypergeometric stopping rule (Callaghan "
                        "& Müller-Hansen 2020) rejected the hypothesis that recall was below 95 % "
                        f"(p = {estimate.p_missed_target:.3f}; alpha 0.05).")


class _Failing(Prioritiser):
    def scores_for(self, rows, y):
        if len(y):
            raise MemoryError("not enough memory to fit the model")
        return None


def test_a_failing_model_says_so_through_the_session(review):
    session = ScreeningSession(review, "title_abstract", "ana")
    texts = [str(t) for t in session.records["title"]]
    session.ranker.close()
    session.ranker = BackgroundPrioritiser(_Failing(texts, ids=list(session.records.index)))
    assert session.model_problem is None
    session.include()
    session.exclude(None)
    session.ranker.wait(10)
    problem = session.model_problem
    assert problem.startswith("The AI ordering stopped updating after an error (not enough "
                              "memory to fit the model).")
    assert "MemoryError" not in problem
    session.close()


def _threads(prefix):
    return [t for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]


def test_sessions_let_their_threads_go_when_closed_or_opened_again(review):
    # threads another test left running (one that failed before closing its sessions) are not
    # this test's to judge
    earlier = set(_threads("review-prioritiser")) | set(_threads("review-stopping-hint"))
    before = len(_threads("review-prioritiser"))
    first = ScreeningSession(review, "title_abstract", "ana")
    first.stopping_hint(wait=True)
    first.ranker.wait(30)
    assert len(_threads("review-prioritiser")) >= before + 1
    # the notebook run again: the review opened again, the session too
    second = ScreeningSession(open_review(review.path), "title_abstract", "ana")
    assert first.closed and first.ranker.closed and not second.closed
    assert getattr(first.ranker.prioritiser, "released", False)
    first.ranker._thread.join(60)  # a refit at background priority may still be finishing
    assert not first.ranker._thread.is_alive()
    with pytest.raises(ValueError, match="this screening session is closed"):
        first.include()
    with pytest.raises(ValueError, match="screen in the newest screener"):
        first.undo()
    other = ScreeningSession(review, "title_abstract", "bob")  # another reviewer: both stay open
    assert not second.closed
    second.close()
    other.close()
    deadline = time.monotonic() + 60  # threads at background priority end when the CPU allows
    while (set(_threads("review-prioritiser")) | set(_threads("review-stopping-hint"))) - earlier \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    left = set(_threads("review-prioritiser")) | set(_threads("review-stopping-hint"))
    assert not left - earlier


def test_stopping_panel_refreshes_as_decisions_come_in(review):
    from review.widgets import StoppingPanel
    ana = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    panel = StoppingPanel(ana)
    assert "nothing screened yet" in panel.hint.value
    assert bytes(panel.curve.value).startswith(b"\x89PNG")
    ana.include()
    ana.stopping_hint(wait=True)
    assert "Your screening found 1 relevant record in 1 of 156 records" in panel.hint.value
    panel.start_sample()
    assert panel.sample_button.disabled and "Random sample of" in panel.sample_button.description
    full = StoppingPanel(ScreeningSession(review, "full_text", "ana", ranker=None))
    assert "applies to title/abstract screening" in full.hint.value
    assert full.curve not in full.children
