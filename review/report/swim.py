"""Synthesis without meta-analysis (SWiM; Campbell et al. 2020, BMJ 368:l6890) for an outcome the
studies report but that cannot be pooled: a table of each study's result with its direction of
effect, vote counting by direction of effect with the sign test (Cochrane Handbook 12.2.2.5:
direction only, never statistical significance), and an effect-direction plot (Boon & Thomson
2021, Research Synthesis Methods 12:29-33).

The direction of a study is read from its treated and control means and the protocol's `better`
("lower": a smaller value favours the intervention, e.g. tumour volume; "higher": e.g.
survival). A study without both means has no direction and is listed, not counted."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from ..figures.style import PALETTE, figure_style

__all__ = ["FAVOURS_INTERVENTION", "FAVOURS_CONTROL", "NO_DIFFERENCE", "UNKNOWN", "VoteCount",
           "swim_table", "vote_count", "effect_direction_plot"]

FAVOURS_INTERVENTION = "\u25b2"  # ▲
FAVOURS_CONTROL = "\u25bc"  # ▼
NO_DIFFERENCE = "\u25c4\u25ba"  # ◄►
UNKNOWN = "?"
_WORDS = {FAVOURS_INTERVENTION: "favours the intervention", FAVOURS_CONTROL: "favours the control",
          NO_DIFFERENCE: "no difference", UNKNOWN: "direction not reported"}


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _direction(treated, control, better: str) -> str:
    t, c = _number(treated), _number(control)
    if t is None or c is None:
        return UNKNOWN
    if t == c:
        return NO_DIFFERENCE
    return FAVOURS_INTERVENTION if (t < c) == (better == "lower") else FAVOURS_CONTROL


def _fmt(value) -> str:
    number = _number(value)
    return "NR" if number is None else f"{number:g}"


def swim_table(rows: pd.DataFrame, *, better: str, group_by: str | None = None) -> pd.DataFrame:
    """One row per study result: study, subgroup, result (treated vs control with unit and time
    point), animals (or samples), direction symbol and its words. `rows` has `study`, the
    treated_/control_ mean and n columns, and optionally `unit`, `time_point` and `group_by`."""
    if better not in ("lower", "higher"):
        raise ValueError(f"better: expected 'lower' or 'higher', found {better!r}")
    out = []
    for row in rows.to_dict("records"):
        direction = _direction(row.get("treated_mean"), row.get("control_mean"), better)
        n = [_number(row.get(c)) for c in ("treated_n", "control_n")]
        unit = str(row.get("unit") or "").strip()
        when = str(row.get("time_point") or "").strip()
        result = (f"{_fmt(row.get('treated_mean'))} vs {_fmt(row.get('control_mean'))}"
                  f"{' ' + unit if unit else ''}{' (' + when + ')' if when else ''}")
        out.append({"study": row["study"],
                    "subgroup": str(row.get(group_by) or "") if group_by else "",
                    "result": result,
                    "n": int(sum(n)) if all(x is not None for x in n) else None,
                    "direction": direction, "direction_words": _WORDS[direction]})
    frame = pd.DataFrame(out, columns=["study", "subgroup", "result", "n", "direction",
                                       "direction_words"])
    return frame.sort_values(["subgroup", "study"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class VoteCount:
    """Studies by direction and the two-sided sign test of 'favours the intervention' against
    'favours the control' (studies with no difference or no direction are left out of it)."""
    favours_intervention: int
    favours_control: int
    no_difference: int
    unknown: int
    p: float | None
    proportion: float | None
    ci_low: float | None
    ci_high: float | None

    def text(self) -> str:
        counted = self.favours_intervention + self.favours_control
        if counted == 0:
            return "Vote counting: no study reports a direction of effect."
        p = "p < 0.001" if self.p < 0.001 else f"p = {self.p:.3f}"
        extra = []
        if self.no_difference:
            extra.append(f"{self.no_difference} with no difference")
        if self.unknown:
            extra.append(f"{self.unknown} without a direction")
        return (f"Vote counting by direction of effect: {self.favours_intervention} of {counted} "
                f"studies favour the intervention ({100 * self.proportion:.0f}%, 95% CI "
                f"{100 * self.ci_low:.0f}% to {100 * self.ci_high:.0f}%); sign test {p}"
                + (f"; not counted: {', '.join(extra)}" if extra else "") + ".")


def vote_count(table: pd.DataFrame) -> VoteCount:
    """Vote counting over a `swim_table`, one vote per study (its first result)."""
    per_study = table.drop_duplicates("study")
    counts = per_study["direction"].value_counts()
    up, down = int(counts.get(FAVOURS_INTERVENTION, 0)), int(counts.get(FAVOURS_CONTROL, 0))
    if up + down == 0:
        return VoteCount(0, 0, int(counts.get(NO_DIFFERENCE, 0)), int(counts.get(UNKNOWN, 0)),
                         None, None, None, None)
    test = stats.binomtest(up, up + down, 0.5)
    ci = test.proportion_ci(confidence_level=0.95, method="wilson")
    return VoteCount(up, down, int(counts.get(NO_DIFFERENCE, 0)), int(counts.get(UNKNOWN, 0)),
                     float(test.pvalue), up / (up + down), float(ci.low), float(ci.high))


def effect_direction_plot(table: pd.DataFrame, *, outcome: str, favours: tuple[str, str] | None = None,
                          title: str | None = None) -> Figure:
    """One row per study: an upward triangle where it favours the intervention, downward where
    it favours the control, a diamond for no difference, a cross where unknown; marker size by
    number of animals; studies grouped by subgroup (gid "directions")."""
    marker = {FAVOURS_INTERVENTION: "^", FAVOURS_CONTROL: "v", NO_DIFFERENCE: "D", UNKNOWN: "x"}
    colour = {FAVOURS_INTERVENTION: PALETTE[2], FAVOURS_CONTROL: PALETTE[5],
              NO_DIFFERENCE: "#777777", UNKNOWN: "#777777"}
    rows = table.reset_index(drop=True)
    positions = np.arange(len(rows), 0, -1, dtype=float)
    n = rows["n"].astype(float).fillna(rows["n"].astype(float).median() if rows["n"].notna().any() else 10)
    with figure_style():
        figure = Figure(figsize=(6.0, 1.4 + 0.32 * max(len(rows), 2)))
        ax = figure.add_subplot()
        for symbol in marker:
            pick = (rows["direction"] == symbol).to_numpy()
            if pick.any():
                ax.scatter(np.zeros(pick.sum()), positions[pick], marker=marker[symbol],
                           s=30 + 8 * n[pick], color=colour[symbol], gid="directions",
                           label=_WORDS[symbol])
        ax.set_xlim(-1, 1)
        ax.set_xticks([])
        ax.set_ylim(0.3, len(rows) + 0.7)
        labels = [f"{r.study}" + (f" ({r.subgroup})" if r.subgroup else "") for r in rows.itertuples()]
        ax.set_yticks(positions)
        ax.set_yticklabels([str(x).replace("$", r"\$") for x in labels])
        ax.tick_params(axis="y", length=0)
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)
        heading = f"{outcome}: direction of effect"
        if favours:
            heading += f" (\u25b2 favours {favours[0]}, \u25bc favours {favours[1]})"
        ax.set_xlabel(heading.replace("$", r"\$"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
        if title:
            ax.set_title(title.replace("$", r"\$"), loc="left")
    return figure
