"""The meta-analysis of a living review by search date: the estimate after each search round
pools exactly the studies found up to it."""
from __future__ import annotations

import pandas as pd
import pytest

from review.report.cumulative import cumulative_plot, cumulative_table
from review.report.meta_analysis import meta_analysis_from_outcomes

STUDIES = pd.DataFrame({
    "study": ["Zhu 2017", "Lugini 2012", "Wu 2019", "Kim 2026"],
    "treated_mean": [210.0, 300.0, 150.0, 400.0], "treated_sd": [60.0, 80.0, 50.0, 90.0],
    "treated_n": [6, 8, 5, 10],
    "control_mean": [820.0, 700.0, 600.0, 650.0], "control_sd": [150.0, 160.0, 140.0, 120.0],
    "control_n": [6, 8, 5, 10]})
ROUNDS = pd.DataFrame({"study_id": ["Zhu 2017", "Lugini 2012", "Wu 2019", "Kim 2026"],
                       "round": [0, 0, 1, 2]})
DATES = {0: "2025-08-15", 1: "2026-02-10", 2: "2026-08-01"}


def test_each_round_pools_the_studies_found_up_to_it():
    table = cumulative_table(STUDIES, ROUNDS, DATES, measure="SMD", method="REML")
    assert table["k"].tolist() == [2, 3, 4] and table["new_studies"].tolist() == [2, 1, 1]
    assert table["search_date"].tolist() == list(DATES.values())
    last = meta_analysis_from_outcomes(STUDIES, measure="SMD", method="REML")
    assert table["estimate"].iloc[-1] == pytest.approx(last.estimate)
    first = meta_analysis_from_outcomes(STUDIES.iloc[:2], measure="SMD", method="REML")
    assert table["ci_low"].iloc[0] == pytest.approx(first.ci_low)


def test_a_round_with_too_few_studies_says_why():
    rounds = ROUNDS.assign(round=[0, 1, 1, 1])
    table = cumulative_table(STUDIES, rounds, {0: "2025-08-15", 1: "2026-02-10"}, measure="SMD",
                             method="REML")
    assert table["k"].tolist() == [0, 4]
    assert "at least 2 studies" in table["note"].iloc[0]
    figure = cumulative_plot(table, measure="SMD", ratio=False)
    assert len(figure.axes[0].get_yticks()) == 1  # only the round that could be pooled


def test_a_pooled_outcome_is_refitted_with_its_own_model_up_to_each_round():
    """The report's outcomes (Hartung-Knapp, t prediction interval) accumulate with that model:
    the last round is the reported estimate, each earlier one the same model on fewer studies."""
    from review.report.cumulative import cumulative_refits
    result = meta_analysis_from_outcomes(STUDIES, measure="SMD", method="REML", test="knha",
                                         prediction="t")
    table = cumulative_refits(result, ROUNDS, DATES)
    assert table["k"].tolist() == [2, 3, 4] and table["new_studies"].tolist() == [2, 1, 1]
    assert table["estimate"].iloc[-1] == pytest.approx(result.estimate)
    assert table["ci_low"].iloc[-1] == pytest.approx(result.ci_low)   # the t-based interval
    first = meta_analysis_from_outcomes(STUDIES.iloc[:2], measure="SMD", method="REML",
                                        test="knha")
    assert table["ci_high"].iloc[0] == pytest.approx(first.ci_high)
    late = cumulative_refits(result, ROUNDS.assign(round=[1, 1, 1, 2]), DATES)
    assert late["k"].tolist() == [0, 3, 4] and late["note"].iloc[0]
