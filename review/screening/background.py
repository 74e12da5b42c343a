"""The background prioritiser: a `Prioritiser` refitted on its own thread, so that a reviewer's
click never waits for the model. Kept apart from the model itself (`review.screening.prioritise`),
which knows nothing of threads beyond its second-core worker."""
from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import replace

from ..threads import lower_thread_priority
from .prioritise import MODEL, Prioritiser, Ranking, _release_second_core

__all__ = ["BackgroundPrioritiser"]


#: Background prioritisers not yet closed: closed at interpreter exit, so that no refit is cut off
#: inside native code while Python shuts down (which can abort the process).
_LIVE: "weakref.WeakSet[BackgroundPrioritiser]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for prioritiser in list(_LIVE):
        prioritiser.close()


class BackgroundPrioritiser:
    """A Prioritiser on its own thread: `submit` returns at once, `ranking()` gives the newest
    finished ranking without waiting, and a new submission replaces any still waiting its turn
    (only the newest decisions are worth learning from). Satisfies the screening session's
    Ranker protocol (`submit`, `scores`).

    The word features are built on this thread too, after the first (random) ranking, so that
    opening a review never waits for them. The first model ranking comes without the character
    SVM, whose features this thread builds just after it; the same decisions are then ranked
    again with them, unless newer ones wait. A model that reads the records' meaning has them
    embedded here after the word features, a block at a time between rankings (from the store's
    cache where it holds them; `meaning_progress` says how far), and ranks without that opinion
    until they are all there.

    The thread runs at a lower OS priority than the kernel's (`review.threads`), and a refit
    starts only once the decisions have been still for `settle_seconds` (at most
    `longest_wait_seconds` after the first of a burst): the refit then does not compete with
    drawing the record the click brought, and a burst of clicks costs one refit, not one each."""

    #: Seconds without a new decision before a refit starts, and the longest a refit waits.
    settle_seconds = 0.25
    longest_wait_seconds = 2.0

    def __init__(self, prioritiser: Prioritiser, on_ranking=None):
        self.prioritiser = prioritiser
        prioritiser.defer_char_features = True
        self.on_ranking = on_ranking
        self.error: BaseException | None = None
        #: Why the records' meaning could not be read (the order goes on without that opinion).
        self.meaning_error: BaseException | None = None
        self.computed = 0  # rankings finished, for tests and diagnostics
        self._cond = threading.Condition()
        self._pending: tuple[int, dict] | None = None
        self._submitted = 0
        self._closed = False
        self._latest = prioritiser.rank({})
        self._latest_labels: dict = {}
        self._embedding = None  # the EmbeddingJob under way
        self._ranking_now = False
        self._given_up: set[str] = set()  # chores that failed once, not tried again
        self._thread = threading.Thread(target=self._work, name="review-prioritiser", daemon=True)
        self._thread.start()
        _LIVE.add(self)

    def submit(self, labels: Mapping) -> int:
        """Queue a refit on these decisions (record id -> 1/0); returns its version number."""
        snapshot = dict(labels)
        with self._cond:
            if self._closed:
                raise RuntimeError("the background prioritiser is closed")
            self._submitted += 1
            self._pending = (self._submitted, snapshot)
            self._cond.notify_all()
            return self._submitted

    def ranking(self) -> Ranking:
        """The newest finished ranking (random order until the model has something to learn)."""
        return self._latest

    def scores(self) -> dict | None:
        """Record id -> relevance score from the newest ranking, or None without a model yet."""
        return self._latest.score_of()

    @property
    def meaning_progress(self) -> tuple[int, int] | None:
        """(records embedded, records) while the records' meaning is being read for the AI
        order, else None (a model that does not read it, done, or failed)."""
        if not self.prioritiser.embeddings_pending or self._closed:
            return None
        job = self._embedding
        return (0, self.prioritiser.n_records) if job is None else (job.done, job.total)

    def wait_for_meaning(self, timeout: float | None = None) -> bool:
        """Block until the records' meaning is read (or given up) and ranked with (tests)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._closed or (not self.prioritiser.embeddings_pending
                                         and self._pending is None and not self._ranking_now
                                         and self._latest.version >= self._submitted), timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every submission so far is ranked (for scripts and tests, not widgets)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._latest.version >= self._submitted or self._closed, timeout)

    def close(self) -> None:
        """Stop the thread, and the shared second-core worker too when no other prioritiser is
        open."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
        _LIVE.discard(self)
        if not _LIVE:
            _release_second_core()

    def release(self) -> None:
        """Close, and let the prioritiser's texts and features go (a screening session that is
        closed or opened again keeps none of them)."""
        self.close()
        if not self._thread.is_alive():
            self.prioritiser.release()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _settle(self) -> None:
        """Wait (holding the condition) until no decision came for `settle_seconds`."""
        deadline = time.monotonic() + self.longest_wait_seconds
        while not self._closed:
            seen, left = self._submitted, deadline - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(min(self.settle_seconds, left))
            if self._submitted == seen:
                return

    def _chore(self) -> str | None:
        """What to build between rankings, if anything: the word features first (while the
        order is random), the character features once a model ranks, then the records' meaning
        a block at a time (newer decisions are ranked between two blocks)."""
        p = self.prioritiser
        if p.features_pending and "features" not in self._given_up:
            return "features"
        if self._latest.method == MODEL and p.char_features_pending:
            return "char_features"
        if p.embeddings_pending and not p.features_pending:
            return "embeddings"
        return None

    def _work(self) -> None:
        lower_thread_priority()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed
                                    or self._chore() is not None)
                if self._pending is not None and self._pending[0] > self._latest.version \
                        and self.settle_seconds > 0:
                    self._settle()
                if self._closed:
                    return
                job, self._pending = self._pending, None
                self._ranking_now = job is not None
                chore = None if job is not None else self._chore()
            if job is not None:
                self._rank(*job)
            elif chore is not None:
                again = self._build(chore)
                with self._cond:
                    if again:
                        self._rank_again()
                    self._cond.notify_all()

    def _rank_again(self) -> None:
        """(Holding the condition.) Rank the latest decisions again with what was just built,
        unless newer ones wait."""
        if self._pending is None and not self._closed and self._latest.method == MODEL:
            self._pending = (self._latest.version, self._latest_labels)

    def _rank(self, version: int, labels: dict) -> None:
        try:
            ranking = replace(self.prioritiser.rank(labels), version=version)
            ranking.score_of()  # its look-up table is built here, not at the reviewer's click
        except Exception as exc:  # keep the last good ranking; session.model_problem says so
            self.error = exc
            ranking = replace(self._latest, version=version)
        with self._cond:
            self._latest, self._latest_labels = ranking, labels
            self._ranking_now = False
            self.computed += 1
            self._cond.notify_all()
        if self.on_ranking is not None:
            self.on_ranking(ranking)

    def _build(self, what: str) -> bool:
        """Build the prioritiser's `what`; True when the ranking should be made again with it.
        A failure is kept for the session to show, and the ranking goes on without that
        opinion (the character SVM, or the records' meaning)."""
        try:
            if what == "embeddings":
                return self._embed_block()
            getattr(self.prioritiser, what)
            return what == "char_features"
        except Exception as exc:  # noqa: BLE001 - kept, like a failed refit
            if what == "embeddings":
                self.meaning_error, self._embedding = exc, None
                self.prioritiser.stop_reading_meaning()
                return False
            self.error = exc
            self._given_up.add(what)
            if what == "char_features":
                self.prioritiser.char_weight = 0
            return False

    def _embed_block(self) -> bool:
        """One step of the records' meaning (the stored vectors, or one block); once all are
        read the prioritiser ranks with them, from the latest decisions again."""
        if self._embedding is None:
            self._embedding = self.prioritiser.embedding_job()
        job = self._embedding
        if not job.step():
            return False
        with self._cond:  # taken up and queued at once: `wait_for_meaning` sees both or neither
            self.prioritiser.use_embeddings(job.vectors)
            self._embedding = None
            self._rank_again()
        return False
