"""Screening decisions: the commands that record and undo them (checked, logged and applied to
the current state in one transaction) and the queries that read the standing and final ones."""
from __future__ import annotations

import json
from typing import Iterable, Sequence

import pandas as pd
import sqlalchemy as sa

from ..errors import ReviewError
from ..policy import outsider_message
from ._log import chunked, insert_event, insert_events
from .schema import events, screening_decisions, screening_finals, works
from .state import (SCREENING_STAGES, VERDICTS, DecisionFold, screening_final,
                    screening_panel)

__all__ = ["ScreeningMixin", "DECISION_COLUMNS", "FINAL_COLUMNS"]

DECISION_COLUMNS = ["work_id", "decided_on", "reviewer", "decision", "reason", "note", "role",
                    "at", "event_id"]
FINAL_COLUMNS = ["work_id", "final", "reason", "reviewers", "decisions", "resolved_by"]
#: Screening answers a reviewer can give ("skip" is "not now").
ANSWERS = (*VERDICTS, "skip")


def _stage_label(stage: str) -> str:
    return "title and abstract" if stage == "title_abstract" else stage.replace("_", " ")



class ScreeningMixin:
    # -- screening ---------------------------------------------------------------------------------------
    def record_decisions(self, rows: Sequence[dict]) -> list[int]:
        """Record screening decisions (stage, work_id, reviewer, decision, reason, note, role,
        ai_score) in one transaction; returns their event ids. A decision on a work since merged
        into another is recorded on the merged work. Refused whole: a work not in the review, or
        a screener beyond the work's first N who is not its resolver."""
        if not rows:
            return []
        with self._write() as connection:
            needed = self._needed(connection).screening
            ids = {int(r["work_id"]) for r in rows}
            current = self._currents(connection, ids)
            missing = sorted(ids - set(current))
            if missing:
                raise ReviewError(f"no work {', '.join(map(str, missing))} in this review")
            standing = self._standing_screeners(connection, set(current.values()))
            planned = []
            for row in rows:
                work = current[int(row["work_id"])]
                role = row.get("role") or "screener"
                key = (row["stage"], work)
                if role == "screener" and row["decision"] in VERDICTS:
                    seen = standing.setdefault(key, [])
                    members = screening_panel(seen, needed)
                    if row["reviewer"] not in members and len(members) >= needed:
                        raise ReviewError(outsider_message(
                            "screening", f"Record {work} ({_stage_label(row['stage'])})", members))
                    seen.append({"work_id": work, "event_id": 10**12 + len(planned),
                                 "reviewer": row["reviewer"], "role": role})
                payload = {"reason": row.get("reason"), "note": row.get("note") or ""}
                if row.get("ai_score") is not None:
                    payload["ai_score"] = row["ai_score"]
                planned.append({"actor": row["reviewer"], "stage": row["stage"],
                                "action": row["decision"], "work_id": work, "role": role,
                                "payload": payload})
            event_ids = insert_events(connection, planned)
            self._refresh_screening(connection, set(current.values()))
        return event_ids

    def undo_decision(self, *, stage: str, event_id: int, reviewer: str) -> int:
        """Cancel an earlier decision with an undo event: checked and written in one
        transaction, so two kernels cannot both undo it."""
        with self._write() as connection:
            target = connection.execute(sa.select(events).where(
                events.c.event_id == int(event_id))).mappings().first()
            if target is None or target["stage"] != stage or target["action"] not in ANSWERS:
                raise ValueError(f"event {event_id} is not a {stage} decision")
            if target["actor"] != reviewer:
                raise ValueError(f"decision {event_id} was made by {target['actor']}; "
                                 f"only they can undo it")
            if connection.execute(sa.select(events.c.event_id)
                                  .where(events.c.undoes == int(event_id))).first():
                raise ValueError(f"decision {event_id} was already undone")
            undo_id = insert_event(connection, actor=reviewer, stage=stage, action="undo",
                                   work_id=target["work_id"], role=target["role"],
                                   undoes=int(event_id))
            live = self._current_work(connection, target["work_id"])
            self._refresh_screening(connection, {live}, stages=(stage,))
        return undo_id

    def screening_decisions(self, stage: str) -> pd.DataFrame:
        """Each reviewer's standing decision at `stage`, on the live work (`work_id`) and on the
        work it was made on (`decided_on`, different once works merged)."""
        query = (sa.select(works.c.current_work_id.label("work_id"),
                           screening_decisions.c.work_id.label("decided_on"),
                           *[screening_decisions.c[c] for c in DECISION_COLUMNS[2:]])
                 .join(works, works.c.work_id == screening_decisions.c.work_id)
                 .where(screening_decisions.c.stage == stage)
                 .order_by(works.c.current_work_id, screening_decisions.c.event_id))
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        if frame.empty:
            return pd.DataFrame(columns=DECISION_COLUMNS)
        frame["reason"] = frame["reason"].astype(object).where(frame["reason"].notna(), None)
        return frame[DECISION_COLUMNS]

    def final_counts(self, stage: str) -> dict[str, int]:
        """How many works have each final decision at `stage`."""
        query = (sa.select(screening_finals.c.final, sa.func.count())
                 .where(screening_finals.c.stage == stage).group_by(screening_finals.c.final))
        with self.engine.connect() as connection:
            return {final: int(n) for final, n in connection.execute(query)}

    def screening_finals(self, stage: str) -> pd.DataFrame:
        """The final decision per live work at `stage` (works with any decision only)."""
        query = (sa.select(screening_finals).where(screening_finals.c.stage == stage)
                 .order_by(screening_finals.c.work_id))
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        if frame.empty:
            return pd.DataFrame(columns=FINAL_COLUMNS)
        for name in ("reviewers", "decisions"):  # one parse of all rows: C speed
            frame[name] = json.loads("[" + ",".join(frame[name]) + "]")
        for name in ("reason", "resolved_by"):
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
        return frame[FINAL_COLUMNS]

    @staticmethod
    def _currents(connection, ids: Iterable[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for chunk in chunked(sorted(ids)):
            out.update(connection.execute(sa.select(works.c.work_id, works.c.current_work_id)
                                          .where(works.c.work_id.in_(chunk))).all())
        return out

    @staticmethod
    def _standing_screeners(connection, live: set[int]) -> dict[tuple[str, int], list]:
        """(stage, live work) -> its standing screeners' decisions (work made on, event id,
        reviewer, role), for `screening_panel`."""
        out: dict[tuple[str, int], list] = {}
        for chunk in chunked(sorted(live)):
            query = (sa.select(screening_decisions.c.stage, works.c.current_work_id,
                               screening_decisions.c.work_id, screening_decisions.c.event_id,
                               screening_decisions.c.reviewer)
                     .join(works, works.c.work_id == screening_decisions.c.work_id)
                     .where(works.c.current_work_id.in_(chunk),
                            screening_decisions.c.role == "screener"))
            for stage, work, origin, event_id, reviewer in connection.execute(query):
                out.setdefault((stage, int(work)), []).append(
                    {"work_id": int(origin), "event_id": int(event_id), "reviewer": reviewer,
                     "role": "screener"})
        return out

    def _refresh_screening(self, connection, live: Iterable[int],
                           stages: Sequence[str] = SCREENING_STAGES) -> None:
        """Recompute the standing decisions and the finals of these live works from the log,
        with the same fold `review verify` applies to the whole log."""
        live = sorted({int(w) for w in live})
        if not live:
            return
        needed = self._needed(connection).screening
        included: list[int] = []
        for chunk in chunked(live, 400):
            origins = self._merged_with(connection, chunk)
            log = []
            for part in chunked(sorted(origins)):
                log += connection.execute(sa.select(
                    events.c.event_id, events.c.at, events.c.actor, events.c.stage,
                    events.c.action, events.c.work_id, events.c.role, events.c.undoes,
                    events.c.payload).where(events.c.stage.in_(stages),
                                            events.c.work_id.in_(part))).mappings().all()
                log += connection.execute(sa.select(
                    events.c.event_id, events.c.action, events.c.work_id, events.c.other_work_id,
                    events.c.payload)
                    .where(events.c.stage == "works", sa.or_(
                        sa.and_(events.c.action == "merge", events.c.other_work_id.in_(part)),
                        sa.and_(events.c.action == "split", events.c.work_id.in_(part)))))\
                    .mappings().all()
            undone = {int(e["undoes"]) for e in log if e.get("undoes") is not None}
            fold = DecisionFold()
            for event in sorted(log, key=lambda e: e["event_id"]):
                if "other_work_id" not in event:
                    if DecisionFold.counts(event, undone):
                        fold.apply_decision(event)
                elif event["action"] == "merge":
                    fold.apply_merge(int(event["work_id"]), int(event["other_work_id"]))
                elif json.loads(event["payload"]).get("revive"):
                    fold.apply_revival(int(event["work_id"]))
            for part in chunked(sorted(origins)):
                connection.execute(screening_decisions.delete().where(
                    screening_decisions.c.stage.in_(stages),
                    screening_decisions.c.work_id.in_(part)))
                connection.execute(screening_finals.delete().where(
                    screening_finals.c.stage.in_(stages), screening_finals.c.work_id.in_(part)))
            if fold.rows:
                connection.execute(screening_decisions.insert(), list(fold.rows.values()))
            by_work: dict[tuple[str, int], list[dict]] = {}
            for row in fold.rows.values():
                by_work.setdefault((row["stage"], origins[row["work_id"]]), []).append(row)
            finals = []
            for (stage, work), rows in by_work.items():
                final = screening_final(rows, needed)
                finals.append({"stage": stage, "work_id": work, "final": final["final"],
                               "reason": final["reason"], "resolved_by": final["resolved_by"],
                               "reviewers": json.dumps(final["reviewers"], ensure_ascii=False),
                               "decisions": json.dumps(final["decisions"])})
                if stage == "full_text" and final["final"] == "include":
                    included.append(work)
            if finals:
                connection.execute(screening_finals.insert(), finals)
        if included:
            self._studies_for_reports(connection, included)

    @staticmethod
    def _merged_with(connection, live: list[int]) -> dict[int, int]:
        """Every work ever merged with, split from or revived out of these live works, and
        those works' own such relations (work -> its live work): the part of the log their
        decisions depend on, so that recomputing them here gives what the whole log gives."""
        found = {int(w) for w in connection.execute(
            sa.select(works.c.work_id).where(works.c.current_work_id.in_(live))).scalars()}
        frontier = set(found) | {int(w) for w in live}
        found |= frontier
        while frontier:
            new: set[int] = set()
            for part in chunked(sorted(frontier)):
                for a, b in connection.execute(sa.select(events.c.work_id, events.c.other_work_id)
                                               .where(events.c.stage == "works",
                                                      events.c.action.in_(("merge", "split")),
                                                      sa.or_(events.c.work_id.in_(part),
                                                             events.c.other_work_id.in_(part)))):
                    new |= {int(w) for w in (a, b) if w is not None}
                new |= {int(w) for w in connection.execute(
                    sa.select(works.c.work_id).where(works.c.current_work_id.in_(part))).scalars()}
                new |= {int(w) for w in connection.execute(
                    sa.select(works.c.current_work_id).where(works.c.work_id.in_(part))).scalars()}
            frontier = new - found
            found |= frontier
        out: dict[int, int] = {}
        for part in chunked(sorted(found)):
            out.update(connection.execute(sa.select(works.c.work_id, works.c.current_work_id)
                                          .where(works.c.work_id.in_(part))).all())
        return out

