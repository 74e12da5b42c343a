"""The queue of unsure duplicate pairs a reviewer works through, without any widget.

Kept free of ipywidgets so the whole review flow (decide, skip, undo, progress) is testable
without a kernel; the widget in `review.widgets.duplicates` only draws this state. Every
decision is committed to the event log before the queue moves on, so none is ever lost.
"""
from __future__ import annotations

import difflib
import html
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd

from ..records import has_value
from .decisions import VERDICTS, canonical_pair, pair_decisions, record_pair_decision, undo_pair_decision

__all__ = ["DuplicateQueue", "Pair", "Action", "Progress", "ComparisonRow", "COMPARED_FIELDS",
           "MISSING", "highlight_differences", "display_value"]

#: How a missing value is shown.
MISSING = "—"
#: Fields shown side by side, with the labels a reviewer reads.
COMPARED_FIELDS = (
    ("title", "Title"), ("authors", "Authors"), ("year", "Year"), ("journal", "Journal"),
    ("volume", "Volume"), ("issue", "Issue"), ("pages", "Pages"), ("doi", "DOI"),
    ("pmid", "PMID"), ("publication_type", "Publication type"), ("abstract", "Abstract"),
    ("database", "Database"), ("source_file", "Source file"),
)


@dataclass(frozen=True)
class Pair:
    """Two records dedup could not call alone, with its score and why it is unsure."""

    record_a: int
    record_b: int
    score: float | None = None
    reason: str = ""

    @property
    def key(self) -> tuple[int, int]:
        return canonical_pair(self.record_a, self.record_b)


@dataclass(frozen=True)
class Action:
    """One thing the reviewer did in this session, with the event that records it."""

    pair: Pair
    decision: str  # same | different | skip
    event_id: int
    note: str = ""


class Progress(NamedTuple):
    decided: int
    skipped: int
    total: int
    remaining: int


class ComparisonRow(NamedTuple):
    label: str
    a: str
    b: str
    same: bool


def display_value(value: Any) -> str:
    """A field as the reviewer reads it: lists joined by "; ", missing values as "—"."""
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value if has_value(v)]
        return "; ".join(items) if items else MISSING
    if not has_value(value):
        return MISSING
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def highlight_differences(a: str, b: str) -> tuple[str, str]:
    """Both texts as HTML with the words that differ wrapped in <mark>.

    Record text is data (it may hold `<script>`), so every word is escaped before any markup.
    """
    words_a, words_b = str(a).split(), str(b).split()
    out_a: list[str] = []
    out_b: list[str] = []
    matcher = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        part_a = " ".join(html.escape(w) for w in words_a[i1:i2])
        part_b = " ".join(html.escape(w) for w in words_b[j1:j2])
        if tag == "equal":
            out_a.append(part_a)
            out_b.append(part_b)
            continue
        if part_a:
            out_a.append(f"<mark>{part_a}</mark>")
        if part_b:
            out_b.append(f"<mark>{part_b}</mark>")
    return " ".join(out_a), " ".join(out_b)


def _pairs(frame: pd.DataFrame) -> list[Pair]:
    missing = {"record_a", "record_b"} - set(frame.columns)
    if missing:
        raise ValueError(f"pairs need columns record_a and record_b (missing: {sorted(missing)})")
    reason_column = next((c for c in ("reason", "rule") if c in frame.columns), None)
    pairs: list[Pair] = []
    seen: set[tuple[int, int]] = set()
    for row in frame.to_dict("records"):
        score = row.get("score")
        reason = row.get(reason_column) if reason_column else None
        pair = Pair(int(row["record_a"]), int(row["record_b"]),
                    float(score) if has_value(score) else None,
                    str(reason) if has_value(reason) else "")
        if pair.key not in seen:  # the same pair listed twice (either way round) is shown once
            seen.add(pair.key)
            pairs.append(pair)
    return pairs


class DuplicateQueue:
    """The unsure pairs still to decide, a cursor on the one on screen, and this session's actions.

    Pairs already decided in the store are not shown again but count as decided. Skipped pairs
    come round again after the others, so the queue is finished only when every pair is decided.
    """

    def __init__(self, pairs: pd.DataFrame, records: pd.DataFrame, store, reviewer: str):
        if not reviewer:
            raise ValueError("the queue needs the reviewer's name (it goes into every decision)")
        if "record_id" in records.columns:
            records = records.set_index("record_id")
        self.records = records
        self.store = store
        self.reviewer = reviewer
        self.pairs = _pairs(pairs)
        absent = sorted({i for p in self.pairs for i in (p.record_a, p.record_b)} - set(records.index))
        if absent:
            raise ValueError(f"records {absent[:10]} of the pairs are not in the records table")
        decided = pair_decisions(store)
        already = set(zip(decided["record_a"].astype(int), decided["record_b"].astype(int)))
        self.decided_before = sum(p.key in already for p in self.pairs)
        self._queue = [p for p in self.pairs if p.key not in already]
        self._state: dict[tuple[int, int], str] = {}  # pair -> same | different | skip
        self._history: list[Action] = []
        self._cursor: int | None = 0 if self._queue else None

    # -- what is on screen ----------------------------------------------------------------------
    @property
    def current(self) -> Pair | None:
        """The pair to decide now, or None when every pair is decided."""
        return None if self._cursor is None else self._queue[self._cursor]

    @property
    def history(self) -> list[Action]:
        """This session's actions still in force, latest last (what `undo` walks back)."""
        return list(self._history)

    @property
    def progress(self) -> Progress:
        verdicts = sum(state in VERDICTS for state in self._state.values())
        skipped = sum(state == "skip" for state in self._state.values())
        decided = self.decided_before + verdicts
        total = len(self.pairs)
        return Progress(decided, skipped, total, total - decided)

    def comparison(self, pair: Pair | None = None) -> list[ComparisonRow]:
        """The two records field by field, as the reviewer reads them."""
        pair = pair or self.current
        if pair is None:
            return []
        a, b = self.records.loc[pair.record_a], self.records.loc[pair.record_b]
        rows = []
        for field, label in COMPARED_FIELDS:
            value_a, value_b = display_value(a.get(field)), display_value(b.get(field))
            rows.append(ComparisonRow(label, value_a, value_b, value_a == value_b))
        return rows

    # -- what the reviewer does -----------------------------------------------------------------
    def decide(self, decision: str, note: str = "") -> int:
        """Record "same" or "different" for the current pair, then show the next one."""
        if decision == "skip":
            return self.skip(note)
        if decision not in VERDICTS:
            raise ValueError(f"decision must be 'same' or 'different' (or use skip()), not {decision!r}")
        return self._act(decision, note)

    def skip(self, note: str = "") -> int:
        """Put the current pair off: it comes round again after the others."""
        return self._act("skip", note)

    def undo(self) -> Action | None:
        """Take back this session's last action (an "undo" event) and show that pair again."""
        if not self._history:
            return None
        action = self._history[-1]
        undo_pair_decision(self.store, action.event_id, self.reviewer)  # committed first
        self._history.pop()
        earlier = [a.decision for a in self._history if a.pair.key == action.pair.key]
        if earlier:
            self._state[action.pair.key] = earlier[-1]
        else:
            self._state.pop(action.pair.key, None)
        self._cursor = self._queue.index(action.pair)
        return action

    def _act(self, decision: str, note: str) -> int:
        pair = self.current
        if pair is None:
            raise RuntimeError("every pair is decided: there is nothing to " + decision)
        event_id = record_pair_decision(self.store, pair.record_a, pair.record_b, decision,
                                        self.reviewer, note)  # committed before moving on
        self._history.append(Action(pair, decision, event_id, note or ""))
        self._state[pair.key] = decision
        self._cursor = self._next(self._cursor)
        return event_id

    def _next(self, cursor: int) -> int | None:
        """The next undecided pair after `cursor`, wrapping round to skipped ones."""
        size = len(self._queue)
        for step in range(1, size + 1):
            index = (cursor + step) % size
            if self._state.get(self._queue[index].key) not in VERDICTS:
                return index
        return None
