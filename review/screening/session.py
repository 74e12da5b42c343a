"""A reviewer's screening session: the queue, the record on screen, the history, undo.

Plain Python over the store, so the widget is a thin view and every behaviour is testable without
a kernel. Each decision is committed to the store before the next record is chosen: a crash
can lose at most the click that was not acknowledged yet."""
from __future__ import annotations

import random
import threading
import weakref
from collections import Counter

from ..store.faults import StoreBusy
from .decisions import (RESOLVER, VERDICTS, final_decisions, record_decision, reviewer_decisions,
                        undo_decision)
from .records import pdf_for, screening_records
from .session_types import (Action, DecisionNotSaved, PendingDecision, Progress, Ranker,  # noqa: F401
                            ScreeningItem, _close_ranker, _default_ranker,
                            screening_order_labels)
from .wording import meaning_problem, meaning_status
from .when_to_stop import VALIDATION_NOTE, HintWorker, stopping_report, team_order

__all__ = ["ScreeningSession", "ScreeningItem", "Progress", "Action", "Ranker", "PendingDecision",
           "DecisionNotSaved", "screening_order_labels",
           "stopping_report"]


#: The open session per (review folder, stage, reviewer, role): opening the same one again (a
#: notebook cell run twice) closes the earlier one, so that its model thread does not live on.
_OPEN: "dict[tuple, weakref.ref]" = {}
_OPEN_LOCK = threading.Lock()


class ScreeningSession:
    """Screen `stage` as `reviewer`. `role="resolver"` works through the stage's conflicts."""

    def __init__(self, review, stage: str, reviewer: str, *, ranker: Ranker | str | None = "auto",
                 seed: int = 0, role: str = "screener"):
        if not reviewer:
            raise ValueError("a screening session needs the reviewer's name")
        self.review, self.store, self.stage, self.reviewer = review, review.store, stage, reviewer
        self.protocol = review.protocol
        self.role = role
        self.needed = self.protocol.screening.reviewers_per_record
        self.blind = self.protocol.screening.blind and role != RESOLVER
        self.hide_ai = self.blind and self.protocol.screening.hide_ai_score_when_blind
        self.records = screening_records(review, stage)
        self._record_ids = set(self.records.index)
        self._random = random.Random(f"{seed}:{stage}:{reviewer}")
        self._order = list(self.records.index)
        self._random.shuffle(self._order)
        self._position = {r: i for i, r in enumerate(self._order)}
        self._history: list[Action] = []
        #: A decision not saved because the store was busy; `retry_pending` saves it.
        self.pending: PendingDecision | None = None
        self._skipped: list[int] = []
        self._current: int | None = None
        self._listeners: list = []
        self._validation: list[int] | None = None  # the random validation sample, once started
        self._closed = False
        self._hint_worker = None
        self._replace_earlier_session()
        self.ranker = _default_ranker(self.records, seed, self.protocol.screening.model,
                                      self.store) if ranker == "auto" and \
            stage == "title_abstract" and role != RESOLVER else (None if ranker == "auto" else ranker)
        if self.ranker is not None:
            weakref.finalize(self, _close_ranker, self.ranker)
        self.reload()
        if self.ranker is not None:
            self.ranker.submit(self._labels())

    # -- life ---------------------------------------------------------------------------------
    def _replace_earlier_session(self) -> None:
        folder = getattr(self.review, "path", None)
        key = (str(folder.resolve()) if folder is not None else id(self.review), self.stage,
               self.reviewer, self.role)
        with _OPEN_LOCK:
            earlier = _OPEN.get(key)
            _OPEN[key] = weakref.ref(self)
        earlier = earlier() if earlier is not None else None
        if earlier is not None and earlier is not self:
            earlier.close()

    def close(self) -> None:
        """Stop the model's background thread and let its features go; decisions already made
        are all in the store. A closed session cannot screen on."""
        self._closed = True
        if self.ranker is not None:
            _close_ranker(self.ranker)
        if self._hint_worker is not None:
            self._hint_worker.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("this screening session is closed (the session cell was run again, "
                             "or it was closed): screen in the newest screener")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def on_change(self, callback) -> None:
        """Call `callback(session)` after each decision and undo (a view that refreshes)."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        if self.shows_stopping and self._hint_worker is not None:
            self._hint_worker.refresh()
        for callback in list(self._listeners):
            callback(self)

    @property
    def model_problem(self) -> str | None:
        """Plain words when the AI ordering has failed, else None. Screening goes on: records
        come in the last order the model computed, and every decision is saved as before."""
        error = getattr(self.ranker, "error", None)
        if error is None:
            return meaning_problem(self.ranker)
        detail = str(error).strip() or type(error).__name__
        return (f"The AI ordering stopped updating after an error ({detail}). Records now come "
                f"in the last order it computed; your decisions are saved as usual. Re-run the "
                f"session cell to restart it; if the error comes back, report it.")

    @property
    def model_status(self) -> str | None:
        """What the AI order is still working out, in plain words ("Reading the records'
        meaning for the AI order: 12,000 / 50,000 records"), or None."""
        return meaning_status(self.ranker)

    # -- the protocol at hand -------------------------------------------------------------------
    @property
    def reasons(self) -> list[tuple[str, str]]:
        return [(r.code, r.label) for r in getattr(self.protocol.exclusion_reasons, self.stage)]

    @property
    def eligibility(self):
        return self.protocol.eligibility

    @property
    def keywords(self):
        return self.protocol.keywords

    # -- queue ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read decisions (other kernels, other machines) and choose the record to show.

        Between reloads the session keeps its own decisions in `_mine` and the model's labels
        (`_votes`) up to date itself, so that a click costs no query of every decision;
        `_decisions` is the store as last read, for the other reviewers' decisions."""
        self._decisions = reviewer_decisions(self.store, self.stage)
        mine = self._decisions[self._decisions["reviewer"] == self.reviewer].sort_values("event_id")
        self._mine = dict(zip(mine["record_id"], mine["decision"]))  # in the order decided
        self._sampled = set(mine.loc[mine["note"].fillna("").str.contains(VALIDATION_NOTE,
                                                                           regex=False),
                                     "record_id"])
        verdicts = self._decisions[self._decisions["decision"].isin(("include", "exclude"))]
        self._votes: dict[int, dict[int, int]] = {}
        self._label_of: dict[int, int] = {}
        for record_id, event_id, decision in zip(verdicts["record_id"], verdicts["event_id"],
                                                 verdicts["decision"]):
            self._vote(int(record_id), int(event_id), decision)
        self._counts = Counter(d for r, d in self._mine.items() if r in self._record_ids)
        theirs = self._decisions[self._decisions["reviewer"] != self.reviewer]
        self._others: dict[int, list[dict]] = {}  # record -> the other reviewers' decisions
        for row in theirs[["record_id", "reviewer", "decision", "reason", "note", "role"]] \
                .to_dict("records"):
            self._others.setdefault(row.pop("record_id"), []).append(row)
        if self.role == RESOLVER:
            finals = final_decisions(self.store, self.stage)
            self._todo = set(finals.loc[finals["final"] == "conflict", "record_id"]) & self._record_ids
        else:
            others = self._decisions[(self._decisions["reviewer"] != self.reviewer)
                                     & (self._decisions["role"] != RESOLVER)]
            full = others.groupby("record_id")["reviewer"].nunique()
            done_by_others = set(full[full >= self.needed].index)
            self._todo = {r for r in self._record_ids if r not in self._mine and r not in done_by_others}
        if self._current is None or self._current not in self._todo:
            self._current = self._next()

    def _labels(self) -> dict[int, int]:
        """Training labels from every reviewer's standing decisions: include when at least half
        of a record's includes and excludes are includes."""
        return dict(self._label_of)

    def _vote(self, record_id: int, event_id: int, decision: str | None) -> None:
        """Count an include or exclude (`decision` None takes the vote `event_id` back)."""
        votes = self._votes.setdefault(record_id, {})
        if decision is None:
            votes.pop(event_id, None)
        else:
            votes[event_id] = int(decision == "include")
        if votes:
            self._label_of[record_id] = int(2 * sum(votes.values()) >= len(votes))
        else:
            self._label_of.pop(record_id, None)

    def _next(self) -> int | None:
        """The most likely relevant record still to screen (the session's own shuffled order
        until the model has one, and for records the model has not ranked); skipped records come
        round again once nothing else is left."""
        skipped = set(self._skipped)
        if self._validation is not None:  # the random sample first, in its random order
            for r in self._validation:
                if r in self._todo and r not in skipped:
                    return int(r)
        ranked = self._model_order()
        if ranked is not None:  # walk the ranking: the first few are usually still to do
            for r in ranked:
                if r in self._todo and r not in skipped:
                    return int(r)
        pending = [r for r in self._order if r in self._todo and r not in skipped]
        if not pending:
            pending = [r for r in self._skipped if r in self._todo]
            self._skipped = []
        if not pending:
            return None
        scores = None if ranked is not None or self.ranker is None else self.ranker.scores()
        if scores:
            return max(pending, key=lambda r: (scores.get(r, float("-inf")), -self._position[r]))
        return pending[0]

    def _model_order(self):
        """Record ids in the ranker's order, most likely relevant first, or None without a
        model's ranking."""
        ranking = getattr(self.ranker, "ranking", None)
        if ranking is None:
            return None
        ranking = ranking()
        return ranking.ids if ranking.method == "model" else None

    # -- what is on screen ----------------------------------------------------------------------
    @property
    def current(self) -> ScreeningItem | None:
        if self._current is None:
            return None
        record = self.records.loc[self._current].to_dict()
        scores = self.ranker.scores() if self.ranker is not None and not self.hide_ai else None
        others = None
        if not self.blind:
            others = [dict(d) for d in self._others.get(self._current, ())]
        return ScreeningItem(int(self._current), record,
                             None if not scores else scores.get(self._current), others,
                             pdf_for(self.review, self._current, record) if self.stage == "full_text" else None)

    def show(self, record_id: int) -> ScreeningItem:
        """Jump to a record still to screen (from a search, or a colleague's question)."""
        if record_id not in self._todo:
            raise ValueError(f"record {record_id} is not waiting for {self.reviewer} at {self.stage}")
        self._current = record_id
        return self.current

    @property
    def progress(self) -> Progress:
        counts = self._counts
        screened = sum(counts.values())
        total = len(self._todo) + screened if self.role == RESOLVER else len(self.records)
        return Progress(screened, total, counts["include"], counts["exclude"], counts["maybe"],
                        counts["not_retrieved"], len(self._todo))

    @property
    def history(self) -> list[Action]:
        return list(self._history)

    # -- decisions ------------------------------------------------------------------------------
    def decide(self, decision: str, reason: str | None = None, note: str = "") -> int:
        """Commit a decision on the record on screen, then move to the next record."""
        self._check_open()
        if self._current is None:
            raise ValueError("nothing left to screen at this stage")
        if decision == "exclude" and reason is not None and reason not in dict(self.reasons):
            raise ValueError(f"exclusion reason must be one of {', '.join(dict(self.reasons))}, "
                             f"not {reason!r}")
        item = self._current
        in_sample = self._validation is not None and item in self._validation
        if in_sample and decision != "skip":
            note = f"{note} {VALIDATION_NOTE}".strip()
        score = None
        if self.ranker is not None:
            scores = self.ranker.scores()
            score = scores.get(item) if scores else None
        try:
            event_id = record_decision(self.store, stage=self.stage, record_id=item,
                                       reviewer=self.reviewer, decision=decision, reason=reason,
                                       note=note, role=self.role, ai_score=score)
        except StoreBusy:
            self.pending = PendingDecision(int(item), decision, reason, note)
            said = decision.replace("_", " ")
            raise DecisionNotSaved(
                f"Not saved yet: the review store is busy (another reviewer or program is "
                f"writing to it). Your decision ({said}) on record {item} is kept and this record "
                f"stays on screen; it is saved when the store is free (press the button again, "
                f"or wait for the automatic retry).") from None
        self.pending = None
        self._history.append(Action(item, decision, reason, note, event_id))
        if decision == "skip":
            self._skipped.append(item)
        else:
            self._mine[item] = decision
            if in_sample:
                self._sampled.add(item)
            self._counts[decision] += 1
            self._todo.discard(item)
            if decision in ("include", "exclude"):
                self._vote(int(item), int(event_id), decision)
                if self.ranker is not None:
                    self.ranker.submit(self._labels())
        self._current = self._next()
        self._changed()
        return event_id

    def retry_pending(self) -> int | None:
        """Save the decision kept when the store was busy, if its record is still on screen;
        the event id, or None when nothing is pending. Raises DecisionNotSaved while busy."""
        pending = self.pending
        if pending is None:
            return None
        if self._current != pending.record_id:
            self.pending = None
            return None
        return self.decide(pending.decision, reason=pending.reason, note=pending.note)

    def include(self, note: str = "") -> int:
        return self.decide("include", note=note)

    def exclude(self, reason: str | None, note: str = "") -> int:
        return self.decide("exclude", reason=reason, note=note)

    def maybe(self, note: str = "") -> int:
        return self.decide("maybe", note=note)

    def skip(self, note: str = "") -> int:
        return self.decide("skip", note=note)

    def not_retrieved(self, note: str = "") -> int:
        return self.decide("not_retrieved", note=note)

    def undo(self) -> Action | None:
        """Take back this session's last action and show its record again."""
        self._check_open()
        if not self._history:
            return None
        action = self._history.pop()
        if action.decision != "skip":
            undo_decision(self.store, stage=self.stage, event_id=action.event_id, reviewer=self.reviewer)
            if self._mine.pop(action.record_id, None) is not None:
                self._counts[action.decision] -= 1
            self._sampled.discard(action.record_id)
            self._vote(int(action.record_id), int(action.event_id), None)
            self._todo.add(action.record_id)
        elif action.record_id in self._skipped:
            self._skipped.remove(action.record_id)
        self._current = action.record_id
        self._changed()
        return action

    # -- when to stop (title/abstract) ----------------------------------------------------------
    @property
    def shows_stopping(self) -> bool:
        """The stopping rule means something only for prioritised title/abstract screening."""
        return self.stage == "title_abstract" and self.role != RESOLVER

    def _own_order(self) -> tuple[list[int], list[int]]:
        """1/0 per record in this reviewer's screening order (include or maybe = 1), and the
        same for the random validation sample's records alone."""
        labels, sample = [], []
        sampled = set(self._sampled)  # copies: the hint's thread reads while clicks write
        for record_id, decision in list(self._mine.items()):
            if record_id not in self._record_ids or decision not in VERDICTS:
                continue
            value = int(decision in ("include", "maybe"))
            (sample if record_id in sampled else labels).append(value)
        return labels, sample

    def _team_order(self) -> list[int]:
        """1/0 per record in the order any reviewer first decided it (see `team_order`)."""
        return team_order(self._decisions, list(self._mine.items()), self._record_ids,
                          self.reviewer)

    def stopping_status(self):
        """The stopping rule over this reviewer's own screening order (the team's, in order of
        first decision, when screening is not blind), and the random validation sample's test;
        None at full text and for a resolver. Takes up to a second at 50,000 records: the
        screener shows `stopping_hint()`, worked out on a background thread."""
        if not self.shows_stopping:
            return None
        from .stopping import random_sample_test, stopping_estimate
        from .when_to_stop import StoppingStatus
        rule = self.protocol.screening.stopping
        prioritised, sample = self._own_order()
        n_records = len(self.records)
        if self.blind or not self._others:
            order, whose = prioritised + sample, "your"
        else:
            order, whose = self._team_order(), "the team's"
        estimate = stopping_estimate(order, n_records, recall_target=rule.recall_target,
                                     confidence=1 - rule.alpha)
        test = None
        if self._validation is not None or sample:
            test = random_sample_test(sum(prioritised), n_records - len(prioritised), sample,
                                      n_records, rule.recall_target)
        planned = len(self._validation) if self._validation is not None else None
        return StoppingStatus(estimate, whose, planned, test)

    def stopping_hint(self, *, wait: bool = False) -> str | None:
        """The line about stopping beside the record, in plain words; None where it means
        nothing (full text, resolving conflicts). Worked out on a background thread after each
        decision (callbacks given to `on_stopping_hint` hear when it is ready); until the first
        is ready it says so, unless `wait`."""
        if not self.shows_stopping:
            return None
        if self._hint_worker is None:
            self._hint_worker = HintWorker(self)
            weakref.finalize(self, self._hint_worker.close)
            self._hint_worker.refresh()
        if wait:
            self._hint_worker.wait()
        return self._hint_worker.text or "When to stop: working it out..."

    def on_stopping_hint(self, callback) -> None:
        """Call `callback(text)` on the background thread whenever a new stopping hint is ready."""
        self.stopping_hint()
        self._hint_worker.listeners.append(callback)

    def methods_sentence(self) -> str | None:
        """How screening stopped, for the report's methods section."""
        from .when_to_stop import methods_sentence
        status = self.stopping_status()
        return None if status is None else methods_sentence(status)

    def start_validation_sample(self, size: int | None = None, *, seed: int = 0) -> int:
        """Screen a simple random sample of the records still to screen next (SAFE manner), so
        that the stopping rule can be tested exactly. `size` defaults to the smallest sample
        that, holding no relevant record, shows the recall target at the protocol's alpha.
        Returns the sample's size; its decisions carry a note saying they were in it."""
        if not self.shows_stopping:
            raise ValueError("a validation sample belongs to title/abstract screening")
        from .stopping import validation_sample_size
        rule = self.protocol.screening.stopping
        prioritised, _ = self._own_order()
        pool = sorted(self._todo)
        if size is None:
            size = validation_sample_size(sum(prioritised), len(self.records) - len(prioritised),
                                          rule.recall_target, rule.alpha)
        size = min(int(size), len(pool))
        if size <= 0:
            raise ValueError("no record is left to sample")
        rng = random.Random(f"{seed}:{self.stage}:{self.reviewer}:{len(prioritised)}:sample")
        self._validation = rng.sample(pool, size)
        self._current = self._next()
        self._changed()
        return size
