"""The meta-analysis of a living review, cumulatively by search date: what the pooled estimate
was after the first searches, and after each update (`review update`) added its studies."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..figures.style import PALETTE, figure_style
from .meta_analysis import MetaAnalysisError, meta_analysis_from_outcomes

__all__ = ["study_rounds", "cumulative_table", "cumulative_refits", "cumulative_plot",
           "write_cumulative"]

CUMULATIVE_COLUMNS = ["round", "search_date", "k", "new_studies", "estimate", "ci_low", "ci_high",
                      "tau2", "i2", "note"]


def study_rounds(review) -> pd.DataFrame:
    """Each included study (label) with the search round and date that first found one of its
    reports."""
    from ..extraction.studies import study_table
    from ..update import search_rounds, work_rounds
    store = review.store
    table = study_table(review)
    rounds = work_rounds(store)
    table = table.assign(round=table["record_id"].map(rounds).fillna(0).astype(int))
    first = table.groupby("study_id", sort=False)["round"].min().rename("round").reset_index()
    dates = _round_dates(search_rounds(store))
    first["search_date"] = first["round"].map(dates)
    return first


def _round_dates(sources: pd.DataFrame) -> dict[int, str | None]:
    """The search date of each round: the latest date among its sources (None when unknown)."""
    out: dict[int, str | None] = {}
    for number, group in sources.groupby("round"):
        known = [d for d in group["search_date"] if isinstance(d, str) and d]
        out[int(number)] = max(known) if known else None
    return out


def cumulative_table(frame: pd.DataFrame, rounds: pd.DataFrame, dates: dict[int, str | None], *,
                     measure: str, method: str) -> pd.DataFrame:
    """One row per search round (`dates`: round -> search date): the random-effects estimate
    over the studies found up to it (`frame`: the outcome table, one row per study; `rounds`:
    study_id, round). Estimates are on the reporting scale (ratios back-transformed)."""
    round_of = dict(zip(rounds["study_id"], rounds["round"]))
    date_of = dict(dates)
    study_round = frame["study"].map(round_of).fillna(0).astype(int)
    rows = []
    for number in sorted(set(date_of) | {0}):
        upto = frame[study_round <= number]
        row = {"round": int(number), "search_date": date_of.get(number), "k": 0,
               "new_studies": int((study_round == number).sum()), "estimate": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "tau2": np.nan, "i2": np.nan, "note": ""}
        try:
            result = meta_analysis_from_outcomes(upto, measure=measure, method=method)
        except MetaAnalysisError as exc:
            row["note"] = str(exc)
        else:
            pooled = result.back_transformed()
            row.update(k=result.k, estimate=pooled.estimate, ci_low=pooled.ci_low,
                       ci_high=pooled.ci_high, tau2=result.tau2, i2=result.i2)
        rows.append(row)
    return pd.DataFrame(rows, columns=CUMULATIVE_COLUMNS)


def cumulative_refits(result, rounds: pd.DataFrame, dates: dict[int, str | None]) -> pd.DataFrame:
    """As `cumulative_table`, for an outcome the report has pooled (`result`, a MetaAnalysis of
    one effect per study): its own model (estimator, test, prediction interval) refitted on the
    studies found up to each search round, so the last row is the reported estimate."""
    from .meta_models import _refit
    round_of = dict(zip(rounds["study_id"], rounds["round"]))
    study_round = [int(round_of.get(label, 0)) for label in result.labels]
    rows = []
    for number in sorted(set(dates) | {0}):
        keep = [i for i, r in enumerate(study_round) if r <= number]
        row = {"round": int(number), "search_date": dates.get(number), "k": 0,
               "new_studies": sum(r == number for r in study_round), "estimate": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "tau2": np.nan, "i2": np.nan, "note": ""}
        try:
            if not keep:
                raise MetaAnalysisError("no study with complete numbers had been found yet")
            fit = _refit(result, keep)
        except MetaAnalysisError as exc:
            row["note"] = str(exc)
        else:
            pooled = fit.back_transformed()
            row.update(k=fit.k, estimate=pooled.estimate, ci_low=pooled.ci_low,
                       ci_high=pooled.ci_high, tau2=fit.tau2, i2=fit.i2)
        rows.append(row)
    return pd.DataFrame(rows, columns=CUMULATIVE_COLUMNS)


def cumulative_plot(table: pd.DataFrame, *, measure: str, ratio: bool) -> Figure:
    """A cumulative forest plot: the pooled estimate and its confidence interval after each
    search round, the first searches at the top."""
    shown = table[table["k"] > 0].reset_index(drop=True)
    with figure_style():
        figure = Figure(figsize=(7.0, 1.2 + 0.45 * max(1, len(shown))))
        ax = figure.add_subplot(1, 1, 1)
        y = np.arange(len(shown))[::-1]
        ax.hlines(y, shown["ci_low"], shown["ci_high"], color=PALETTE[0], linewidth=1.5)
        ax.plot(shown["estimate"], y, "D", color=PALETTE[0], markersize=6)
        labels = [("First searches" if r == 0 else f"Update {r}")
                  + (f" ({d})" if isinstance(d, str) and d else "") + f", k = {k}"
                  for r, d, k in zip(shown["round"], shown["search_date"], shown["k"])]
        ax.set_yticks(y, labels)
        ax.axvline(1.0 if ratio else 0.0, color="0.5", linewidth=0.8, linestyle="--")
        if ratio:
            ax.set_xscale("log")
        ax.set_xlabel(f"Pooled {measure} (95% CI), cumulative by search date")
        ax.set_ylim(-0.7, len(shown) - 0.3)
        figure.tight_layout()
    return figure


def write_cumulative(review, frame: pd.DataFrame | None, *, measure: str, method: str,
                     ratio: bool, slug: str, figures_dir: str | Path, tables_dir: str | Path,
                     result=None) -> list[Path]:
    """`meta_analysis_<slug>_cumulative.csv` and the `cumulative_<slug>` figure, when the review
    has been updated (nothing otherwise: one round has nothing to accumulate): from the outcome
    table `frame`, or by refitting the report's own pooled `result` (`cumulative_refits`)."""
    from ..figures import save_figure
    from ..figures.style import close
    from ..io.table import write_csv
    from ..update import latest_round
    if not latest_round(review.store):
        return []
    from ..update import search_rounds
    dates = _round_dates(search_rounds(review.store))
    table = (cumulative_refits(result, study_rounds(review), dates) if result is not None else
             cumulative_table(frame, study_rounds(review), dates, measure=measure, method=method))
    tables_dir = Path(tables_dir)
    tables_dir.mkdir(parents=True, exist_ok=True)
    path = tables_dir / f"meta_analysis_{slug}_cumulative.csv"
    write_csv(table, path)
    files = [path]
    if (table["k"] > 0).any():
        figure = cumulative_plot(table, measure=measure, ratio=ratio)
        files += save_figure(figure, figures_dir, f"cumulative_{slug}")
        close(figure)
    return files
