"""Studies, extracted values and judgements: the commands that record them (checked, logged and
applied to the current state in one transaction) and the queries that read them."""
from __future__ import annotations

import json
from typing import Iterable, Sequence

import pandas as pd
import sqlalchemy as sa

from ..errors import ReviewError
from ..policy import INDEPENDENT, RESOLVER, outsider_message, panel
from ._log import chunked, insert_event, insert_events, next_id, now
from .schema import (extraction_finals, extraction_values, judgement_finals, judgements,
                     screening_finals, studies, study_reports)
from .state import (JUDGEMENT_KEY, VALUE_KEY, extraction_finals_for, judgement_finals_for,
                    judgement_state, stand_on, value_state)

__all__ = ["StudiesMixin"]


class StudiesMixin:
    # -- studies -----------------------------------------------------------------------------------------
    def _studies_for_reports(self, connection, included: list[int]) -> None:
        """A report included at full text becomes a study of its own unless it already has one."""
        linked: set[int] = set()
        for chunk in chunked(sorted(included)):
            linked |= set(connection.execute(sa.select(study_reports.c.work_id)
                                             .where(study_reports.c.work_id.in_(chunk))).scalars())
        for work in sorted(set(included) - linked):
            self._create_study(connection, actor="review", work_id=work)

    @staticmethod
    def _create_study(connection, *, actor: str, work_id: int | None = None,
                      name: str | None = None) -> int:
        study_id = next_id(connection, studies.c.study_id)
        event_id = insert_event(connection, actor=actor, stage="extraction", action="create_study",
                                study_id=study_id, work_id=work_id, payload={"name": name})
        connection.execute(studies.insert().values(study_id=study_id, name=name,
                                                   current_study_id=study_id,
                                                   created_event_id=event_id))
        if work_id is not None:
            connection.execute(study_reports.insert().values(work_id=work_id, study_id=study_id))
        return study_id

    def study_reports(self) -> pd.DataFrame:
        """work_id, study_id (the live study) and its given name, for every linked report."""
        query = (sa.select(study_reports.c.work_id, studies.c.current_study_id.label("study_id"))
                 .join(studies, studies.c.study_id == study_reports.c.study_id)
                 .order_by(study_reports.c.work_id))
        names = sa.select(studies.c.study_id, studies.c.name)
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
            named = dict(connection.execute(names).all())
        frame["name"] = [named.get(int(s)) for s in frame["study_id"]]
        return frame

    def studies(self, *, live: bool = True) -> pd.DataFrame:
        query = sa.select(studies).order_by(studies.c.study_id)
        if live:
            query = query.where(studies.c.current_study_id == studies.c.study_id)
        with self.engine.connect() as connection:
            return pd.read_sql(query, connection)

    def link_reports(self, study_id: int | None, work_ids: Iterable[int], *, reviewer: str,
                     name: str | None = None) -> int:
        """Link included reports to one study (None: each becomes a study of its own; `name`:
        the new or existing study's display name). A study left without reports joins the
        target with its values and judgements. Returns the target study's id (or the last new)."""
        work_ids = list(dict.fromkeys(int(w) for w in work_ids))
        with self._write() as connection:
            current = self._currents(connection, work_ids)
            unknown = [w for w in work_ids if w not in current]
            if unknown:
                raise ReviewError(f"no work {', '.join(map(str, unknown))} in this review")
            work_ids = list(dict.fromkeys(current[w] for w in work_ids))
            included = set(connection.execute(sa.select(screening_finals.c.work_id).where(
                screening_finals.c.stage == "full_text", screening_finals.c.final == "include",
                screening_finals.c.work_id.in_(work_ids))).scalars())
            excluded = [w for w in work_ids if w not in included]
            if excluded:
                raise ReviewError(
                    f"record(s) {', '.join(map(str, excluded))} are not included reports (their "
                    "final full-text decision is not include); no links were recorded")
            before = dict(connection.execute(sa.select(study_reports.c.work_id,
                                                       study_reports.c.study_id)
                                             .where(study_reports.c.work_id.in_(work_ids)))
                          .all())
            if study_id is None:
                last = None
                for work in work_ids:
                    alone = before.get(work) is not None and connection.execute(
                        sa.select(sa.func.count()).select_from(study_reports)
                        .where(study_reports.c.study_id == before[work])).scalar() == 1
                    if alone:  # already a study of its own: it keeps its values and judgements
                        last = before[work]
                        continue
                    connection.execute(study_reports.delete().where(study_reports.c.work_id == work))
                    last = self._create_study(connection, actor=reviewer, work_id=work, name=name)
                target = last
            else:
                target = self._live_study(connection, study_id)
                for work in work_ids:
                    insert_event(connection, actor=reviewer, stage="extraction",
                                 action="link_report", work_id=work, study_id=target)
                    connection.execute(study_reports.delete().where(study_reports.c.work_id == work))
                    connection.execute(study_reports.insert().values(work_id=work, study_id=target))
                if name is not None:
                    self._name_study(connection, target, name, reviewer)
            for old in set(before.values()):
                left = connection.execute(sa.select(sa.func.count()).select_from(study_reports)
                                          .where(study_reports.c.study_id == old)).scalar()
                if not left and target is not None and old != target and study_id is not None:
                    self._merge_studies(connection, target, old, reviewer)
            self._refresh_studies(connection, {target} if target is not None else set())
        return int(target) if target is not None else None

    def name_study(self, study_id: int, name: str | None, *, reviewer: str) -> None:
        """Give a study a display name (None: named after its earliest report again)."""
        with self._write() as connection:
            self._name_study(connection, self._live_study(connection, study_id), name, reviewer)

    @staticmethod
    def _name_study(connection, study_id: int, name: str | None, reviewer: str) -> None:
        insert_event(connection, actor=reviewer, stage="extraction", action="name_study",
                     study_id=study_id, payload={"name": name})
        connection.execute(studies.update().where(studies.c.study_id == study_id)
                           .values(name=name))

    @staticmethod
    def _live_study(connection, study_id: int) -> int:
        found = connection.execute(sa.select(studies.c.current_study_id)
                                   .where(studies.c.study_id == int(study_id))).scalar()
        if found is None:
            raise ReviewError(f"no study {study_id} in this review")
        return int(found)

    @staticmethod
    def _live_studies(connection) -> set[int]:
        return {int(s) for s in connection.execute(
            sa.select(studies.c.study_id).where(studies.c.current_study_id == studies.c.study_id))
            .scalars()}

    # -- extraction and appraisal ------------------------------------------------------------------------
    def _check_panel(self, connection, table, live: int, reviewer: str, needed: int,
                     stage: str, what: str, extra: list, tool: str | None = None) -> None:
        """Refuse an independent reviewer beyond a study's first N."""
        query = (sa.select(table.c.event_id, table.c.reviewer)
                 .join(studies, studies.c.study_id == table.c.study_id)
                 .where(studies.c.current_study_id == live, table.c.role != RESOLVER))
        if tool is not None:
            query = query.where(table.c.tool == tool)
        if table is extraction_values:
            query = query.where(table.c.value.not_in(["null", "[]"]))
        seen = list(connection.execute(query).all()) + extra
        members = panel(seen, needed)
        if reviewer not in members and len(members) >= needed:
            raise ReviewError(outsider_message(stage, what, members))

    def record_values(self, rows: Sequence[dict], *, describe=lambda study: f"Study {study}"
                      ) -> list[int]:
        """Record extracted values (study_id, form_group, instance, field, value, unit,
        reviewer, role) in one transaction; returns their event ids. Refused whole: a study not
        in the review, or an extractor beyond the study's first N who is not its resolver."""
        def event(row: dict, live: int) -> dict:
            return {"stage": "extraction", "action": "value", "study_id": live,
                    "form_group": row["form_group"], "instance": int(row["instance"]),
                    "field": row["field"], "payload": {"value": row["value"],
                                                       "unit": row.get("unit")}}

        def counts(row: dict) -> bool:  # a cleared value does not make its extractor count
            return row["value"] is not None and row["value"] != []
        return self._record_for_studies(rows, "extraction", event, counts, describe,
                                        extraction_values, VALUE_KEY, value_state)

    def record_judgements(self, rows: Sequence[dict], *, describe=lambda study: f"Study {study}"
                          ) -> list[int]:
        """Record judgements (study_id, tool, domain, judgement, support, answers, reviewer,
        role) in one transaction; returns their event ids. Refused whole like values."""
        def event(row: dict, live: int) -> dict:
            return {"stage": "risk_of_bias", "action": "judgement", "study_id": live,
                    "tool": row["tool"], "domain": row["domain"],
                    "payload": {"judgement": row["judgement"], "support": row.get("support") or "",
                                "answers": dict(row.get("answers") or {})}}
        return self._record_for_studies(
            rows, "appraisal", event, lambda row: True,
            lambda live, row=None: describe(live), judgements, JUDGEMENT_KEY, judgement_state)

    def _record_for_studies(self, rows, stage, event, counts, describe, table, key, state_of
                            ) -> list[int]:
        """What values and judgements share: each row on its live study, the outsider check of
        the stage's independent reviewers, the events, the standing rows and the finals, in one
        transaction."""
        if not rows:
            return []
        independent = INDEPENDENT[stage]
        with self._write() as connection:
            needed = getattr(self._needed(connection), stage)
            planned, touched, seen, stamp = [], set(), {}, now()
            for row in rows:
                live = self._live_study(connection, row["study_id"])
                touched.add(live)
                role = row.get("role") or independent
                tool = row.get("tool")
                if role != RESOLVER and counts(row):
                    mine = seen.setdefault((live, tool), [])
                    what = describe(live) + (f" ({tool})" if tool else "")
                    self._check_panel(connection, table, live, row["reviewer"], needed, stage,
                                      what, mine, tool=tool)
                    mine.append((10**12 + len(planned), row["reviewer"]))
                planned.append({**event(row, live), "actor": row["reviewer"], "role": role,
                                "at": stamp})
            ids = insert_events(connection, planned)
            state = {}
            for event_id, done in zip(ids, planned):
                standing = state_of({**done, "event_id": event_id})
                state[tuple(standing[k] for k in key)] = standing
            rows = []
            for standing in state.values():
                # replaces the reviewer's own on every study merged with this one
                rest = [table.c[c] == standing[c] for c in key[1:]]
                origins = sa.select(studies.c.study_id).where(
                    studies.c.current_study_id == standing["study_id"])
                replaced = set(connection.execute(sa.select(table.c.study_id).where(
                    table.c.study_id.in_(origins), *rest)).scalars())
                connection.execute(table.delete().where(table.c.study_id.in_(origins), *rest))
                rows.append({**standing, "study_id": stand_on(replaced, standing["study_id"])})
            connection.execute(table.insert(), rows)
            self._refresh_studies(connection, touched)
        return ids

    def _refresh_studies(self, connection, live: Iterable[int]) -> None:
        """Recompute the final values and judgements of these live studies."""
        needed = self._needed(connection)
        for chunk in chunked(sorted({int(s) for s in live})):
            origin = dict(connection.execute(sa.select(studies.c.study_id,
                                                       studies.c.current_study_id)
                                             .where(studies.c.current_study_id.in_(chunk)))
                          .all())
            values = connection.execute(sa.select(extraction_values).where(
                extraction_values.c.study_id.in_(list(origin)))).mappings().all()
            by_study: dict[int, list[dict]] = {}
            for row in values:
                by_study.setdefault(origin[row["study_id"]], []).append(
                    {**row, "value": json.loads(row["value"])})
            connection.execute(extraction_finals.delete().where(
                extraction_finals.c.study_id.in_(list(origin))))
            finals = [{"study_id": study, **final,
                       "value": json.dumps(final["value"], ensure_ascii=False)}
                      for study, rows in by_study.items()
                      for final in extraction_finals_for(rows, needed.extraction)]
            if finals:
                connection.execute(extraction_finals.insert(), finals)
            judged = connection.execute(sa.select(judgements).where(
                judgements.c.study_id.in_(list(origin)))).mappings().all()
            by_tool: dict[tuple[int, str], list[dict]] = {}
            for row in judged:
                by_tool.setdefault((origin[row["study_id"]], row["tool"]), []).append(dict(row))
            connection.execute(judgement_finals.delete().where(
                judgement_finals.c.study_id.in_(list(origin))))
            finals = [{"study_id": study, "tool": tool, **final,
                       "assessors": json.dumps(final["assessors"], ensure_ascii=False)}
                      for (study, tool), rows in by_tool.items()
                      for final in judgement_finals_for(rows, needed.appraisal)]
            if finals:
                connection.execute(judgement_finals.insert(), finals)

    def study_counts(self) -> tuple[int, int]:
        """(studies, reports): included reports (final full-text include) and their studies."""
        query = (sa.select(sa.func.count(sa.distinct(studies.c.current_study_id)),
                           sa.func.count(study_reports.c.work_id))
                 .select_from(study_reports.join(studies, studies.c.study_id
                                                 == study_reports.c.study_id)
                              .join(screening_finals, screening_finals.c.work_id
                                    == study_reports.c.work_id))
                 .where(screening_finals.c.stage == "full_text",
                        screening_finals.c.final == "include"))
        with self.engine.connect() as connection:
            found, reports = connection.execute(query).one()
        return int(found), int(reports)

    def status_counts(self, table: str, tool: str | None = None) -> tuple[int, dict[str, int]]:
        """(studies, {status: n}) of the final values (`table="extraction"`) or of one tool's
        final judgements (`table="appraisal"`)."""
        finals = extraction_finals if table == "extraction" else judgement_finals
        query = sa.select(finals.c.status, sa.func.count()).group_by(finals.c.status)
        count = sa.select(sa.func.count(sa.distinct(finals.c.study_id)))
        if tool is not None:
            query = query.where(finals.c.tool == tool)
            count = count.where(finals.c.tool == tool)
        with self.engine.connect() as connection:
            return (int(connection.execute(count).scalar()),
                    {status: int(n) for status, n in connection.execute(query)})

    def extraction_values(self) -> pd.DataFrame:
        """Every reviewer's standing values, on the live study (`study_id`)."""
        query = (sa.select(studies.c.current_study_id.label("study_id"),
                           *[extraction_values.c[c] for c in (
                               "form_group", "instance", "field", "reviewer", "role", "value",
                               "unit", "at", "event_id")])
                 .join(studies, studies.c.study_id == extraction_values.c.study_id)
                 .order_by(extraction_values.c.event_id))
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return _objects([{**r, "value": json.loads(r["value"])} for r in rows],
                        ["study_id", "form_group", "instance", "field", "reviewer", "role",
                         "value", "unit", "at", "event_id"])

    def extraction_finals(self) -> pd.DataFrame:
        query = sa.select(extraction_finals).order_by(
            extraction_finals.c.study_id, extraction_finals.c.form_group,
            extraction_finals.c.instance, extraction_finals.c.field)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return _objects([{**r, "value": json.loads(r["value"])} for r in rows],
                        ["study_id", "form_group", "instance", "field", "value", "unit", "status",
                         "decided_by"])

    def judgements(self, tool: str | None = None) -> pd.DataFrame:
        """Every reviewer's standing judgements, on the live study."""
        query = (sa.select(studies.c.current_study_id.label("study_id"),
                           *[judgements.c[c] for c in (
                               "tool", "domain", "reviewer", "role", "judgement", "support",
                               "answers", "at", "event_id")])
                 .join(studies, studies.c.study_id == judgements.c.study_id)
                 .order_by(judgements.c.event_id))
        if tool is not None:
            query = query.where(judgements.c.tool == tool)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return _objects([{**r, "answers": json.loads(r["answers"])} for r in rows],
                        ["study_id", "tool", "domain", "reviewer", "role", "judgement", "support",
                         "answers", "at", "event_id"])

    def judgement_finals(self, tool: str | None = None) -> pd.DataFrame:
        query = sa.select(judgement_finals).order_by(judgement_finals.c.study_id,
                                                     judgement_finals.c.domain)
        if tool is not None:
            query = query.where(judgement_finals.c.tool == tool)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return _objects([{**r, "assessors": json.loads(r["assessors"])} for r in rows],
                        ["study_id", "tool", "domain", "judgement", "support", "status",
                         "assessors", "decided_by"])




def _objects(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A frame whose gaps stay None (not NaN beside numbers)."""
    frame = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in columns},
                         columns=columns)
    for name in ("study_id", "instance", "event_id"):
        if name in frame.columns and len(frame):
            frame[name] = frame[name].astype(int)
    return frame

