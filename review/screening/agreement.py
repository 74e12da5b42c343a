"""How well the reviewers of a screening stage agree: percent agreement, Cohen's kappa for two
reviewers (scikit-learn), Fleiss' kappa for three or more (statsmodels), pairwise kappas, and
how many conflicts there were and how many a resolver settled.

Agreement is measured on the records every compared reviewer decided, with each reviewer's
standing decision (latest not undone, skips aside) as the category: include, exclude, maybe
(and not_retrieved at full text). Resolvers' decisions are not ratings and are left out. Where
a kappa is undefined (no overlap, one category only) it is None with the reason, never NaN."""
from __future__ import annotations

from itertools import combinations
from typing import Any, NamedTuple, Sequence

import numpy as np
import pandas as pd

from .decisions import RESOLVER, final_decisions, reviewer_decisions

__all__ = ["Kappa", "agreement", "cohen_kappa", "fleiss_kappa_from_labels", "percent_agreement"]


class Kappa(NamedTuple):
    """A kappa, or None with the reason it is undefined; `n` is the number of records rated."""
    value: float | None
    reason: str | None
    n: int


def _rows(table: Sequence[Sequence[Any]]) -> list[list[Any]]:
    rows = [list(row) for row in table]
    if any(label is None or (isinstance(label, float) and label != label) for row in rows for label in row):
        raise ValueError("a label is missing: compare only records every reviewer decided")
    return rows


def percent_agreement(table: Sequence[Sequence[Any]]) -> float | None:
    """Percentage (0-100) of records (rows) on which every reviewer (column) gave the same
    label; None for no records."""
    rows = _rows(table)
    if not rows:
        return None
    return 100.0 * sum(len(set(row)) == 1 for row in rows) / len(rows)


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> Kappa:
    """Cohen's kappa of two reviewers' labels for the same records, in the same order."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"two reviewers' labels must pair up: {len(a)} against {len(b)}")
    _rows(zip(a, b))
    if not a:
        return Kappa(None, "no record was decided by both reviewers", 0)
    if len(set(a) | set(b)) == 1:
        return Kappa(None, f"every decision was {a[0]!r}: chance agreement is 1, so kappa is "
                           "undefined (agreement is complete)", len(a))
    from sklearn.metrics import cohen_kappa_score
    return Kappa(float(cohen_kappa_score(a, b)), None, len(a))


def fleiss_kappa_from_labels(table: Sequence[Sequence[Any]]) -> Kappa:
    """Fleiss' kappa from labels: one row per record, one column per reviewer (every row the
    same number of reviewers, at least two)."""
    rows = _rows(table)
    if not rows:
        return Kappa(None, "no record was decided by every reviewer", 0)
    raters = {len(row) for row in rows}
    if len(raters) != 1:
        raise ValueError(f"every record needs the same number of reviewers, not {sorted(raters)}")
    if raters.pop() < 2:
        return Kappa(None, "kappa needs at least two reviewers per record", len(rows))
    labels = {label for row in rows for label in row}
    if len(labels) == 1:
        return Kappa(None, f"every decision was {labels.pop()!r}: chance agreement is 1, so "
                           "kappa is undefined (agreement is complete)", len(rows))
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
    codes = {label: i for i, label in enumerate(sorted(labels, key=str))}
    counts, _ = aggregate_raters(np.array([[codes[x] for x in row] for row in rows]),
                                 n_cat=len(codes))
    return Kappa(float(fleiss_kappa(counts, method="fleiss")), None, len(rows))


def _conflicts(decisions: pd.DataFrame, stage: str, reviewers_per_record: int) -> tuple[int, int]:
    """Records whose screeners disagreed (or said maybe), and how many of those a resolver decided."""
    screeners = decisions[decisions["role"] != RESOLVER]
    if screeners.empty:
        return 0, 0
    finals = final_decisions(None, stage, reviewers_per_record=reviewers_per_record,
                             decisions=screeners)
    conflicted = set(finals.loc[finals["final"] == "conflict", "record_id"])
    resolved = set(decisions.loc[decisions["role"] == RESOLVER, "record_id"]) & conflicted
    return len(conflicted), len(resolved)


def agreement(store, stage: str, *, reviewers: Sequence[str] | None = None,
              reviewers_per_record: int | None = None) -> dict:
    """Agreement between the stage's screeners (or the named `reviewers`) on the records they
    all decided; the conflict counts cover every record, with `reviewers_per_record` as in the
    protocol. Cohen's kappa when two reviewers are compared, Fleiss' kappa and pairwise Cohen's
    kappas (each pair on the records both decided) when three or more."""
    decisions = reviewer_decisions(store, stage)
    if reviewers_per_record is None:
        reviewers_per_record = store.needed().screening
    rated = decisions[decisions["role"] != RESOLVER]
    names = sorted(set(rated["reviewer"])) if reviewers is None else list(dict.fromkeys(reviewers))
    rated = rated[rated["reviewer"].isin(names)]
    wide = rated.pivot(index="record_id", columns="reviewer", values="decision") \
        .reindex(columns=names) if not rated.empty else pd.DataFrame(columns=names)
    both = wide.dropna()
    table = both.to_numpy().tolist()
    conflicts, resolved = _conflicts(decisions, stage, reviewers_per_record)
    result: dict[str, Any] = {
        "stage": stage, "reviewers": names, "records_compared": len(both),
        "categories": sorted(set(both.to_numpy().ravel())) if len(both) else [],
        "percent_agreement": percent_agreement(table) if len(names) >= 2 else None,
        "cohen_kappa": None, "fleiss_kappa": None, "kappa_reason": None, "pairwise": [],
        "conflicts": conflicts, "resolved": resolved, "unresolved": conflicts - resolved,
    }
    if len(names) < 2:
        result["kappa_reason"] = (f"only one reviewer ({names[0]}) to compare at {stage}" if names
                                  else f"no reviewer has decided at {stage} yet")
        return result
    if len(names) == 2:
        kappa = cohen_kappa(both[names[0]].tolist(), both[names[1]].tolist())
        result["cohen_kappa"], result["kappa_reason"] = kappa.value, kappa.reason
        return result
    kappa = fleiss_kappa_from_labels(table)
    if kappa.reason and not table:
        kappa = kappa._replace(reason=f"no record was decided by all {len(names)} reviewers")
    result["fleiss_kappa"], result["kappa_reason"] = kappa.value, kappa.reason
    for first, second in combinations(names, 2):
        pair = wide[[first, second]].dropna()
        kappa = cohen_kappa(pair[first].tolist(), pair[second].tolist())
        result["pairwise"].append({
            "reviewers": (first, second), "records_compared": len(pair),
            "percent_agreement": percent_agreement(pair.to_numpy().tolist()),
            "cohen_kappa": kappa.value, "kappa_reason": kappa.reason})
    return result
