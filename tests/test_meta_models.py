"""Meta-regression, subgroups, leave-one-out, Egger's test, trim-and-fill, the three-level model
and the t-based prediction interval, checked against metafor's documented outputs pinned in
tests/data/metafor_models.json (with the source of every number)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from review.report import meta_models as mm
from review.report.effect_sizes import log_odds_ratio, log_risk_ratio
from review.report.meta_analysis import MetaAnalysisError, random_effects

DATA = Path(__file__).parent / "data"
# By printed decimals, as in test_meta_analysis.py. metafor stops REML when τ² changes by less
# than 1e-5, so a statistic that squares a ratio of estimates (QM = z²) moves in the third
# decimal; z in the fourth (its printed -4.0444 is -4.04453 at the exact REML maximum).
TOLERANCE = {0: 0.5, 2: 1e-2, 4: 1e-4, 5: 1e-5}
REML_STOPPING = {"qm": 2e-3, "slope_z": 2e-4}


@pytest.fixture(scope="module")
def pinned() -> dict:
    return json.loads((DATA / "metafor_models.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bcg() -> tuple[np.ndarray, np.ndarray]:
    d = json.loads((DATA / "metafor_dat_bcg.json").read_text(encoding="utf-8"))["data"]
    t, tn, c, cn = (np.array(d[x], dtype=float) for x in ("tpos", "tneg", "cpos", "cneg"))
    effects = log_risk_ratio(t, t + tn, c, c + cn)
    return effects["yi"].to_numpy(), effects["vi"].to_numpy()


def _check(block: dict, actual: dict, overrides: dict | None = None) -> None:
    for key, expected in block["values"].items():
        if isinstance(expected, str):
            assert expected == actual[key], key
            continue
        tolerance = (overrides or {}).get(key, TOLERANCE[block["decimals"][key]])
        assert expected == pytest.approx(actual[key], abs=tolerance), f"{key}: {actual}"


def test_every_block_names_its_source(pinned):
    for name in ("meta_regression_ablat", "leave1out_bcg_first", "regtest_egger2001",
                 "trimfill_hackshaw1998", "three_level_konstantopoulos2011",
                 "mixed_effects_lipsey2001"):
        assert pinned[name]["source"].strip(), name
    assert 56 == len(pinned["three_level_konstantopoulos2011"]["data"])
    assert 37 == len(pinned["trimfill_hackshaw1998"]["data"])
    assert 16 == len(pinned["regtest_egger2001"]["data"])


def test_meta_regression_on_latitude_agrees_with_metafor(pinned, bcg):
    block = pinned["meta_regression_ablat"]
    fit = mm.meta_regression(*bcg, block["ablat"], name="ablat")
    slope, intercept = fit.coefficient("ablat"), fit.coefficient("intercept")
    actual = {"intercept": intercept["estimate"], "intercept_se": intercept["se"],
              "slope": slope["estimate"], "slope_se": slope["se"], "slope_z": slope["z"],
              "tau2": fit.tau2, "i2": fit.i2, "h2": fit.h2, "r2": fit.r2, "qe": fit.qe, "qm": fit.qm}
    _check(block, actual, REML_STOPPING)
    assert 1 == fit.qm_df and fit.qm_p < 1e-4


def test_subgroup_test_is_the_factor_moderator_wald_test(bcg):
    """QM for a factor is the Wald test of its dummies in the mixed-effects model (metafor's
    `rma(yi, vi, mods = ~ alloc)`), computed here by hand at the model's τ²."""
    alloc = ["random"] * 4 + ["alternate"] * 2 + ["random"] * 3 + ["systematic"] * 4
    result = mm.subgroup_analysis(*bcg, alloc, labels=[str(i) for i in range(13)], by="alloc")
    assert ("random", "alternate", "systematic") == tuple(s.name for s in result.subgroups)
    assert 2 == result.df
    X = np.column_stack([np.ones(13), [a == "alternate" for a in alloc],
                         [a == "systematic" for a in alloc]]).astype(float)
    fit = mm.mixed_effects(*bcg, X, names=("b0", "b1", "b2"))
    w = 1 / (bcg[1] + fit.tau2)
    vb = np.linalg.inv(X.T @ (w[:, None] * X))
    b = vb @ X.T @ (w * bcg[0])
    qm = b[1:] @ np.linalg.solve(vb[1:, 1:], b[1:])
    assert qm == pytest.approx(result.q_between, rel=1e-10)
    assert stats.chi2.sf(qm, 2) == pytest.approx(result.p, rel=1e-10)
    alternate = result.subgroups[1].result
    direct = random_effects(bcg[0][4:6], bcg[1][4:6])
    assert direct.estimate == pytest.approx(alternate.estimate, abs=1e-12)
    assert result.test_text().startswith("Test for subgroup differences (alloc): Q = ")


def test_a_subgroup_of_one_study_is_shown_not_pooled(bcg):
    groups = ["a"] * 12 + ["b"]
    result = mm.subgroup_analysis(*bcg, groups, labels=[str(i) for i in range(13)])
    assert result.subgroups[1].result is None and ("12",) == result.subgroups[1].labels
    with pytest.raises(MetaAnalysisError, match="a subgroup analysis needs at least two"):
        mm.subgroup_analysis(*bcg, ["a"] * 13, labels=[str(i) for i in range(13)], by="strategy")


def test_leave_one_out_agrees_with_metafor(pinned, bcg):
    block = pinned["leave1out_bcg_first"]
    fit = random_effects(*bcg, labels=[f"trial {i}" for i in range(1, 14)])
    frame = mm.leave_one_out(fit)
    assert 13 == len(frame) and "trial 1" == frame["left_out"][0]
    first = frame.iloc[0]
    for key, expected in block["values"].items():
        assert expected == pytest.approx(first[key], rel=1e-5), key  # metafor's .tol["misc"]


def _egger2001(pinned):
    rows = pinned["regtest_egger2001"]["data"]
    ai, n1, ci, n2 = (np.array([r[i] for r in rows], dtype=float) for i in (2, 3, 4, 5))
    effects = log_odds_ratio(ai, n1, ci, n2, studies=[f"{r[0]} {r[1]}" for r in rows])
    return random_effects(effects["yi"], effects["vi"], labels=effects["study"], measure="OR")


def test_egger_test_agrees_with_metafor(pinned):
    egger = mm.egger_test(_egger2001(pinned))
    assert egger.done
    _check(pinned["regtest_egger2001"], {"z": egger.z})
    assert egger.text().startswith("Egger's regression test for funnel-plot asymmetry: z = -4.67")


def test_small_study_tests_give_a_reason_below_ten_studies(bcg):
    fit = random_effects(bcg[0][:9], bcg[1][:9])
    egger, fill = mm.egger_test(fit), mm.trim_and_fill(fit)
    assert not egger.done and fill.result is None
    assert egger.text() == ("Egger's test not done: 9 studies, fewer than 10; with so few "
                            "studies the test cannot tell funnel-plot asymmetry from chance "
                            "(Cochrane Handbook 13.3.5.4).")
    assert fill.text().startswith("Trim-and-fill not done: 9 studies, fewer than 10")


def test_trim_and_fill_agrees_with_metafor(pinned):
    block = pinned["trimfill_hackshaw1998"]
    rows = block["data"]
    odds = np.array([r[2] for r in rows])
    low, high = np.array([r[3] for r in rows]), np.array([r[4] for r in rows])
    vi = ((np.log(high) - np.log(low)) / (2 * stats.norm.ppf(0.975))) ** 2
    fit = random_effects(np.log(odds), vi, labels=[f"{r[0]} {r[1]}" for r in rows], measure="OR")
    filled = mm.trim_and_fill(fit)
    r = filled.result
    _check(block, {"missing": filled.missing, "side": filled.side, "se_missing": filled.se_missing,
                   "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low, "ci_high": r.ci_high,
                   "tau2": r.tau2})
    assert 44 == r.k and r.labels[-1] == "Filled 7"


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_three_level_model_agrees_with_metafor(pinned, method):
    data = pinned["three_level_konstantopoulos2011"]
    rows = data["data"]
    fit = mm.three_level([r[2] for r in rows], [r[3] for r in rows], [r[0] for r in rows],
                         method=method)
    assert (56, 11) == (fit.k, fit.studies)
    actual = {"estimate": fit.estimate, "se": fit.se, "sigma2_study": fit.sigma2_study,
              "sigma2_experiment": fit.sigma2_experiment, "icc": fit.icc,
              "log_likelihood": fit.log_likelihood, "pi_low": fit.pi_low, "pi_high": fit.pi_high}
    _check(data[method], actual)


def test_three_level_model_needs_two_studies():
    with pytest.raises(MetaAnalysisError, match="at least 3 effects in 2 studies"):
        mm.three_level([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], ["A", "A", "A"])


def test_prediction_interval_on_t_with_k_minus_2_df(pinned, bcg):
    expected = pinned["prediction_t_k_minus_2"]["RR_REML"]
    fit = random_effects(*bcg, measure="RR", prediction="t")
    assert expected["pi_low"] == pytest.approx(fit.pi_low, abs=5e-4)
    assert expected["pi_high"] == pytest.approx(fit.pi_high, abs=5e-4)
    crit = stats.t.ppf(0.975, 11)
    assert fit.estimate + crit * math.sqrt(fit.se ** 2 + fit.tau2) == pytest.approx(fit.pi_high)
    assert "(t, 11 df)" in fit.summary()


def test_t_prediction_interval_is_wider_than_the_ci_even_without_heterogeneity():
    """The fault the issue names: with τ² = 0 a z-based interval equals the CI; on t it does not."""
    yi, vi = [0.30, 0.31, 0.29, 0.30], [0.04, 0.05, 0.04, 0.06]
    z_fit = random_effects(yi, vi)
    assert 0 == z_fit.tau2 and z_fit.pi_low == pytest.approx(z_fit.ci_low)
    t_fit = random_effects(yi, vi, prediction="t")
    assert t_fit.pi_low < t_fit.ci_low - 0.05 and t_fit.pi_high > t_fit.ci_high + 0.05
    hk = random_effects(yi, vi, test="knha", prediction="t")
    assert hk.pi_low < hk.ci_low
    with pytest.raises(MetaAnalysisError, match="needs at least 3 studies, found 2"):
        random_effects(yi[:2], vi[:2], prediction="t")


def test_mixed_effects_and_subgroup_test_agree_with_metafor_on_lipsey2001(pinned):
    """The test for subgroup differences (a factor's QM, fixed effect) and a mixed-effects model
    with two moderators and DerSimonian-Laird τ², as metafor reproduces Lipsey & Wilson."""
    block = pinned["mixed_effects_lipsey2001"]
    d = block["data"]
    yi, vi = np.array(d["yi"]), np.array(d["vi"])
    X = np.column_stack([np.ones(10), d["random"]])
    anova = mm.mixed_effects(yi, vi, X, names=("intercept", "random"), method="FE")
    _check(block["ANOVA_FE"], {"qm": anova.qm, "qm_p": anova.qm_p, "qe": anova.qe})
    X = np.column_stack([np.ones(10), d["random"], d["intensity"]])
    fit = mm.mixed_effects(yi, vi, X, names=("intercept", "random", "intensity"), method="DL")
    actual = {"qm": fit.qm, "tau2": fit.tau2}
    for name in ("intercept", "random", "intensity"):
        actual[name] = fit.coefficient(name)["estimate"]
        actual[f"{name}_se"] = fit.coefficient(name)["se"]
    _check(block["mixed_DL"], actual)
    assert 2 == fit.qm_df
