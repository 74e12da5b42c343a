"""How good is a deduplication? Labelled benchmark sets as record frames, and the scores a
reviewer cares about: duplicate pairs found and missed, and distinct works lost by wrong merges.

The clustering under test is given only by its output, a Series record_id -> cluster id, so any
engine (ours, a peer's, a trivial baseline) is scored by the same functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from review.records import RECORD_FIELDS, records_frame

__all__ = [
    "LabelledSet", "load_labelled_set", "load_asysd", "load_any", "pairwise_scores",
    "record_scores", "score", "true_pair_count", "rule_breakdown",
]

COLREV_RECORDS = "records_pre_merged.csv"
COLREV_GROUPS = "merged_record_ids.csv"
ASYSD_REMOVED = "Duplicate_in_trash"
ASYSD_KEPT = "In_database"


@dataclass
class LabelledSet:
    """A benchmark set: records in our canonical frame plus the truth about their duplicates.

    kind 'groups': `groups` lists every true duplicate group (records in none are singletons).
    kind 'records': only `labels` (record_id -> True when the record is a duplicate to remove).
    """

    name: str
    records: pd.DataFrame
    groups: list[list[Any]] = field(default_factory=list)
    kind: str = "groups"
    labels: pd.Series | None = None

    @property
    def true_pairs(self) -> int | None:
        """Number of true duplicate pairs; None for record-level sets, which have no groups."""
        return true_pair_count(self.groups) if self.kind == "groups" else None

    @property
    def true_duplicates(self) -> int:
        """Records that should go: group size - 1 summed, or the records labelled for removal."""
        if self.kind == "records":
            return int(self.labels.sum()) if self.labels is not None else 0
        return sum(len(group) - 1 for group in self.groups)


def _read_csv(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """Every cell as text, nothing turned into NaN: IDs like '0012' and volumes like '7A' survive."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def _column(table: pd.DataFrame, *names: str) -> list[str]:
    """The first non-empty value among `names`, row by row ('' where all are empty or absent)."""
    values = [""] * len(table)
    for name in reversed(names):  # earlier names win, so they are written last
        if name in table.columns:
            values = [v if v.strip() else old for v, old in zip(table[name].tolist(), values)]
    return values


def _canonical(rows: Iterable[dict[str, Any]], *, name: str, source_file: str) -> pd.DataFrame:
    """Through `records_frame`, so the engine sees records exactly as an import would give them
    (empty text -> None, whitespace collapsed, DOI normalised, year parsed)."""
    frame = records_frame(rows, source_file=source_file, database=name)
    return frame[["record_id", *RECORD_FIELDS]]


_BIBTEX_AND = re.compile(r"\s+and\s+")


def split_bibtex_authors(value: str) -> list[str]:
    """BibTeX 'A, B and C, D' -> one string per name, each kept as written (the engine parses
    names; 'Adeli K.Lewis G. F.' without ' and ' stays one string on purpose)."""
    return [name.strip() for name in _BIBTEX_AND.split(value.strip()) if name.strip()]


def load_labelled_set(folder: str | Path, name: str | None = None) -> LabelledSet:
    """A CoLRev bib-dedupe set: `records_pre_merged.csv` + `merged_record_ids.csv` (one true group
    per row, IDs joined by ';'). 'UNKNOWN' and similar placeholders are kept: the engine must cope."""
    folder = Path(folder)
    table = _read_csv(folder / COLREV_RECORDS)
    if "ID" not in table.columns:
        raise ValueError(f"{folder / COLREV_RECORDS} has no ID column")
    if not table["ID"].is_unique:
        raise ValueError(f"{folder / COLREV_RECORDS}: record IDs are not unique")
    columns = {
        "title": _column(table, "title"), "abstract": _column(table, "abstract"),
        "authors": [split_bibtex_authors(v) for v in _column(table, "author")],
        "year": _column(table, "year"), "journal": _column(table, "journal", "booktitle"),
        "volume": _column(table, "volume"), "issue": _column(table, "number", "issue"),
        "pages": _column(table, "pages"), "doi": _column(table, "doi"),
        "publication_type": _column(table, "ENTRYTYPE"), "url": _column(table, "url"),
    }
    ids = table["ID"].tolist()
    rows = ({"record_id": rid, **{key: values[i] for key, values in columns.items()}}
            for i, rid in enumerate(ids))
    records = _canonical(rows, name=folder.name, source_file=str(folder / COLREV_RECORDS))
    groups = [[rid.strip() for rid in cell.split(";") if rid.strip()]
              for cell in _read_csv(folder / COLREV_GROUPS)["merged_ids"]]
    _check_groups(groups, set(ids), folder / COLREV_GROUPS)
    return LabelledSet(name=name or folder.name, records=records, groups=groups, kind="groups")


def _check_groups(groups: list[list[Any]], known: set, where: Path) -> None:
    """Truth that names unknown records or puts one record in two groups would skew every score."""
    seen: set = set()
    for group in groups:
        for rid in group:
            if rid not in known:
                raise ValueError(f"{where}: group member {rid!r} is not a record")
            if rid in seen:
                raise ValueError(f"{where}: record {rid!r} is in more than one group")
            seen.add(rid)


# 'Adeli K.Lewis G. F.Smith J.de Groot D.': names are glued together after the last initial's dot.
_GLUED_NAME = re.compile(r"(?<=\.)(?=[^\s.,;:\-)'\u2019])")


def split_glued_authors(value: str) -> list[str]:
    """ASySD/EndNote 'Surname I. I.' names glued without separator -> one string per name."""
    return [name.strip() for name in _GLUED_NAME.split(value) if name.strip()]


def load_asysd(path: str | Path, name: str = "ASySD") -> LabelledSet:
    """The ASySD labelled test set (cp1252): record-level labels only, `In_database` (kept) or
    `Duplicate_in_trash` (removed), no group ids. 'NA' is R's missing value here and means None."""
    path = Path(path)
    table = _read_csv(path, encoding="cp1252").replace("NA", "")
    unknown = set(table["label"]) - {ASYSD_REMOVED, ASYSD_KEPT}
    if unknown:
        raise ValueError(f"{path}: unexpected labels {sorted(unknown)}")
    ids: list[Any] = table["record_id"].str.strip().tolist()
    if all(rid.isdigit() for rid in ids):
        ids = [int(rid) for rid in ids]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: record ids are not unique")
    rows = ({"record_id": rid, "title": row["title"], "abstract": row["abstract"],
             "authors": split_glued_authors(row["author"]), "year": row["year"],
             "journal": row["journal"], "volume": row["volume"], "issue": row["number"],
             "pages": row["pages"], "doi": row["doi"]}
            for rid, row in zip(ids, table.to_dict("records")))
    records = _canonical(rows, name=name, source_file=str(path))
    labels = pd.Series((table["label"] == ASYSD_REMOVED).tolist(), index=ids, name="duplicate")
    return LabelledSet(name=name, records=records, kind="records", labels=labels)


def load_any(path: str | Path) -> LabelledSet:
    """A CoLRev folder, or the ASySD-style CSV with a `label` column."""
    path = Path(path)
    if path.is_dir():
        return load_labelled_set(path)
    return load_asysd(path, name=path.parent.name if path.stem == "labelled_test_set" else path.stem)


def _pairs(n: pd.Series | int) -> Any:
    """n choose 2, for a count or a Series of counts: pairs counted without enumerating them."""
    return n * (n - 1) // 2


def true_pair_count(groups: list[list[Any]]) -> int:
    return int(sum(_pairs(len(group)) for group in groups))


def _ratio(hit: int, total: int) -> float:
    return hit / total if total else 1.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _full_clusters(clusters: pd.Series, extra_ids: Iterable[Any]) -> pd.Series:
    """Records the clustering did not mention are singletons (their own cluster)."""
    missing = [rid for rid in dict.fromkeys(extra_ids) if rid not in clusters.index]
    if not missing:
        return clusters
    return pd.concat([clusters, pd.Series(missing, index=missing, dtype=object)])


def pairwise_scores(groups: list[list[Any]], clusters: pd.Series) -> dict[str, Any]:
    """Precision, recall and F1 over record PAIRS, and false merges.

    A true pair is two records of one true group; a predicted pair two records of one predicted
    cluster. Pairs are counted from the cluster x group contingency table (sum of n*(n-1)/2), so a
    cluster of 10,000 records costs nothing. By convention precision is 1.0 when nothing is
    predicted (no pair claimed, none wrong) and recall is 1.0 when there is nothing to find.
    `false_merges` = over predicted clusters, (distinct true works in it - 1): works lost to wrong
    merges, which pair precision hides when one big group swallows a small one.
    """
    clusters = _full_clusters(clusters, (rid for group in groups for rid in group))
    work = {rid: ("group", number) for number, group in enumerate(groups) for rid in group}
    # A record in no group is its own work; the tuple label cannot clash with a record id.
    table = pd.DataFrame({"cluster": clusters.map(_hashable).to_numpy(),
                          "truth": [work.get(rid, rid) for rid in clusters.index]})
    cells = table.groupby(["cluster", "truth"], sort=False).size()
    tp = int(_pairs(cells).sum())
    predicted = int(_pairs(table.groupby("cluster", sort=False).size()).sum())
    true = true_pair_count(groups)
    works_per_cluster = cells.groupby(level="cluster", sort=False).size()
    precision, recall = _ratio(tp, predicted), _ratio(tp, true)
    return {"tp": tp, "fp": predicted - tp, "fn": true - tp, "precision": precision,
            "recall": recall, "f1": _f1(precision, recall),
            "false_merges": int((works_per_cluster - 1).sum())}


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def record_scores(labels: pd.Series, clusters: pd.Series) -> dict[str, Any]:
    """Record-level scores for sets that label each record kept/removed but give no groups (ASySD).

    Without group ids we cannot tell which kept record a removed one belongs to, so pairs cannot
    be scored. Instead each predicted cluster keeps one record and removes size - 1 (which one does
    not matter for counting). In a cluster, correct removals = min(removed, records labelled
    duplicate in it). Precision = sum of correct / all removed (1.0 if none removed); recall = sum
    of correct / all labelled duplicates (1.0 if none). `false_merges` = over clusters,
    max(0, records labelled In_database in it - 1): each extra kept-labelled record merged away is
    a distinct work lost.
    """
    labels = labels.astype(bool)
    clusters = _full_clusters(clusters, labels.index)
    unlabelled = clusters.index.difference(labels.index)
    if len(unlabelled):
        raise ValueError(f"{len(unlabelled)} clustered records have no label, e.g. {unlabelled[0]!r}")
    table = pd.DataFrame({"cluster": clusters.map(_hashable).to_numpy(),
                          "duplicate": labels.reindex(clusters.index).to_numpy()})
    per_cluster = table.groupby("cluster", sort=False)["duplicate"].agg(["size", "sum"])
    removed = per_cluster["size"] - 1
    correct = int(pd.concat([removed, per_cluster["sum"]], axis=1).min(axis=1).sum())
    total_removed, total_duplicates = int(removed.sum()), int(labels.sum())
    kept_labelled = per_cluster["size"] - per_cluster["sum"]
    precision, recall = _ratio(correct, total_removed), _ratio(correct, total_duplicates)
    return {"tp": correct, "fp": total_removed - correct, "fn": total_duplicates - correct,
            "precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "false_merges": int((kept_labelled - 1).clip(lower=0).sum()),
            "kept": int(len(per_cluster)), "expected_kept": int((~labels).sum())}


def score(labelled: LabelledSet, clusters: pd.Series) -> dict[str, Any]:
    """The scores that fit the set: pairwise for grouped truth, record-level for labels only."""
    if labelled.kind == "records":
        return {"level": "records", **record_scores(labelled.labels, clusters)}
    return {"level": "pairs", **pairwise_scores(labelled.groups, clusters)}


def rule_breakdown(labelled: LabelledSet, result) -> dict[str, dict[str, int]]:
    """False merges and misses, each attributed to the rule that decided it, so that a
    regression names its rule: {'false merges': {rule: pairs}, 'misses': {rule: pairs}}.

    A wrongly merged pair is charged to the rule that joined the later of its two records to
    its cluster; a missed pair to the verdict the rules gave that very pair ('not compared'
    when blocking never offered it). Record-level sets (no groups) charge a wrongly removed
    record, or a duplicate left in, the same way through the records it sits with."""
    from review.dedup.run import joining_rules

    joined = joining_rules(result)
    verdicts = {(row.record_a, row.record_b): row.rule for row in result.pairs.itertuples(index=False)
                if row.decision != "duplicate"}
    clusters = result.clusters
    false_merges: dict[str, int] = {}
    misses: dict[str, int] = {}

    def add(table: dict[str, int], rule: str) -> None:
        table[rule] = table.get(rule, 0) + 1

    keys: dict[Any, Any] = {}

    def key_of(rid: Any):
        if rid not in keys:
            from review.dedup.engine import _record_dicts
            from review.dedup.normalise import record_key
            row = labelled.records[labelled.records["record_id"] == rid]
            keys[rid] = record_key(_record_dicts(row)[0], cochrane_versions_same=result.options
                                   .cochrane_versions_same)
        return keys[rid]

    def miss_rule(a: Any, b: Any) -> str:
        key = (a, b) if (a, b) in verdicts else (b, a)
        if key in verdicts:
            return verdicts[key]
        from review.dedup.compare import compare
        verdict = compare(key_of(a), key_of(b), result.options)
        if verdict.decision == "distinct":
            return verdict.rule
        return f"not a candidate pair (blocking); would be: {verdict.rule}"

    if labelled.kind == "groups":
        truth = {rid: number for number, group in enumerate(labelled.groups) for rid in group}
        for group in labelled.groups:
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    if clusters.get(a) != clusters.get(b):
                        add(misses, miss_rule(*_ordered([a, b])))
        for _, members in clusters.groupby(clusters.map(_hashable)).groups.items():
            members = _ordered(members)
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    if truth.get(a, ("own", a)) != truth.get(b, ("own", b)):
                        add(false_merges, joined.get(b) or joined.get(a) or "reviewer decided: same")
        return {"false merges": false_merges, "misses": misses}
    labels = labelled.labels.astype(bool)
    for _, members in clusters.groupby(clusters.map(_hashable)).groups.items():
        kept_labelled = [m for m in members if not labels.get(m, False)]
        for extra in _ordered(kept_labelled)[1:]:
            add(false_merges, joined.get(extra, "joined through another record"))
    singles = clusters[clusters.map(clusters.value_counts()) == 1].index
    for rid in singles:
        if labels.get(rid, False):
            rules = [rule for (a, b), rule in verdicts.items() if rid in (a, b)]
            add(misses, rules[0] if rules else "no candidate pair close enough to compare")
    return {"false merges": false_merges, "misses": misses}


def _ordered(ids: Iterable[Any]) -> list:
    """Record ids in the engine's order (their own order; as text when types are mixed)."""
    ids = list(ids)
    try:
        return sorted(ids)
    except TypeError:
        return sorted(ids, key=str)
