"""What the screener says about stopping, in plain words, and the methods sentence for the report.

The figures come from `review.screening.stopping`; this module only turns them into sentences a
reviewer reads beside the record and an editor reads in the methods. Two tests, both of the
hypothesis "recall is still below the protocol's target":

- the hypergeometric rule over the screening order (Callaghan & Müller-Hansen 2020), which
  treats the last records screened as a sample of the rest: conservative, since prioritised
  records are more likely relevant than a random draw;
- a random sample of the records left unscreened, screened once the rule is met (in the manner
  of the SAFE procedure, Boetje & van de Schoot 2024): an exact test, as the sample is random.

Numbers of records are counts of *records*; what is estimated is the number of *relevant*
records among them, and the words say so (never "0 left" for "probably no relevant record
left")."""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from ..threads import lower_thread_priority
from .decisions import RESOLVER, VERDICTS
from .stopping import RandomSampleTest, StoppingEstimate

__all__ = ["StoppingStatus", "hint_text", "methods_sentence", "VALIDATION_NOTE", "HintWorker",
           "team_order", "stopping_report"]

#: Added to the note of each decision in a random validation sample, so that the log alone says
#: which decisions formed it.
VALIDATION_NOTE = "[random validation sample]"


@dataclass(frozen=True)
class StoppingStatus:
    """Where a reviewer stands: the rule's estimate over their screening order, and the random
    validation sample if one was started (`planned` records, `test` on those screened)."""

    estimate: StoppingEstimate
    whose: str  # "your" (blind, or a lone reviewer) or "the team's"
    planned: int | None = None
    test: RandomSampleTest | None = None

    @property
    def may_stop(self) -> bool:
        """The rule is met and a completed random sample confirms it."""
        return bool(self.estimate.can_stop and self.test is not None and self.test.passed
                    and self.planned is not None and self.test.sample_size >= self.planned)


def _pct(x: float) -> str:
    return f"{100 * x:g} %"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _relevant(n: int) -> str:
    return f"{n:,} relevant record{'' if n == 1 else 's'}"


def hint_text(status: StoppingStatus) -> str:
    """One or two sentences for the line beside the record."""
    e, target = status.estimate, _pct(status.estimate.recall_target)
    unscreened = e.n_records - e.n_screened
    if e.n_screened == 0:
        return f"When to stop (recall target {target}): nothing screened yet."
    if e.relevant_found == 0:
        return (f"When to stop (recall target {target}): no relevant record found yet in "
                f"{e.n_screened:,} screened, so nothing can be estimated; keep screening.")
    where = f"among the {unscreened:,} records not yet screened"
    if e.remaining_high == 0:
        left = f"no relevant record is left {where}"
    elif e.remaining_estimate == 0:
        left = (f"the last {e.sample_size:,} screened held none, but up to "
                f"{_relevant(e.remaining_high)} may remain {where} (95 % bound)")
    else:
        left = (f"probably about {_relevant(e.remaining_estimate)} {where} (95 % interval "
                f"{e.remaining_low:,}-{e.remaining_high:,})")
    head = (f"{status.whose.capitalize()} screening found {_relevant(e.relevant_found)} in "
            f"{e.n_screened:,} of {e.n_records:,} records; {left}.")
    if unscreened == 0:
        return head + " Every record is screened."
    if status.test is not None:
        t = status.test
        done = (f"Random validation sample: {t.sample_size:,} of {status.planned or t.sample_size:,} "
                f"screened, {_relevant(t.relevant_in_sample)} in it")
        if t.relevant_in_sample and not t.passed:
            return (f"{head} {done}: recall below {target} cannot be ruled out ({_p(t.p)}); go "
                    f"back to prioritised screening.")
        if status.may_stop:
            return f"{head} {done}: recall of at least {target} is supported ({_p(t.p)}); you may stop."
        return f"{head} {done} so far; screen the rest of the sample."
    if e.can_stop:
        return (f"{head} The stopping rule is met: recall below {target} is rejected "
                f"({_p(e.p_missed_target)}). Confirm it with a random sample of the unscreened "
                f"records before stopping.")
    return f"{head} Keep screening: recall of {target} is not shown yet ({_p(e.p_missed_target)})."


def methods_sentence(status: StoppingStatus, stage_label: str = "title/abstract") -> str:
    """The sentence for the report's methods: when screening stopped, and on what evidence."""
    e, target = status.estimate, _pct(status.estimate.recall_target)
    alpha = 1 - e.confidence
    if e.n_screened >= e.n_records:
        return (f"All {e.n_records:,} records were screened at {stage_label}; "
                f"{_relevant(e.relevant_found)} were found.")
    text = (f"Screening at {stage_label} stopped after {e.n_screened:,} of {e.n_records:,} records, "
            f"with {_relevant(e.relevant_found)} found, when the hypergeometric stopping rule "
            f"(Callaghan & Müller-Hansen 2020) rejected the hypothesis that recall was below "
            f"{target} ({_p(e.p_missed_target)}; alpha {alpha:g})")
    if not e.can_stop:
        text = (f"Screening at {stage_label} stopped after {e.n_screened:,} of {e.n_records:,} "
                f"records, with {_relevant(e.relevant_found)} found, before the hypergeometric "
                f"stopping rule (Callaghan & Müller-Hansen 2020) could reject the hypothesis that "
                f"recall was below {target} ({_p(e.p_missed_target)})")
    if status.test is not None:
        t = status.test
        text += (f"; a simple random sample of {t.sample_size:,} of the {t.unscreened:,} records "
                 f"then unscreened held {_relevant(t.relevant_in_sample)} "
                 f"(exact hypergeometric test of recall below {target}: {_p(t.p)})")
    return text + "."


def team_order(decisions, mine: list, record_ids, reviewer: str) -> list[int]:
    """1/0 per record in the order any reviewer first decided it (1 when someone's standing
    decision is include or maybe and no resolver excluded it), from the decisions as last read
    (`decisions`) plus this reviewer's own since (`mine`: record id, decision, in order)."""
    first: dict[int, tuple[int, int]] = {}
    theirs = decisions[decisions["reviewer"] != reviewer]
    for record_id, event_id, decision, role in zip(theirs["record_id"], theirs["event_id"],
                                                   theirs["decision"], theirs["role"]):
        if decision not in VERDICTS or record_id not in record_ids:
            continue
        at, label = first.get(record_id, (event_id, 0))
        if role == RESOLVER:
            label = int(decision in ("include", "maybe")) + 2  # the resolver's word stands
        elif label < 2:
            label = max(label, int(decision in ("include", "maybe")))
        first[record_id] = (min(at, event_id), label)
    mine_at = 1 + max((at for at, _ in first.values()), default=0)
    for offset, (record_id, decision) in enumerate(mine):
        if decision not in VERDICTS or record_id not in record_ids:
            continue
        at, label = first.get(record_id, (mine_at + offset, 0))
        if label < 2:
            label = max(label, int(decision in ("include", "maybe")))
        first[record_id] = (at, label)
    return [label % 2 for _, label in sorted(first.values())]


class HintWorker:
    """Works out the session's stopping hint on its own thread, newest state only, so that a
    click never waits for the hypergeometric sums."""

    def __init__(self, session):
        self._session = weakref.ref(session)
        self.text: str | None = None
        self.error: BaseException | None = None
        self.listeners: list = []
        self._cond = threading.Condition()
        self._wanted = self._done = 0
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="review-stopping-hint",
                                        daemon=True)
        self._thread.start()

    def refresh(self) -> None:
        with self._cond:
            self._wanted += 1
            self._cond.notify_all()

    def wait(self, timeout: float | None = 30) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._done >= self._wanted or self._closed, timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def _work(self) -> None:
        lower_thread_priority()  # a click never waits behind the hypergeometric sums
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._wanted > self._done or self._closed)
                if self._closed:
                    return
                wanted = self._wanted
            session = self._session()
            if session is None:
                return
            try:
                status = session.stopping_status()
                text = None if status is None else hint_text(status)
                self.error = None
            except Exception as exc:  # noqa: BLE001 - shown in words, screening goes on
                self.error, text = exc, f"When to stop: could not be worked out ({exc})."
            del session
            self.text = text
            for callback in list(self.listeners):  # before `wait` returns: views are current
                try:
                    callback(text)
                except Exception as exc:  # noqa: BLE001 - a broken view must not stop the hints
                    self.error = exc
            with self._cond:
                self._done = wanted
                self._cond.notify_all()


def stopping_report(session):
    """The stopping estimate over the session's screening order (the reviewer's own when blind)
    and the recall-curve figure (a picture when it is a notebook cell's value); (None, None) at
    full text or for a resolver, where stopping early means nothing."""
    from .stopping import recall_curve_figure
    status = session.stopping_status()
    if status is None:
        return None, None
    estimate = status.estimate
    prioritised, sample = session._own_order()
    labels = prioritised + sample if status.whose == "your" else session._team_order()
    figure = recall_curve_figure(labels, n_records=len(session.records),
                                 n_relevant=max(1, sum(labels) + estimate.remaining_estimate),
                                 title=f"Relevant records found ({status.whose} screening, "
                                       f"{session.stage.replace('_', '/')})")
    return estimate, figure
