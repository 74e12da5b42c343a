"""What the reporting checklists can know, read from the protocol and the store: the searches
and what they found, deduplication, who screened, extracted and appraised and how conflicts were
settled, automation, exclusions with reasons, tools, and each outcome's synthesis and certainty as the
report computes them. One `ChecklistFacts` of plain
values, so that filling the checklists (`review.report.checklist`) is a pure function of it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import ReviewError

__all__ = ["ChecklistFacts", "StageFacts", "checklist_facts"]


@dataclass
class StageFacts:
    """Who took part in one stage (screening, extraction, appraisal) and how it ended."""

    per_item: int                                   # reviewers the protocol asks for
    reviewers: list[str] = field(default_factory=list)
    resolvers: list[str] = field(default_factory=list)
    decided: int = 0                                # records, studies or judgements decided
    conflicts: int = 0
    resolved: int = 0
    kappa: float | None = None
    agreement: float | None = None


@dataclass
class ChecklistFacts:
    """Everything the checklists are filled from (plain values; see `checklist_facts`)."""

    protocol: Any                                   # review.protocol.Protocol
    records_by_source: dict[str, int] = field(default_factory=dict)
    dedup: dict | None = None                       # last run: when, by whom, its summary
    dedup_pairs: dict[str, int] = field(default_factory=dict)   # reviewers' same / different
    screening: dict[str, StageFacts] = field(default_factory=dict)
    automation_excluded: int = 0
    extraction: StageFacts | None = None
    appraisal: dict[str, StageFacts] = field(default_factory=dict)
    counts: Any = None                              # review.report.prisma.PrismaCounts
    studies: int = 0
    reports: int = 0
    full_text_excluded: dict[str, int] = field(default_factory=dict)
    meta: dict | None = None                        # pooled outcome, as meta_report writes it
    outcomes: list = field(default_factory=list)    # (OutcomeSynthesis, Certainty) per outcome
    protocol_versions: int = 0
    software: str = ""


def _actors(events: pd.DataFrame, role: str) -> list[str]:
    if events.empty or "role" not in events:
        return []
    return sorted(set(events.loc[events["role"] == role, "actor"].dropna()))


def _screening(review, stage: str) -> StageFacts:
    """Screeners, resolvers, conflicts and percent agreement of one stage, from each reviewer's
    standing decision. A record is in conflict when its screeners differ or one said maybe.
    (Kappa is left to `review.screening.agreement`: importing scikit-learn would double the
    checklist's time.)"""
    from ..screening.agreement import percent_agreement
    from ..screening.decisions import RESOLVER, reviewer_decisions
    policy = review.protocol.screening
    facts = StageFacts(per_item=policy.reviewers_per_record)
    decisions = reviewer_decisions(review.store, stage)
    if decisions.empty:
        return facts
    rated = decisions[decisions["role"] != RESOLVER]
    facts.reviewers = sorted(set(rated["reviewer"]))
    facts.resolvers = sorted(set(decisions.loc[decisions["role"] == RESOLVER, "reviewer"]))
    facts.decided = int(decisions["record_id"].nunique())
    wide = rated.pivot_table(index="record_id", columns="reviewer", values="decision",
                             aggfunc="last")
    labels = wide.apply(lambda row: set(row.dropna()), axis=1)
    conflicted = set(labels[labels.map(lambda found: len(found) > 1 or "maybe" in found)].index)
    resolved = set(decisions.loc[decisions["role"] == RESOLVER, "record_id"])
    facts.conflicts, facts.resolved = len(conflicted), len(conflicted & resolved)
    if len(facts.reviewers) >= 2:
        facts.agreement = percent_agreement(wide.dropna().to_numpy().tolist())
    return facts


def _reviewed(events: pd.DataFrame, per_item: int, worker: str, key: str) -> StageFacts:
    facts = StageFacts(per_item=per_item)
    if events.empty:
        return facts
    facts.reviewers, facts.resolvers = _actors(events, worker), _actors(events, "resolver")
    facts.decided = int(events[key].nunique()) if key in events else 0
    resolved = events[events["role"] == "resolver"]
    facts.resolved = len(resolved.drop_duplicates([c for c in (key, "field", "domain", "instance")
                                                   if c in resolved]))
    return facts


def _meta(review) -> dict | None:
    """The protocol's pooled outcome, fitted as the report fits it (or why not)."""
    spec = review.protocol.report.meta_analysis
    if spec is None or any(o.outcome == spec.outcome for o in review.protocol.report.outcomes):
        return None                     # as write_meta_analysis: the outcomes' synthesis reports it
    from .meta_report import _OTHER_METHOD, outcome_table
    from .meta_analysis import meta_analysis_from_outcomes
    frame = outcome_table(review, spec.outcome, outcome_field=spec.outcome_field)
    meta: dict[str, Any] = {"outcome": spec.outcome, "measure": spec.measure,
                            "method": spec.method, "other_method": _OTHER_METHOD[spec.method],
                            "k": len(frame)}
    if len(frame) >= 2:
        result = meta_analysis_from_outcomes(frame, measure=spec.measure, method=spec.method)
        other = meta_analysis_from_outcomes(frame, measure=spec.measure,
                                            method=_OTHER_METHOD[spec.method])
        meta.update(k=result.k, estimate=result.estimate, ci_low=result.ci_low,
                    ci_high=result.ci_high, pi_low=result.pi_low, pi_high=result.pi_high,
                    tau2=result.tau2, i2=result.i2, q=result.q, q_p=result.q_p,
                    other={"estimate": other.estimate, "ci_low": other.ci_low,
                           "ci_high": other.ci_high, "tau2": other.tau2})
    return meta


def checklist_facts(review) -> ChecklistFacts:
    """Read what the checklists need from the review's protocol and store (read only)."""
    from .. import __version__
    from ..extraction.studies import studies as study_rows
    from ..protocol import STAGES
    from .prisma import prisma_counts
    protocol, store = review.protocol, review.store
    facts = ChecklistFacts(protocol=protocol, software=f"review {__version__}")
    by_database = store.count_by_database()
    if not by_database.empty:
        facts.records_by_source = by_database.groupby("database")["records"].sum() \
            .astype(int).to_dict()
    facts.dedup = store.last_dedup()
    pairs = store.events("dedup")
    if not pairs.empty:
        pairs = pairs[pairs["action"].isin(["same", "different"])]
        facts.dedup_pairs = pairs["action"].value_counts().astype(int).to_dict()
    facts.screening = {stage: _screening(review, stage) for stage in STAGES}
    screening = store.events("title_abstract")
    if not screening.empty:
        facts.automation_excluded = int((screening["role"] == "automation").sum())
    facts.extraction = _reviewed(store.events("extraction"),
                                 protocol.extraction.extractors_per_study, "extractor", "study_id")
    appraisal = store.events("risk_of_bias")
    for tool in (protocol.risk_of_bias.tool, protocol.risk_of_bias.second_tool):
        if tool and tool != "none":
            own = appraisal[appraisal["tool"] == tool] if not appraisal.empty else appraisal
            facts.appraisal[tool] = _reviewed(own, protocol.risk_of_bias.assessors_per_study,
                                              "assessor", "study_id")
    try:
        facts.counts = prisma_counts(review)
    except ReviewError:          # counts that do not add up: the diagram's notebook says why
        facts.counts = None
    if facts.counts is not None:
        facts.full_text_excluded = {**facts.counts.dbr_excluded}
        for reason, n in facts.counts.other_excluded.items():
            facts.full_text_excluded[reason] = facts.full_text_excluded.get(reason, 0) + n
    included = study_rows(review)
    facts.studies = len(included)
    facts.reports = int(included["reports"].sum()) if len(included) else 0
    facts.meta = _meta(review)
    from .outcome_report import outcome_results
    facts.outcomes = outcome_results(review)
    versions = store.events("protocol")
    facts.protocol_versions = len(versions)
    return facts
