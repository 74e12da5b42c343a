"""Writing to the log inside a command's transaction: the only place events are built."""
from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from typing import Any, Iterable, Iterator, Sequence

import sqlalchemy as sa

from .schema import events

__all__ = ["now", "current_user", "insert_event", "insert_events", "next_id", "chunked", "EVENT_FIELDS"]

#: Typed columns an event may set besides at, actor, stage, action and payload.
EVENT_FIELDS = ("record_id", "other_record_id", "source_id", "work_id", "other_work_id",
                "study_id", "other_study_id", "role", "tool", "domain", "form_group",
                "instance", "field", "undoes")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def current_user() -> str:
    try:
        return os.environ.get("REVIEW_REVIEWER") or getpass.getuser()
    except Exception:  # no user name on some containers
        return "unknown"


def _row(actor: str, stage: str, action: str, payload: dict | None, at: str, fields: dict) -> dict:
    row = {"at": at, "actor": actor, "stage": stage, "action": action,
           "payload": json.dumps(payload or {}, ensure_ascii=False)}
    for name in EVENT_FIELDS:
        row[name] = fields.get(name)
    return row


def insert_event(connection, *, actor: str, stage: str, action: str, payload: dict | None = None,
                 at: str | None = None, **fields: Any) -> int:
    """Append one event in the caller's transaction; returns its id."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event field(s): {', '.join(sorted(unknown))}")
    result = connection.execute(events.insert().values(
        **_row(actor, stage, action, payload, at or now(), fields)))
    return int(result.inserted_primary_key[0])


def insert_events(connection, rows: Sequence[dict]) -> list[int]:
    """Append many events (dicts of insert_event's arguments) in order, in one statement per
    chunk; returns their ids in the same order."""
    if not rows:
        return []
    stamp = now()
    values = []
    for row in rows:
        fields = {k: v for k, v in row.items()
                  if k not in ("actor", "stage", "action", "payload", "at")}
        unknown = set(fields) - set(EVENT_FIELDS)
        if unknown:
            raise TypeError(f"unknown event field(s): {', '.join(sorted(unknown))}")
        values.append(_row(row["actor"], row["stage"], row["action"], row.get("payload"),
                           row.get("at") or stamp, fields))
    statement = events.insert().returning(events.c.event_id, sort_by_parameter_order=True)
    ids: list[int] = []
    for chunk in chunked(values, 5_000):
        ids += [int(i) for i in connection.execute(statement, chunk).scalars()]
    return ids


def next_id(connection, column) -> int:
    return int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(column), 0))).scalar()) + 1


def chunked(values: Iterable, size: int = 500) -> Iterator[list]:
    chunk: list = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
