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
    again with them, unless newer ones wait.

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
        self.computed = 0  # rankings finished, for tests and diagnostics
        self._cond = threading.Condition()
        self._pending: tuple[int, dict] | None = None
        self._submitted = 0
        self._closed = False
        self._latest = prioritiser.rank({})
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

    def _work(self) -> None:
        lower_thread_priority()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._pending is not None and self._pending[0] > self._latest.version \
                        and self.settle_seconds > 0:
                    self._settle()
                if self._closed:
                    return
                version, labels = self._pending
                self._pending = None
            try:
                ranking = replace(self.prioritiser.rank(labels), version=version)
                ranking.score_of()  # its look-up table is built here, not at the reviewer's click
            except Exception as exc:  # keep the last good ranking; session.model_problem says so
                self.error = exc
                ranking = replace(self._latest, version=version)
            with self._cond:
                self._latest = ranking
                self.computed += 1
                self._cond.notify_all()
            if self.on_ranking is not None:
                self.on_ranking(ranking)
            if self.prioritiser.features_pending:  # the words, while the order is random
                self._build("features")
            elif ranking.method == MODEL and self.prioritiser.char_features_pending:
                if self._build("char_features"):
                    with self._cond:  # rank the same decisions again, unless newer ones wait
                        if self._pending is None and not self._closed:
                            self._pending = (version, labels)

    def _build(self, what: str) -> bool:
        """Build the prioritiser's `what` ("features" or "char_features"); a failure is kept
        for the session to show, and without character features the ranking goes on without
        the character SVM."""
        try:
            getattr(self.prioritiser, what)
            return True
        except Exception as exc:  # noqa: BLE001 - kept, like a failed refit
            self.error = exc
            if what == "char_features":
                self.prioritiser.char_weight = 0
            return False
