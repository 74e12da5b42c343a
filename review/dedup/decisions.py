"""A reviewer's verdicts on possible duplicate pairs, kept in the review's append-only event log.

Each verdict is one event at stage "dedup" naming the pair's two records (smaller id first), so
a pair looks the same whichever way round it was shown. Nothing is updated or deleted: a mistake
is taken back by an "undo" event pointing at the event it cancels (checked and written in one
transaction), and every dedup run reads the effective verdicts from the log.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["STAGE", "DECISIONS", "VERDICTS", "record_pair_decision", "undo_pair_decision",
           "pair_decisions", "canonical_pair"]

#: Stage of the event log that holds pair decisions.
STAGE = "dedup"
#: What a reviewer can say about a pair ("skip" is "not now", not a verdict).
DECISIONS = ("same", "different", "skip")
#: The decisions a dedup run must respect.
VERDICTS = ("same", "different")
UNDO = "undo"
COLUMNS = ["record_a", "record_b", "decision", "reviewer", "at", "event_id", "note"]


def _record_id(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a record id (an integer), not {value!r}") from None
    if number != value:
        raise ValueError(f"{name} must be a record id (an integer), not {value!r}")
    return number


def canonical_pair(record_a: Any, record_b: Any) -> tuple[int, int]:
    """The pair as (smaller id, larger id), so (a, b) and (b, a) are one pair."""
    a, b = _record_id(record_a, "record_a"), _record_id(record_b, "record_b")
    if a == b:
        raise ValueError(f"a pair needs two different records, got record {a} twice")
    return (a, b) if a < b else (b, a)


def record_pair_decision(store, record_a: int, record_b: int, decision: str, reviewer: str,
                         note: str = "") -> int:
    """Store one decision about a pair and return its event id once it is committed."""
    low, high = canonical_pair(record_a, record_b)
    return store.record_pair_verdict(low, high, decision, reviewer, note)


def undo_pair_decision(store, event_id: int, reviewer: str) -> int:
    """Take back a pair decision by appending an "undo" event; returns the new event's id."""
    return store.undo_pair_verdict(int(event_id), reviewer)


def pair_decisions(store) -> pd.DataFrame:
    """The verdict in force for each pair: its latest same/different event not undone.

    Skips are ignored (a later skip leaves an earlier verdict standing). Sorted by pair.
    """
    return store.pair_verdicts()
