"""Report every outcome the protocol names (`report.outcomes`): its synthesis (meta-analysis or
SWiM), figures, tables, GRADE certainty and the summary-of-findings table. Only reads the store.

Per outcome `<slug>`: figures `forest_<slug>` (outcome named, favours labels, prediction interval
on t), `forest_<slug>_experiments` (the three-level model), `forest_<slug>_subgroups`,
`funnel_<slug>` only with 10 or more studies, `cumulative_<slug>` once the review has been
updated, and for a SWiM `effect_direction_<slug>`; tables `meta_analysis_<slug>.csv|json|txt`
(studies, pooled numbers and the text report with every model and every reason an analysis was
not done), `leave_one_out_<slug>.csv`, `meta_analysis_<slug>_cumulative.csv` (updated reviews),
`swim_<slug>.csv|md|docx|tex|xlsx`, `certainty_<slug>.csv`; for all outcomes
`summary_of_findings.docx|md|tex|xlsx|csv`."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .grade import DOMAIN_NAMES, Certainty, certainty_for
from .synthesis import OutcomeSynthesis, synthesise

__all__ = ["OutcomesReport", "outcome_results", "synthesis_text", "write_outcomes"]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass
class OutcomesReport:
    syntheses: list[OutcomeSynthesis] = field(default_factory=list)
    certainty: list[Certainty] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        return "\n\n".join(synthesis_text(s, c) for s, c in zip(self.syntheses, self.certainty))


def synthesis_text(syn: OutcomeSynthesis, certainty: Certainty | None = None) -> str:
    """The outcome's analyses in words, in the order a results section reports them."""
    spec = syn.spec
    lines = [f"{spec.name} ({spec.outcome}; {syn.studies} studies, {syn.experiments} experiments)"]
    if syn.pooled:
        lines += ["", syn.result.summary()]
        if syn.multilevel is not None:
            lines += ["", syn.multilevel.summary()]
        if syn.subgroups is not None:
            lines += ["", "Subgroups:"]
            for group in syn.subgroups.subgroups:
                r = group.result
                lines.append(f"  {group.name}: " + (
                    f"k = {r.k}, estimate {r.estimate:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f}), "
                    f"I\u00b2 = {r.i2:.0f}%" if r is not None else
                    f"1 study ({group.labels[0]}), not pooled"))
            lines.append("  " + syn.subgroups.test_text())
        if syn.regression is not None:
            c = syn.regression.coefficient(spec.moderator)
            lines += ["", f"Meta-regression on {spec.moderator}: slope {c['estimate']:.4f} "
                          f"({c['ci_low']:.4f} to {c['ci_high']:.4f}), p = {c['p']:.3f}"]
        if syn.sensitivity is not None:
            s = syn.sensitivity
            lines += ["", f"Leave-one-out: estimates from {s['estimate'].min():.2f} to "
                          f"{s['estimate'].max():.2f}"]
        lines += ["", syn.egger.text(), syn.trim_fill.text()]
    elif syn.votes is not None:
        lines += ["", syn.votes.text()]
    if syn.notes:
        lines += ["", *syn.notes]
    if certainty is not None:
        lines += ["", f"Certainty of the evidence: {certainty.label()}"]
        lines += [f"  {DOMAIN_NAMES[d.domain]}: {d.judgement} \u2014 {d.reason}"
                  + (f" (judged by {d.reviewer})" if d.source == "reviewer" else "")
                  for d in certainty.domains]
    return "\n".join(lines)


def _risk_of_bias(review) -> tuple[pd.DataFrame | None, str]:
    tool = review.protocol.risk_of_bias.tool
    if not tool or tool == "none":
        return None, "risk-of-bias"
    from ..appraisal.judgements import judgements
    try:
        return judgements(review, tool), tool
    except Exception as exc:  # an unknown tool file: say so in the domain's reason
        return pd.DataFrame(columns=["study_id", "judgement"]), f"{tool} ({exc})"


def _pooled_files(syn: OutcomeSynthesis, slug: str, tables: Path) -> list[Path]:
    from ..io.table import write_csv
    r = syn.result
    studies = r.to_frame(back_transform=r.is_ratio)
    pooled = {"outcome": syn.spec.outcome, "measure": r.measure, "method": r.method,
              "test": r.test, "prediction": "t, k-2 df" if r.prediction == "t" else "as the test",
              "k": r.k, "experiments": syn.experiments, "estimate": r.estimate, "se": r.se,
              "ci_low": r.ci_low, "ci_high": r.ci_high, "pi_low": r.pi_low, "pi_high": r.pi_high,
              "tau2": r.tau2, "i2": r.i2, "q": r.q, "q_p": r.q_p, "p": r.p,
              "left_out": list(r.skipped), "notes": syn.notes}
    if syn.multilevel is not None:
        m = syn.multilevel
        pooled["three_level"] = {"estimate": m.estimate, "se": m.se, "ci_low": m.ci_low,
                                 "ci_high": m.ci_high, "pi_low": m.pi_low, "pi_high": m.pi_high,
                                 "sigma2_study": m.sigma2_study,
                                 "sigma2_experiment": m.sigma2_experiment}
    if syn.subgroups is not None:
        g = syn.subgroups
        pooled["subgroups"] = {"by": g.by, "q_between": g.q_between, "df": g.df, "p": g.p,
                               "groups": {s.name: None if s.result is None else
                                          {"k": s.result.k, "estimate": s.result.estimate,
                                           "ci_low": s.result.ci_low, "ci_high": s.result.ci_high}
                                          for s in g.subgroups}}
    pooled["egger"] = syn.egger.text()
    pooled["trim_and_fill"] = syn.trim_fill.text()
    paths = [tables / f"meta_analysis_{slug}.csv", tables / f"meta_analysis_{slug}.json"]
    write_csv(studies, paths[0])
    paths[1].write_text(json.dumps(pooled, indent=2) + "\n", encoding="utf-8")
    if syn.sensitivity is not None:
        paths.append(tables / f"leave_one_out_{slug}.csv")
        write_csv(syn.sensitivity, paths[-1])
    return [Path(p) for p in paths]


def outcome_results(review) -> list[tuple[OutcomeSynthesis, Certainty]]:
    """Every outcome of `report.outcomes` synthesised and rated (the pre-judged GRADE domains
    with the reviewers' stored judgements laid over), as the report and its checklist see it."""
    specs = review.protocol.report.outcomes
    if not specs:
        return []
    rob, tool = _risk_of_bias(review)
    overrides = review.store.certainty_judgements()
    results = []
    for spec in specs:
        syn = synthesise(review, spec)
        results.append((syn, certainty_for(syn, rob=rob, tool=tool, overrides=overrides)))
    return results


def write_outcomes(review, *, figures_dir: str | Path, tables_dir: str | Path) -> OutcomesReport:
    """Synthesise, draw, rate and tabulate every outcome of `report.outcomes`."""
    from ..figures import save_figure
    from ..figures.style import close
    from .cumulative import write_cumulative
    from .forest import forest_plot, funnel_plot
    from .forest_subgroups import experiments_forest_plot, subgroup_forest_plot
    from .latex_symbols import SWIM_SYMBOLS, latex_symbols
    from .sof import write_summary_of_findings
    from .swim import effect_direction_plot
    from .tables import write_table
    figures, tables = Path(figures_dir), Path(tables_dir)
    tables.mkdir(parents=True, exist_ok=True)
    report = OutcomesReport()

    def draw(figure, name):
        report.files.extend(save_figure(figure, figures, name))
        close(figure)

    results = outcome_results(review)
    if not results:
        return report
    for syn, certainty in results:
        spec = syn.spec
        slug = _slug(spec.outcome)
        report.syntheses.append(syn)
        report.certainty.append(certainty)
        if syn.pooled:
            draw(forest_plot(syn.result, outcome=spec.name, favours=spec.favours), f"forest_{slug}")
            if syn.multilevel is not None:
                draw(experiments_forest_plot(syn.multilevel, outcome=spec.name,
                                             favours=spec.favours), f"forest_{slug}_experiments")
            if syn.subgroups is not None:
                draw(subgroup_forest_plot(syn.subgroups, outcome=spec.name, favours=spec.favours),
                     f"forest_{slug}_subgroups")
            if syn.result.k >= 10:
                draw(funnel_plot(syn.result, outcome=spec.name), f"funnel_{slug}")
            else:
                syn.notes.append(f"No funnel plot: {syn.result.k} studies, fewer than 10; "
                                 "asymmetry cannot be judged by eye with so few (Cochrane "
                                 "Handbook 13.3.5.4).")
            report.files += _pooled_files(syn, slug, tables)
            # a living review: the estimate after each search (nothing before an update)
            report.files += write_cumulative(review, None, measure=syn.result.measure,
                                             method=syn.result.method, ratio=syn.result.is_ratio,
                                             slug=slug, figures_dir=figures, tables_dir=tables,
                                             result=syn.result)
        elif syn.swim is not None:
            draw(effect_direction_plot(syn.swim, outcome=spec.name,
                                       favours=(spec.favours_intervention, spec.favours_control)),
                 f"effect_direction_{slug}")
            frame = syn.swim.rename(columns={
                "study": "Study", "subgroup": (spec.subgroup_by or "Subgroup").replace("_", " ")
                .capitalize(), "result": "Result: treated vs control", "n": "Animals",
                "direction": "Direction", "direction_words": "Direction in words"})
            notes = [syn.votes.text() if syn.votes else "",
                     "\u25b2 favours the intervention, \u25bc favours the control, "
                     "\u25c4\u25ba no difference, ? not reported. Direction of effect only, "
                     "as SWiM vote counting asks (Campbell et al. 2020)."]
            for suffix in (".csv", ".md", ".docx", ".tex", ".xlsx"):
                path = write_table(frame, tables / f"swim_{slug}{suffix}",
                                   caption=f"{spec.name}: synthesis without meta-analysis",
                                   footnotes=notes)
                if suffix == ".tex":   # the direction symbols as amssymb's math symbols
                    latex_symbols(path, SWIM_SYMBOLS, packages=("amssymb",))
                report.files.append(path)
        text = synthesis_text(syn, certainty)
        path = tables / f"meta_analysis_{slug}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        report.files.append(path)
        grade_rows = pd.DataFrame([{"domain": DOMAIN_NAMES[d.domain], "judgement": d.judgement,
                                    "reason": d.reason, "source": d.source,
                                    "reviewer": d.reviewer} for d in certainty.domains])
        report.files.append(write_table(grade_rows, tables / f"certainty_{slug}.csv"))
    report.files += write_summary_of_findings(list(zip(report.syntheses, report.certainty)), tables)
    return report
