"""Forest and funnel plots of a fitted `MetaAnalysis`, drawn in the project's figure style.

The functions only draw: they return a matplotlib Figure (not registered with pyplot, so a
notebook shows it once and nothing leaks between calls) and leave writing files to
`review.figures.save_figure`. Ratio measures are drawn as ratios on a log axis.

Artists carry ids (`gid`) that also appear in the SVG, so tests and readers can find them:
"studies" (squares or points, one per study), "study-ci", "pooled" (diamond),
"prediction-interval", "heterogeneity" (text), "pseudo-ci" (funnel region)."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from scipy import stats

from ..errors import ReviewError
from ..figures.style import PALETTE, figure_style
from .meta_analysis import MetaAnalysis

__all__ = ["MEASURE_LABELS", "PlotInputError", "forest_plot", "funnel_plot", "add_favours"]

#: Axis label of each measure (ratios are drawn on a log axis).
MEASURE_LABELS = {
    "SMD": "Standardised mean difference (Hedges' g)",
    "MD": "Mean difference",
    "ROM": "Ratio of means",
    "RR": "Risk ratio",
    "OR": "Odds ratio",
    "GEN": "Effect",
}

_STUDY_COLOUR = PALETTE[0]
_POOLED_COLOUR = PALETTE[7]
_PI_COLOUR = PALETTE[5]
_GREY = "#777777"


class PlotInputError(ReviewError, TypeError):
    """A plot was given something other than a fitted meta-analysis."""


def _check(result, plot: str) -> MetaAnalysis:
    if not isinstance(result, MetaAnalysis):
        raise PlotInputError(f"{plot} needs a MetaAnalysis (from random_effects or "
                             f"meta_analysis_from_outcomes), found {type(result).__name__}")
    if len(result.yi) != result.k or len(result.labels) != result.k:
        raise PlotInputError(f"{plot}: the MetaAnalysis has k = {result.k} but "
                             f"{len(result.yi)} effects and {len(result.labels)} labels")
    return result


def _plain(text: str) -> str:
    """Study names are data: stop matplotlib reading '$...$' in them as mathematics."""
    return str(text).replace("$", r"\$")


def _axis_label(result, outcome: str | None = None) -> str:
    label = MEASURE_LABELS.get(result.measure, result.measure)
    label = f"{label} (log scale)" if result.measure in ("RR", "OR", "ROM") else label
    return f"{_plain(outcome)}: {label[0].lower()}{label[1:]}" if outcome else label


def add_favours(ax, favours: tuple[str, str] | None) -> None:
    """'Favours …' beneath the axis, either side of the line of no effect (gid "favours"):
    `favours` is (label for effects below it, label for effects above it)."""
    if not favours:
        return
    left, right = favours
    null = 1.0 if ax.get_xscale() == "log" else 0.0
    blend = ax.get_xaxis_transform()
    for text, ha, arrow in ((left, "right", "\u2190 "), (right, "left", " \u2192")):
        if not text:
            continue
        label = f"{arrow}Favours {_plain(text)}" if ha == "right" else f"Favours {_plain(text)}{arrow}"
        ax.annotate(label, xy=(null, 0), xycoords=blend, xytext=(-4 if ha == "right" else 4, -30),
                    textcoords="offset points", ha=ha, va="top", fontsize="small",
                    gid="favours")


def _limits(values: np.ndarray, log: bool) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    lo, hi = float(values.min()), float(values.max())
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    lo, hi = lo - pad, hi + pad
    return (10 ** lo, 10 ** hi) if log else (lo, hi)


def _ratio_ticks(ax, lo: float, hi: float) -> None:
    """Ticks at 1-2-5 steps that fall inside the axis, printed as plain numbers."""
    ticks = [m * 10.0 ** e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
             for m in (1, 2, 5) if lo <= m * 10.0 ** e <= hi]
    if len(ticks) < 2:
        ticks = [lo, 1.0, hi] if lo < 1 < hi else [lo, hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.3g}"))


def forest_plot(result: MetaAnalysis, *, title: str | None = None, outcome: str | None = None,
                favours: tuple[str, str] | None = None) -> Figure:
    """Forest plot: one row per study (square sized by its random-effects weight, with its
    confidence interval), the pooled estimate as a diamond, the prediction interval, the
    estimate and weight of each row in text, and the heterogeneity statistics beneath. The x axis
    names the `outcome`; `favours` puts the protocol's "Favours …" labels under it."""
    result = _check(result, "forest_plot")
    frame = result.to_frame(back_transform=result.is_ratio)
    pooled = result.back_transformed()
    k = result.k
    rows = np.arange(k, 0, -1, dtype=float)
    pooled_row, pi_row, header_row = -1.0, -2.0, k + 1.0
    pct = f"{100 * result.level:g}%"

    with figure_style():
        figure = Figure(figsize=(8.0, 1.6 + 0.3 * (k + 4)))
        ax = figure.add_subplot()
        log = result.is_ratio
        if log:
            ax.set_xscale("log")
        ax.axvline(1.0 if log else 0.0, color=_GREY, linestyle="--", linewidth=0.8, zorder=1)

        ax.hlines(rows, frame["ci_low"], frame["ci_high"], color="black", linewidth=1,
                  zorder=2, gid="study-ci")
        weights = frame["weight"].to_numpy()
        sizes = 15 + 160 * weights / weights.max()
        ax.scatter(frame["effect"], rows, s=sizes, marker="s", color=_STUDY_COLOUR,
                   zorder=3, gid="studies")

        half = 0.35
        diamond = Polygon([(pooled.ci_low, pooled_row), (pooled.estimate, pooled_row + half),
                           (pooled.ci_high, pooled_row), (pooled.estimate, pooled_row - half)],
                          closed=True, facecolor=_POOLED_COLOUR, edgecolor=_POOLED_COLOUR,
                          zorder=3, gid="pooled")
        ax.add_patch(diamond)
        ax.hlines(pi_row, pooled.pi_low, pooled.pi_high, color=_PI_COLOUR, linewidth=2,
                  zorder=3, gid="prediction-interval")
        ax.vlines([pooled.pi_low, pooled.pi_high], pi_row - 0.2, pi_row + 0.2, color=_PI_COLOUR,
                  linewidth=2, zorder=3)

        bounds = np.concatenate([frame["ci_low"], frame["ci_high"],
                                 [pooled.ci_low, pooled.ci_high, pooled.pi_low, pooled.pi_high,
                                  1.0 if log else 0.0]])
        lo, hi = _limits(np.asarray(bounds, dtype=float), log)
        ax.set_xlim(lo, hi)
        if log:
            _ratio_ticks(ax, lo, hi)
        ax.set_ylim(pi_row - 0.8, header_row + 0.6)

        ax.set_yticks([*rows, pooled_row, pi_row])
        ax.set_yticklabels([*(_plain(s) for s in frame["study"]),
                            f"Random-effects model ({result.method})", "Prediction interval"])
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(_axis_label(result, outcome))
        add_favours(ax, favours)

        number = "{:.2f}"
        right = ax.get_yaxis_transform()  # x in axes fraction, y in data
        ax.text(1.03, header_row, f"Estimate [{pct} CI]", transform=right, ha="left",
                va="center", fontweight="bold")
        ax.text(1.40, header_row, "Weight", transform=right, ha="right", va="center",
                fontweight="bold")
        ax.text(-0.01, header_row, "Study", transform=right, ha="right", va="center",
                fontweight="bold")
        for row, (_, study) in zip(rows, frame.iterrows()):
            ax.text(1.03, row, f"{number.format(study['effect'])} [{number.format(study['ci_low'])}, "
                    f"{number.format(study['ci_high'])}]", transform=right, ha="left", va="center")
            ax.text(1.40, row, f"{study['weight']:.1f}%", transform=right, ha="right", va="center")
        ax.text(1.03, pooled_row, f"{number.format(pooled.estimate)} [{number.format(pooled.ci_low)}, "
                f"{number.format(pooled.ci_high)}]", transform=right, ha="left", va="center",
                fontweight="bold")
        ax.text(1.40, pooled_row, "100%", transform=right, ha="right", va="center",
                fontweight="bold")
        ax.text(1.03, pi_row, f"[{number.format(pooled.pi_low)}, {number.format(pooled.pi_high)}]",
                transform=right, ha="left", va="center")

        ax.annotate(f"Heterogeneity: {result.heterogeneity_text()}", xy=(0, 0),
                    xycoords="axes fraction", xytext=(0, -48 if favours else -34),
                    textcoords="offset points",
                    ha="left", va="top", gid="heterogeneity")
        if title:
            ax.set_title(_plain(title), loc="left")
    return figure


def funnel_plot(result: MetaAnalysis, *, title: str | None = None,
                outcome: str | None = None) -> Figure:
    """Funnel plot: each study's effect against its standard error (y axis inverted, most
    precise at the top), with the pseudo confidence region estimate ± z·SE around the pooled
    estimate, as metafor's `funnel()` draws it."""
    result = _check(result, "funnel_plot")
    yi, se = np.asarray(result.yi), np.sqrt(np.asarray(result.vi))
    crit = float(stats.norm.ppf(1 - (1 - result.level) / 2))
    top = float(se.max()) * 1.05
    grid = np.linspace(0.0, top, 50)
    left, right = result.estimate - crit * grid, result.estimate + crit * grid
    show = np.exp if result.is_ratio else (lambda v: np.asarray(v, dtype=float))

    with figure_style():
        figure = Figure(figsize=(5.5, 4.5))
        ax = figure.add_subplot()
        if result.is_ratio:
            ax.set_xscale("log")
        ax.fill_betweenx(grid, show(left), show(right), color="#EEEEEE", zorder=1,
                         gid="pseudo-ci")
        ax.plot(show(left), grid, color=_GREY, linestyle="--", linewidth=0.8, zorder=2)
        ax.plot(show(right), grid, color=_GREY, linestyle="--", linewidth=0.8, zorder=2)
        ax.axvline(float(show(result.estimate)), color=_POOLED_COLOUR, linewidth=1, zorder=2)
        ax.scatter(show(yi), se, s=28, color=_STUDY_COLOUR, edgecolor="white", linewidth=0.5,
                   zorder=3, gid="studies")
        lo, hi = _limits(np.concatenate([show(yi), show(left), show(right)]), result.is_ratio)
        ax.set_xlim(lo, hi)
        if result.is_ratio:
            _ratio_ticks(ax, lo, hi)
        ax.set_ylim(top, 0.0)  # inverted: precise studies at the top
        ax.set_xlabel(_axis_label(result, outcome))
        ax.set_ylabel("Standard error")
        if title:
            ax.set_title(_plain(title), loc="left")
    return figure
