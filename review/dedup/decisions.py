"""A reviewer's verdicts on possible duplicate pairs, kept in the review's append-only event log.

Each verdict is one event at stage "dedup": `record_id` is the smaller record id of the pair and
the payload names the other (`{"other": id, "note": ...}`), so a pair looks the same whichever
way round it was shown. Nothing is updated or deleted: a mistake is taken back by an "undo" event
pointing at the event it cancels, and every dedup run reads the effective verdicts from the log.
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
    """Append one decision about a pair and return its event id once it is committed."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(map(repr, DECISIONS))}, "
                         f"not {decision!r}")
    if not reviewer:
        raise ValueError("a decision needs the reviewer's name")
    low, high = canonical_pair(record_a, record_b)
    return store.append_event(actor=reviewer, stage=STAGE, action=decision, record_id=low,
                              payload={"other": high, "note": note or ""})


def undo_pair_decision(store, event_id: int, reviewer: str) -> int:
    """Take back a pair decision by appending an "undo" event; returns the new event's id."""
    log = store.events(STAGE)
    found = log[log["event_id"] == int(event_id)]
    if found.empty:
        raise ValueError(f"event {event_id} is not a pair decision in the {STAGE!r} log")
    event = found.iloc[0]
    if event["action"] not in DECISIONS or "other" not in event["payload"]:
        raise ValueError(f"event {event_id} is a {event['action']!r} event; only a pair decision "
                         f"({', '.join(DECISIONS)}) can be undone")
    if int(event_id) in _undone_ids(log):
        raise ValueError(f"event {event_id} has already been undone")
    return store.append_event(actor=reviewer, stage=STAGE, action=UNDO,
                              record_id=int(event["record_id"]),
                              payload={"undoes": int(event_id), "other": int(event["payload"]["other"])})


def _undone_ids(log: pd.DataFrame) -> set[int]:
    undos = log[log["action"] == UNDO]["payload"]
    return {int(p["undoes"]) for p in undos if isinstance(p, dict) and "undoes" in p}


def pair_decisions(store) -> pd.DataFrame:
    """The verdict in force for each pair: its latest same/different event not undone.

    Skips are ignored (a later skip leaves an earlier verdict standing). Sorted by pair.
    """
    log = store.events(STAGE)
    if log.empty:
        return pd.DataFrame(columns=COLUMNS)
    undone = _undone_ids(log)
    latest: dict[tuple[int, int], dict[str, Any]] = {}
    for event in log.sort_values("event_id").itertuples(index=False):
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.action not in VERDICTS or "other" not in payload or event.event_id in undone:
            continue
        pair = canonical_pair(event.record_id, payload["other"])
        latest[pair] = {"record_a": pair[0], "record_b": pair[1], "decision": event.action,
                        "reviewer": event.actor, "at": event.at, "event_id": int(event.event_id),
                        "note": payload.get("note") or ""}
    frame = pd.DataFrame([latest[pair] for pair in sorted(latest)], columns=COLUMNS)
    return frame.reset_index(drop=True)
