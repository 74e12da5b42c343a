"""`review verify`: the current state rebuilt from the log and compared with the stored one,
nothing orphaned, and PRISMA arithmetic that adds up."""
from __future__ import annotations

from typing import Any

from .errors import ReviewError

__all__ = ["verify_review", "format_verify"]


def verify_review(review) -> dict[str, Any]:
    """{"ok", "events", "orphaned", "state_matches_log", "attention", "problems"}: `ok` when
    nothing is orphaned, the state matches the log and the PRISMA counts add up (an unfinished
    review is ok: its open work is counted, not a problem)."""
    from .report.prisma import check_counts, prisma_counts
    from .store.state import Needed
    state = review.store.verify_state(Needed.from_protocol(review.protocol))
    problems = list(state["problems"])
    prisma_ok = True
    try:
        check_counts(prisma_counts(review), unfinished=True)
    except ReviewError as exc:
        prisma_ok = False
        problems.append(str(exc))
    ok = state["orphaned"] == 0 and state["state_matches_log"] and prisma_ok
    return {"ok": ok, "events": state["events"], "orphaned": state["orphaned"],
            "state_matches_log": state["state_matches_log"], "attention": state["attention"],
            "problems": problems}


def format_verify(result: dict[str, Any]) -> str:
    lines = [("The review store is consistent" if result["ok"] else "The review store has problems")
             + f": {result['events']} events, {result['orphaned']} orphaned, current state "
             + ("matches" if result["state_matches_log"] else "does NOT match") + " the log."]
    for problem in result["problems"]:
        lines.append(f"  problem: {problem}")
    if result["attention"]:
        lines.append(f"{len(result['attention'])} work(s) need a reviewer:")
        for item in result["attention"]:
            records = ", ".join(map(str, item["records"]))
            lines.append(f"  work {item['work']} (records {records}): {item['why']}")
    return "\n".join(lines)
