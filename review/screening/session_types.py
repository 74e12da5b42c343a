"""The small records a screening session hands out (the record on screen, progress, the history
of actions, a pending decision), the ranker it asks for an order, and the order in which records
were first decided. Kept apart from `review.screening.session`, which imports them back."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from ..errors import StoreError
from .decisions import final_decisions, reviewer_decisions

__all__ = ["ScreeningItem", "Progress", "Action", "Ranker", "PendingDecision",
           "DecisionNotSaved", "screening_order_labels"]


class Ranker(Protocol):
    """What the session needs of a prioritiser: take labels without waiting, give scores. A
    ranker may also offer `ranking()`, whose `ids` (most likely relevant first, while its
    `method` is "model") spare the session a search of every score at each click."""

    def submit(self, labels: dict[int, int]) -> None: ...

    def scores(self) -> dict[int, float] | None: ...


@dataclass
class ScreeningItem:
    record_id: int
    record: dict[str, Any]
    ai_score: float | None
    others: list[dict[str, Any]] | None  # None in blind mode
    pdf: str | None


@dataclass
class Progress:
    screened: int
    total: int
    included: int
    excluded: int
    maybe: int
    not_retrieved: int
    remaining: int


@dataclass
class Action:
    record_id: int
    decision: str
    reason: str | None
    note: str
    event_id: int


@dataclass
class PendingDecision:
    """A decision the store could not take yet (busy): kept, with the record on screen."""

    record_id: int
    decision: str
    reason: str | None
    note: str


class DecisionNotSaved(StoreError):
    """The store was busy: the decision is pending and the same record stays on screen."""


@dataclass
class _Mine:
    decided: dict[int, str] = field(default_factory=dict)


def _default_ranker(records: pd.DataFrame, seed: int, model: str | None = None,
                    store=None) -> Ranker | None:
    """The protocol's model (`screening.model`; the project's default without one) on its own
    thread, over title and abstract of every record; a model that reads the records' meaning
    keeps their embeddings in `store`."""
    if records.empty:
        return None
    from .models import DEFAULT_MODEL, make_prioritiser
    from .prioritise import BackgroundPrioritiser, record_text
    texts = [record_text(t, a) for t, a in zip(records["title"], records["abstract"])]
    return BackgroundPrioritiser(make_prioritiser(texts, ids=list(records.index), seed=seed,
                                                  model=model or DEFAULT_MODEL,
                                                  embedding_cache=store))


def _close_ranker(ranker) -> None:
    close = getattr(ranker, "release", None) or getattr(ranker, "close", None)
    if close is not None:
        close()


def screening_order_labels(store, stage: str = "title_abstract", *,
                           reviewers_per_record: int | None = None) -> list[int]:
    """1/0 per record in the order records were first decided at `stage`: 1 when its final
    decision is include, or while it is pending or in conflict and someone included it. The
    sequence the stopping rule and the recall curve read."""
    decisions = reviewer_decisions(store, stage).sort_values("event_id")
    first = decisions.drop_duplicates("record_id", keep="first")["record_id"]
    finals = final_decisions(store, stage, reviewers_per_record=reviewers_per_record) \
        .set_index("record_id")["final"]
    someone = set(decisions.loc[decisions["decision"] == "include", "record_id"])
    return [1 if finals.get(r) == "include" or (finals.get(r) in ("pending", "conflict")
                                                and r in someone) else 0 for r in first]
