"""Random-effects meta-analysis checked against R's metafor: the dat.bcg results (REML, DL,
Knapp-Hartung; risk and odds ratios) and a SMD fit, pinned in tests/data/metafor_dat_*.json with
the source of every number, plus independent checks of the estimators."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from review.report.effect_sizes import (
    EffectSizeError,
    log_odds_ratio,
    log_risk_ratio,
    standardised_mean_difference,
)
from review.report.meta_analysis import (
    MetaAnalysis,
    MetaAnalysisError,
    meta_analysis_from_outcomes,
    random_effects,
    reml_tau2,
)

DATA = Path(__file__).parent / "data"
# Tolerances by how many decimals the source printed. A printed value is within half a unit
# of its last decimal of the true one; the margins allow for metafor's own REML stopping rule
# (change in tau2 below 1e-5) and for values it computed from rounded intermediates.
METAFOR_4DP_TOLERANCE = 1e-4   # metafor prints 4 decimals
METAFOR_2DP_TOLERANCE = 1e-2   # predict(..., digits=2) and the printed I² and H²
# Prediction bounds derived from the documented *rounded* estimate, se and tau2 (see the JSON
# "prediction_intervals" note); the rounding of three inputs propagates to about 1e-4.
DERIVED_TOLERANCE = 5e-4
TOLERANCE = {4: METAFOR_4DP_TOLERANCE, 2: METAFOR_2DP_TOLERANCE}

REQUIRED = {  # the reference grid: what each pinned fit must document
    "RR_REML": {"estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q"},
    "RR_DL": {"estimate", "z", "ci_low", "ci_high", "tau2", "i2", "q"},
    "RR_REML_knha": {"estimate", "se", "ci_low", "ci_high", "exp_pi_low", "exp_pi_high"},
    "OR_DL": {"estimate", "z", "ci_low", "ci_high", "tau2", "i2", "q"},
}


@pytest.fixture(scope="module")
def bcg() -> dict:
    return json.loads((DATA / "metafor_dat_bcg.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def normand() -> dict:
    return json.loads((DATA / "metafor_dat_normand1999.json").read_text(encoding="utf-8"))


def _bcg_effects(bcg: dict, measure: str) -> pd.DataFrame:
    d = bcg["data"]
    tpos, tneg, cpos, cneg = (np.array(d[c], dtype=float) for c in ("tpos", "tneg", "cpos", "cneg"))
    labels = [f"{a} {y}" for a, y in zip(d["author"], d["year"])]
    function = {"RR": log_risk_ratio, "OR": log_odds_ratio}[measure]
    return function(tpos, tpos + tneg, cpos, cpos + cneg, studies=labels)


def _fit(bcg: dict, name: str) -> MetaAnalysis:
    block = bcg["results"][name]
    effects = _bcg_effects(bcg, block["measure"])
    return random_effects(effects["yi"], effects["vi"], labels=effects["study"],
                          method=block["method"], measure=block["measure"], test=block["test"])


def _actual(fit: MetaAnalysis, key: str) -> float:
    if key.startswith("exp_"):
        return getattr(fit.back_transformed(), key[4:])
    return getattr(fit, key)


def test_reference_grid_is_complete(bcg):
    """Every pinned fit documents its source, its decimals and the values the issue asks for."""
    assert set(REQUIRED) == set(bcg["results"])
    for name, required in REQUIRED.items():
        block = bcg["results"][name]
        assert block["source"].strip()
        assert required <= set(block["values"]), name
        assert set(block["values"]) == set(block["decimals"]), name
    assert {"RR_REML", "RR_DL"} == set(bcg["prediction_intervals"]) - {"note"}
    assert 13 == len(bcg["data"]["tpos"]) == len(bcg["escalc_RR"]["yi"])
    assert {"data", "paper", "regenerate"} <= set(bcg["source"])


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_dat_bcg_agrees_with_metafor(bcg, name):
    """Each documented metafor value for dat.bcg is reproduced within its printed precision."""
    block = bcg["results"][name]
    fit = _fit(bcg, name)
    actual = {key: round(_actual(fit, key), 6) for key in block["values"]}
    for key, expected in block["values"].items():
        tolerance = TOLERANCE[block["decimals"][key]]
        assert expected == pytest.approx(actual[key], abs=tolerance), f"{name}.{key}: {actual}"


@pytest.mark.parametrize("name", ["RR_REML", "RR_DL"])
def test_prediction_interval_is_metafor_predict_formula(bcg, name):
    """The prediction interval is estimate ± z·√(se² + τ²), metafor's predict() for test="z"."""
    expected = bcg["prediction_intervals"][name]
    fit = _fit(bcg, name)
    assert expected["pi_low"] == pytest.approx(fit.pi_low, abs=DERIVED_TOLERANCE)
    assert expected["pi_high"] == pytest.approx(fit.pi_high, abs=DERIVED_TOLERANCE)


def test_smd_reml_tau2_agrees_with_metafor(normand):
    """REML τ² of the SMDs of dat.normand1999 studies 1-4 is metafor's 1.0090."""
    d, rows = normand["data"], [i - 1 for i in normand["subset"]]
    args = [[d[c][i] for i in rows] for c in ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")]
    effects = standardised_mean_difference(*args)
    fit = random_effects(effects["yi"], effects["vi"], measure="SMD")
    assert normand["rma"]["SMD_REML"]["tau2"] == pytest.approx(fit.tau2, abs=METAFOR_4DP_TOLERANCE)


def test_reml_maximises_the_restricted_likelihood(bcg):
    """REML τ² equals the maximiser of the restricted log-likelihood found by scipy directly."""
    effects = _bcg_effects(bcg, "OR")
    yi, vi = effects["yi"].to_numpy(), effects["vi"].to_numpy()

    def minus_restricted_loglik(tau2: float) -> float:
        w = 1 / (vi + tau2)
        mu = w @ yi / w.sum()
        return 0.5 * (np.sum(np.log(vi + tau2)) + math.log(w.sum()) + w @ (yi - mu) ** 2)

    best = optimize.minimize_scalar(minus_restricted_loglik, bounds=(0, 10), method="bounded",
                                    options={"xatol": 1e-10})
    assert best.x == pytest.approx(reml_tau2(yi, vi), abs=1e-6)


def test_dl_tau2_is_the_moment_estimator_by_hand():
    """DL τ² is (Q - (k-1)) / (Σw - Σw²/Σw), written out."""
    yi, vi = np.array([0.1, 0.5, -0.2, 0.9]), np.array([0.04, 0.09, 0.05, 0.10])
    w = 1 / vi
    fixed = w @ yi / w.sum()
    q = w @ (yi - fixed) ** 2
    tau2 = (q - 3) / (w.sum() - (w ** 2).sum() / w.sum())
    fit = random_effects(yi, vi, method="DL")
    assert tau2 == pytest.approx(fit.tau2, abs=1e-12)
    assert q == pytest.approx(fit.q, abs=1e-12)
    assert 100 * (q - 3) / q == pytest.approx(fit.i2, abs=1e-9)


def test_homogeneous_studies_give_tau2_zero():
    """When Q is below its df, τ² is 0 (never negative) for DL and REML, and I² is 0."""
    yi, vi = [0.30, 0.31, 0.29, 0.30], [0.04, 0.05, 0.04, 0.06]
    for method in ("DL", "REML"):
        fit = random_effects(yi, vi, method=method)
        assert (0.0, 0.0, 0.0) == (fit.tau2, fit.tau, fit.i2)
        assert 1.0 == fit.h2


def test_level_sets_the_interval_width(bcg):
    """A 90% level uses the 95th normal percentile for the CI and the prediction interval."""
    effects = _bcg_effects(bcg, "RR")
    fit = random_effects(effects["yi"], effects["vi"], measure="RR", level=0.90)
    crit = stats.norm.ppf(0.95)
    assert fit.estimate - crit * fit.se == pytest.approx(fit.ci_low, abs=1e-12)
    assert fit.estimate + crit * math.sqrt(fit.se ** 2 + fit.tau2) == pytest.approx(fit.pi_high, abs=1e-12)


def test_to_frame_lists_studies_with_weights(bcg):
    """to_frame gives one row per study, weights summing to 100, ratios when back-transformed."""
    fit = _fit(bcg, "RR_REML")
    frame = fit.to_frame()
    assert ["study", "effect", "variance", "se", "ci_low", "ci_high", "weight"] == list(frame.columns)
    assert 13 == len(frame)
    assert "Aronson 1948" == frame["study"][0]
    assert 100.0 == pytest.approx(frame["weight"].sum(), abs=1e-9)
    ratios = fit.to_frame(back_transform=True)
    np.testing.assert_allclose(np.exp(frame["ci_high"]), ratios["ci_high"], rtol=1e-12)
    assert 0.4894 == pytest.approx(fit.back_transformed().estimate, abs=METAFOR_4DP_TOLERANCE)


def test_summary_reports_the_model_in_words(bcg):
    """summary() prints τ², I², Q, the estimate with its CI and the back-transformed ratio."""
    lines = _fit(bcg, "RR_REML").summary().splitlines()
    assert "Random-effects meta-analysis (k = 13; \u03c4\u00b2 estimator: REML; test: z)" == lines[0]
    assert "\u03c4\u00b2 = 0.3132, \u03c4 = 0.5597, I\u00b2 = 92.22%, H\u00b2 = 12.86" == lines[3]
    assert "Q(df = 12) = 152.2330, p < 0.001" == lines[4]
    assert "Estimate -0.7145 (SE 0.1798), 95% CI -1.0669 to -0.3622; z = -3.9744, p < 0.001" == lines[6]
    assert lines[8].startswith("As a risk ratio: 0.4894, 95% CI 0.3441 to 0.6962")


def _outcomes() -> pd.DataFrame:
    return pd.DataFrame({
        "study": ["Lugini 2012", "Rossi 2016a", "Rossi 2016b", "Zhu 2017", None],
        "treated_mean": [12.0, 3.5, "8", 20.0, 5.0],
        "treated_sd": [2.0, 1.0, 2.5, None, 1.0],
        "treated_n": [10, 8, 6, 12, 6],
        "control_mean": [10.0, 3.0, "6.5", 15.0, 4.0],
        "control_sd": [3.0, 1.5, "", 4.0, 1.0],
        "control_n": [12, 8, 6, 12, 6],
    })


def test_from_outcomes_skips_rows_with_missing_numbers_and_says_which():
    """Rows with a missing number are left out and listed; the rest are pooled as given."""
    fit = meta_analysis_from_outcomes(_outcomes(), measure="SMD")
    assert ("Rossi 2016b: control_sd is missing", "Zhu 2017: treated_sd is missing",
            "row 5: study is missing") == fit.skipped
    assert ("Lugini 2012", "Rossi 2016a") == fit.labels
    effects = standardised_mean_difference([12, 3.5], [2, 1], [10, 8], [10, 3], [3, 1.5], [12, 8])
    direct = random_effects(effects["yi"], effects["vi"], measure="SMD")
    assert direct.estimate == pytest.approx(fit.estimate, abs=1e-12)
    assert fit.summary().endswith("Left out (3):\n  Rossi 2016b: control_sd is missing\n"
                                  "  Zhu 2017: treated_sd is missing\n  row 5: study is missing")


def test_from_outcomes_counts_for_risk_ratios(bcg):
    """An outcome table of events and group sizes gives the same fit as the effects directly."""
    d = bcg["data"]
    table = pd.DataFrame({"study": d["author"], "treated_events": d["tpos"],
                          "treated_n": np.add(d["tpos"], d["tneg"]), "control_events": d["cpos"],
                          "control_n": np.add(d["cpos"], d["cneg"])})
    fit = meta_analysis_from_outcomes(table, measure="RR", method="DL")
    assert -0.7141 == pytest.approx(fit.estimate, abs=METAFOR_4DP_TOLERANCE)
    assert () == fit.skipped


def test_from_outcomes_refuses_impossible_numbers_and_too_few_studies():
    """A present but impossible number is an error; fewer than 2 usable studies is an error."""
    table = _outcomes()
    table.loc[1, "control_sd"] = -1.5
    with pytest.raises(EffectSizeError, match=re.escape(
            "Rossi 2016a: control_sd must be a positive standard deviation, found -1.5")):
        meta_analysis_from_outcomes(table)
    with pytest.raises(MetaAnalysisError, match=re.escape(
            "a meta-analysis needs at least 2 studies with complete numbers, found 1 "
            "(Rossi 2016b: control_sd is missing; Zhu 2017: treated_sd is missing; "
            "row 4: study is missing)")):  # row 4 of the table given, which lacks Rossi 2016a
        meta_analysis_from_outcomes(_outcomes().drop(index=1))
    with pytest.raises(MetaAnalysisError, match=re.escape(
            "outcome table: measure OR needs the columns study, treated_events, treated_n, "
            "control_events, control_n; missing treated_events, control_events")):
        meta_analysis_from_outcomes(_outcomes(), measure="OR")


@pytest.mark.parametrize("kwargs, message", [
    ({"yi": [0.1], "vi": [0.1]}, "a meta-analysis needs at least 2 studies, found 1"),
    ({"yi": [0.1, 0.2], "vi": [0.1]},
     "yi, vi and labels must have one entry per study: 2 effects, 1 variances, 2 labels"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.0], "labels": ["A", "B"]},
     "B: the sampling variance (vi) must be a positive number, found 0.0"),
    ({"yi": [0.1, float("inf")], "vi": [0.1, 0.1], "labels": ["A", "B"]},
     "B: the effect (yi) must be a finite number, found inf"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "method": "ML"}, "method: expected one of REML, DL, found 'ML'"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "test": "t"}, "test: expected one of z, knha, found 't'"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "measure": "HR"},
     "measure: expected one of SMD, MD, ROM, RR, OR, GEN, found 'HR'"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "level": 95},
     "level: expected a proportion between 0 and 1 (e.g. 0.95), found 95"),
])
def test_random_effects_refuses_bad_input(kwargs, message):
    """Unusable input raises MetaAnalysisError saying what was expected."""
    with pytest.raises(MetaAnalysisError, match=f"^{re.escape(message)}$"):
        random_effects(**kwargs)
