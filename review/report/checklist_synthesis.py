"""Fillers of PRISMA 2020's synthesis, reporting-bias and certainty items (12, 13a, 13d, 13e,
13f, 14, 15, 19, 20b, 20c, 20d, 21, 22) from the protocol's outcomes (`report.outcomes`) and what
the report computed for each (`review.report.outcome_report.outcome_results`: the syntheses and
the GRADE certainty with the reviewers' stored judgements). Reviews that only name one pooled
outcome (`report.meta_analysis`) keep the shorter text of that analysis (`checklist_prisma`)."""
from __future__ import annotations

import math

from .checklist_facts import ChecklistFacts
from .checklist_prisma import (_MEASURES, _METHODS, individual_results_pooled_outcome,
                               sensitivity_methods_pooled_outcome,
                               synthesis_eligibility_pooled_outcome,
                               sensitivity_results_pooled_outcome)
from .checklist_text import FILLED, PARTLY, TO_COMPLETE, filler, joined, plural

_TESTS = {"knha": "the Hartung-Knapp adjustment (t distribution with k-1 degrees of freedom), "
                  "which keeps the confidence interval's coverage with few studies",
          "z": "Wald-type z tests and intervals"}
_CITATION_GRADE = ("Hooijmans CR et al. Facilitating healthcare decisions by assessing the "
                   "certainty in the evidence from preclinical animal studies. PLoS ONE "
                   "2018;13:e0187271")


def _specs(f: ChecklistFacts) -> list:
    return list(f.protocol.report.outcomes)


def _results(f: ChecklistFacts) -> list:
    """(synthesis, certainty) per protocol outcome, or [] when the report computed none or no
    study reports any of the outcomes yet."""
    if len(f.outcomes) != len(_specs(f)) or not any(syn.studies for syn, _ in f.outcomes):
        return []
    return list(f.outcomes)


def _num(value: float, ratio: bool) -> str:
    return f"{math.exp(value):.2f}" if ratio else f"{value:.2f}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _field_label(f: ChecklistFacts, name: str) -> str:
    field = {x.name: x for x in f.protocol.extraction.fields}.get(name)
    label = (field.label or field.name) if field else name.replace("_", " ")
    allowed = f" ({joined(field.allowed)})" if field and field.allowed else ""
    return label[:1].lower() + label[1:] + allowed


def _favoured(syn) -> str:
    """Which group the pooled estimate favours, in the protocol's words."""
    spec, estimate = syn.spec, syn.result.estimate
    if estimate == 0:
        return "favouring neither group"
    intervention = (estimate < 0) == (spec.better == "lower")
    return "favouring " + (spec.favours_intervention if intervention else spec.favours_control)


# -- methods ---------------------------------------------------------------------------------------
@filler("effect_measures")
def _effect_measures(f: ChecklistFacts):
    specs = _specs(f)
    if not specs:
        meta = f.protocol.report.meta_analysis
        if meta is None:
            return TO_COMPLETE, "", "the effect measure for each outcome"
        return PARTLY, (f"{meta.outcome.capitalize()}: {_MEASURES[meta.measure]} between treated "
                        "and control groups."), "the effect measures of the other outcomes, if any"
    results = dict((syn.spec.outcome, syn) for syn, _ in _results(f))
    lines = []
    for spec in specs:
        line = (f"{spec.name}: {_MEASURES[spec.measure]} between the {spec.favours_intervention} "
                f"and {spec.favours_control} groups ({spec.better} values favour "
                f"{spec.favours_intervention}; smallest effect that matters {spec.threshold:g})")
        syn = results.get(spec.outcome)
        if syn is not None and not syn.pooled:
            line += ("; too few studies with complete numbers to pool, so its results are "
                     "presented by direction of effect")
        lines.append(line + ".")
    return FILLED, " ".join(lines), ""


@filler("synthesis_eligibility")
def _synthesis_eligibility(f: ChecklistFacts):
    specs = _specs(f)
    if not specs:
        return synthesis_eligibility_pooled_outcome(f)
    fields = joined(sorted({_field_label(f, s.outcome_field).split(" (")[0] for s in specs}))
    text = (f"A study entered the synthesis of an outcome when its reconciled extraction recorded "
            f"that outcome ({fields}: {joined(s.outcome for s in specs)}). Each recorded "
            "instance (an experiment: model, dose, cell line or time point) counts as one "
            "experiment. An experiment entered the meta-analysis when it gave the mean, standard "
            "deviation and number of animals or samples of both a treated and a control group; "
            "an outcome was pooled when at least the protocol's minimum number of studies ("
            + joined(sorted({str(s.min_studies) for s in specs})) + ") did so, and otherwise "
            "every study reporting it entered the synthesis by direction of effect. Studies were "
            "placed in subgroups by the value recorded for them, as in the evidence table.")
    return FILLED, text, ""


@filler("synthesis_methods")
def _synthesis_methods(f: ChecklistFacts):
    specs = _specs(f)
    if not specs:
        meta = f.protocol.report.meta_analysis
        if meta is None:
            return TO_COMPLETE, "", "how results were synthesised, and why"
        return PARTLY, (f"Random-effects meta-analysis of {meta.outcome}, the between-study "
                        f"variance (tau²) estimated by {_METHODS[meta.method]}; heterogeneity was "
                        "described with tau², I² and Cochran's Q and a 95% prediction interval. "
                        f"Software: {f.software} (Python)."), \
            "the rationale for a random-effects model and for pooling these outcomes"
    models = {}
    for spec in specs:
        models.setdefault((spec.method, spec.test, spec.min_studies), []).append(spec.name)
    text = ("Each outcome was pooled by random-effects meta-analysis, because animal studies "
            "differ in their models, interventions and doses so that one common true effect is "
            "not expected, when enough studies reported the mean, standard deviation and number "
            "of animals or samples of a treated and a control group (")
    text += "; ".join(f"{joined(names)}: at least {min_studies} studies, tau² estimated by "
                      f"{_METHODS[method]}, with {_TESTS[test]}"
                      for (method, test, min_studies), names in models.items()) + ")."
    text += (" Heterogeneity was described with tau², I², Cochran's Q and a 95% prediction "
             "interval on the t distribution with k-2 degrees of freedom (with at least 3 "
             "studies). Where a study reported several experiments (models, doses, cell lines) "
             "for an outcome, a three-level model (experiments nested within studies, "
             "restricted maximum likelihood) used every experiment, respecting their "
             "dependence; the study-level "
             "analyses combined a study's experiments by inverse-variance weighting. An outcome "
             "with too few studies to pool was synthesised without meta-analysis (SWiM; Campbell "
             "et al. BMJ 2020;368:l6890): vote counting by direction of effect with a sign test, "
             "shown in an effect-direction plot.")
    results = _results(f)
    if results:
        done = []
        for syn, _ in results:
            if syn.pooled:
                done.append(f"{syn.spec.name} pooled ({plural(syn.studies, 'study', 'studies')}"
                            + (f"; three-level model over {syn.multilevel.k} experiments"
                               if syn.multilevel is not None else "") + ")")
            else:
                done.append(f"{syn.spec.name} by direction of effect "
                            f"({plural(syn.studies, 'study', 'studies')})")
        text += " Applied: " + "; ".join(done) + "."
    return FILLED, text + f" Software: {f.software} (Python).", ""


@filler("heterogeneity_methods")
def _heterogeneity_methods(f: ChecklistFacts):
    from .synthesis import MIN_STUDIES_FOR_REGRESSION
    specs = _specs(f)
    if not specs:
        return TO_COMPLETE, "", ("the subgroup analyses or meta-regressions, or a statement that "
                                 "none was done")
    by_field, moderators = {}, {}
    for spec in specs:
        if spec.subgroup_by:
            by_field.setdefault(spec.subgroup_by, []).append(spec.name)
        if spec.moderator:
            moderators.setdefault(spec.moderator, []).append(spec.name)
    parts = []
    for name, outcomes in by_field.items():
        parts.append(f"Subgroup analysis by {_field_label(f, name)} for {joined(outcomes)}: a "
                     "random-effects model within each subgroup (a subgroup of one study is shown, "
                     "not pooled) and the test for subgroup differences (the model with the "
                     "subgroup as a factor; an F test with the Hartung-Knapp adjustment, "
                     "otherwise Q), done where a pooled outcome's studies fall in at least two "
                     "subgroups.")
    for name, outcomes in moderators.items():
        parts.append(f"Meta-regression on {_field_label(f, name)} for {joined(outcomes)}, only "
                     f"with {MIN_STUDIES_FOR_REGRESSION} or more studies (Cochrane Handbook "
                     "10.11.5.1).")
    if not parts:
        return FILLED, "No subgroup analysis or meta-regression was planned.", ""
    if not moderators:
        parts.append("No meta-regression was planned.")
    parts.append("Leave-one-out analyses showed each study's influence on the pooled estimate.")
    return FILLED, " ".join(parts), ""


@filler("reporting_bias_methods")
def _reporting_bias_methods(f: ChecklistFacts):
    from .meta_models import MIN_STUDIES_FOR_SMALL_STUDY_TESTS as k
    if not _specs(f):
        if f.protocol.report.meta_analysis is None:
            return TO_COMPLETE, "", "how missing results were assessed, or why they were not"
        return PARTLY, "A funnel plot of effect sizes against their standard errors was drawn.", \
            "whether a test for small-study effects was used (meaningful from 10 studies)"
    return FILLED, (f"For each pooled outcome with {k} or more studies, small-study effects were "
                    "assessed with a funnel plot, Egger's regression test and trim-and-fill (L0 "
                    f"estimator); with fewer than {k} studies these cannot tell asymmetry from "
                    "chance (Cochrane Handbook 13.3.5.4), so they were not done and the reason is "
                    "stated per outcome. Outcomes synthesised without meta-analysis were not "
                    "assessed for reporting bias. Publication bias is also a domain of the "
                    "certainty of the evidence (item 15)."), ""


@filler("certainty_methods")
def _certainty_methods(f: ChecklistFacts):
    from .grade import DOMAIN_NAMES, PREJUDGEMENT_RULES
    specs = _specs(f)
    if not specs:
        return TO_COMPLETE, "", ("how certainty was judged (e.g. GRADE for preclinical evidence), "
                                 "or that it was not")
    tool = f.protocol.risk_of_bias.tool
    rules = "; ".join(f"{DOMAIN_NAMES[d].lower()}: {rule}" for d, rule in
                      PREJUDGEMENT_RULES.items())
    text = ("The certainty of the evidence for each outcome was assessed with GRADE as adapted for "
            f"preclinical animal studies ({_CITATION_GRADE}): the evidence starts at high "
            "certainty and is rated down one level for each serious and two for each very serious "
            "concern in five domains; it is not rated up. The workbench pre-judged four domains "
            f"from the data and the fifth was left to a reviewer. The rules: {rules}."
            + (f" Risk of bias was read from the {tool} judgements." if tool and tool != "none"
               else "")
            + " Thresholds of the smallest effect that matters: "
            + "; ".join(f"{s.name} {s.measure} {s.threshold:g}" for s in specs) + ". "
            "A reviewer's judgement of any domain, with its reason, is stored in the review's log "
            "and replaces the pre-judgement; the summary-of-findings table (GRADEpro's layout) "
            "gives each rating with its reasons as footnotes.")
    reviewers = sorted({d.reviewer for _, c in _results(f) for d in c.domains
                        if d.source == "reviewer" and d.reviewer})
    if reviewers:
        text += f" Domains judged by reviewers: {joined(reviewers)}."
    return FILLED, text, ""


# -- results ---------------------------------------------------------------------------------------
def _pooled_line(syn) -> str:
    r, spec = syn.result, syn.spec
    ratio, pct = r.is_ratio, f"{100 * r.level:g}%"
    animals = f", {syn.animals} animals or samples" if syn.animals else ""
    line = (f"{spec.name}: {r.measure} {_num(r.estimate, ratio)} ({pct} CI "
            f"{_num(r.ci_low, ratio)} to {_num(r.ci_high, ratio)}; {_p(r.p)}; "
            f"{plural(syn.studies, 'study', 'studies')}, "
            f"{plural(syn.experiments, 'experiment')}{animals}), {_favoured(syn)}; "
            f"tau² = {r.tau2:.2f}, I² = {r.i2:.0f}%, Q = {r.q:.2f} (df = {r.k - 1}, "
            f"{_p(r.q_p)}); {pct} prediction interval {_num(r.pi_low, ratio)} to "
            f"{_num(r.pi_high, ratio)}.")
    m = syn.multilevel
    if m is not None:
        line += (f" Three-level model over {m.k} experiments: {_num(m.estimate, ratio)} ({pct} CI "
                 f"{_num(m.ci_low, ratio)} to {_num(m.ci_high, ratio)}), sigma² between studies "
                 f"{m.sigma2_study:.2f} and between experiments within a study "
                 f"{m.sigma2_experiment:.2f}.")
    return line


def _not_pooled_line(syn) -> str:
    reason = next((n for n in syn.notes if "synthesised without meta-analysis" in n), "")
    votes = syn.votes.text() if syn.votes is not None else "No study reported it."
    return f"{reason} {votes}".strip()


@filler("synthesis_results")
def _synthesis_results(f: ChecklistFacts):
    results = _results(f)
    if not results:
        meta = f.meta
        if _specs(f) or not meta or "estimate" not in meta:
            return TO_COMPLETE, "", "the result of each synthesis"
        return PARTLY, (f"{meta['outcome'].capitalize()}: {meta['measure']} "
                        f"{meta['estimate']:.2f} (95% CI {meta['ci_low']:.2f} to "
                        f"{meta['ci_high']:.2f}; {meta['k']} studies; random effects, "
                        f"{meta['method']}); tau² = {float(meta['tau2']):.2f}, I² = "
                        f"{float(meta['i2']):.0f}%, Q = {meta['q']:.2f} (p = {meta['q_p']:.2f}); "
                        f"95% prediction interval {meta['pi_low']:.2f} to "
                        f"{meta['pi_high']:.2f}."), \
            "the direction of the effect in words (which group is favoured)"
    lines = [_pooled_line(syn) if syn.pooled else _not_pooled_line(syn) for syn, _ in results]
    return FILLED, "\n".join(lines), ""


def _subgroup_line(syn) -> str:
    spec, g = syn.spec, syn.subgroups
    ratio = syn.result.is_ratio
    groups = "; ".join(
        f"{s.name}: {s.result.k} studies, {_num(s.result.estimate, ratio)} "
        f"({_num(s.result.ci_low, ratio)} to {_num(s.result.ci_high, ratio)}), "
        f"I² = {s.result.i2:.0f}%" if s.result is not None else
        f"{s.name}: 1 study ({s.labels[0]}), not pooled" for s in g.subgroups)
    return f"{spec.name} by {g.by.replace('_', ' ')}: {groups}. {g.test_text()}."


@filler("subgroup_results")
def _subgroup_results(f: ChecklistFacts):
    results = _results(f)
    if not results:
        return TO_COMPLETE, "", ("the results of the subgroup analyses or meta-regressions "
                                 "(item 13e), or a statement that none was done")
    lines = []
    for syn, _ in results:
        spec = syn.spec
        if not (spec.subgroup_by or spec.moderator):
            continue
        if not syn.pooled:
            lines.append(f"{spec.name}: not pooled, so no subgroup analysis"
                         + (f" (the effect-direction plot shows its studies by "
                            f"{spec.subgroup_by.replace('_', ' ')})" if spec.subgroup_by else "")
                         + ".")
            continue
        if syn.subgroups is not None:
            lines.append(_subgroup_line(syn))
        if syn.regression is not None:
            c = syn.regression.coefficient(spec.moderator)
            lines.append(f"{spec.name}, meta-regression on {spec.moderator.replace('_', ' ')}: "
                         f"slope {c['estimate']:.4f} ({c['ci_low']:.4f} to {c['ci_high']:.4f}), "
                         f"{_p(c['p'])}.")
        lines += [f"{spec.name}: {n}" for n in syn.notes
                  if n.startswith(("No subgroup analysis", "No meta-regression"))]
    if not lines:
        return FILLED, "No subgroup analysis or meta-regression was done.", ""
    return FILLED, "\n".join(lines), ""


@filler("reporting_bias_results")
def _reporting_bias_results(f: ChecklistFacts):
    results = _results(f)
    if not results:
        return TO_COMPLETE, "", ("the judgement for each synthesis of whether results are missing "
                                 "(funnel plot and Egger's test where at least 10 studies, "
                                 "reasons otherwise)")
    lines = []
    for syn, _ in results:
        if not syn.pooled:
            lines.append(f"{syn.spec.name}: not assessed; synthesised without meta-analysis.")
        elif syn.egger.done:
            lines.append(f"{syn.spec.name}: {syn.egger.text()}; {syn.trim_fill.text()} (funnel "
                         "plot in the figures).")
        else:
            lines.append(f"{syn.spec.name}: {syn.egger.text()} No funnel plot or trim-and-fill "
                         "for the same reason.")
    return FILLED, "\n".join(lines), ""


@filler("certainty_results")
def _certainty_results(f: ChecklistFacts):
    from .grade import DOMAIN_NAMES, NOT_JUDGED
    results = _results(f)
    if not results:
        return TO_COMPLETE, "", ("the certainty of the evidence for each outcome "
                                 "(summary-of-findings table), or a statement that it was not "
                                 "assessed")
    lines, unjudged = [], []
    for syn, certainty in results:
        down = [f"{DOMAIN_NAMES[d.domain].lower()} ({d.judgement}"
                + (f", judged by {d.reviewer}" if d.source == "reviewer" and d.reviewer else "")
                + f": {d.reason.rstrip('.')})" for d in certainty.domains if d.steps]
        lines.append(f"{syn.spec.name}: {certainty.level} certainty ({certainty.symbols})"
                     + ("; rated down for " + "; ".join(down) if down else
                        "; not rated down") + ".")
        unjudged += [f"{DOMAIN_NAMES[d.domain].lower()} of {syn.spec.name}"
                     for d in certainty.domains if d.judgement == NOT_JUDGED]
    text = "\n".join(lines) + "\nSummary of findings: summary_of_findings.docx (.md, .tex, .xlsx)."
    if unjudged:
        return PARTLY, text, "a reviewer's judgement of " + joined(unjudged)
    return FILLED, text, ""


@filler("a_synthesis_results")
def _a_synthesis_results(f: ChecklistFacts):
    """PRISMA for Abstracts item 8: per outcome, the estimate (or the vote count), the studies
    and animals, the direction, and the certainty."""
    results = _results(f)
    if not results:
        return _synthesis_results(f)
    lines = []
    for syn, certainty in results:
        animals = f", {syn.animals} animals or samples" if syn.animals else ""
        studies = f"{plural(syn.studies, 'study', 'studies')}{animals}"
        if syn.pooled:
            r, ratio = syn.result, syn.result.is_ratio
            lines.append(f"{syn.spec.name}: {r.measure} {_num(r.estimate, ratio)} "
                         f"({100 * r.level:g}% CI {_num(r.ci_low, ratio)} to "
                         f"{_num(r.ci_high, ratio)}; {studies}), {_favoured(syn)}; "
                         f"{certainty.level} certainty.")
        elif syn.votes is not None and syn.votes.favours_intervention + syn.votes.favours_control:
            v = syn.votes
            lines.append(f"{syn.spec.name}: {v.favours_intervention} of "
                         f"{v.favours_intervention + v.favours_control} studies favour "
                         f"{syn.spec.favours_intervention} ({studies}; not pooled); "
                         f"{certainty.level} certainty.")
        else:
            lines.append(f"{syn.spec.name}: no study reports a direction of effect.")
    return FILLED, " ".join(lines), ""


# -- individual results and sensitivity analyses ---------------------------------------------------
_OTHER = {"REML": "DL", "DL": "REML"}


@filler("individual_results")
def _individual_results(f: ChecklistFacts):
    from .outcome_report import _slug
    results = _results(f)
    if not results:
        return individual_results_pooled_outcome(f)
    lines = ["Each study's main result (treated vs control) is in the evidence table."]
    not_pooled = []
    for syn, _ in results:
        slug = _slug(syn.spec.outcome)
        if syn.pooled:
            lines.append(f"{syn.spec.name}: each study's effect ({syn.result.measure}) with its "
                         f"95% CI in the forest plot and meta_analysis_{slug}.csv"
                         + ("; each experiment's in the three-level forest plot"
                            if syn.multilevel is not None else "") + ".")
        elif syn.studies:
            not_pooled.append(syn.spec.name)
            lines.append(f"{syn.spec.name}: each study's group results and direction of effect "
                         f"in the SWiM table (swim_{slug}) and the effect-direction plot.")
    if not_pooled:
        return PARTLY, " ".join(lines), ("an effect estimate with its precision per study for "
                                         + joined(not_pooled) + ", where one can be computed")
    return FILLED, " ".join(lines), ""


@filler("sensitivity_methods")
def _sensitivity_methods(f: ChecklistFacts):
    if not _specs(f):
        return sensitivity_methods_pooled_outcome(f)
    return FILLED, ("For each pooled outcome: each study left out in turn and the model refitted "
                    "(leave-one-out, from 3 studies); the pooled estimate refitted with the other "
                    "estimator of tau² (DerSimonian and Laird's method for restricted maximum "
                    "likelihood, and the reverse); and, where studies reported several "
                    "experiments, the three-level model over every experiment beside the "
                    "study-level estimate."), ""


@filler("sensitivity_results")
def _sensitivity_results(f: ChecklistFacts):
    from .meta_models import _refit
    results = _results(f)
    if not results:
        if _specs(f):
            return TO_COMPLETE, "", "the results of the sensitivity analyses (item 13f)"
        return sensitivity_results_pooled_outcome(f)
    lines = []
    for syn, _ in results:
        if not syn.pooled:
            continue
        r, ratio = syn.result, syn.result.is_ratio
        parts = []
        if syn.sensitivity is not None:
            s = syn.sensitivity["estimate"]
            parts.append(f"leaving out one study at a time, estimates from {_num(s.min(), ratio)} "
                         f"to {_num(s.max(), ratio)}")
        other = _refit(r, list(range(r.k)), method=_OTHER[r.method])
        parts.append(f"with tau² by {_METHODS[other.method]}, {_num(other.estimate, ratio)} "
                     f"(95% CI {_num(other.ci_low, ratio)} to {_num(other.ci_high, ratio)})")
        if syn.multilevel is not None:
            m = syn.multilevel
            parts.append(f"three-level model over {m.k} experiments, {_num(m.estimate, ratio)}")
        lines.append(f"{syn.spec.name} ({r.measure} {_num(r.estimate, ratio)} as reported): "
                     + "; ".join(parts) + ".")
    if not lines:
        return FILLED, "No outcome was pooled, so no sensitivity analysis was done.", ""
    return FILLED, "\n".join(lines), ""
