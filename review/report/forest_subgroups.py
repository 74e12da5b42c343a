"""Forest plots by block. By subgroup: the studies of each subgroup drawn as a block under its name, with the
subgroup's own random-effects diamond and heterogeneity, then the overall diamond, its prediction
interval and the test for subgroup differences, as metafor's "forest plot with subgroups". By
study: every experiment under its study, with the three-level model's estimate beneath.

Artist ids (`gid`): "studies", "study-ci", "subgroup-pooled" (one diamond per pooled subgroup),
"pooled" (overall diamond), "prediction-interval", "subgroup-test" (text), "favours"."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from scipy import stats

from ..figures.style import PALETTE, figure_style
from .forest import PlotInputError, _axis_label, _limits, _plain, _ratio_ticks, add_favours
from .meta_models import SubgroupAnalysis, ThreeLevel

__all__ = ["subgroup_forest_plot", "experiments_forest_plot"]

_STUDY, _SUBGROUP, _POOLED, _PI = PALETTE[0], PALETTE[2], PALETTE[7], PALETTE[5]


def _diamond(ax, estimate, low, high, row, colour, gid):
    ax.add_patch(Polygon([(low, row), (estimate, row + 0.35), (high, row), (estimate, row - 0.35)],
                         closed=True, facecolor=colour, edgecolor=colour, zorder=3, gid=gid))


def subgroup_forest_plot(analysis: SubgroupAnalysis, *, outcome: str | None = None,
                         favours: tuple[str, str] | None = None, title: str | None = None) -> Figure:
    """One block per subgroup (name, studies, subgroup diamond), the overall model beneath."""
    if not isinstance(analysis, SubgroupAnalysis):
        raise PlotInputError("subgroup_forest_plot needs a SubgroupAnalysis (from "
                             f"subgroup_analysis), found {type(analysis).__name__}")
    overall = analysis.overall
    log = overall.is_ratio
    show = np.exp if log else (lambda v: np.asarray(v, dtype=float))
    crit = float(stats.norm.ppf(1 - (1 - overall.level) / 2))
    weights = dict(zip(overall.labels, overall.weights))
    rows: list[tuple[float, str, str]] = []  # (row, label, kind)
    studies, blocks, row = [], [], 0.0
    for subgroup in analysis.subgroups:
        rows.append((row, subgroup.name, "header"))
        row -= 1
        for label, y, v in zip(subgroup.labels, subgroup.yi, subgroup.vi):
            studies.append((row, label, y, v, weights.get(label, 1.0)))
            rows.append((row, label, "study"))
            row -= 1
        if subgroup.result is not None:
            blocks.append((row, subgroup))
            rows.append((row, f"RE model, {subgroup.name} (k = {subgroup.result.k})", "pooled"))
            row -= 1
        row -= 0.5
    overall_row, pi_row = row, row - 1
    rows += [(overall_row, f"RE model, all studies (k = {overall.k})", "pooled"),
             (pi_row, "Prediction interval", "pi")]

    with figure_style():
        figure, ax = _blank_forest(len(rows), log)
        y_rows = np.array([s[0] for s in studies])
        yi = np.array([s[2] for s in studies])
        se = np.sqrt([s[3] for s in studies])
        w = np.array([s[4] for s in studies])
        ax.hlines(y_rows, show(yi - crit * se), show(yi + crit * se), color="black", linewidth=1,
                  zorder=2, gid="study-ci")
        ax.scatter(show(yi), y_rows, s=15 + 160 * w / w.max(), marker="s", color=_STUDY,
                   zorder=3, gid="studies")
        bounds = [*show(yi - crit * se), *show(yi + crit * se)]
        for block_row, subgroup in blocks:
            b = subgroup.result.back_transformed()
            _diamond(ax, b.estimate, b.ci_low, b.ci_high, block_row, _SUBGROUP, "subgroup-pooled")
            bounds += [b.ci_low, b.ci_high]
        pooled = overall.back_transformed()
        _diamond(ax, pooled.estimate, pooled.ci_low, pooled.ci_high, overall_row, _POOLED, "pooled")
        ax.hlines(pi_row, pooled.pi_low, pooled.pi_high, color=_PI, linewidth=2, zorder=3,
                  gid="prediction-interval")
        bounds += [pooled.pi_low, pooled.pi_high, 1.0 if log else 0.0]
        _finish_axes(ax, rows, bounds, log=log, pi_row=pi_row,
                     xlabel=_axis_label(overall, outcome), favours=favours)
        right = ax.get_yaxis_transform()
        text = "{:.2f} [{:.2f}, {:.2f}]"
        for (r, label, y, v, _) in studies:
            e, l, h = show([y, y - crit * v ** 0.5, y + crit * v ** 0.5])
            ax.text(1.03, r, text.format(e, l, h), transform=right, ha="left", va="center")
        for block_row, subgroup in blocks:
            b = subgroup.result.back_transformed()
            ax.text(1.03, block_row, text.format(b.estimate, b.ci_low, b.ci_high), transform=right,
                    ha="left", va="center", fontweight="bold")
        ax.text(1.03, overall_row, text.format(pooled.estimate, pooled.ci_low, pooled.ci_high),
                transform=right, ha="left", va="center", fontweight="bold")
        ax.text(1.03, pi_row, f"[{pooled.pi_low:.2f}, {pooled.pi_high:.2f}]", transform=right,
                ha="left", va="center")
        ax.annotate(f"{analysis.test_text()}. Heterogeneity (all studies): "
                    f"{overall.heterogeneity_text()}", xy=(0, 0), xycoords="axes fraction",
                    xytext=(0, -48 if favours else -34), textcoords="offset points", ha="left",
                    va="top", gid="subgroup-test")
        if title:
            ax.set_title(_plain(title), loc="left")
    return figure


def experiments_forest_plot(model: ThreeLevel, *, outcome: str | None = None,
                            favours: tuple[str, str] | None = None, title: str | None = None
                            ) -> Figure:
    """Every experiment, grouped by its study (a study with several experiments is a block under
    its name), and the three-level model's estimate and prediction interval beneath."""
    if not isinstance(model, ThreeLevel):
        raise PlotInputError("experiments_forest_plot needs a ThreeLevel model (from "
                             f"three_level), found {type(model).__name__}")
    log = model.measure in ("RR", "OR", "ROM")
    show = np.exp if log else (lambda v: np.asarray(v, dtype=float))
    crit = float(stats.norm.ppf(1 - (1 - model.level) / 2))
    rows, points, row = [], [], 0.0
    for study in dict.fromkeys(model.clusters):
        members = [i for i, c in enumerate(model.clusters) if c == study]
        if len(members) > 1:
            rows.append((row, study, "header"))
            row -= 1
        for i in members:
            rows.append((row, model.labels[i] if len(members) > 1 else study, "study"))
            points.append((row, model.yi[i], model.vi[i]))
            row -= 1
    pooled_row, pi_row = row - 0.5, row - 1.5
    rows += [(pooled_row, f"Three-level model (k = {model.k} in {model.studies} studies)", "pooled"),
             (pi_row, "Prediction interval", "pi")]
    with figure_style():
        figure, ax = _blank_forest(len(rows), log)
        y = np.array([p[0] for p in points])
        yi, se = np.array([p[1] for p in points]), np.sqrt([p[2] for p in points])
        ax.hlines(y, show(yi - crit * se), show(yi + crit * se), color="black", linewidth=1,
                  zorder=2, gid="study-ci")
        ax.scatter(show(yi), y, s=40, marker="s", color=_STUDY, zorder=3, gid="studies")
        est, lo, hi = show([model.estimate, model.ci_low, model.ci_high])
        pi_lo, pi_hi = show([model.pi_low, model.pi_high])
        _diamond(ax, est, lo, hi, pooled_row, _POOLED, "pooled")
        ax.hlines(pi_row, pi_lo, pi_hi, color=_PI, linewidth=2, zorder=3, gid="prediction-interval")
        bounds = [*show(yi - crit * se), *show(yi + crit * se), pi_lo, pi_hi, 1.0 if log else 0.0]
        _finish_axes(ax, rows, bounds, log=log, pi_row=pi_row,
                     xlabel=_axis_label(model, outcome), favours=favours)
        right = ax.get_yaxis_transform()
        for r, value, v in points:
            e, l, h = show([value, value - crit * v ** 0.5, value + crit * v ** 0.5])
            ax.text(1.03, r, f"{e:.2f} [{l:.2f}, {h:.2f}]", transform=right, ha="left", va="center")
        ax.text(1.03, pooled_row, f"{est:.2f} [{lo:.2f}, {hi:.2f}]", transform=right, ha="left",
                va="center", fontweight="bold")
        ax.text(1.03, pi_row, f"[{pi_lo:.2f}, {pi_hi:.2f}]", transform=right, ha="left",
                va="center")
        ax.annotate(f"\u03c3\u00b2 between studies = {model.sigma2_study:.3f}, between "
                    f"experiments within a study = {model.sigma2_experiment:.3f} ({model.method})",
                    xy=(0, 0), xycoords="axes fraction", xytext=(0, -48 if favours else -34),
                    textcoords="offset points", ha="left", va="top", gid="heterogeneity")
        if title:
            ax.set_title(_plain(title), loc="left")
    return figure


def _finish_axes(ax, rows, bounds, *, log: bool, pi_row: float, xlabel: str, favours) -> None:
    """What both block forest plots share: limits from every interval drawn, one labelled row
    per study, header and pooled rows in bold, the axis label and the "favours" labels."""
    lo, hi = _limits(np.asarray(bounds, dtype=float), log)
    ax.set_xlim(lo, hi)
    if log:
        _ratio_ticks(ax, lo, hi)
    ax.set_ylim(pi_row - 0.8, 0.8)
    ax.set_yticks([r for r, _, _ in rows])
    ax.set_yticklabels([_plain(label) for _, label, _ in rows])
    for tick, (_, _, kind) in zip(ax.get_yticklabels(), rows):
        if kind in ("header", "pooled"):
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(xlabel)
    add_favours(ax, favours)


def _blank_forest(n_rows: int, log: bool):
    """A figure tall enough for `n_rows`, with the line of no effect (1 for ratios, else 0)."""
    figure = Figure(figsize=(8.0, 1.8 + 0.3 * (n_rows + 3)))
    ax = figure.add_subplot()
    if log:
        ax.set_xscale("log")
    ax.axvline(1.0 if log else 0.0, color="#777777", linestyle="--", linewidth=0.8, zorder=1)
    return figure, ax
