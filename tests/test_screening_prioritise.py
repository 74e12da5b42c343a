"""The AI prioritisation: random start, learning from decisions, never making a reviewer wait."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from review.screening.prioritise import (BackgroundPrioritiser, Prioritiser, _fuse,
                                         _NearestInclude, _row_halves, _score_on_two_cores,
                                         record_text)
from review.screening.stopping import recall_curve_figure, stopping_estimate

RELEVANT = [
    "Natural killer cell derived exosomes kill tumour cells in mice",
    "Exosomes from NK cells as cancer therapy: cytotoxic cargo against tumour cells",
    "NK cell exosomes carry perforin and granzyme and kill cancer cells",
]
IRRELEVANT = [
    "Wheat yield under drought in semi-arid farming systems",
    "Fuel consumption of diesel engines in heavy lorries",
    "Soil nitrogen and maize yield in smallholder farms",
    "Traffic noise and property prices in European cities",
    "Irrigation scheduling for wheat and barley crops",
    "Electric lorries and the cost of freight transport",
]
UNDECIDED = [
    "Tomato yield and irrigation in greenhouse farming",
    "Exosomes released by natural killer cells kill tumour cells: a new cancer therapy",
    "Road freight emissions and diesel fuel prices",
    "Barley and wheat varieties under drought",
]


def corpus():
    return RELEVANT + IRRELEVANT + UNDECIDED


def test_record_text_skips_missing_parts():
    """Title and abstract are joined; None, NaN and blanks are left out."""
    assert "A title" == record_text("A title", float("nan"))
    assert "A title An abstract" == record_text(" A title ", "An abstract")
    assert "" == record_text(None, "  ")


def test_random_order_until_one_include_and_one_exclude():
    """Without both kinds of decision the order is a seeded shuffle of the undecided records."""
    p = Prioritiser(corpus(), seed=3)
    first = p.rank({})
    assert "random" == first.method
    assert sorted(first.ids.tolist()) == list(range(13))
    assert first.ids.tolist() == Prioritiser(corpus(), seed=3).rank({}).ids.tolist()
    assert first.ids.tolist() != Prioritiser(corpus(), seed=4).rank({}).ids.tolist()
    only_includes = p.rank({0: 1, 1: 1})
    assert "random" == only_includes.method
    assert [i for i in first.ids.tolist() if i not in (0, 1)] == only_includes.ids.tolist()
    assert np.isnan(only_includes.scores).all() and only_includes.score_of() is None
    assert "random" == p.rank({3: 0}).method
    assert "model" == p.rank({0: 1, 3: 0}).method


def test_ranking_puts_the_obviously_relevant_record_first():
    """Taught three includes about NK-cell exosomes, the matching new record comes first."""
    p = Prioritiser(corpus(), seed=0)
    labels = {i: 1 for i in range(3)} | {i: 0 for i in range(3, 9)}
    ranking = p.rank(labels)
    assert "model" == ranking.method
    assert 10 == ranking.first()[0]
    assert sorted(ranking.ids.tolist()) == [9, 10, 11, 12]
    assert (np.diff(ranking.scores) <= 0).all() and ((0 < ranking.scores) & (ranking.scores < 1)).all()
    assert ranking.score_of()[10] == ranking.scores[0]


def test_record_ids_can_be_any_hashable_and_unknown_ids_are_named():
    """Labels are keyed by the caller's record ids; an unknown id is an error naming it."""
    ids = [f"r{i}" for i in range(13)]
    p = Prioritiser(corpus(), ids=ids)
    ranking = p.rank({"r0": 1, "r1": 1, "r2": 1, "r3": 0, "r4": 0, "r5": 0})
    assert "r10" == ranking.first()[0]
    with pytest.raises(KeyError, match="record 'x9' is not among"):
        p.rank({"x9": 1})


def test_decisions_beyond_the_cap_are_subsampled():
    """Late in a large review the models learn from at most `max_trained` decisions: includes
    up to half of them, the rest excludes."""
    p = Prioritiser(corpus(), max_trained=4)
    rows, y = p._training_set(np.arange(9), np.array([1, 1, 1, 0, 0, 0, 0, 0, 0]))
    assert [1, 1, 0, 0] == y.tolist() and set(rows[:2].tolist()) <= {0, 1, 2}
    again, _ = p._training_set(np.arange(9), np.array([1, 1, 1, 0, 0, 0, 0, 0, 0]))
    assert rows.tolist() == again.tolist()  # the sample is seeded
    assert 10 == p.rank({i: 1 for i in range(3)} | {i: 0 for i in range(3, 9)}).first()[0]
    few_rows, few_y = p._training_set(np.arange(4), np.array([1, 0, 0, 0]))
    assert [0, 1, 2, 3] == few_rows.tolist() and [1, 0, 0, 0] == few_y.tolist()


def test_fusion_is_the_weighted_mean_rank():
    """Ranks, not raw scores, are averaged: a record the SVM (weight 1) ranks first and the two
    supporting opinions (0.5 each) rank last still comes after one they all rank second."""
    # four records; columns: word SVM margin, character SVM margin, nearest-include similarity
    opinions = np.array([[9.0, -50.0, 0.1], [5.0, 3.0, 0.8], [1.0, 2.0, 0.9], [0.0, 1.0, 0.2]])
    fused = _fuse(opinions, np.array([1.0, 0.5, 0.5]))
    # ranks as fractions (rank - 0.5) / 4: record 0: 7/8, 1/8, 1/8 -> (7/8 + 1/16 + 1/16) / 2
    assert [0.5, 0.6875, 0.5625, 0.25] == fused.tolist()
    assert [1, 2, 0, 3] == np.argsort(-fused, kind="stable").tolist()


def test_fusion_ranks_the_undecided_records_among_themselves():
    """Decided records do not count in the ranks: here two of them sit between the undecided
    records a and b in the first opinion only, which over all records would put a first; among
    the undecided each opinion puts one of them a single place ahead, and the heavier second
    opinion decides. A decided record is placed where it would stand among the undecided."""
    # rows a, b (undecided), d1, d2 (decided); columns: two opinions weighing 1 and 2
    opinions = np.array([[10.0, 9.0], [7.0, 10.0], [9.0, 0.0], [8.0, 0.0]])
    weights, undecided = np.array([1.0, 2.0]), np.array([True, True, False, False])
    over_all = _fuse(opinions, weights)
    # (rank - 0.5) / 4: a 7/8 and 5/8, b 1/8 and 7/8
    assert over_all[:2].tolist() == pytest.approx([(7 / 8 + 2 * 5 / 8) / 3, (1 / 8 + 2 * 7 / 8) / 3])
    among = _fuse(opinions, weights, among=undecided)
    # among the two undecided: a 3/4 and 1/4, b 1/4 and 3/4; d1 outranks b in the first
    # opinion (1/2) and nobody in the second (0)
    assert among.tolist() == pytest.approx([(3 / 4 + 2 / 4) / 3, (1 / 4 + 6 / 4) / 3, 0.5 / 3, 0.5 / 3])
    assert over_all[0] > over_all[1] and among[1] > among[0]


def test_the_character_opinion_links_spellings_the_word_model_cannot():
    """"Beta-blocker" shares no word with "betablockers" and "infarction" none with
    "infarct": only the four-character pieces tell the relevant new record from an unrelated
    one with no word in common with anything, which the word SVM scores the same."""
    texts = ["Betablockers after myocardial infarction",
             "Betablockers reduce mortality after infarction",
             "Wheat yield under drought in farming systems",
             "Fuel use of diesel lorries in freight transport",
             "Tomato cultivation within heated greenhouses",              # 4: unrelated, new words
             "Beta-blocker treatment lowers deaths among infarct survivors"]  # 5: relevant
    p = Prioritiser(texts, seed=0)
    assert p._char_features is None  # built at the first model update, not when opened
    labels = {0: 1, 1: 1, 2: 0, 3: 0}
    rows, y = p.rows(labels)
    word = p._svm_scores(p.features, rows, y)
    assert word[4] == word[5]
    assert 5 == p.rank(labels).first()[0]
    assert p._char_features is not None


@pytest.mark.parametrize("n_records", [1, 2, 13])
def test_scoring_on_two_cores_gives_the_numbers_of_one_product(n_records):
    """The character SVM scores half the records on each core; the halves are views of the one
    matrix and give exactly the single product's numbers, in record order."""
    p = Prioritiser(corpus()[:n_records])
    chars = p.char_features
    top, bottom = _row_halves(chars)
    assert top.shape[0] + bottom.shape[0] == n_records
    assert all(np.shares_memory(h.data, chars.data) for h in (top, bottom) if h.nnz)
    coef = np.random.default_rng(0).normal(size=chars.shape[1])
    np.testing.assert_array_equal(chars @ coef.astype(np.float32),
                                  _score_on_two_cores((top, bottom), coef))


def test_features_come_with_each_row_in_column_order():
    """liblinear wants sorted columns; sorting once when the features are built spares every
    fit the sort (a third of its time at 1,500 decisions), and the fits are unchanged."""
    p = Prioritiser(corpus())
    assert p.features.has_sorted_indices and p.char_features.has_sorted_indices
    for matrix in (p.features, p.char_features):  # really sorted, not merely flagged
        assert all((np.diff(matrix.indices[a:b]) > 0).all()
                   for a, b in zip(matrix.indptr[:-1], matrix.indptr[1:]))


def test_nearest_include_is_updated_one_include_at_a_time_and_reset_on_withdrawal():
    """The similarity to the nearest include is the same whether built up step by step or at
    once, and an include withdrawn (undo) no longer counts."""
    features = Prioritiser(corpus()).features
    nearest = _NearestInclude(features)
    step = nearest.similarity(np.array([0]))
    both = nearest.similarity(np.array([0, 1]))
    fresh = _NearestInclude(features).similarity(np.array([1, 0]))
    assert np.allclose(both, fresh) and (both >= step).all()
    assert np.allclose(step, nearest.similarity(np.array([0])))
    assert np.isclose(1.0, step[0])  # a record is its own nearest neighbour


def test_same_seed_same_scores():
    """Two prioritisers with the same seed and decisions give identical scores (replayable)."""
    labels = {0: 1, 1: 1, 3: 0, 4: 0, 5: 0}
    first = Prioritiser(corpus(), seed=5).rank(labels)
    again = Prioritiser(corpus(), seed=5).rank(labels)
    assert first.ids.tolist() == again.ids.tolist()
    assert first.scores.tolist() == again.scores.tolist()


def test_svm_alone_still_ranks():
    """With no weight on the supporting opinions, the SVM alone ranks the matching record
    first, and the character features are never built."""
    p = Prioritiser(corpus(), char_weight=0, nearest_weight=0)
    assert 10 == p.rank({i: 1 for i in range(3)} | {i: 0 for i in range(3, 9)}).first()[0]
    assert p._char_features is None and [1.0] == p.opinion_weights.tolist()


class _Slow(Prioritiser):
    """Ranks only when the test lets it, and counts what it was asked to rank."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate, self.started, self.asked = threading.Event(), threading.Event(), []

    def rank(self, labels):
        if labels:
            self.asked.append(len(labels))
            self.started.set()
            assert self.gate.wait(5)
        return super().rank(labels)


def test_background_submit_never_blocks_and_the_newest_submission_wins():
    """While a refit runs, submit returns at once; of three waiting submissions only the last is
    ranked; ranking() meanwhile gives the last finished ranking without waiting. (Without the
    character SVM: building its features after the first model order ranks the latest decisions
    once more, at a moment this test does not control; the next test covers that.)"""
    slow = _Slow(corpus(), seed=1, char_weight=0.0)
    with BackgroundPrioritiser(slow) as bg:
        assert "random" == bg.ranking().method and bg.scores() is None
        bg.submit({0: 1, 3: 0})
        assert slow.started.wait(5)
        t = time.perf_counter()
        for n in (3, 4, 5):
            bg.submit({i: int(i < 2) for i in range(n)})
            assert bg.ranking().version == 0  # the old ranking, at once
        assert time.perf_counter() - t < 0.1
        slow.gate.set()
        assert bg.wait(5)
        assert [2, 5] == slow.asked
        assert 4 == bg.ranking().version and 2 == bg.computed
        assert "model" == bg.ranking().method and len(bg.scores()) == 13 - 5


def test_background_ranks_at_once_without_the_character_features_then_with_them():
    """The first model ranking of a session does not wait for the character features (half a
    minute at 50,000 records): it comes from the word SVM and the nearest include, the
    features are built just after, and the same decisions are ranked again with them, giving
    the order a prioritiser that built them at once gives."""
    labels = {0: 1, 1: 1, 3: 0, 4: 0}
    seen = []
    prioritiser = Prioritiser(corpus(), seed=2)
    with BackgroundPrioritiser(prioritiser, on_ranking=seen.append) as bg:
        assert prioritiser.char_features_pending and prioritiser._char_features is None
        bg.submit(labels)
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    without, with_chars = seen
    assert without.version == with_chars.version == 1 and bg.computed == 2
    assert not prioritiser.char_features_pending
    word_and_nearest = Prioritiser(corpus(), seed=2, char_weight=0).rank(labels)
    assert without.scores.tolist() == word_and_nearest.scores.tolist()
    at_once = Prioritiser(corpus(), seed=2).rank(labels)
    assert with_chars.ids.tolist() == at_once.ids.tolist()
    assert with_chars.scores.tolist() == at_once.scores.tolist()
    assert without.scores.tolist() != with_chars.scores.tolist()


def test_opening_builds_nothing_and_the_background_thread_builds_the_words_at_once():
    """A prioritiser costs nothing to create (a session of 50,000 records opens without waiting
    a quarter-minute for the TF-IDF); its background thread builds the word features right
    after the first ranking, while the order is still random."""
    prioritiser = Prioritiser(corpus(), seed=1)
    assert prioritiser.features_pending and prioritiser.char_features_pending
    with BackgroundPrioritiser(prioritiser) as bg:
        bg.submit({})
        deadline = time.monotonic() + 10
        while prioritiser.features_pending and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not prioritiser.features_pending and prioritiser.char_features_pending
        assert "random" == bg.ranking().method
    assert prioritiser.features.shape[0] == len(corpus())


def test_background_keeps_the_last_ranking_when_a_refit_fails():
    """An error in a refit is kept for the session to show; the old ranking stays in use."""
    with BackgroundPrioritiser(Prioritiser(corpus())) as bg:
        bg.submit({"no such record": 1})
        assert bg.wait(5)
        assert isinstance(bg.error, KeyError) and "random" == bg.ranking().method


def test_stopping_estimate_p_value_by_hand():
    """N=4, screened [1, 0], target 100 %: p = min over the last-1 and last-2 samples."""
    # last 1 record: k=0 relevant of n=1 drawn from 3 (it + 2 unscreened); H0 needs K >= 1
    #   P(X <= 0 | 3, 1, 1) = 2/3
    # last 2 records: k=1 of n=2 from 4; H0 needs K >= floor(1/1 - 0 + 1) = 2
    #   P(X <= 1 | 4, 2, 2) = 1 - P(X = 2) = 1 - 1/6 = 5/6
    est = stopping_estimate([1, 0], 4, recall_target=1.0)
    assert est.p_missed_target == pytest.approx(2 / 3)
    assert not est.can_stop and 1 == est.relevant_found and 2 == est.n_screened
    assert 0 <= est.remaining_low <= est.remaining_estimate <= est.remaining_high <= 2


def test_stopping_estimate_after_a_long_run_of_excludes_allows_stopping():
    """30 relevant early, then 900 excludes of 1000: few can remain; early on, many could."""
    labels = [1] * 30 + [0] * 900
    late = stopping_estimate(labels, 1000)
    assert late.can_stop and 0 == late.remaining_estimate and late.remaining_high <= 2
    assert late.recall_low >= 0.9
    early = stopping_estimate(labels[:60], 1000)
    assert not early.can_stop and early.remaining_high > 30
    done = stopping_estimate(labels + [0] * 70, 1000)
    assert (0, 0, 0.0) == (done.remaining_estimate, done.remaining_high, done.p_missed_target)


def test_stopping_estimate_checks_its_input():
    """More screened than exist is an error, not a silent estimate."""
    with pytest.raises(ValueError, match="3 records screened out of 2"):
        stopping_estimate([1, 0, 0], 2)


def test_recall_curve_figure_draws_each_order_and_the_random_diagonal():
    """One step line per screening order plus the diagonal; nothing is shown."""
    fig = recall_curve_figure({"ours": [1, 1, 0, 0], "ASReview": [1, 0, 1, 0]}, 10, 3)
    ax = fig.axes[0]
    assert ["ours", "ASReview", "random order"] == [line.get_label() for line in ax.get_lines()]
    assert ([0, 10], [0, 3]) == tuple(list(v) for v in ax.get_lines()[-1].get_data())
    assert "records screened" == ax.get_xlabel()
    assert 1 == len(recall_curve_figure([1, 0, 1]).axes[0].get_lines()) - 1


def test_nearest_include_in_blocks_equals_one_at_a_time():
    """Many includes at once (a reopened review) give the same similarities as adding them one
    by one, also across several blocks."""
    import review.screening.prioritise as prioritise
    texts = [f"exosome natural killer cell tumour {w} {w}{i % 7} vesicle {i % 5}"
             for i, w in enumerate(["alpha", "beta", "gamma", "delta", "epsilon"] * 8)]
    features = Prioritiser(texts).features
    includes = np.array([1, 4, 9, 16, 25, 36])
    at_once = prioritise._NearestInclude(features)
    one_by_one = prioritise._NearestInclude(features)
    original = prioritise._SIMILARITY_BLOCK
    prioritise._SIMILARITY_BLOCK = 4  # two blocks for six includes
    try:
        batched = at_once.similarity(includes)
    finally:
        prioritise._SIMILARITY_BLOCK = original
    for k in range(1, len(includes) + 1):
        stepwise = one_by_one.similarity(includes[:k])
    np.testing.assert_allclose(stepwise, batched, rtol=1e-6)
    assert 1.0 == pytest.approx(float(batched[includes].min()), rel=1e-5)
