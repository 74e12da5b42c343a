"""Effect sizes against metafor's escalc(): values pinned from metafor's documentation and tests
(tests/data/metafor_dat_*.json say where each number comes from), plus hand computations."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from review.report.effect_sizes import (
    CONTINUITY_CORRECTION,
    EffectSizeError,
    effect_sizes,
    hedges_correction,
    log_odds_ratio,
    log_ratio_of_means,
    log_risk_ratio,
    mean_difference,
    standardised_mean_difference,
)

DATA = Path(__file__).parent / "data"
# metafor prints 4 decimals, so a printed value is within 5e-5 of the true one; 1e-4 leaves a
# margin for values metafor itself computed from rounded intermediates.
METAFOR_4DP_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def bcg() -> dict:
    return json.loads((DATA / "metafor_dat_bcg.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def normand() -> dict:
    return json.loads((DATA / "metafor_dat_normand1999.json").read_text(encoding="utf-8"))


def _normand_args(normand: dict) -> list[list[float]]:
    d, rows = normand["data"], [i - 1 for i in normand["subset"]]
    return [[d[c][i] for i in rows] for c in ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")]


def _bcg_counts(bcg: dict) -> tuple[np.ndarray, ...]:
    d = bcg["data"]
    tpos, tneg, cpos, cneg = (np.array(d[c], dtype=float) for c in ("tpos", "tneg", "cpos", "cneg"))
    return tpos, tpos + tneg, cpos, cpos + cneg


def test_smd_matches_metafor_escalc_normand1999(normand):
    """Hedges' g and its variance equal escalc(measure="SMD") for dat.normand1999 studies 1-4."""
    expected = normand["escalc"]["SMD"]
    actual = standardised_mean_difference(*_normand_args(normand))
    np.testing.assert_allclose(actual["yi"], expected["yi"], atol=METAFOR_4DP_TOLERANCE, rtol=0)
    np.testing.assert_allclose(actual["vi"], expected["vi"], atol=METAFOR_4DP_TOLERANCE, rtol=0)


def test_rom_matches_metafor_escalc_normand1999(normand):
    """The log ratio of means and its variance equal escalc(measure="ROM") for studies 1-4."""
    expected = normand["escalc"]["ROM"]
    actual = log_ratio_of_means(*_normand_args(normand))
    np.testing.assert_allclose(actual["yi"], expected["yi"], atol=METAFOR_4DP_TOLERANCE, rtol=0)
    np.testing.assert_allclose(actual["vi"], expected["vi"], atol=METAFOR_4DP_TOLERANCE, rtol=0)


def test_log_risk_ratio_matches_metafor_escalc_bcg(bcg):
    """Log risk ratios and variances of all 13 BCG trials equal escalc(measure="RR")."""
    expected = bcg["escalc_RR"]
    actual = log_risk_ratio(*_bcg_counts(bcg))
    np.testing.assert_allclose(actual["yi"], expected["yi"], atol=METAFOR_4DP_TOLERANCE, rtol=0)
    np.testing.assert_allclose(actual["vi"], expected["vi"], atol=METAFOR_4DP_TOLERANCE, rtol=0)
    assert [False] * 13 == list(actual["corrected"])


def test_log_odds_ratio_matches_metafor_escalc_bcg(bcg):
    """Log odds ratios and variances of the documented BCG trials equal escalc(measure="OR")."""
    expected = bcg["escalc_OR"]
    rows = [t - 1 for t in expected["trials"]]
    actual = log_odds_ratio(*(column[rows] for column in _bcg_counts(bcg)))
    np.testing.assert_allclose(actual["yi"], expected["yi"], atol=METAFOR_4DP_TOLERANCE, rtol=0)
    np.testing.assert_allclose(actual["vi"], expected["vi"], atol=METAFOR_4DP_TOLERANCE, rtol=0)


def test_hedges_g_by_hand():
    """Hedges' g for one study equals the formula written out: c(m)·(m1 - m2)/s_pooled."""
    # treated: mean 12, sd 2, n 10; control: mean 10, sd 3, n 12
    m = 10 + 12 - 2
    s_pooled = math.sqrt((9 * 2 ** 2 + 11 * 3 ** 2) / m)
    c = math.gamma(m / 2) / (math.sqrt(m / 2) * math.gamma((m - 1) / 2))
    g = c * (12 - 10) / s_pooled
    v = 1 / 10 + 1 / 12 + g ** 2 / (2 * (10 + 12))
    actual = standardised_mean_difference([12], [2], [10], [10], [3], [12], studies=["Lugini 2012"])
    assert ["Lugini 2012"] == list(actual["study"])
    assert g == pytest.approx(actual["yi"][0], abs=1e-12)
    assert v == pytest.approx(actual["vi"][0], abs=1e-12)


def test_hedges_correction_close_to_the_usual_approximation():
    """The exact c(m) is below 1 and within 5e-4 of Hedges' approximation 1 - 3/(4m - 1) for
    m ≥ 10, the gap shrinking as m grows (the approximation's error is of order 1/m²)."""
    m = np.array([10, 18, 50, 400, 5000])
    gap = np.abs(hedges_correction(m) - (1 - 3 / (4 * m - 1)))
    assert np.all(gap < 5e-4)
    assert np.all(np.diff(gap) < 0)
    assert np.all(hedges_correction(m) < 1)


def test_mean_difference_by_hand():
    """The mean difference is m1 - m2 with variance sd1²/n1 + sd2²/n2."""
    actual = mean_difference([55], [47], [155], [75], [64], [156])
    assert -20.0 == actual["yi"][0]
    assert 47 ** 2 / 155 + 64 ** 2 / 156 == pytest.approx(actual["vi"][0], abs=1e-12)


def test_continuity_correction_only_for_tables_with_a_zero_cell():
    """0.5 is added to the four cells of a table with a zero cell, and to no other table."""
    actual = log_risk_ratio([0, 4], [10, 20], [5, 8], [10, 20], studies=["Zero", "Full"])
    a, b, c, d = 0.5, 10.5, 5.5, 5.5
    assert math.log((a / (a + b)) / (c / (c + d))) == pytest.approx(actual["yi"][0], abs=1e-12)
    assert 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d) == pytest.approx(actual["vi"][0], abs=1e-12)
    assert math.log((4 / 20) / (8 / 20)) == pytest.approx(actual["yi"][1], abs=1e-12)
    assert [True, False] == list(actual["corrected"])
    assert 0.5 == CONTINUITY_CORRECTION


def test_odds_ratio_zero_non_event_cell_is_corrected():
    """A table where every treated participant had the event (b = 0) gets 0.5 in every cell."""
    actual = log_odds_ratio([10], [10], [5], [10])
    a, b, c, d = 10.5, 0.5, 5.5, 5.5
    assert math.log((a / b) / (c / d)) == pytest.approx(actual["yi"][0], abs=1e-12)
    assert 1 / a + 1 / b + 1 / c + 1 / d == pytest.approx(actual["vi"][0], abs=1e-12)


def test_effect_sizes_from_a_table_accepts_numbers_as_text():
    """A table whose numbers are strings (as extraction stores them) gives the same effects."""
    table = pd.DataFrame({"study": ["A", "B"], "treated_mean": ["12", "3.5"], "treated_sd": ["2", "1"],
                          "treated_n": ["10", "8"], "control_mean": ["10", "3"],
                          "control_sd": ["3", "1.5"], "control_n": ["12", "8"]})
    expected = standardised_mean_difference([12, 3.5], [2, 1], [10, 8], [10, 3], [3, 1.5], [12, 8],
                                            studies=["A", "B"])
    pd.testing.assert_frame_equal(expected, effect_sizes(table, "SMD"))


@pytest.mark.parametrize("call, message", [
    (lambda: standardised_mean_difference([1], [-2], [10], [1], [2], [10], studies=["Rossi 2016a"]),
     "Rossi 2016a: treated_sd must be a positive standard deviation, found -2"),
    (lambda: standardised_mean_difference([1], [2], [1], [1], [2], [10], studies=["Rossi 2016a"]),
     "Rossi 2016a: treated_n must be at least 2 (a group size), found 1"),
    (lambda: mean_difference([1], [2], [10], ["n/a"], [2], [10], studies=["Rossi 2016b"]),
     "Rossi 2016b: control_mean must be a number, found 'n/a'"),
    (lambda: mean_difference([1], [2], [10], [float("nan")], [2], [10], studies=["Rossi 2016b"]),
     "Rossi 2016b: control_mean must be a finite number, found nan"),
    (lambda: log_ratio_of_means([1], [2], [10], [0], [2], [10], studies=["Lugini 2012"]),
     ("Lugini 2012: control_mean must be positive (a ratio of means needs outcomes on a ratio "
      "scale), found 0")),
    (lambda: log_risk_ratio([12], [10], [1], [10], studies=["Lugini 2012"]),
     "Lugini 2012: treated_events must be at most treated_n (10), found 12"),
    (lambda: log_odds_ratio([1], [10], [-1], [10]),
     "study 1: control_events must be 0 or more, found -1"),
    (lambda: log_risk_ratio([1, 2], [10, 10], [1], [10, 10]),
     "control_events: expected one value per study (2), found 1"),
    (lambda: log_risk_ratio([1], [10], [1], [10], studies=["A", "B"]),
     "studies: expected one label per study (1), found 2"),
])
def test_bad_numbers_name_the_study_and_column(call, message):
    """Impossible input raises EffectSizeError naming the study and the column."""
    with pytest.raises(EffectSizeError, match=f"^{re.escape(message)}$"):
        call()


def test_effect_sizes_refuses_unknown_measure_and_missing_columns():
    """effect_sizes names an unknown measure and lists the columns a measure lacks."""
    with pytest.raises(EffectSizeError, match=re.escape("measure: expected one of SMD, MD, ROM, RR, OR, found 'HR'")):
        effect_sizes(pd.DataFrame({"study": []}), "HR")
    table = pd.DataFrame({"study": ["A"], "treated_events": [1], "treated_n": [10]})
    with pytest.raises(EffectSizeError, match=re.escape(
            "outcome table: measure RR needs the columns study, treated_events, treated_n, "
            "control_events, control_n; missing control_events, control_n")):
        effect_sizes(table, "RR")
