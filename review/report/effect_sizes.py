"""Effect sizes per study, computed exactly as R's metafor `escalc()` does, so that a pooled
result here can be checked against metafor's documented results.

- `standardised_mean_difference`: Hedges' g (`measure="SMD"`): the pooled-SD Cohen's d times
  the exact small-sample correction c(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)), m = n1 + n2 - 2, with
  the large-sample variance 1/n1 + 1/n2 + g²/(2(n1 + n2)) (metafor's default `vtype="LS"`).
- `mean_difference`: raw difference of means, variance sd1²/n1 + sd2²/n2 (`measure="MD"`).
- `log_ratio_of_means`: log(m1/m2), variance sd1²/(n1 m1²) + sd2²/(n2 m2²) (`measure="ROM"`).
- `log_risk_ratio`, `log_odds_ratio`: from 2×2 counts; when any cell of a study's table is 0,
  0.5 is added to all four cells of that study only (metafor's `add=1/2, to="only0"`).

Each returns a DataFrame with one row per study: `study`, `yi` (the effect, on the scale the
meta-analysis pools: log scale for ratios) and `vi` (its sampling variance); the count measures
add `corrected` (True where 0.5 was added). Bad input raises `EffectSizeError` naming the study
and the column."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln

from ..errors import ReviewError

__all__ = [
    "CONTINUITY_CORRECTION",
    "MEASURES",
    "RATIO_MEASURES",
    "MEAN_COLUMNS",
    "COUNT_COLUMNS",
    "EffectSizeError",
    "hedges_correction",
    "standardised_mean_difference",
    "mean_difference",
    "log_ratio_of_means",
    "log_risk_ratio",
    "log_odds_ratio",
    "effect_sizes",
]

#: Added to every cell of a 2×2 table that has a zero cell (metafor: add=1/2, to="only0").
CONTINUITY_CORRECTION = 0.5

#: Measures this module computes (metafor's names); "GEN" is an effect given ready-made.
MEASURES = ("SMD", "MD", "ROM", "RR", "OR", "GEN")
#: Measures pooled on the log scale and reported back-transformed with exp().
RATIO_MEASURES = ("RR", "OR", "ROM")

#: Columns a per-study outcome table needs, by kind of measure.
MEAN_COLUMNS = ("treated_mean", "treated_sd", "treated_n", "control_mean", "control_sd", "control_n")
COUNT_COLUMNS = ("treated_events", "treated_n", "control_events", "control_n")


class EffectSizeError(ReviewError, ValueError):
    """A study's numbers cannot give an effect size; the message names the study and column."""


def _labels(studies: Sequence[Any] | None, k: int) -> list[str]:
    if studies is None:
        return [f"study {i}" for i in range(1, k + 1)]
    labels = [str(s) for s in studies]
    if len(labels) != k:
        raise EffectSizeError(f"studies: expected one label per study ({k}), found {len(labels)}")
    return labels


def _column(name: str, values: Iterable[Any], labels: list[str]) -> np.ndarray:
    """`values` as floats, refusing missing, non-numeric and infinite entries by study."""
    raw = list(np.atleast_1d(np.asarray(values, dtype=object)))
    if len(raw) != len(labels):
        raise EffectSizeError(f"{name}: expected one value per study ({len(labels)}), found {len(raw)}")
    out = np.empty(len(raw))
    for i, (value, label) in enumerate(zip(raw, labels)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise EffectSizeError(f"{label}: {name} must be a number, found {value!r}") from None
        if math.isnan(number) or math.isinf(number):
            raise EffectSizeError(f"{label}: {name} must be a finite number, found {value!r}")
        out[i] = number
    return out


def _check(name: str, values: np.ndarray, labels: list[str], ok: np.ndarray, expected: str) -> None:
    for value, label, good in zip(values, labels, ok):
        if not good:
            raise EffectSizeError(f"{label}: {name} must be {expected}, found {value:g}")


def _means(treated_mean, treated_sd, treated_n, control_mean, control_sd, control_n, studies,
           *, positive_means: bool = False):
    k = len(np.atleast_1d(np.asarray(treated_n, dtype=object)))
    labels = _labels(studies, k)
    cols = {name: _column(name, values, labels) for name, values in zip(
        MEAN_COLUMNS, (treated_mean, treated_sd, treated_n, control_mean, control_sd, control_n))}
    for name in ("treated_n", "control_n"):
        _check(name, cols[name], labels, cols[name] >= 2, "at least 2 (a group size)")
    for name in ("treated_sd", "control_sd"):
        _check(name, cols[name], labels, cols[name] > 0, "a positive standard deviation")
    if positive_means:
        for name in ("treated_mean", "control_mean"):
            _check(name, cols[name], labels, cols[name] > 0,
                   "positive (a ratio of means needs outcomes on a ratio scale)")
    return labels, cols


def _frame(labels: list[str], yi: np.ndarray, vi: np.ndarray, **extra) -> pd.DataFrame:
    return pd.DataFrame({"study": labels, "yi": yi, "vi": vi, **extra})


def hedges_correction(df: np.ndarray | float) -> np.ndarray:
    """Exact small-sample bias correction c(m) of Hedges (1981) for m = n1 + n2 - 2 degrees of
    freedom, via log-gamma as metafor computes it (no overflow for large m)."""
    m = np.asarray(df, dtype=float)
    return np.exp(gammaln(m / 2) - np.log(np.sqrt(m / 2)) - gammaln((m - 1) / 2))


def standardised_mean_difference(treated_mean, treated_sd, treated_n, control_mean, control_sd,
                                 control_n, *, studies: Sequence[Any] | None = None) -> pd.DataFrame:
    """Hedges' g (treated minus control over the pooled SD, bias-corrected) and its variance,
    as metafor's `escalc(measure="SMD")`."""
    labels, c = _means(treated_mean, treated_sd, treated_n, control_mean, control_sd, control_n, studies)
    n1, n2 = c["treated_n"], c["control_n"]
    m = n1 + n2 - 2
    pooled_sd = np.sqrt(((n1 - 1) * c["treated_sd"] ** 2 + (n2 - 1) * c["control_sd"] ** 2) / m)
    g = hedges_correction(m) * (c["treated_mean"] - c["control_mean"]) / pooled_sd
    vi = 1 / n1 + 1 / n2 + g ** 2 / (2 * (n1 + n2))
    return _frame(labels, g, vi)


def mean_difference(treated_mean, treated_sd, treated_n, control_mean, control_sd, control_n,
                    *, studies: Sequence[Any] | None = None) -> pd.DataFrame:
    """Raw mean difference with unequal-variance sampling variance (metafor `measure="MD"`)."""
    labels, c = _means(treated_mean, treated_sd, treated_n, control_mean, control_sd, control_n, studies)
    yi = c["treated_mean"] - c["control_mean"]
    vi = c["treated_sd"] ** 2 / c["treated_n"] + c["control_sd"] ** 2 / c["control_n"]
    return _frame(labels, yi, vi)


def log_ratio_of_means(treated_mean, treated_sd, treated_n, control_mean, control_sd, control_n,
                       *, studies: Sequence[Any] | None = None) -> pd.DataFrame:
    """Log ratio of means (response ratio) and its large-sample variance (metafor `"ROM"`)."""
    labels, c = _means(treated_mean, treated_sd, treated_n, control_mean, control_sd, control_n,
                       studies, positive_means=True)
    m1, m2 = c["treated_mean"], c["control_mean"]
    yi = np.log(m1 / m2)
    vi = c["treated_sd"] ** 2 / (c["treated_n"] * m1 ** 2) + c["control_sd"] ** 2 / (c["control_n"] * m2 ** 2)
    return _frame(labels, yi, vi)


def _table(treated_events, treated_n, control_events, control_n, studies):
    k = len(np.atleast_1d(np.asarray(treated_n, dtype=object)))
    labels = _labels(studies, k)
    c = {name: _column(name, values, labels) for name, values in zip(
        COUNT_COLUMNS, (treated_events, treated_n, control_events, control_n))}
    for arm in ("treated", "control"):
        events, n = c[f"{arm}_events"], c[f"{arm}_n"]
        _check(f"{arm}_n", n, labels, n > 0, "a positive group size")
        _check(f"{arm}_events", events, labels, events >= 0, "0 or more")
        for value, total, label in zip(events, n, labels):
            if value > total:
                raise EffectSizeError(f"{label}: {arm}_events must be at most {arm}_n "
                                      f"({total:g}), found {value:g}")
    a, c_ = c["treated_events"], c["control_events"]
    b, d = c["treated_n"] - a, c["control_n"] - c_
    corrected = (a == 0) | (b == 0) | (c_ == 0) | (d == 0)
    add = np.where(corrected, CONTINUITY_CORRECTION, 0.0)
    return labels, a + add, b + add, c_ + add, d + add, corrected


def log_risk_ratio(treated_events, treated_n, control_events, control_n,
                   *, studies: Sequence[Any] | None = None) -> pd.DataFrame:
    """Log risk ratio (treated over control) and its variance from event counts and group sizes,
    with 0.5 added to the cells of tables that have a zero cell (metafor `measure="RR"`)."""
    labels, a, b, c, d, corrected = _table(treated_events, treated_n, control_events, control_n, studies)
    n1, n2 = a + b, c + d
    yi = np.log(a / n1) - np.log(c / n2)
    vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
    return _frame(labels, yi, vi, corrected=corrected)


def log_odds_ratio(treated_events, treated_n, control_events, control_n,
                   *, studies: Sequence[Any] | None = None) -> pd.DataFrame:
    """Log odds ratio (treated over control) and its Woolf variance 1/a + 1/b + 1/c + 1/d, with
    0.5 added to the cells of tables that have a zero cell (metafor `measure="OR"`)."""
    labels, a, b, c, d, corrected = _table(treated_events, treated_n, control_events, control_n, studies)
    yi = np.log(a / b) - np.log(c / d)
    vi = 1 / a + 1 / b + 1 / c + 1 / d
    return _frame(labels, yi, vi, corrected=corrected)


_BY_MEASURE = {
    "SMD": (standardised_mean_difference, MEAN_COLUMNS),
    "MD": (mean_difference, MEAN_COLUMNS),
    "ROM": (log_ratio_of_means, MEAN_COLUMNS),
    "RR": (log_risk_ratio, COUNT_COLUMNS),
    "OR": (log_odds_ratio, COUNT_COLUMNS),
}


def effect_sizes(frame: pd.DataFrame, measure: str = "SMD") -> pd.DataFrame:
    """Effect sizes for every row of a table with a `study` column and the columns `measure`
    needs (`MEAN_COLUMNS` for SMD/MD/ROM, `COUNT_COLUMNS` for RR/OR)."""
    if measure not in _BY_MEASURE:
        raise EffectSizeError(f"measure: expected one of {', '.join(_BY_MEASURE)}, found {measure!r}")
    function, columns = _BY_MEASURE[measure]
    missing = [c for c in ("study", *columns) if c not in frame.columns]
    if missing:
        raise EffectSizeError(f"outcome table: measure {measure} needs the columns "
                              f"{', '.join(('study', *columns))}; missing {', '.join(missing)}")
    return function(*(frame[c].to_numpy() for c in columns), studies=list(frame["study"]))
