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
from .decisions import VERDICTS, canonical_pair, pair_decisions

__all__ = ["DuplicateQueue", "Pair", "Question", "Action", "Progress", "ComparisonRow", "COMPARED_FIELDS",
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
class Question:
    """One question for the reviewer: is this record (or these) the same work as that cluster?

    `records` are asked about (the side with fewer records), `cluster` holds every member of
    the work they may duplicate; `pairs` are the unsure pairs that raised the question. The
    answer is recorded for every record of `records` against every member of `cluster`.
    """

    records: tuple[int, ...]
    cluster: tuple[int, ...]
    pairs: tuple[Pair, ...]

    @property
    def key(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return (self.records, self.cluster)

    @property
    def members(self) -> tuple[int, ...]:
        return self.records + self.cluster

    @property
    def every_pair(self) -> list[tuple[int, int]]:
        """The pairs an answer is recorded on: each record asked about with each member."""
        return [canonical_pair(a, b) for a in self.records for b in self.cluster]

    @property
    def score(self) -> float | None:
        scores = [p.score for p in self.pairs if p.score is not None]
        return max(scores) if scores else None

    @property
    def reason(self) -> str:
        return "; ".join(dict.fromkeys(p.reason for p in self.pairs if p.reason))


@dataclass(frozen=True)
class Action:
    """One thing the reviewer did in this session, with the events that record it."""

    question: Question
    decision: str  # same | different | skip
    event_ids: tuple[int, ...]
    note: str = ""


class Progress(NamedTuple):
    decided: int
    skipped: int
    total: int
    remaining: int


class ComparisonRow(NamedTuple):
    """One field across the records of a question: `values` in `Question.members` order;
    `same` when they are equal once normalised (case, author formats, codes, punctuation)."""

    field: str
    label: str
    values: tuple[str, ...]
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


def _questions(pairs: list[Pair], clusters) -> list[Question]:
    """Group the unsure pairs by the two works they join: one question per pair of works."""
    members: dict[int, list[int]] = {}
    for record, work in clusters.items():
        members.setdefault(int(work), []).append(int(record))
    grouped: dict[tuple[int, int], list[Pair]] = {}
    for pair in pairs:
        works = tuple(sorted((int(clusters[pair.record_a]), int(clusters[pair.record_b]))))
        grouped.setdefault(works, []).append(pair)
    questions = []
    for (low, high), raised in grouped.items():
        if low == high:  # already one work: nothing to ask
            continue
        a, b = sorted(members[low]), sorted(members[high])
        asked, cluster = (a, b) if (len(a), a) <= (len(b), b) else (b, a)
        questions.append(Question(tuple(asked), tuple(cluster), tuple(raised)))
    return questions


class DuplicateQueue:
    """The questions still to answer, a cursor on the one on screen, and this session's actions.

    Unsure pairs are grouped into one question per pair of works (`clusters`: record -> work;
    each record is its own work when not given), so a record that may duplicate a cluster of
    four copies is asked about once, with the four side by side. Questions whose pairs are all
    decided in the store are not shown again but count as decided. Skipped questions come
    round again after the others, so the queue is finished only when every question is answered.
    """

    def __init__(self, pairs: pd.DataFrame, records: pd.DataFrame, store, reviewer: str,
                 clusters=None):
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
        works = {int(r): int(r) for r in records.index}
        if clusters is not None:
            works.update({int(r): int(w) for r, w in dict(clusters).items() if int(r) in works})
        self.questions = _questions(self.pairs, works)
        decided = pair_decisions(store)
        already = set(zip(decided["record_a"].astype(int), decided["record_b"].astype(int)))
        done = [all(p.key in already for p in q.pairs) for q in self.questions]
        self.decided_before = sum(done)
        self._queue = [q for q, d in zip(self.questions, done) if not d]
        self._state: dict = {}  # question key -> same | different | skip
        self._history: list[Action] = []
        self._cursor: int | None = 0 if self._queue else None

    # -- what is on screen ----------------------------------------------------------------------
    @property
    def current(self) -> Question | None:
        """The question to answer now, or None when every question is answered."""
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
        total = len(self.questions)
        return Progress(decided, skipped, total, total - decided)

    def comparison(self, question: Question | None = None) -> list[ComparisonRow]:
        """Every record of the question field by field, as the reviewer reads them."""
        from .likeness import normalised
        question = question or self.current
        if question is None:
            return []
        shown = [self.records.loc[r] for r in question.members]
        rows = []
        for field, label in COMPARED_FIELDS:
            values = tuple(display_value(r.get(field)) for r in shown)
            same = len({normalised(field, v) for v in values}) == 1
            rows.append(ComparisonRow(field, label, values, same))
        return rows

    # -- what the reviewer does -----------------------------------------------------------------
    def decide(self, decision: str, note: str = "") -> list[int]:
        """Record "same" or "different" for the question on screen (every record asked about
        against every member of the cluster), then show the next one."""
        if decision == "skip":
            return self.skip(note)
        if decision not in VERDICTS:
            raise ValueError(f"decision must be 'same' or 'different' (or use skip()), not {decision!r}")
        return self._act(decision, note)

    def skip(self, note: str = "") -> list[int]:
        """Put the question off: it comes round again after the others."""
        return self._act("skip", note)

    def undo(self) -> Action | None:
        """Take back this session's last action ("undo" events) and show that question again."""
        if not self._history:
            return None
        action = self._history[-1]
        self.store.undo_pair_verdicts(action.event_ids, self.reviewer)  # committed first
        self._history.pop()
        earlier = [a.decision for a in self._history if a.question.key == action.question.key]
        if earlier:
            self._state[action.question.key] = earlier[-1]
        else:
            self._state.pop(action.question.key, None)
        self._cursor = self._queue.index(action.question)
        return action

    def _act(self, decision: str, note: str) -> list[int]:
        question = self.current
        if question is None:
            raise RuntimeError("every question is answered: there is nothing to " + decision)
        event_ids = self.store.record_pair_verdicts(question.every_pair, decision, self.reviewer,
                                                    note)  # committed before moving on
        self._history.append(Action(question, decision, tuple(event_ids), note or ""))
        self._state[question.key] = decision
        self._cursor = self._next(self._cursor)
        return event_ids

    def _next(self, cursor: int) -> int | None:
        """The next unanswered question after `cursor`, wrapping round to skipped ones."""
        size = len(self._queue)
        for step in range(1, size + 1):
            index = (cursor + step) % size
            if self._state.get(self._queue[index].key) not in VERDICTS:
                return index
        return None
