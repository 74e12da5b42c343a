"""One dual-review policy for screening, extraction and appraisal.

N reviewers work independently (the protocol says how many per stage); when they agree, their
answer is final; when they differ, it is a conflict that a resolver settles, and the resolver's
answer is final. Only the first N independent reviewers of a work or study count: anyone else who
is not a resolver is told so and cannot disturb what the first N agreed.

The same words everywhere, in code and on screen: *agreed*, *resolved*, *conflict*, *pending*.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

__all__ = ["AGREED", "RESOLVED", "CONFLICT", "PENDING", "STATUSES", "INDEPENDENT", "RESOLVER",
           "Opinion", "Settlement", "panel", "merged_panel", "settle", "outsider_message"]

AGREED = "agreed"
RESOLVED = "resolved"
CONFLICT = "conflict"
PENDING = "pending"
STATUSES = (AGREED, RESOLVED, CONFLICT, PENDING)

#: Roles of reviewers who work independently, per stage.
INDEPENDENT = {"screening": "screener", "extraction": "extractor", "appraisal": "assessor"}
#: The role of the person who settles a conflict, at every stage.
RESOLVER = "resolver"
#: What each stage calls the thing reviewed and its reviewers, for messages.
_NOUNS = {"screening": ("record", "screeners", "screen"),
          "extraction": ("study", "extractors", "extract"),
          "appraisal": ("study", "assessors", "appraise")}


@dataclass(frozen=True)
class Opinion:
    """One reviewer's standing answer on one item (a work at a stage, a field, a domain)."""

    reviewer: str
    value: Any
    order: int  # event id: earlier opinions first
    resolver: bool = False


@dataclass(frozen=True)
class Settlement:
    status: str
    value: Any = None
    decided_by: str | None = None


def panel(first_seen: Iterable[tuple[int, str]], needed: int) -> list[str]:
    """The independent reviewers who count: the first `needed` to start, by their first event."""
    out: list[str] = []
    for _, reviewer in sorted(first_seen):
        if reviewer not in out:
            out.append(reviewer)
        if len(out) == needed:
            break
    return out


def merged_panel(parts: Iterable[Iterable[tuple[int, str]]], needed: int) -> list[str]:
    """The reviewers who count on an item made of parts judged apart (works merged after they
    were screened): the first `needed` of each part, together, so that a disagreement between
    the parts' reviewers is a conflict, not hidden behind the first part's."""
    out: list[str] = []
    for part in sorted((sorted(part) for part in map(list, parts) if part), key=lambda p: p[0]):
        out += [m for m in panel(part, needed) if m not in out]
    return out


def settle(opinions: Sequence[Opinion], needed: int, *, members: Sequence[str] | None = None,
           same: Callable[[Any, Any], bool] = lambda a, b: a == b,
           undecided: Callable[[Any], bool] = lambda v: False,
           missing: Any = PENDING) -> Settlement:
    """The final answer on one item.

    `members`: the panel of independent reviewers (default: the first `needed` who gave an
    opinion here). A member without an opinion makes the item pending, or counts as `missing`
    when that is not PENDING (extraction: a value one extractor left empty is a difference).
    An `undecided` answer ("maybe") never agrees. The latest resolver's answer, when it is not
    undecided, settles the item whatever the panel said."""
    resolvers = [o for o in opinions if o.resolver and not undecided(o.value)]
    if resolvers:
        last = max(resolvers, key=lambda o: o.order)
        return Settlement(RESOLVED, last.value, last.reviewer)
    independent = sorted((o for o in opinions if not o.resolver), key=lambda o: o.order)
    if members is None:
        members = panel(((o.order, o.reviewer) for o in independent), needed)
    by_member: dict[str, list[Opinion]] = {}
    for o in independent:
        if o.reviewer in members:
            by_member.setdefault(o.reviewer, []).append(o)
    if len(members) < needed or (missing == PENDING and len(by_member) < needed):
        return Settlement(PENDING)
    # A member may hold two opinions when two works they judged apart were merged.
    values = [o.value for m in members for o in by_member.get(m, ())] + \
        [missing for m in members if m not in by_member]
    if any(undecided(v) for v in values):
        return Settlement(CONFLICT)
    if all(same(values[0], v) for v in values[1:]):
        return Settlement(AGREED, values[0])
    return Settlement(CONFLICT)


def outsider_message(stage: str, what: str, members: Sequence[str]) -> str:
    """What a person who is neither one of the first N nor a resolver is told."""
    noun, reviewers, verb = _NOUNS[stage]
    names = " and ".join(members)
    return (f"{what} already has its {len(members)} {reviewers} ({names}); your answer would not "
            f"count. To settle their differences, {verb} it as the resolver instead.")
