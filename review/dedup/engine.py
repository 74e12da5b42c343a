"""Find duplicate records: block candidate pairs, compare them, cluster with union-find.

Deterministic: records are handled in record-id order and pairs in order of evidence, so the
same input always gives the same clusters. A cluster is named by its smallest record id, so
records imported later (an update search) join the cluster of the record screened before."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .compare import Comparison, DedupOptions, compare
from .normalise import RecordKey, record_key

__all__ = ["DedupOptions", "DedupResult", "find_duplicates", "candidate_pairs", "PAIR_COLUMNS"]

PAIR_COLUMNS = ["record_a", "record_b", "decision", "rule", "score", "details"]


@dataclass
class DedupResult:
    """Clusters (record id -> cluster id) and the pairs that explain them."""

    clusters: pd.Series
    pairs: pd.DataFrame
    options: DedupOptions = field(default_factory=DedupOptions)

    @property
    def unsure(self) -> pd.DataFrame:
        """Grey-band pairs still waiting for a reviewer: not already joined by other evidence."""
        pairs = self.pairs[self.pairs["decision"] == "unsure"]
        joined = self.clusters.reindex(pairs["record_a"]).to_numpy() == \
            self.clusters.reindex(pairs["record_b"]).to_numpy()
        return pairs[~joined].reset_index(drop=True)

    @property
    def duplicates_removed(self) -> int:
        return int(len(self.clusters) - self.clusters.nunique())

    def members(self, record_id: Any) -> list:
        cluster = self.clusters.get(record_id)
        if cluster is None:
            raise KeyError(f"record {record_id} is not among the deduplicated records")
        return sorted(self.clusters.index[self.clusters == cluster].tolist())

    def explain(self, record_id: Any) -> str:
        """Why a record is (or is not) merged: its cluster, each linking pair's rule and scores."""
        members = self.members(record_id)
        lines = [f"Record {record_id}: cluster {self.clusters[record_id]} "
                 f"({len(members)} record{'s' if len(members) != 1 else ''}: "
                 f"{', '.join(map(str, members))})"]
        involved = self.pairs[(self.pairs["record_a"].isin(members))
                              | (self.pairs["record_b"].isin(members))]
        if involved.empty:
            lines.append("  No candidate duplicate was close enough to compare in detail.")
        for row in involved.itertuples(index=False):
            scores = ", ".join(f"{k} {v}" for k, v in row.details.items() if v is not None)
            lines.append(f"  {row.record_a} ~ {row.record_b}: {row.decision} — {row.rule}"
                         f" (score {row.score:.3f}{'; ' + scores if scores else ''})")
        return "\n".join(lines)


def _blocks(keys: list[RecordKey]) -> Iterable[list[int]]:
    """Groups of record positions that may hold duplicates; each is small or windowed."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, k in enumerate(keys):
        if k.doi:
            groups[("doi", k.doi)].append(i)
        if k.pmid:
            groups[("pmid", k.pmid)].append(i)
        if k.pmcid:
            groups[("pmcid", k.pmcid)].append(i)
        if k.title:
            groups[("title", k.title)].append(i)
            compact = k.title.replace(" ", "")
            if len(compact) >= 24:
                groups[("head", compact[:24])].append(i)
                groups[("tail", compact[-24:])].append(i)
        if k.first_author and k.year is not None:
            for name in k.first_author:
                groups[("author-year", name, k.year)].append(i)
        if k.volume and k.page:
            groups[("locator", k.volume, k.page)].append(i)
    return groups.values()


def candidate_pairs(keys: list[RecordKey], options: DedupOptions) -> np.ndarray:
    """Unique (i, j) position pairs with i < j from blocking and a sorted neighbourhood."""
    n = len(keys)
    chunks: list[np.ndarray] = []
    for members in _blocks(keys):
        m = len(members)
        if m < 2:
            continue
        idx = np.asarray(members, dtype=np.int64)
        if m <= options.max_block:
            a, b = _upper_pairs(m)
            chunks.append(idx[a] * n + idx[b])
        else:
            chunks.append(_windowed(idx, options.window, n))
    order = sorted((i for i, k in enumerate(keys) if k.title), key=lambda i: (keys[i].title, i))
    if len(order) > 1:
        chunks.append(_windowed(np.asarray(order, dtype=np.int64), options.window, n))
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(chunks))
    return np.stack([codes // n, codes % n], axis=1)


@lru_cache(maxsize=None)
def _upper_pairs(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (a, b) with a < b < m; most blocks are pairs and triples, so this is cached."""
    return np.triu_indices(m, k=1)


def _windowed(idx: np.ndarray, window: int, n: int) -> np.ndarray:
    """Pairs of each position with the next `window` positions in the given order."""
    out = []
    for step in range(1, min(window, len(idx) - 1) + 1):
        a, b = idx[:-step], idx[step:]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        out.append(lo * n + hi)
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


class _Clusters:
    """Union-find that refuses to join clusters holding different identifiers, different
    kinds kept apart, or records a reviewer said are different."""

    def __init__(self, keys: list[RecordKey], options: DedupOptions,
                 different: Iterable[tuple[int, int]] = ()):
        self.parent = list(range(len(keys)))
        self.ids = [{(name, getattr(k, name)) for name in ("doi", "pmid", "pmcid") if getattr(k, name)}
                    for k in keys]
        self.kinds = [{k.kind} if k.kind in options.keep_apart else {"article"} for k in keys]
        self.apart: dict[int, set[int]] = defaultdict(set)
        for a, b in different:
            self.apart[a].add(b)
            self.apart[b].add(a)
        self.members = [[i] for i in range(len(keys))]

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def blocked(self, a: int, b: int) -> str | None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        names_a = {name: value for name, value in self.ids[ra]}
        for name, value in self.ids[rb]:
            if name in names_a and (name, value) not in self.ids[ra]:
                return f"would join records with different {name.upper()}s"
        if self.kinds[ra] != self.kinds[rb]:
            return "would join records kept apart"
        small, large = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        others = set(self.members[large])
        if any(self.apart.get(m, set()) & others for m in self.members[small]):
            return "a reviewer decided these records are different"
        return None

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members[rb])
        self.ids[ra] |= self.ids[rb]
        self.kinds[ra] |= self.kinds[rb]
        self.members[rb], self.ids[rb] = [], set()


def _record_dicts(records: pd.DataFrame) -> list[dict[str, Any]]:
    columns = [c for c in ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi",
                           "pmid", "pmcid", "publication_type") if c in records.columns]
    return records[columns].to_dict("records")


def find_duplicates(records: pd.DataFrame, *, options: DedupOptions | None = None,
                    decisions: pd.DataFrame | None = None) -> DedupResult:
    """Cluster `records` (a frame with a unique `record_id` column and record fields).

    `decisions` (record_a, record_b, decision 'same'|'different') are a reviewer's verdicts on
    pairs; they override the automatic rules on every run."""
    options = options or DedupOptions()
    if "record_id" not in records.columns:
        raise ValueError("records need a 'record_id' column to be deduplicated")
    records = records.sort_values("record_id", kind="stable").reset_index(drop=True)
    ids = records["record_id"].tolist()
    if len(set(ids)) != len(ids):
        raise ValueError("record ids must be unique to be deduplicated")
    position = {rid: i for i, rid in enumerate(ids)}
    keys = [record_key(r, cochrane_versions_same=options.cochrane_versions_same)
            for r in _record_dicts(records)]

    manual_same, manual_different = _manual(decisions, position)
    clusters = _Clusters(keys, options, manual_different)
    for a, b in manual_same:
        clusters.union(a, b)

    rows: list[tuple] = []
    scored: list[tuple[float, int, int, Comparison]] = []
    unsure: list[tuple[int, int, Comparison]] = []
    for i, j in candidate_pairs(keys, options).tolist():
        verdict = compare(keys[i], keys[j], options)
        if verdict.decision == "duplicate":
            scored.append((-verdict.score, i, j, verdict))
        elif verdict.decision == "unsure":
            unsure.append((i, j, verdict))
        elif (verdict.details.get("title") or 0) >= options.title_unsure:
            rows.append((ids[i], ids[j], verdict.decision, verdict.rule, verdict.score, verdict.details))
    scored.sort(key=lambda item: item[:3])
    for _, i, j, verdict in scored:
        reason = clusters.blocked(i, j)
        decision, rule = ("duplicate", verdict.rule) if reason is None else ("unsure", reason)
        if reason is None:
            clusters.union(i, j)
        rows.append((ids[i], ids[j], decision, rule, verdict.score, verdict.details))
    for i, j, verdict in unsure:  # a pair that cannot be joined needs no reviewer
        reason = clusters.blocked(i, j)
        rows.append((ids[i], ids[j], "unsure" if reason is None else "distinct",
                     verdict.rule if reason is None else f"{verdict.rule}; {reason}",
                     verdict.score, verdict.details))
    decided = {(ids[a], ids[b]) for a, b in manual_same} | {(ids[a], ids[b]) for a, b in manual_different}
    for a, b in sorted(decided):
        verdict = "same" if (position[a], position[b]) in manual_same else "different"
        rows.append((a, b, "duplicate" if verdict == "same" else "distinct",
                     f"reviewer decided: {verdict}", 1.0 if verdict == "same" else 0.0, {}))

    pairs = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    if decided and not pairs.empty:  # a reviewer's verdict replaces the rules' verdict
        key = list(zip(pairs["record_a"], pairs["record_b"]))
        manual = pairs["rule"].str.startswith("reviewer decided")
        pairs = pairs[manual | ~pd.Series([k in decided for k in key], index=pairs.index)]
    pairs = pairs.sort_values(["record_a", "record_b"], kind="stable").reset_index(drop=True)
    root_name: dict[int, Any] = {}
    cluster_ids = []
    for i in range(len(ids)):  # ids are sorted, so a cluster's first member is its smallest id
        root = clusters.find(i)
        cluster_ids.append(root_name.setdefault(root, ids[i]))
    return DedupResult(pd.Series(cluster_ids, index=pd.Index(ids, name="record_id"), name="cluster_id"),
                       pairs, options)


def _manual(decisions: pd.DataFrame | None, position: dict) -> tuple[set, set]:
    same: set[tuple[int, int]] = set()
    different: set[tuple[int, int]] = set()
    if decisions is None or len(decisions) == 0:
        return same, different
    for row in decisions.itertuples(index=False):
        a, b = position.get(row.record_a), position.get(row.record_b)
        if a is None or b is None or a == b:
            continue
        pair = (min(a, b), max(a, b))
        (same if row.decision == "same" else different).add(pair)
    return same, different
