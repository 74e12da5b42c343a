"""Meta-analytic models beyond the pooled random-effects estimate, each agreeing with R's metafor
(pinned in `tests/test_meta_models.py` against metafor's documented outputs, sources in
`tests/data/metafor_*.json`):

- `mixed_effects`: the mixed-effects meta-regression `rma(yi, vi, mods=X)` (REML or DL τ²;
  z or Knapp–Hartung tests), with the omnibus test of moderators QM and the test for residual
  heterogeneity QE; `meta_regression` (one moderator) and `subgroup_analysis` (a factor: separate
  random-effects fits per subgroup, as metafor's forest plot with subgroups draws them, and the
  test for subgroup differences QM from the model with the factor as moderator) use it.
- `leave_one_out`: the model refitted without each study in turn (`leave1out`).
- `egger_test`: the regression test for funnel-plot asymmetry (`regtest`, a mixed-effects model
  with the standard error as moderator), and `trim_and_fill` (Duval & Tweedie's L0 estimator,
  `trimfill`); both only with at least `MIN_STUDIES_FOR_SMALL_STUDY_TESTS` studies, otherwise
  they return the reason in words (Cochrane Handbook 13.3.5.4: with fewer than 10 studies the
  tests are too weak to tell chance from asymmetry).
- `three_level`: several experiments (effects) within a study: `rma.mv(yi, vi, random = ~ 1 |
  study/experiment)` by REML (or ML), the two variance components found by maximising the
  (restricted) likelihood with scipy."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .meta_analysis import (
    REML_MAX_ITERATIONS,
    REML_TOLERANCE,
    MetaAnalysis,
    MetaAnalysisError,
    random_effects,
)

__all__ = [
    "MIN_STUDIES_FOR_SMALL_STUDY_TESTS",
    "MixedEffects",
    "Subgroup",
    "SubgroupAnalysis",
    "SmallStudyTest",
    "TrimAndFill",
    "ThreeLevel",
    "mixed_effects",
    "meta_regression",
    "subgroup_analysis",
    "leave_one_out",
    "egger_test",
    "trim_and_fill",
    "three_level",
]

#: Egger's test and trim-and-fill need at least this many studies (Cochrane Handbook 13.3.5.4).
MIN_STUDIES_FOR_SMALL_STUDY_TESTS = 10


# -- mixed-effects meta-regression ----------------------------------------------------------

@dataclass(frozen=True)
class MixedEffects:
    """A fitted mixed-effects meta-regression; coefficient arrays follow `names`."""
    k: int
    names: tuple[str, ...]
    coefficients: tuple[float, ...]
    se: tuple[float, ...]
    z: tuple[float, ...]
    p: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    tau2: float
    i2: float
    h2: float
    r2: float | None
    qe: float
    qe_p: float
    qm: float
    qm_df: int
    qm_p: float
    method: str
    test: str

    def coefficient(self, name: str) -> dict[str, float]:
        i = self.names.index(name)
        return {"estimate": self.coefficients[i], "se": self.se[i], "z": self.z[i], "p": self.p[i],
                "ci_low": self.ci_low[i], "ci_high": self.ci_high[i]}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"term": self.names, "estimate": self.coefficients, "se": self.se,
                             "statistic": self.z, "p": self.p, "ci_low": self.ci_low,
                             "ci_high": self.ci_high})


def _projection(X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, (X'WX)⁻¹) with P = W - WX(X'WX)⁻¹X'W for weights w."""
    W = np.diag(w)
    xtwx_inv = np.linalg.inv(X.T @ W @ X)
    return W - W @ X @ xtwx_inv @ X.T @ W, xtwx_inv


def _moment_tau2(yi, vi, X) -> float:
    """The method-of-moments (DerSimonian–Laird type) τ² of a meta-regression, truncated at 0."""
    k, p = X.shape
    P, _ = _projection(X, 1 / vi)
    qe = float(yi @ P @ yi)
    return max(0.0, (qe - (k - p)) / float(np.trace(P)))


def _reml_tau2(yi, vi, X, start: float) -> float:
    """REML τ² of a meta-regression by Fisher scoring, as metafor's rma.uni: step =
    (y'PPy - tr P) / tr PP, halved until τ² stays ≥ 0."""
    tau2 = max(0.0, start)
    for _ in range(REML_MAX_ITERATIONS):
        P, _ = _projection(X, 1 / (vi + tau2))
        Py = P @ yi
        step = (float(Py @ Py) - float(np.trace(P))) / float(np.sum(P * P))
        while tau2 + step < 0:
            step /= 2
        tau2 += step
        if abs(step) < REML_TOLERANCE:
            return tau2
    raise MetaAnalysisError(f"REML: \u03c4\u00b2 did not converge in {REML_MAX_ITERATIONS} "
                            "Fisher-scoring steps; try method='DL'")


def mixed_effects(yi: Sequence[float], vi: Sequence[float], X: np.ndarray, *,
                  names: Sequence[str], method: str = "REML", test: str = "z",
                  level: float = 0.95, tested: Sequence[int] | None = None,
                  intercept_only_tau2: float | None = None) -> MixedEffects:
    """Fit `yi = Xβ + u + e`, u ~ N(0, τ²), e ~ N(0, vi), τ² by REML, by the method of moments
    ("DL", metafor's DerSimonian-Laird for models with moderators) or fixed at 0 ("FE"). `tested`
    are the columns QM tests (default: all but the first, the intercept). R² compares τ² with
    `intercept_only_tau2`."""
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    X = np.asarray(X, dtype=float)
    k, p = X.shape
    if k <= p:
        raise MetaAnalysisError(f"a meta-regression with {p} coefficients needs more than {p} "
                                f"studies, found {k}")
    if np.linalg.matrix_rank(X) < p:
        raise MetaAnalysisError("the moderators are collinear (a subgroup or value is the same "
                                "for every study, or one column repeats another)")
    if method not in ("REML", "DL", "FE"):
        raise MetaAnalysisError(f"method: expected REML, DL or FE, found {method!r}")
    start = _moment_tau2(yi, vi, X)
    tau2 = {"FE": 0.0, "DL": start}.get(method) if method != "REML" else _reml_tau2(yi, vi, X, start)
    w = 1 / (vi + tau2)
    P, vb = _projection(X, w)
    beta = vb @ X.T @ (w * yi)
    tested = list(range(1, p)) if tested is None else list(tested)
    m = len(tested)
    if test == "knha":
        s2 = float(yi @ P @ yi) / (k - p)
        vb = s2 * vb
        dist = stats.t(df=k - p)
    else:
        dist = stats.norm()
    se = np.sqrt(np.diag(vb))
    crit = float(dist.ppf(1 - (1 - level) / 2))
    z = beta / se
    pvals = 2 * dist.sf(np.abs(z))
    if m:
        b, V = beta[tested], vb[np.ix_(tested, tested)]
        qm = float(b @ np.linalg.solve(V, b))
        if test == "knha":
            qm /= m
            qm_p = float(stats.f.sf(qm, m, k - p))
        else:
            qm_p = float(stats.chi2.sf(qm, m))
    else:
        qm, qm_p = float("nan"), float("nan")
    P_fixed, _ = _projection(X, 1 / vi)
    qe = float(yi @ P_fixed @ yi)
    typical_v = (k - p) / float(np.trace(P_fixed))
    r2 = None
    if intercept_only_tau2 is not None and intercept_only_tau2 > 0:
        r2 = max(0.0, 100 * (intercept_only_tau2 - tau2) / intercept_only_tau2)
    return MixedEffects(
        k=k, names=tuple(names), coefficients=tuple(map(float, beta)), se=tuple(map(float, se)),
        z=tuple(map(float, z)), p=tuple(map(float, pvals)),
        ci_low=tuple(map(float, beta - crit * se)), ci_high=tuple(map(float, beta + crit * se)),
        tau2=float(tau2), i2=100 * tau2 / (typical_v + tau2), h2=(typical_v + tau2) / typical_v,
        r2=r2, qe=qe, qe_p=float(stats.chi2.sf(qe, k - p)), qm=qm, qm_df=m, qm_p=qm_p,
        method=method, test=test)


def meta_regression(yi, vi, moderator: Sequence[float], *, name: str = "moderator",
                    method: str = "REML", test: str = "z", level: float = 0.95) -> MixedEffects:
    """Meta-regression on one numeric moderator (`rma(yi, vi, mods = ~ moderator)`)."""
    x = np.asarray(moderator, dtype=float)
    if not np.all(np.isfinite(x)):
        raise MetaAnalysisError(f"{name}: every study needs a number for the moderator")
    X = np.column_stack([np.ones_like(x), x])
    base = random_effects(yi, vi, method=method)
    return mixed_effects(yi, vi, X, names=("intercept", name), method=method, test=test,
                         level=level, intercept_only_tau2=base.tau2)


# -- subgroups ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Subgroup:
    """One subgroup: its studies and, with at least 2 of them, its own random-effects fit."""
    name: str
    labels: tuple[str, ...]
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    result: MetaAnalysis | None


@dataclass(frozen=True)
class SubgroupAnalysis:
    """Subgroups in their order of first appearance, the overall fit, and the test for subgroup
    differences (QM of the model with the subgroup as a factor, metafor's convention)."""
    by: str
    subgroups: tuple[Subgroup, ...]
    overall: MetaAnalysis
    q_between: float
    df: int
    p: float
    test: str

    def test_text(self) -> str:
        stat = "F" if self.test == "knha" else "Q"
        p = "p < 0.001" if self.p < 0.001 else f"p = {self.p:.3f}"
        return (f"Test for subgroup differences ({self.by}): {stat} = {self.q_between:.2f}, "
                f"df = {self.df}, {p}")


def subgroup_analysis(yi, vi, groups: Sequence[Any], *, labels: Sequence[str], by: str = "subgroup",
                      method: str = "REML", test: str = "z", measure: str = "GEN",
                      level: float = 0.95, prediction: str = "test") -> SubgroupAnalysis:
    """Random-effects fit within each subgroup (a subgroup of one study is shown, not pooled)
    and the test for subgroup differences with its degrees of freedom."""
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    groups = [str(g) for g in groups]
    labels = [str(x) for x in labels]
    if not (len(groups) == len(yi) == len(vi) == len(labels)):
        raise MetaAnalysisError("yi, vi, groups and labels must have one entry per study")
    names = list(dict.fromkeys(groups))
    overall = random_effects(yi, vi, method=method, labels=labels, measure=measure, level=level,
                             test=test, prediction=prediction)
    subgroups = []
    for name in names:
        idx = [i for i, g in enumerate(groups) if g == name]
        fit = None
        if len(idx) >= 2:
            fit = random_effects(yi[idx], vi[idx], method=method, labels=[labels[i] for i in idx],
                                 measure=measure, level=level, test=test,
                                 prediction=prediction if len(idx) >= 3 else "test")
        subgroups.append(Subgroup(name, tuple(labels[i] for i in idx), tuple(map(float, yi[idx])),
                                  tuple(map(float, vi[idx])), fit))
    if len(names) < 2:
        raise MetaAnalysisError(f"{by}: every study is in one subgroup ({names[0]}); "
                                "a subgroup analysis needs at least two")
    X = np.column_stack([np.ones(len(yi))] + [[1.0 if g == n else 0.0 for g in groups]
                                              for n in names[1:]])
    fit = mixed_effects(yi, vi, X, names=["intercept", *names[1:]], method=method, test=test,
                        level=level)
    return SubgroupAnalysis(by=by, subgroups=tuple(subgroups), overall=overall,
                            q_between=fit.qm, df=fit.qm_df, p=fit.qm_p, test=test)


# -- sensitivity and small-study effects ------------------------------------------------------

def _refit(result: MetaAnalysis, keep: Sequence[int], **changes) -> MetaAnalysis:
    yi, vi = np.asarray(result.yi), np.asarray(result.vi)
    options = dict(method=result.method, labels=[result.labels[i] for i in keep],
                   measure=result.measure, level=result.level, test=result.test,
                   prediction=result.prediction if len(keep) >= 3 else "test")
    options.update(changes)
    return random_effects(yi[list(keep)], vi[list(keep)], **options)


def leave_one_out(result: MetaAnalysis) -> pd.DataFrame:
    """One row per study left out: the refitted estimate, se, CI, Q, τ², I² and H²
    (metafor's `leave1out`), on the analysis scale."""
    if result.k < 3:
        raise MetaAnalysisError("a leave-one-out analysis needs at least 3 studies")
    rows = []
    for i, label in enumerate(result.labels):
        fit = _refit(result, [j for j in range(result.k) if j != i])
        rows.append({"left_out": label, "estimate": fit.estimate, "se": fit.se, "z": fit.z,
                     "p": fit.p, "ci_low": fit.ci_low, "ci_high": fit.ci_high, "q": fit.q,
                     "q_p": fit.q_p, "tau2": fit.tau2, "i2": fit.i2, "h2": fit.h2})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SmallStudyTest:
    """Egger's regression test, or why it was not run (`reason`)."""
    k: int
    z: float | None = None
    p: float | None = None
    limit_estimate: float | None = None
    reason: str = ""

    @property
    def done(self) -> bool:
        return self.z is not None

    def text(self) -> str:
        if not self.done:
            return self.reason
        p = "p < 0.001" if self.p < 0.001 else f"p = {self.p:.3f}"
        return (f"Egger's regression test for funnel-plot asymmetry: z = {self.z:.2f}, {p} "
                f"(k = {self.k})")


def _too_few(k: int, what: str) -> str:
    return (f"{what} not done: {k} stud{'y' if k == 1 else 'ies'}, fewer than "
            f"{MIN_STUDIES_FOR_SMALL_STUDY_TESTS}; with so few studies the test cannot tell "
            "funnel-plot asymmetry from chance (Cochrane Handbook 13.3.5.4).")


def egger_test(result: MetaAnalysis) -> SmallStudyTest:
    """metafor's `regtest(res)`: the mixed-effects model with the standard error as moderator
    (the model's τ² estimator); z tests its coefficient, the intercept is the limit estimate."""
    if result.k < MIN_STUDIES_FOR_SMALL_STUDY_TESTS:
        return SmallStudyTest(result.k, reason=_too_few(result.k, "Egger's test"))
    yi, vi = np.asarray(result.yi), np.asarray(result.vi)
    X = np.column_stack([np.ones(result.k), np.sqrt(vi)])
    fit = mixed_effects(yi, vi, X, names=("intercept", "sei"), method=result.method,
                        test=result.test, level=result.level)
    slope = fit.coefficient("sei")
    return SmallStudyTest(result.k, z=slope["z"], p=slope["p"], limit_estimate=fit.coefficients[0])


@dataclass(frozen=True)
class TrimAndFill:
    """Trim-and-fill: how many studies were filled on which side, and the refitted model."""
    k: int
    missing: int = 0
    side: str = ""
    se_missing: float | None = None
    result: MetaAnalysis | None = None
    reason: str = ""

    def text(self) -> str:
        if self.result is None:
            return self.reason
        return (f"Trim-and-fill (L0): {self.missing} stud{'y' if self.missing == 1 else 'ies'} "
                f"estimated missing on the {self.side}; adjusted estimate "
                f"{self.result.estimate:.2f} ({100 * self.result.level:g}% CI "
                f"{self.result.ci_low:.2f} to {self.result.ci_high:.2f})")


def trim_and_fill(result: MetaAnalysis, *, max_iterations: int = 100) -> TrimAndFill:
    """Duval & Tweedie's trim-and-fill with the L0 estimator, as metafor's `trimfill`: the side
    comes from the sign of the standard-error slope, studies are trimmed from the other side
    until the count of missing studies settles, then their mirror images are added."""
    k = result.k
    if k < MIN_STUDIES_FOR_SMALL_STUDY_TESTS:
        return TrimAndFill(k, reason=_too_few(k, "Trim-and-fill"))
    yi_all, vi_all = np.asarray(result.yi), np.asarray(result.vi)
    slope = mixed_effects(yi_all, vi_all, np.column_stack([np.ones(k), np.sqrt(vi_all)]),
                          names=("intercept", "sei"), method=result.method).coefficients[1]
    side = "right" if slope < 0 else "left"
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * yi_all, kind="stable")
    y, v = sign * yi_all[order], vi_all[order]
    k0, previous, se_k0, centre = 0, -1, 0.0, 0.0
    for _ in range(max_iterations):
        if k0 == previous:
            break
        previous = k0
        centre = random_effects(y[:k - k0], v[:k - k0], method=result.method).estimate
        centred = y - centre
        ranks = stats.rankdata(np.abs(centred), method="ordinal")
        s_r = float(np.sum(ranks[centred > 0]))
        raw = (4 * s_r - k * (k + 1)) / (2 * k - 1)
        var_sr = (k * (k + 1) * (2 * k + 1) + 10 * raw ** 3 + 27 * raw ** 2 + 17 * raw
                  - 18 * k * raw ** 2 - 18 * k * raw + 6 * k ** 2 * raw) / 24
        se_k0 = max(0.0, 4 * math.sqrt(max(var_sr, 0.0)) / (2 * k - 1))
        k0 = max(0, round(raw))  # half to even, as R's round()
    else:
        raise MetaAnalysisError("trim-and-fill did not settle on a number of missing studies")
    if k0 == 0:
        return TrimAndFill(k, 0, side, se_k0, result)
    filled_y = sign * (2 * centre - y[k - k0:])
    filled_v = v[k - k0:]
    labels = list(result.labels) + [f"Filled {i}" for i in range(1, k0 + 1)]
    fit = random_effects(np.concatenate([yi_all, filled_y]), np.concatenate([vi_all, filled_v]),
                         method=result.method, labels=labels, measure=result.measure,
                         level=result.level, test=result.test, prediction=result.prediction)
    return TrimAndFill(k, k0, side, se_k0, fit)


# -- three-level model ----------------------------------------------------------------------

@dataclass(frozen=True)
class ThreeLevel:
    """Effects (experiments) nested in studies: σ²(study), σ²(experiment within study)."""
    k: int
    studies: int
    estimate: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    sigma2_study: float
    sigma2_experiment: float
    log_likelihood: float
    method: str
    measure: str = "GEN"
    level: float = 0.95
    labels: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    yi: tuple[float, ...] = ()
    vi: tuple[float, ...] = ()
    skipped: tuple[str, ...] = field(default=())

    @property
    def icc(self) -> float:
        total = self.sigma2_study + self.sigma2_experiment
        return self.sigma2_study / total if total > 0 else 0.0

    def summary(self) -> str:
        pct = f"{100 * self.level:g}%"
        p = "p < 0.001" if self.p < 0.001 else f"p = {self.p:.3f}"
        return "\n".join([
            f"Three-level random-effects model (k = {self.k} experiments in {self.studies} "
            f"studies; {self.method})",
            f"\u03c3\u00b2 between studies = {self.sigma2_study:.4f}, \u03c3\u00b2 between "
            f"experiments within a study = {self.sigma2_experiment:.4f}",
            f"Estimate {self.estimate:.4f} (SE {self.se:.4f}), {pct} CI {self.ci_low:.4f} to "
            f"{self.ci_high:.4f}; z = {self.z:.4f}, {p}",
            f"{pct} prediction interval {self.pi_low:.4f} to {self.pi_high:.4f}",
        ])


def _three_level_fit(yi, vi, Z, sigmas, reml: bool):
    V = np.diag(vi) + sigmas[0] * (Z @ Z.T) + sigmas[1] * np.eye(len(yi))
    V_inv = np.linalg.inv(V)
    one = np.ones(len(yi))
    info = float(one @ V_inv @ one)
    mu = float(one @ V_inv @ yi) / info
    r = yi - mu
    _, logdet = np.linalg.slogdet(V)
    k = len(yi)
    if reml:
        ll = -0.5 * ((k - 1) * math.log(2 * math.pi) + logdet + math.log(info) + r @ V_inv @ r
                     - math.log(k))  # + ½ log|X'X|, as metafor reports it
    else:
        ll = -0.5 * (k * math.log(2 * math.pi) + logdet + r @ V_inv @ r)
    return float(ll), mu, math.sqrt(1 / info)


def three_level(yi: Sequence[float], vi: Sequence[float], clusters: Sequence[Any], *,
                labels: Sequence[str] | None = None, method: str = "REML", measure: str = "GEN",
                level: float = 0.95, skipped: Sequence[str] = ()) -> ThreeLevel:
    """Fit `rma.mv(yi, vi, random = ~ 1 | study/experiment)`: the (restricted) likelihood is
    maximised over both variance components (≥ 0) with scipy's bounded quasi-Newton method."""
    if method not in ("REML", "ML"):
        raise MetaAnalysisError(f"method: expected REML or ML, found {method!r}")
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    clusters = [str(c) for c in clusters]
    k = len(yi)
    names = list(dict.fromkeys(clusters))
    if k < 3 or len(names) < 2:
        raise MetaAnalysisError(f"a three-level model needs at least 3 effects in 2 studies, "
                                f"found {k} in {len(names)}")
    Z = np.array([[1.0 if c == n else 0.0 for n in names] for c in clusters])
    reml = method == "REML"

    def minus(x):
        return -_three_level_fit(yi, vi, Z, np.maximum(x, 0.0), reml)[0]

    start = max(random_effects(yi, vi, method="DL").tau2, 0.01) / 2
    best = None
    for guess in ((start, start), (2 * start, start / 4), (start / 4, 2 * start)):
        fit = optimize.minimize(minus, np.array(guess), method="L-BFGS-B",
                                bounds=[(0, None), (0, None)],
                                options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 1000})
        if best is None or fit.fun < best.fun:
            best = fit
    sigmas = np.maximum(best.x, 0.0)
    ll, mu, se = _three_level_fit(yi, vi, Z, sigmas, reml)
    crit = float(stats.norm.ppf(1 - (1 - level) / 2))
    z = mu / se
    half_pi = crit * math.sqrt(se ** 2 + sigmas.sum())
    labels = tuple(str(x) for x in labels) if labels is not None else tuple(
        f"{c} ({i})" for i, c in enumerate(clusters, 1))
    return ThreeLevel(
        k=k, studies=len(names), estimate=mu, se=se, z=z, p=float(2 * stats.norm.sf(abs(z))),
        ci_low=mu - crit * se, ci_high=mu + crit * se, pi_low=mu - half_pi, pi_high=mu + half_pi,
        sigma2_study=float(sigmas[0]), sigma2_experiment=float(sigmas[1]), log_likelihood=ll,
        method=method, measure=measure, level=level, labels=labels, clusters=tuple(clusters),
        yi=tuple(map(float, yi)), vi=tuple(map(float, vi)), skipped=tuple(skipped))
