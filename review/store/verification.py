"""The log is the truth: rebuild the current state from it, compare it with the stored state, and
find anything orphaned or waiting for a reviewer."""
from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa

from .schema import (STATE_TABLES, certainty_judgements, events, extraction_finals, extraction_values,
                     judgement_finals, judgements, protocol_versions, record_works, records,
                     screening_decisions,
                     screening_finals, studies, study_reports, works)
from .state import Needed, Replay

__all__ = ["VerificationMixin", "STATE_KEYS"]

#: Each state table compared with the log, and its key columns.
STATE_KEYS = {
    "works": (works, ("work_id",)),
    "record_works": (record_works, ("record_id",)),
    "screening_decisions": (screening_decisions, ("stage", "work_id", "reviewer")),
    "screening_finals": (screening_finals, ("stage", "work_id")),
    "studies": (studies, ("study_id",)),
    "study_reports": (study_reports, ("work_id",)),
    "extraction_values": (extraction_values, ("study_id", "form_group", "instance", "field",
                                              "reviewer", "role")),
    "extraction_finals": (extraction_finals, ("study_id", "form_group", "instance", "field")),
    "judgements": (judgements, ("study_id", "tool", "domain", "reviewer", "role")),
    "judgement_finals": (judgement_finals, ("study_id", "tool", "domain")),
    "protocol_versions": (protocol_versions, ("version",)),
    "certainty_judgements": (certainty_judgements, ("outcome", "domain")),
}


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _keyed(rows, table, key) -> dict[tuple, tuple]:
    columns = [c.name for c in table.columns]
    return {tuple(_plain(r[k]) for k in key): tuple(_plain(r.get(c)) for c in columns)
            for r in rows}


def replay_log(connection, needed: Needed) -> dict[str, list[dict]]:
    """The current state as the whole log adds it up, read in `connection`'s transaction (the
    0003 migration uses it too)."""
    by_source: dict[int, list[int]] = {}
    for record, source in connection.execute(
            sa.select(records.c.record_id, records.c.source_id).order_by(records.c.record_id)):
        by_source.setdefault(int(source), []).append(int(record))
    replay = Replay(by_source)
    replay.undone = {int(u) for u in connection.execute(
        sa.select(events.c.undoes).where(events.c.undoes.is_not(None))).scalars()}
    result = connection.execute(sa.select(events).order_by(events.c.event_id),
                                execution_options={"yield_per": 20_000})
    for row in result.mappings():
        replay.apply(row)
    return replay.tables(needed)


def write_state(connection, tables: dict[str, list[dict]]) -> None:
    """Replace every current-state table with `tables` (children cleared first)."""
    extra = (certainty_judgements,) if sa.inspect(connection).has_table(
        certainty_judgements.name) else ()  # not yet there while the 0003 migration runs
    for table in (*STATE_TABLES, protocol_versions, *extra):
        connection.execute(table.delete())
    for table in (*reversed(STATE_TABLES), protocol_versions, *extra):
        rows = tables[table.name]
        for start in range(0, len(rows), 20_000):
            connection.execute(table.insert(), rows[start:start + 20_000])


class VerificationMixin:
    def replay(self, needed: Needed | None = None, *, connection=None) -> dict[str, list[dict]]:
        """The current state as the whole log adds it up (in `connection`'s transaction when
        given)."""
        if connection is None:
            with self.engine.connect() as connection:
                return self.replay(needed, connection=connection)
        return replay_log(connection, needed or self._needed(connection))

    def rebuild_state(self, needed: Needed | None = None) -> None:
        """Replace the stored current state with the log's, in one transaction with the
        replay (`review upgrade` and repairs use this)."""
        with self._write() as connection:
            write_state(connection, self.replay(needed, connection=connection))

    def verify_state(self, needed: Needed | None = None) -> dict[str, Any]:
        """Compare the stored state with the log's; count orphans; list works needing a
        reviewer. `ok` here leaves PRISMA aside (`review.verify` adds it)."""
        rebuilt = self.replay(needed)
        problems: list[str] = []
        mismatched = []
        with self.engine.connect() as connection:
            for name, (table, key) in STATE_KEYS.items():
                stored = _keyed(connection.execute(sa.select(table)).mappings().all(), table, key)
                replayed = _keyed(rebuilt[name], table, key)
                if stored != replayed:
                    extra = len(set(stored) - set(replayed))
                    lost = len(set(replayed) - set(stored))
                    differ = sum(1 for k in set(stored) & set(replayed) if stored[k] != replayed[k])
                    mismatched.append(name)
                    problems.append(f"{name}: the stored state differs from the log ({extra} rows "
                                    f"not in the log, {lost} missing, {differ} different)")
            orphaned, notes = self._orphans(connection)
            attention = self._attention(connection)
        problems += notes
        return {"events": self.event_count(), "orphaned": orphaned,
                "state_matches_log": not mismatched, "attention": attention,
                "problems": problems}

    def attention(self) -> list[dict]:
        """Works that need a reviewer after a merge, a split or a new import."""
        with self.engine.connect() as connection:
            return self._attention(connection)

    @staticmethod
    def _orphans(connection) -> tuple[int, list[str]]:
        checks = [
            ("screening decisions on a work that does not exist",
             sa.select(sa.func.count()).select_from(screening_decisions).where(
                 screening_decisions.c.work_id.not_in(sa.select(works.c.work_id)))),
            ("final decisions on a work that is not live",
             sa.select(sa.func.count()).select_from(screening_finals).where(
                 screening_finals.c.work_id.not_in(sa.select(works.c.work_id).where(
                     works.c.current_work_id == works.c.work_id)))),
            ("study links of a work that is not live",
             sa.select(sa.func.count()).select_from(study_reports).where(
                 study_reports.c.work_id.not_in(sa.select(works.c.work_id).where(
                     works.c.current_work_id == works.c.work_id)))),
            ("study links to a study that does not exist",
             sa.select(sa.func.count()).select_from(study_reports).where(
                 study_reports.c.study_id.not_in(sa.select(studies.c.study_id)))),
            ("extracted values of a study that does not exist",
             sa.select(sa.func.count()).select_from(extraction_values).where(
                 extraction_values.c.study_id.not_in(sa.select(studies.c.study_id)))),
            ("judgements of a study that does not exist",
             sa.select(sa.func.count()).select_from(judgements).where(
                 judgements.c.study_id.not_in(sa.select(studies.c.study_id)))),
            ("records in no work",
             sa.select(sa.func.count()).select_from(records).where(
                 records.c.record_id.not_in(sa.select(record_works.c.record_id)))),
            ("records in a work that is not live",
             sa.select(sa.func.count()).select_from(record_works).where(
                 record_works.c.work_id.not_in(sa.select(works.c.work_id).where(
                     works.c.current_work_id == works.c.work_id)))),
            ("screening events on a work that does not exist",
             sa.select(sa.func.count()).select_from(events).where(
                 events.c.stage.in_(("title_abstract", "full_text")),
                 events.c.work_id.not_in(sa.select(works.c.work_id)))),
            ("extraction and appraisal events on a study that does not exist",
             sa.select(sa.func.count()).select_from(events).where(
                 events.c.action.in_(("value", "judgement", "link_report")),
                 events.c.study_id.not_in(sa.select(studies.c.study_id)))),
        ]
        total, notes = 0, []
        for what, query in checks:
            count = int(connection.execute(query).scalar())
            if count:
                total += count
                notes.append(f"{count} {what}")
        return total, notes

    @staticmethod
    def _attention(connection) -> list[dict]:
        """Works a reviewer must look at: split off or newly imported after screening began and
        not yet screened, or merged from works with different decisions and not yet settled."""
        first_decision = connection.execute(
            sa.select(sa.func.min(events.c.event_id))
            .where(events.c.stage.in_(("title_abstract", "full_text")))).scalar()
        screened = {int(w) for w in connection.execute(
            sa.select(screening_finals.c.work_id)
            .where(screening_finals.c.stage == "title_abstract")).scalars()}
        live = connection.execute(sa.select(works).where(
            works.c.current_work_id == works.c.work_id)).mappings().all()
        members: dict[int, list[int]] = {}
        for record, work in connection.execute(sa.select(record_works.c.record_id,
                                                         record_works.c.work_id)
                                               .order_by(record_works.c.record_id)):
            members.setdefault(int(work), []).append(int(record))
        split_from = dict(connection.execute(
            sa.select(events.c.work_id, events.c.other_work_id)
            .where(events.c.stage == "works", events.c.action == "split")
            .order_by(events.c.event_id)).all())
        out = []
        for work in live:
            wid = int(work["work_id"])
            if wid in screened:
                continue
            if wid in split_from:
                out.append({"work": wid, "records": members.get(wid, []),
                            "why": f"split off from work {split_from[wid]} by a deduplication "
                                   "run; needs screening"})
            elif first_decision is not None and work["created_event_id"] > first_decision:
                out.append({"work": wid, "records": members.get(wid, []),
                            "why": "new record imported after screening began; needs screening"})
        merged_conflicts = connection.execute(
            sa.select(screening_finals.c.stage, screening_finals.c.work_id, screening_finals.c.decisions)
            .where(screening_finals.c.final == "conflict",
                   screening_finals.c.work_id.in_(
                       sa.select(works.c.current_work_id).where(
                           works.c.current_work_id != works.c.work_id)))).all()
        for stage, wid, decisions in merged_conflicts:
            stage_name = "title and abstract" if stage == "title_abstract" else "full text"
            out.append({"work": int(wid), "records": members.get(int(wid), []),
                        "why": f"merged from works with different {stage_name} decisions "
                               f"({', '.join(json.loads(decisions))}); a resolver settles it"})
        return sorted(out, key=lambda item: item["work"])

