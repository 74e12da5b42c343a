"""Wording shared by the checklist fillers: counts, lists, dates, a stage's reviewers, and the
registry that maps an item's `fill` name (checklists.yaml) to the function that fills it."""
from __future__ import annotations

from collections.abc import Callable

from .checklist_facts import ChecklistFacts, StageFacts

__all__ = ["FILLED", "PARTLY", "TO_COMPLETE", "FILLERS", "filler", "plural", "joined",
           "in_words", "iso", "source_line", "stage_text"]

FILLED, PARTLY, TO_COMPLETE = "filled", "partly filled", "to complete"


# -- wording helpers -------------------------------------------------------------------------------
def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def joined(items) -> str:
    items = [str(i) for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def in_words(n: int) -> str:
    return _WORDS.get(n, str(n))


def iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def stage_text(what: str, stage: StageFacts, unit: str) -> str:
    """"Two reviewers (A and B) screened each record independently; ..." for one stage."""
    text = (f"{in_words(stage.per_item).capitalize()} reviewer{'s' if stage.per_item > 1 else ''} "
            f"{what} each {unit}" + (" independently" if stage.per_item > 1 else ""))
    if stage.reviewers:
        text += f" ({plural(len(stage.reviewers), 'reviewer')} took part: {joined(stage.reviewers)})"
    text += "."
    if stage.conflicts:
        text += (f" They disagreed on {plural(stage.conflicts, unit)}; "
                 f"{stage.resolved} of these were settled by a third reviewer"
                 + (f" ({joined(stage.resolvers)})" if stage.resolvers else "") + ".")
    elif stage.resolvers:
        text += (f" Disagreements were settled by a third reviewer ({joined(stage.resolvers)})"
                 + (f", who decided {plural(stage.resolved, 'item')}" if stage.resolved else "")
                 + ".")
    if stage.agreement is not None:
        text += f" They agreed on {stage.agreement:.1f}% of the {unit}s both decided" + (
            f" (kappa {stage.kappa:.2f})." if stage.kappa is not None else ".")
    return text


Fill = Callable[[ChecklistFacts], tuple[str, str, str]]
FILLERS: dict[str, Fill] = {}


def filler(name: str):
    def register(function: Fill) -> Fill:
        FILLERS[name] = function
        return function
    return register




def source_line(search) -> str:
    platform = f" via {search.platform}" if getattr(search, "platform", None) else ""
    return f"{search.name}{platform} (searched {iso(search.date)})"
