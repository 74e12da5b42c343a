"""The synthesis of one outcome the protocol names (`report.outcomes`), from the reconciled
extraction: a meta-analysis where enough studies report complete numbers, otherwise a synthesis
without meta-analysis (SWiM).

Preclinical studies often report several experiments (models, doses, cell lines) for one
outcome: every reconciled instance of the outcome group measuring it is one experiment. The
three-level model uses every experiment (experiments nested in studies). The study-level
analyses (the random-effects estimate, subgroups, meta-regression, leave-one-out, small-study
tests) need one effect per study: a study's experiments are combined by inverse-variance
weighting, which treats them as independent groups of animals. Without several experiments in
any study the two coincide and no three-level model is fitted."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..protocol import OutcomeSpec
from .effect_sizes import COUNT_COLUMNS, MEAN_COLUMNS, effect_sizes
from .meta_analysis import MetaAnalysis, MetaAnalysisError, random_effects
from .meta_models import (MixedEffects, SmallStudyTest, SubgroupAnalysis, ThreeLevel, TrimAndFill,
                          egger_test, leave_one_out, meta_regression, subgroup_analysis,
                          three_level, trim_and_fill)
from .swim import VoteCount, swim_table, vote_count

__all__ = ["MIN_STUDIES_FOR_REGRESSION", "OutcomeSynthesis", "outcome_rows", "synthesise"]

#: Meta-regression only with at least this many studies (Cochrane Handbook 10.11.5.1).
MIN_STUDIES_FOR_REGRESSION = 10


@dataclass
class OutcomeSynthesis:
    """Everything the report says about one outcome."""
    spec: OutcomeSpec
    rows: pd.DataFrame                       # one row per experiment reporting the outcome
    pooled: bool = False
    result: MetaAnalysis | None = None       # random effects, one effect per study
    multilevel: ThreeLevel | None = None     # experiments within studies
    subgroups: SubgroupAnalysis | None = None
    regression: MixedEffects | None = None
    sensitivity: pd.DataFrame | None = None  # leave-one-out
    egger: SmallStudyTest | None = None
    trim_fill: TrimAndFill | None = None
    swim: pd.DataFrame | None = None
    votes: VoteCount | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def studies(self) -> int:
        return int(self.rows["study"].nunique()) if len(self.rows) else 0

    @property
    def experiments(self) -> int:
        return len(self.rows)

    @property
    def animals(self) -> int | None:
        """Animals (or samples) in the experiments: the sum of the reported group sizes."""
        if not len(self.rows):
            return None
        n = self.rows[["treated_n", "control_n"]].apply(
            lambda c: pd.to_numeric(c, errors="coerce")).astype(float).to_numpy()
        return int(np.nansum(n)) if np.isfinite(n).any() else None

    @property
    def threshold(self) -> float:
        """The protocol's threshold on the analysis scale (log for ratio measures)."""
        t = self.spec.threshold
        return math.log(t) if self.spec.measure in ("RR", "OR", "ROM") else t


def outcome_rows(review, spec: OutcomeSpec) -> pd.DataFrame:
    """One row per reconciled instance of the outcome group measuring `spec.outcome`, with the
    study-level fields (`subgroup_by`, `moderator`) joined in; `experiment` labels the row."""
    from ..extraction.form import form_for
    from ..extraction.values import extraction_long, instance_table
    form = form_for(review)
    long = extraction_long(review)
    group = form.field(spec.outcome_field).group
    rows = instance_table(review, group, long=long)
    if rows.empty:
        return rows.assign(study=pd.Series(dtype=object), experiment=pd.Series(dtype=object))
    rows = rows[rows[spec.outcome_field] == spec.outcome].rename(columns={"study_id": "study"})
    for name in (spec.subgroup_by, spec.moderator):
        if name and name not in rows.columns:
            other = instance_table(review, form.field(name).group, long=long)
            first = other.sort_values("instance").drop_duplicates("study_id")
            rows = rows.merge(first[["study_id", name]].rename(columns={"study_id": "study"}),
                              on="study", how="left")
    rows = rows.sort_values(["study", "instance"], key=lambda s: s.map(
        lambda v: v.casefold() if isinstance(v, str) else v)).reset_index(drop=True)
    counts = rows["study"].map(rows["study"].value_counts())
    number = rows.groupby("study").cumcount() + 1
    rows["experiment"] = [f"{s}, experiment {n}" if c > 1 else str(s)
                          for s, n, c in zip(rows["study"], number, counts)]
    return rows


def _complete(rows: pd.DataFrame, measure: str) -> pd.DataFrame:
    columns = COUNT_COLUMNS if measure in ("RR", "OR") else MEAN_COLUMNS
    present = rows[list(columns)].apply(pd.to_numeric, errors="coerce").notna().all(axis=1)
    return rows[present]


def _per_study(effects: pd.DataFrame) -> pd.DataFrame:
    """Experiments of a study combined by inverse-variance weighting (independent animals)."""
    w = 1 / effects["vi"]
    grouped = effects.assign(w=w, wy=w * effects["yi"]).groupby("study", sort=False)
    out = grouped.agg(w=("w", "sum"), wy=("wy", "sum"), experiments=("yi", "size")).reset_index()
    return pd.DataFrame({"study": out["study"], "yi": out["wy"] / out["w"], "vi": 1 / out["w"],
                         "experiments": out["experiments"]})


def synthesise(review, spec: OutcomeSpec, rows: pd.DataFrame | None = None) -> OutcomeSynthesis:
    """Pool `spec`'s outcome if at least `min_studies` studies report complete numbers (with the
    protocol's estimator and test, a t-based prediction interval, the three-level model,
    subgroups, meta-regression, leave-one-out, small-study tests where they apply); otherwise
    tabulate it by direction of effect (SWiM). Every analysis not done says why in `notes`."""
    rows = outcome_rows(review, spec) if rows is None else rows
    out = OutcomeSynthesis(spec, rows)
    complete = _complete(rows, spec.measure) if len(rows) else rows
    studies = complete["study"].nunique() if len(complete) else 0
    if studies < spec.min_studies:
        out.notes.append(
            f"{spec.name}: {studies} stud{'y reports' if studies == 1 else 'ies report'} "
            f"complete numbers (the protocol pools from {spec.min_studies}); synthesised without "
            "meta-analysis by direction of effect (SWiM).")
        if len(rows):
            out.swim = swim_table(rows.assign(study=rows["experiment"]), better=spec.better,
                                  group_by=spec.subgroup_by)
            out.votes = vote_count(swim_table(rows.drop_duplicates("study"), better=spec.better))
        return out

    effects = effect_sizes(complete.rename(columns={"study": "_study", "experiment": "study"}),
                           spec.measure)
    effects["study_name"] = complete["study"].to_numpy()
    per_study = _per_study(effects[["study_name", "yi", "vi"]].rename(
        columns={"study_name": "study"}))
    out.pooled = True
    prediction = "t" if len(per_study) >= 3 else "test"
    out.result = random_effects(per_study["yi"], per_study["vi"], labels=per_study["study"],
                                method=spec.method, measure=spec.measure, test=spec.test,
                                prediction=prediction)
    if (per_study["experiments"] > 1).any() and len(effects) >= 3:
        out.multilevel = three_level(effects["yi"], effects["vi"], effects["study_name"],
                                     labels=effects["study"], measure=spec.measure)
    if spec.subgroup_by:
        groups = complete.drop_duplicates("study").set_index("study")[spec.subgroup_by]
        labels = [groups.get(s) for s in per_study["study"]]
        if all(isinstance(g, str) and g for g in labels) and len(set(labels)) >= 2:
            out.subgroups = subgroup_analysis(per_study["yi"], per_study["vi"], labels,
                                              labels=per_study["study"], by=spec.subgroup_by,
                                              method=spec.method, test=spec.test,
                                              measure=spec.measure, prediction=prediction)
        else:
            out.notes.append(f"No subgroup analysis by {spec.subgroup_by}: the studies are not "
                             "in at least two subgroups with a recorded value.")
    if spec.moderator:
        if len(per_study) < MIN_STUDIES_FOR_REGRESSION:
            out.notes.append(
                f"No meta-regression on {spec.moderator}: {len(per_study)} studies, fewer than "
                f"{MIN_STUDIES_FOR_REGRESSION} (Cochrane Handbook 10.11.5.1).")
        else:
            values = complete.groupby("study")[spec.moderator].apply(
                lambda s: pd.to_numeric(s, errors="coerce").mean())
            try:
                out.regression = meta_regression(per_study["yi"], per_study["vi"],
                                                 [values.get(s) for s in per_study["study"]],
                                                 name=spec.moderator, method=spec.method,
                                                 test=spec.test)
            except MetaAnalysisError as exc:
                out.notes.append(f"No meta-regression on {spec.moderator}: {exc}.")
    if out.result.k >= 3:
        out.sensitivity = leave_one_out(out.result)
    out.egger = egger_test(out.result)
    out.trim_fill = trim_and_fill(out.result)
    for skipped in out.result.skipped:
        out.notes.append(f"Left out: {skipped}")
    missing = sorted(set(rows["study"]) - set(complete["study"]))
    if missing:
        out.notes.append(f"Reported without complete numbers and not pooled: {', '.join(missing)}.")
    return out
