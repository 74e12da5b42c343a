"""Certainty of evidence per outcome (GRADE), adapted for animal studies as Hooijmans et al.
(2018, PLoS ONE 13:e0187271, "Facilitating healthcare decisions by assessing the certainty in
the evidence from preclinical animal studies") propose: evidence from randomised controlled
animal experiments starts at high certainty and is rated down for risk of bias (SYRCLE),
indirectness (how far the animal models, interventions and outcomes are from the review
question), inconsistency, imprecision and publication bias; this tool does not rate up.

Four domains are pre-judged from the data, each with its reason in words:
- risk of bias: the final SYRCLE (or other) judgements stored for the studies pooled, weighted
  by each study's weight in the meta-analysis (equally in a SWiM);
- inconsistency: I² and the prediction interval (or, without pooling, the directions of effect);
- imprecision: the confidence interval against the protocol's threshold of the smallest effect
  that matters (and the number of animals);
- publication bias: Egger's test where at least 10 studies are pooled, otherwise not assessable.
Indirectness cannot be read from the data: it stays "not yet judged" until a reviewer judges
it. A reviewer's judgement of any domain (stored as an event, `Store.record_certainty`)
overrides the pre-judgement, and its reason becomes the footnote."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .synthesis import OutcomeSynthesis

__all__ = ["LEVELS", "SYMBOLS", "DOMAIN_NAMES", "NOT_JUDGED", "PREJUDGEMENT_RULES",
           "DomainJudgement", "Certainty", "prejudge",
           "rate", "certainty_for"]

LEVELS = ("very low", "low", "moderate", "high")
SYMBOLS = {"high": "\u2295\u2295\u2295\u2295", "moderate": "\u2295\u2295\u2295\u25ef",
           "low": "\u2295\u2295\u25ef\u25ef", "very low": "\u2295\u25ef\u25ef\u25ef"}
DOMAIN_NAMES = {"risk_of_bias": "Risk of bias", "indirectness": "Indirectness",
                "inconsistency": "Inconsistency", "imprecision": "Imprecision",
                "publication_bias": "Publication bias"}
_STEPS = {"not serious": 0, "serious": 1, "very serious": 2}
NOT_JUDGED = "not yet judged"
# The pre-judgements' cut-offs (stated in words by PREJUDGEMENT_RULES).
_HIGH_RISK_WEIGHT, _UNCLEAR_RISK_WEIGHT = 0.5, 0.75
_I2_SERIOUS, _I2_VERY_SERIOUS = 50, 75
_EGGER_P = 0.10

#: How the data pre-judge each domain, in the words of a methods section (checklist item 15).
PREJUDGEMENT_RULES = {
    "risk_of_bias": (f"serious when studies with at least one domain at high risk carry "
                     f"{100 * _HIGH_RISK_WEIGHT:.0f}% or more of the meta-analysis weight, or "
                     f"studies at high or unclear risk {100 * _UNCLEAR_RISK_WEIGHT:.0f}% or more "
                     "(shares of studies where not pooled), from the final judgements stored for "
                     "the studies"),
    "indirectness": ("judged by a reviewer: how far the animal models, interventions and "
                     "outcomes are from the review question"),
    "inconsistency": (f"serious when I\u00b2 is {_I2_SERIOUS}% or more, or the prediction "
                      "interval includes no effect while the confidence interval does not; very "
                      f"serious when I\u00b2 is {_I2_VERY_SERIOUS}% or more and the prediction "
                      "interval includes no effect while the confidence interval does not "
                      "(without pooling: serious when the studies' directions of effect differ)"),
    "imprecision": ("serious when the confidence interval includes no effect or does not lie "
                    "beyond the protocol's threshold of the smallest effect that matters; very "
                    "serious when it includes appreciable benefit, no effect and appreciable harm "
                    "(always serious without a pooled estimate)"),
    "publication_bias": (f"serious when Egger's test gives p < {_EGGER_P:.2f}, run only with 10 or "
                         "more studies; otherwise not assessable from the data and not rated "
                         "down unless a reviewer does"),
}


@dataclass(frozen=True)
class DomainJudgement:
    domain: str
    judgement: str       # not serious | serious | very serious | not yet judged
    reason: str
    source: str          # "data", "reviewer" or "none"
    reviewer: str = ""

    @property
    def steps(self) -> int:
        return _STEPS.get(self.judgement, 0)


@dataclass(frozen=True)
class Certainty:
    outcome: str
    level: str
    domains: tuple[DomainJudgement, ...]

    @property
    def symbols(self) -> str:
        return SYMBOLS[self.level]

    def label(self) -> str:
        return f"{self.symbols} {self.level.upper()}"

    def domain(self, name: str) -> DomainJudgement:
        return next(d for d in self.domains if d.domain == name)


def _share(values: pd.Series, weights: pd.Series) -> float:
    return float((values * weights).sum() / weights.sum()) if weights.sum() > 0 else 0.0


def _risk_of_bias(syn: OutcomeSynthesis, rob: pd.DataFrame | None, tool: str) -> DomainJudgement:
    studies = list(syn.result.labels) if syn.result is not None else list(
        dict.fromkeys(syn.rows["study"]))
    if rob is None or rob.empty:
        return DomainJudgement("risk_of_bias", NOT_JUDGED, f"No {tool} judgements are stored "
                               "for these studies.", "none")
    levels = rob.assign(level=rob["judgement"].astype(str).str.lower())
    worst = {}
    for study in studies:
        own = levels[levels["study_id"] == study]["level"].tolist()
        if not own:
            worst[study] = None
        elif any("high" in x for x in own):
            worst[study] = "high"
        elif any("unclear" in x or "some concerns" in x for x in own):
            worst[study] = "unclear"
        else:
            worst[study] = "low"
    judged = [s for s in studies if worst[s]]
    if not judged:
        return DomainJudgement("risk_of_bias", NOT_JUDGED, f"None of the {len(studies)} studies "
                               f"has final {tool} judgements.", "none")
    weights = pd.Series(dict(zip(syn.result.labels, syn.result.weights))) if syn.result is not None \
        else pd.Series(1.0, index=studies)
    weights = weights.reindex(judged).fillna(0.0)
    high = _share(pd.Series({s: worst[s] == "high" for s in judged}, dtype=float), weights)
    unclear = _share(pd.Series({s: worst[s] in ("high", "unclear") for s in judged}, dtype=float),
                     weights)
    counted = (f"{sum(worst[s] == 'high' for s in judged)} of {len(judged)} studies have at least "
               f"one {tool} domain at high risk and {sum(worst[s] == 'unclear' for s in judged)} "
               "more at unclear risk")
    share = ("carry {:.0f}% of the weight" if syn.result is not None
             else "make up {:.0f}% of the studies judged")
    if high >= _HIGH_RISK_WEIGHT:
        return DomainJudgement("risk_of_bias", "serious", f"{counted}: studies at high risk "
                               f"{share.format(100 * high)}.", "data")
    if unclear >= _UNCLEAR_RISK_WEIGHT:
        return DomainJudgement("risk_of_bias", "serious", f"{counted}: studies at high or unclear "
                               f"risk {share.format(100 * unclear)}.", "data")
    return DomainJudgement("risk_of_bias", "not serious", f"{counted}; studies at low risk in "
                           f"every domain {share.format(100 * (1 - unclear))}.", "data")


def _inconsistency(syn: OutcomeSynthesis) -> DomainJudgement:
    if syn.result is None:
        votes = syn.votes
        if votes is None or votes.favours_intervention + votes.favours_control == 0:
            return DomainJudgement("inconsistency", NOT_JUDGED, "No study reports a direction of "
                                   "effect.", "none")
        if votes.favours_control == 0 or votes.favours_intervention == 0:
            return DomainJudgement("inconsistency", "not serious", "Every study with a direction "
                                   "of effect points the same way.", "data")
        return DomainJudgement("inconsistency", "serious", f"Directions differ: "
                               f"{votes.favours_intervention} studies favour the intervention and "
                               f"{votes.favours_control} the control.", "data")
    r = syn.result
    if r.k < 2:
        return DomainJudgement("inconsistency", NOT_JUDGED, "One study: not assessable.", "none")
    null = 0.0
    pi_crosses = r.pi_low < null < r.pi_high
    ci_crosses = r.ci_low < null < r.ci_high
    pi_text = (f"the {100 * r.level:g}% prediction interval ({r.pi_low:.2f} to {r.pi_high:.2f}) "
               f"{'includes' if pi_crosses else 'excludes'} no effect")
    if r.i2 >= _I2_VERY_SERIOUS and pi_crosses and not ci_crosses:
        return DomainJudgement("inconsistency", "very serious", f"I\u00b2 = {r.i2:.0f}% and "
                               f"{pi_text} although the pooled estimate does not.", "data")
    if r.i2 >= _I2_SERIOUS or (pi_crosses and not ci_crosses):
        return DomainJudgement("inconsistency", "serious", f"I\u00b2 = {r.i2:.0f}% and {pi_text}.",
                               "data")
    return DomainJudgement("inconsistency", "not serious", f"I\u00b2 = {r.i2:.0f}% and {pi_text}.",
                           "data")


def _imprecision(syn: OutcomeSynthesis) -> DomainJudgement:
    animals = syn.animals
    size = f" (N = {animals})" if animals else ""
    if syn.result is None:
        return DomainJudgement("imprecision", "serious", f"No pooled estimate: "
                               f"{syn.studies} stud{'y' if syn.studies == 1 else 'ies'}{size}, "
                               "effects tabulated by direction only.", "data")
    r, t = syn.result, syn.threshold
    benefit = -t if syn.spec.better == "lower" else t  # an appreciable benefit on the analysis scale
    lo, hi = r.ci_low, r.ci_high
    ratio = syn.spec.measure in ("RR", "OR", "ROM")
    show = (lambda v: f"{np.exp(v):.2f}") if ratio else (lambda v: f"{v:.2f}")
    ci = f"the {100 * r.level:g}% CI ({show(lo)} to {show(hi)})"
    threshold = f"the protocol's threshold of {syn.spec.threshold:g}"
    includes_null = lo <= 0 <= hi
    includes_harm = (hi >= t) if syn.spec.better == "lower" else (lo <= -t)
    beyond = (hi <= benefit) if syn.spec.better == "lower" else (lo >= benefit)
    if includes_null and includes_harm and (lo <= -t if syn.spec.better == "lower" else hi >= t):
        return DomainJudgement("imprecision", "very serious", f"{ci} includes appreciable benefit, "
                               f"no effect and appreciable harm ({threshold}){size}.", "data")
    if includes_null:
        return DomainJudgement("imprecision", "serious", f"{ci} includes no effect{size}.", "data")
    if not beyond:
        return DomainJudgement("imprecision", "serious", f"{ci} excludes no effect but crosses "
                               f"{threshold}: the effect may be too small to matter{size}.", "data")
    return DomainJudgement("imprecision", "not serious", f"{ci} lies entirely beyond {threshold}"
                           f"{size}.", "data")


def _publication_bias(syn: OutcomeSynthesis) -> DomainJudgement:
    if syn.egger is None or not syn.egger.done:
        k = syn.result.k if syn.result is not None else syn.studies
        return DomainJudgement("publication_bias", "not serious", f"Not assessable from the data: "
                               f"{k} studies, fewer than 10 for Egger's test; undetected is not "
                               "absent (a reviewer may rate down).", "data")
    e = syn.egger
    if e.p < _EGGER_P:
        return DomainJudgement("publication_bias", "serious", f"{e.text()}: asymmetry suspected "
                               f"(p < {_EGGER_P:.2f}).", "data")
    return DomainJudgement("publication_bias", "not serious", f"{e.text()}: no asymmetry "
                           "detected.", "data")


def prejudge(syn: OutcomeSynthesis, rob: pd.DataFrame | None = None, *, tool: str = "SYRCLE"
             ) -> list[DomainJudgement]:
    """The five domains as the data judge them (indirectness: not yet judged)."""
    return [_risk_of_bias(syn, rob, tool),
            DomainJudgement("indirectness", NOT_JUDGED, "how far the animal models, "
                            "interventions and outcomes are from the review question (species, "
                            "tumour model, dose and route, outcome measured) is for a reviewer to "
                            "judge (Hooijmans et al. 2018).", "none"),
            _inconsistency(syn), _imprecision(syn), _publication_bias(syn)]


def rate(outcome: str, domains: list[DomainJudgement]) -> Certainty:
    """Start at high and rate down one level per 'serious', two per 'very serious'."""
    steps = sum(d.steps for d in domains)
    return Certainty(outcome, LEVELS[max(0, 3 - steps)], tuple(domains))


def certainty_for(syn: OutcomeSynthesis, *, rob: pd.DataFrame | None = None, tool: str = "SYRCLE",
                  overrides: pd.DataFrame | None = None) -> Certainty:
    """Pre-judged domains with the reviewers' stored judgements of this outcome laid over."""
    domains = prejudge(syn, rob, tool=tool)
    if overrides is not None and len(overrides):
        mine = overrides[overrides["outcome"] == syn.spec.outcome].set_index("domain")
        domains = [DomainJudgement(d.domain, mine.at[d.domain, "judgement"],
                                   str(mine.at[d.domain, "reason"]), "reviewer",
                                   str(mine.at[d.domain, "reviewer"]))
                   if d.domain in mine.index else d for d in domains]
    return rate(syn.spec.outcome, domains)
