"""Deduplicate a review's store: read records and reviewers' pair decisions, cluster, and store
the clusters with a summary that PRISMA and update searches need."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from ..store import current_user
from .compare import DedupOptions
from .decisions import pair_decisions
from .engine import DedupResult, find_duplicates

__all__ = ["DedupSummary", "SourceCounts", "options_from_protocol", "deduplicate_review",
           "joining_rules", "stored_result", "unsure_pairs", "duplicate_queue"]


@dataclass
class SourceCounts:
    """One imported file's records: new to the review, or duplicates of records found before
    (in an earlier file, which is what an update search must not screen again) or in itself."""

    source_id: int
    database: str
    file: str
    records: int
    new: int
    duplicates_of_earlier: int
    duplicates_within: int


@dataclass
class DedupSummary:
    records: int
    unique: int
    duplicates_removed: int
    unsure_waiting: int
    reviewer_decisions: int
    sources: list[SourceCounts] = field(default_factory=list)
    #: What the run changed in the works: merged, moved and split work ids, the run's event.
    changes: dict = field(default_factory=dict)
    #: The search round this run completes (`review update`): round, search date, source ids.
    update: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("changes", None)
        if out.get("update") is None:
            out.pop("update", None)
        return out


def options_from_protocol(protocol) -> DedupOptions:
    settings = getattr(protocol, "deduplication", None)
    if settings is None:
        return DedupOptions()
    return DedupOptions(keep_apart=frozenset(settings.keep_apart),
                        cochrane_versions_same=settings.cochrane_versions_same,
                        title_same=settings.title_same, title_unsure=settings.title_unsure)


def joining_rules(result: DedupResult) -> dict:
    """For each record that is not first in its cluster, the rule of the strongest pair that
    links it to an earlier member: what `review status` and exports show as 'why merged'."""
    rules: dict = {}
    merged = result.pairs[result.pairs["decision"] == "duplicate"]
    for row in merged.sort_values("score", ascending=False, kind="stable").itertuples(index=False):
        if result.clusters[row.record_a] != result.clusters[row.record_b]:
            continue
        for rid in (row.record_b, row.record_a):
            if rid != result.clusters[rid] and rid not in rules:
                rules[rid] = row.rule
    return rules


def _source_counts(records: pd.DataFrame, clusters: pd.Series) -> list[SourceCounts]:
    frame = records[["record_id", "source_id", "database", "source_file"]].copy()
    frame["cluster_id"] = frame["record_id"].map(clusters)
    first_source = frame.set_index("record_id")["source_id"]
    frame["cluster_source"] = frame["cluster_id"].map(first_source)
    out = []
    for source_id, group in frame.groupby("source_id", sort=True):
        head = group["record_id"] == group["cluster_id"]
        earlier = group["cluster_source"] < source_id
        out.append(SourceCounts(
            int(source_id), str(group["database"].iloc[0]), str(group["source_file"].iloc[0]),
            int(len(group)), int(head.sum()), int(earlier.sum()), int((~head & ~earlier).sum())))
    return out


def deduplicate_review(review, *, actor: str | None = None, options: DedupOptions | None = None,
                       update: dict | None = None) -> tuple[DedupSummary, DedupResult]:
    """Cluster every record in the review and store the result (replacing the previous run).

    Reviewers' same/different decisions from the log are applied on every run. The store maps
    the clusters onto the review's works (a later search's duplicates join the works already
    screened, merges and splits are logged), so no decision is ever left behind. `update` (from
    `review update`) is stored with the run: the search round it completes."""
    store = review.store
    options = options or options_from_protocol(review.protocol)
    records = store.records(with_raw=False)
    decisions = pair_decisions(store)
    result = find_duplicates(records, options=options,
                             decisions=decisions[["record_a", "record_b", "decision"]])
    summary = DedupSummary(
        records=len(records), unique=int(result.clusters.nunique()),
        duplicates_removed=result.duplicates_removed, unsure_waiting=len(result.unsure),
        reviewer_decisions=len(decisions),
        sources=_source_counts(records, result.clusters) if len(records) else [], update=update)
    summary.changes = store.apply_deduplication(
        result.clusters, joining_rules(result), result.pairs, actor=actor or current_user(),
        summary=summary.to_dict())
    return summary, result


def stored_result(store) -> DedupResult | None:
    """The latest stored run as a DedupResult (for --explain and the queue), or None."""
    clusters = store.clusters()
    if clusters.empty:
        return None
    series = pd.Series(clusters["cluster_id"].to_numpy(),
                       index=pd.Index(clusters["record_id"].to_numpy(), name="record_id"),
                       name="cluster_id")
    pairs = store.dedup_pairs().drop(columns=["pair_id"])
    return DedupResult(series, pairs)


def unsure_pairs(store) -> pd.DataFrame:
    """Grey-band pairs of the latest run that no reviewer has decided yet."""
    result = stored_result(store)
    if result is None:
        return pd.DataFrame(columns=["record_a", "record_b", "decision", "rule", "score", "details"])
    waiting = result.unsure
    decided = pair_decisions(store)
    done = set(zip(decided["record_a"], decided["record_b"]))
    keep = [(a, b) not in done for a, b in zip(waiting["record_a"], waiting["record_b"])]
    return waiting[keep].reset_index(drop=True)


def duplicate_queue(review, reviewer: str):
    """The unsure pairs of the latest run, ready for `review.widgets.DuplicateReviewer`."""
    from .queue import DuplicateQueue
    store = review.store
    result = stored_result(store)
    pairs = result.unsure if result is not None else unsure_pairs(store)
    return DuplicateQueue(pairs, store.records(with_raw=False), store, reviewer,
                          clusters=store.work_of_records())
