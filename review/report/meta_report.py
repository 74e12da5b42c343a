"""The meta-analysis the protocol asks for, from the reconciled extraction: the pooled outcome,
its forest and funnel plots, and the numbers behind them as tables."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .meta_analysis import MetaAnalysis, MetaAnalysisError, meta_analysis_from_outcomes

__all__ = ["MetaReport", "outcome_table", "write_meta_analysis"]

#: The other estimator, fitted beside the protocol's as a sensitivity analysis.
_OTHER_METHOD = {"REML": "DL", "DL": "REML"}


@dataclass
class MetaReport:
    """What `write_meta_analysis` found and wrote."""

    outcome: str
    result: MetaAnalysis | None
    sensitivity: MetaAnalysis | None = None
    files: list[Path] = field(default_factory=list)
    message: str = ""

    def summary(self) -> str:
        if self.result is None:
            return self.message
        text = self.result.summary()
        if self.sensitivity is not None:
            s = self.sensitivity
            text += (f"\n\nSensitivity ({s.method}): estimate {s.estimate:.4f}, CI {s.ci_low:.4f} "
                     f"to {s.ci_high:.4f}, \u03c4\u00b2 = {s.tau2:.4f}, I\u00b2 = {s.i2:.1f}%")
        return text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def outcome_table(review, outcome: str, *, outcome_field: str = "outcome_measure") -> pd.DataFrame:
    """One row per study for `outcome`: the study's first reconciled instance of the outcome
    group that reports it (a study measuring it at several time points contributes its first),
    with the columns `meta_analysis_from_outcomes` reads."""
    from ..extraction.form import form_for
    from ..extraction.values import instance_table
    group = form_for(review).field(outcome_field).group
    rows = instance_table(review, group)
    if rows.empty:
        return rows.assign(study=pd.Series(dtype=object))
    rows = rows[rows[outcome_field] == outcome]
    rows = rows.sort_values(["study_id", "instance"]).drop_duplicates("study_id", keep="first")
    return rows.rename(columns={"study_id": "study"}).reset_index(drop=True)


def write_meta_analysis(review, *, figures_dir: str | Path, tables_dir: str | Path) -> MetaReport:
    """Pool the protocol's `report.meta_analysis` outcome (random effects, its estimator, and the
    other estimator as a sensitivity analysis); write `forest_<outcome>` and `funnel_<outcome>`
    figures and `meta_analysis_<outcome>.csv|json|txt`. Without a spec or with fewer than two
    studies with complete numbers, nothing is written and `message` says why."""
    from ..figures import save_figure
    from ..figures.style import close
    from .forest import forest_plot, funnel_plot
    spec = review.protocol.report.meta_analysis
    if spec is None:
        return MetaReport("", None, message="The protocol asks for no meta-analysis "
                                            "(report.meta_analysis).")
    if any(o.outcome == spec.outcome for o in review.protocol.report.outcomes):
        return MetaReport(spec.outcome, None, message=(
            f"{spec.outcome}: pooled with the protocol's outcomes (report.outcomes), below."))
    slug = _slug(spec.outcome)
    frame = outcome_table(review, spec.outcome, outcome_field=spec.outcome_field)
    if len(frame) < 2:
        return MetaReport(spec.outcome, None, message=(
            f"No meta-analysis of {spec.outcome}: {len(frame)} stud{'y reports' if len(frame) == 1 else 'ies report'} "
            "it with reconciled numbers; at least 2 are needed."))
    try:  # the prediction interval on t with k-2 df, which needs 3 studies with numbers
        result = meta_analysis_from_outcomes(frame, measure=spec.measure, method=spec.method,
                                             prediction="t")
    except MetaAnalysisError:
        result = meta_analysis_from_outcomes(frame, measure=spec.measure, method=spec.method)
    sensitivity = meta_analysis_from_outcomes(frame, measure=spec.measure,
                                              method=_OTHER_METHOD[spec.method])
    report = MetaReport(spec.outcome, result, sensitivity)
    draws = [(f"forest_{slug}", forest_plot)]
    if result.k >= 10:  # fewer: asymmetry cannot be judged (Cochrane Handbook 13.3.5.4)
        draws.append((f"funnel_{slug}", funnel_plot))
    for name, draw in draws:
        figure = draw(result, outcome=spec.outcome[:1].upper() + spec.outcome[1:])
        report.files += save_figure(figure, figures_dir, name)
        close(figure)
    tables_dir = Path(tables_dir)
    tables_dir.mkdir(parents=True, exist_ok=True)
    studies = result.to_frame(back_transform=result.is_ratio)
    pooled = {"outcome": spec.outcome, "measure": result.measure, "method": result.method,
              "k": result.k, "estimate": result.estimate, "se": result.se,
              "ci_low": result.ci_low, "ci_high": result.ci_high, "pi_low": result.pi_low,
              "pi_high": result.pi_high, "tau2": result.tau2, "i2": result.i2, "q": result.q,
              "q_p": result.q_p, "p": result.p, "left_out": list(result.skipped),
              "sensitivity": {"method": sensitivity.method, "estimate": sensitivity.estimate,
                              "ci_low": sensitivity.ci_low, "ci_high": sensitivity.ci_high,
                              "tau2": sensitivity.tau2, "i2": sensitivity.i2}}
    from ..io.table import write_csv
    paths = {"csv": tables_dir / f"meta_analysis_{slug}.csv",
             "json": tables_dir / f"meta_analysis_{slug}.json",
             "txt": tables_dir / f"meta_analysis_{slug}.txt"}
    write_csv(studies, paths["csv"])
    paths["json"].write_text(json.dumps(pooled, indent=2) + "\n", encoding="utf-8")
    paths["txt"].write_text(report.summary() + "\n", encoding="utf-8")
    report.files += list(paths.values())
    from .cumulative import write_cumulative  # a living review: the estimate after each search
    report.files += write_cumulative(review, frame, measure=spec.measure, method=spec.method,
                                     ratio=result.is_ratio, slug=slug, figures_dir=figures_dir,
                                     tables_dir=tables_dir)
    return report
