"""Random-effects meta-analysis of per-study effects, with results that agree with R's metafor
(`rma.uni`), pinned in `tests/test_meta_analysis.py` against metafor's documented dat.bcg results.

Data → fit → results, in PyMARE's manner: `random_effects(yi, vi, ...)` returns a frozen
`MetaAnalysis` that renders to a per-study DataFrame (`to_frame`) and to text (`summary`).

- τ² by DerSimonian–Laird (from statsmodels' `combine_effects`, truncated at 0 as metafor does)
  or by REML (Fisher scoring as in metafor, with step halving so that τ² stays ≥ 0; statsmodels
  has no REML estimator for this model).
- I² and H² as metafor defines them for every estimator: I² = 100·τ²/(τ² + ṽ), H² = (τ² + ṽ)/ṽ,
  with ṽ = (k-1)/(Σw - Σw²/Σw) the "typical" within-study variance (w = 1/vᵢ). For DL this
  equals the familiar (Q - df)/Q.
- Tests and intervals: `test="z"` (metafor's default) uses the normal distribution; `test="knha"`
  the Hartung–Knapp(–Sidik–Jonkman) adjustment with a t distribution on k-1 df. The prediction
  interval is estimate ± crit·√(se² + τ²): with `prediction="test"` the critical value is the
  test's (metafor's `predict()`), with `prediction="t"` it is a t quantile on k-2 df (Higgins,
  Thompson & Spiegelhalter 2009, as the Cochrane Handbook 10.10.4.3 recommends), so even with
  τ² = 0 it is wider than a z-based confidence interval.
- Ratio measures (RR, OR, ROM) are pooled on the log scale; `back_transformed()` gives the
  estimate and intervals as ratios."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ReviewError
from .effect_sizes import (
    COUNT_COLUMNS,
    MEAN_COLUMNS,
    MEASURES,
    RATIO_MEASURES,
    effect_sizes,
)

__all__ = [
    "METHODS",
    "TESTS",
    "PREDICTIONS",
    "REML_TOLERANCE",
    "REML_MAX_ITERATIONS",
    "MetaAnalysisError",
    "MetaAnalysis",
    "Pooled",
    "random_effects",
    "meta_analysis_from_outcomes",
    "reml_tau2",
]

METHODS = ("REML", "DL")
TESTS = ("z", "knha")
#: How the prediction interval's critical value is chosen (see the module docstring).
PREDICTIONS = ("test", "t")
#: REML stops when a Fisher-scoring step changes τ² by less than this (metafor: 1e-5).
REML_TOLERANCE = 1e-10
REML_MAX_ITERATIONS = 100  # metafor's default maxiter

_MEASURE_NAMES = {
    "SMD": "standardised mean difference (Hedges' g)",
    "MD": "mean difference",
    "ROM": "ratio of means",
    "RR": "risk ratio",
    "OR": "odds ratio",
    "GEN": "effect",
}


class MetaAnalysisError(ReviewError, ValueError):
    """Input a meta-analysis cannot use; the message names the study or argument."""


@dataclass(frozen=True)
class Pooled:
    """The pooled estimate with its confidence and prediction intervals on one scale."""
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float


@dataclass(frozen=True)
class MetaAnalysis:
    """A fitted random-effects model. Effects are on the analysis scale (log for ratios);
    `i2` is a percentage (0-100), as metafor reports it."""
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_p: float
    pi_low: float
    pi_high: float
    method: str
    measure: str
    level: float = 0.95
    test: str = "z"
    prediction: str = "test"
    labels: tuple[str, ...] = ()
    yi: tuple[float, ...] = ()
    vi: tuple[float, ...] = ()
    skipped: tuple[str, ...] = field(default=())

    @property
    def is_ratio(self) -> bool:
        """True when effects are log ratios, shown as ratios (log axis, exp back-transform)."""
        return self.measure in RATIO_MEASURES

    @property
    def weights(self) -> np.ndarray:
        """Random-effects weight of each study in percent (1/(vᵢ + τ²), normalised)."""
        w = 1 / (np.asarray(self.vi) + self.tau2)
        return 100 * w / w.sum()

    def _transform(self, values):
        return np.exp(values) if self.is_ratio else np.asarray(values, dtype=float)

    def back_transformed(self) -> Pooled:
        """Estimate and intervals on the reporting scale: exp() for ratio measures."""
        values = self._transform([self.estimate, self.ci_low, self.ci_high, self.pi_low, self.pi_high])
        return Pooled(*(float(v) for v in values))

    def to_frame(self, *, back_transform: bool = False) -> pd.DataFrame:
        """One row per study: study, effect (yi), variance (vi), se, its confidence interval at
        `level` (normal, as metafor's forest plot) and weight (%); ratios if `back_transform`."""
        yi, vi = np.asarray(self.yi, dtype=float), np.asarray(self.vi, dtype=float)
        se = np.sqrt(vi)
        crit = stats.norm.ppf(1 - (1 - self.level) / 2)
        frame = pd.DataFrame({
            "study": list(self.labels),
            "effect": yi,
            "variance": vi,
            "se": se,
            "ci_low": yi - crit * se,
            "ci_high": yi + crit * se,
            "weight": self.weights,
        })
        if back_transform:
            for column in ("effect", "ci_low", "ci_high"):
                frame[column] = self._transform(frame[column])
        return frame

    def heterogeneity_text(self) -> str:
        """One line: I², τ², Q with its df and p, as a forest plot shows it."""
        return (f"I\u00b2 = {self.i2:.1f}%, \u03c4\u00b2 = {_num(self.tau2)}, "
                f"Q = {self.q:.2f} (df = {self.k - 1}), {_p(self.q_p)}")

    def summary(self) -> str:
        """Plain-text report of the model, in the order metafor prints it."""
        name = _MEASURE_NAMES.get(self.measure, self.measure)
        pct = f"{100 * self.level:g}%"
        stat = "z" if self.test == "z" else f"t({self.k - 1})"
        lines = [
            (f"Random-effects meta-analysis (k = {self.k}; \u03c4\u00b2 estimator: {self.method}; "
             f"test: {'Knapp-Hartung' if self.test == 'knha' else 'z'})"),
            f"Measure: {name}{' (pooled on the log scale)' if self.is_ratio else ''}",
            "",
            (f"\u03c4\u00b2 = {self.tau2:.4f}, \u03c4 = {self.tau:.4f}, I\u00b2 = {self.i2:.2f}%, "
             f"H\u00b2 = {self.h2:.2f}"),
            f"Q(df = {self.k - 1}) = {self.q:.4f}, {_p(self.q_p)}",
            "",
            (f"Estimate {self.estimate:.4f} (SE {self.se:.4f}), {pct} CI {self.ci_low:.4f} to "
             f"{self.ci_high:.4f}; {stat} = {self.z:.4f}, {_p(self.p)}"),
            f"{pct} prediction interval {self.pi_low:.4f} to {self.pi_high:.4f}"
            + (f" (t, {self.k - 2} df)" if self.prediction == "t" else ""),
        ]
        if self.is_ratio:
            b = self.back_transformed()
            lines.append(f"As a {name}: {b.estimate:.4f}, {pct} CI {b.ci_low:.4f} to {b.ci_high:.4f}, "
                         f"prediction interval {b.pi_low:.4f} to {b.pi_high:.4f}")
        if self.skipped:
            lines += ["", f"Left out ({len(self.skipped)}):", *(f"  {s}" for s in self.skipped)]
        return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:.3f}" if x >= 0.001 or x == 0 else f"{x:.2g}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


# -- fitting ------------------------------------------------------------------------------

def _pool(yi: np.ndarray, vi: np.ndarray, tau2: float) -> tuple[float, float, np.ndarray]:
    w = 1 / (vi + tau2)
    return float(w @ yi / w.sum()), float(math.sqrt(1 / w.sum())), w


def reml_tau2(yi: Sequence[float], vi: Sequence[float], *, start: float = 0.0) -> float:
    """REML estimate of τ² for the intercept-only model by Fisher scoring, as metafor's rma.uni:
    step = (y'PPy - tr P) / tr PP, halved until τ² + step ≥ 0."""
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    tau2 = max(0.0, float(start))
    for _ in range(REML_MAX_ITERATIONS):
        mu, _, w = _pool(yi, vi, tau2)
        sw, sw2, sw3 = w.sum(), (w ** 2).sum(), (w ** 3).sum()
        trace_p = sw - sw2 / sw
        trace_pp = sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2
        step = (float((w ** 2) @ (yi - mu) ** 2) - trace_p) / trace_pp
        while tau2 + step < 0:
            step /= 2
        tau2 += step
        if abs(step) < REML_TOLERANCE:
            return tau2
    raise MetaAnalysisError(f"REML: \u03c4\u00b2 did not converge in {REML_MAX_ITERATIONS} "
                            "Fisher-scoring steps; try method='DL'")


def _dersimonian_laird(yi: np.ndarray, vi: np.ndarray) -> tuple[float, float]:
    """(τ², Q) from statsmodels, with τ² truncated at 0 (statsmodels leaves it negative)."""
    from statsmodels.stats.meta_analysis import combine_effects
    with np.errstate(invalid="ignore"):  # it takes sqrt of its (unused) HKSJ variance even when < 0
        fit = combine_effects(yi, vi, method_re="dl")
    return max(0.0, float(fit.tau2)), float(fit.q)


def _inputs(yi, vi, labels) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    yi = np.asarray(yi, dtype=float).ravel()
    vi = np.asarray(vi, dtype=float).ravel()
    k = len(yi)
    labels = tuple(str(x) for x in labels) if labels is not None else tuple(f"study {i}" for i in range(1, k + 1))
    if len(vi) != k or len(labels) != k:
        raise MetaAnalysisError(f"yi, vi and labels must have one entry per study: "
                                f"{k} effects, {len(vi)} variances, {len(labels)} labels")
    if k < 2:
        raise MetaAnalysisError(f"a meta-analysis needs at least 2 studies, found {k}")
    for label, y, v in zip(labels, yi, vi):
        if not math.isfinite(y):
            raise MetaAnalysisError(f"{label}: the effect (yi) must be a finite number, found {y}")
        if not (math.isfinite(v) and v > 0):
            raise MetaAnalysisError(f"{label}: the sampling variance (vi) must be a positive number, found {v}")
    return yi, vi, labels


def random_effects(yi: Sequence[float], vi: Sequence[float], *, method: str = "REML",
                   labels: Sequence[Any] | None = None, measure: str = "GEN",
                   level: float = 0.95, test: str = "z", prediction: str = "test",
                   skipped: Sequence[str] = ()) -> MetaAnalysis:
    """Fit the random-effects model to effects `yi` with sampling variances `vi` (log scale for
    ratio measures). `method` estimates τ² ("REML" or "DL"); `level` is the confidence and
    prediction level; `test` is "z" (metafor's default) or "knha" (Knapp–Hartung);
    `prediction` is "test" (metafor's predict()) or "t" (t on k-2 df, needs 3 studies)."""
    if method not in METHODS:
        raise MetaAnalysisError(f"method: expected one of {', '.join(METHODS)}, found {method!r}")
    if test not in TESTS:
        raise MetaAnalysisError(f"test: expected one of {', '.join(TESTS)}, found {test!r}")
    if measure not in MEASURES:
        raise MetaAnalysisError(f"measure: expected one of {', '.join(MEASURES)}, found {measure!r}")
    if not 0 < level < 1:
        raise MetaAnalysisError(f"level: expected a proportion between 0 and 1 (e.g. 0.95), found {level!r}")
    if prediction not in PREDICTIONS:
        raise MetaAnalysisError(f"prediction: expected one of {', '.join(PREDICTIONS)}, found {prediction!r}")
    yi, vi, labels = _inputs(yi, vi, labels)
    k = len(yi)
    if prediction == "t" and k < 3:
        raise MetaAnalysisError(f"a prediction interval on t with k-2 df needs at least 3 studies, found {k}")

    tau2_dl, q = _dersimonian_laird(yi, vi)
    tau2 = tau2_dl if method == "DL" else reml_tau2(yi, vi, start=tau2_dl)
    estimate, se, w = _pool(yi, vi, tau2)

    if test == "knha":
        s2 = float(w @ (yi - estimate) ** 2) / (k - 1)
        se = math.sqrt(s2 / w.sum())
        distribution = stats.t(df=k - 1)
    else:
        distribution = stats.norm()
    crit = float(distribution.ppf(1 - (1 - level) / 2))
    z = estimate / se
    p = float(2 * distribution.sf(abs(z)))
    crit_pi = float(stats.t.ppf(1 - (1 - level) / 2, df=k - 2)) if prediction == "t" else crit
    half_pi = crit_pi * math.sqrt(se ** 2 + tau2)

    w_fixed = 1 / vi
    typical_v = (k - 1) / (w_fixed.sum() - (w_fixed ** 2).sum() / w_fixed.sum())
    return MetaAnalysis(
        k=k, estimate=estimate, se=se,
        ci_low=estimate - crit * se, ci_high=estimate + crit * se,
        z=z, p=p, tau2=tau2, tau=math.sqrt(tau2),
        i2=100 * tau2 / (typical_v + tau2), h2=(typical_v + tau2) / typical_v,
        q=q, q_p=float(stats.chi2.sf(q, k - 1)),
        pi_low=estimate - half_pi, pi_high=estimate + half_pi,
        method=method, measure=measure, level=level, test=test, prediction=prediction,
        labels=labels, yi=tuple(float(y) for y in yi), vi=tuple(float(v) for v in vi),
        skipped=tuple(skipped),
    )


# -- from an extraction table ---------------------------------------------------------------

def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def meta_analysis_from_outcomes(frame: pd.DataFrame, *, measure: str = "SMD", method: str = "REML",
                                level: float = 0.95, test: str = "z",
                                prediction: str = "test") -> MetaAnalysis:
    """Meta-analysis of one outcome from a table with one row per study: `study` plus
    treated_/control_ mean, sd, n (SMD, MD, ROM) or treated_/control_ events, n (RR, OR).
    Rows with a missing number are left out and listed in the result's `skipped`
    ("Rossi 2016: control_sd is missing"); a number that is present but impossible is an error."""
    if measure not in ("SMD", "MD", "ROM", "RR", "OR"):
        raise MetaAnalysisError(f"measure: expected one of SMD, MD, ROM, RR, OR, found {measure!r}")
    columns = COUNT_COLUMNS if measure in ("RR", "OR") else MEAN_COLUMNS
    missing_columns = [c for c in ("study", *columns) if c not in frame.columns]
    if missing_columns:
        raise MetaAnalysisError(f"outcome table: measure {measure} needs the columns "
                                f"{', '.join(('study', *columns))}; missing {', '.join(missing_columns)}")
    keep, skipped = [], []
    for position, row in enumerate(frame.itertuples(index=False)):
        values = row._asdict()
        study = values["study"]
        label = f"row {position + 1}" if _is_missing(study) else str(study)
        absent = [c for c in columns if _is_missing(values[c])]
        if _is_missing(study):
            absent.insert(0, "study")
        if absent:
            skipped.append(f"{label}: {', '.join(absent)} {'is' if len(absent) == 1 else 'are'} missing")
        else:
            keep.append(position)
    usable = frame.iloc[keep]
    if len(usable) < 2:
        reasons = "; ".join(skipped) if skipped else "the table has fewer than 2 rows"
        raise MetaAnalysisError(f"a meta-analysis needs at least 2 studies with complete numbers, "
                                f"found {len(usable)} ({reasons})")
    effects = effect_sizes(usable, measure)
    return random_effects(effects["yi"], effects["vi"], method=method, labels=effects["study"],
                          measure=measure, level=level, test=test, prediction=prediction,
                          skipped=skipped)
