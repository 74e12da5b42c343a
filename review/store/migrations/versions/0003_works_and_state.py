"""Stable identities and materialised state: works, studies with surrogate ids, a typed event log
and current-state tables.

Every event of a 0002 store is kept (same id, time, actor, stage and action); the fields code
filters on move from the JSON payload into typed columns. A screening decision, made on a dedup
cluster, is made on the work that cluster becomes (a work per cluster, numbered as the cluster
was, so decisions keep their ids). Studies, named by labels before, get surrogate ids: every
label the old store used (a linked study, a study named after its report, a label values or
judgements were stored under) becomes a study with that name. The migration's own events (the
works, the studies and their links) are appended with actor "migration", and the current state
is rebuilt from the whole log, as `review verify` does.

Revision ID: 0003
Revises: 0002
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_APPEND_ONLY = "the event log is append-only: events cannot be changed or deleted"
_ROLE = {"reconciler": "resolver"}


def _drop_append_only(dialect: str) -> None:
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")


def _create_append_only(dialect: str) -> None:
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                       f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END")
    elif dialect == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$")
        op.execute("CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
                   "FOR EACH ROW EXECUTE FUNCTION events_append_only()")


def _typed(old: dict, work_of: dict, study_of: dict, work_of_event: dict) -> dict:
    """One 0002 event with its filter fields in columns."""
    payload = json.loads(old["payload"] or "{}")
    row = {"event_id": old["event_id"], "at": old["at"], "actor": old["actor"],
           "stage": old["stage"], "action": old["action"], "record_id": old["record_id"],
           "source_id": old["source_id"]}
    stage, action = old["stage"], old["action"]
    if stage in ("title_abstract", "full_text"):
        row["record_id"] = None
        if action == "undo":
            row["undoes"] = int(payload.pop("undoes"))
            row["work_id"] = work_of_event.get(row["undoes"])
        else:
            row["work_id"] = work_of.get(old["record_id"], old["record_id"])
            row["role"] = payload.pop("role", None) or "screener"
    elif stage == "dedup" and action in ("same", "different", "skip", "undo"):
        other = payload.pop("other", None)
        row["other_record_id"] = int(other) if other is not None else None
        if action == "undo":
            row["undoes"] = int(payload.pop("undoes"))
    elif stage == "extraction" and action == "link_report":
        row["record_id"] = None
        row["work_id"] = work_of.get(old["record_id"], old["record_id"])
        label = payload.pop("study_id", None)
        row["study_id"] = study_of.get(label)  # None: the link was taken back
        payload["name"] = label
    elif stage == "extraction" and action == "value":
        row["study_id"] = study_of[payload.pop("study_id")]
        row["form_group"] = payload.pop("group", None)
        row["instance"] = int(payload.pop("instance", 1) or 1)
        row["field"] = payload.pop("field")
        role = payload.pop("role", None) or "extractor"
        row["role"] = _ROLE.get(role, role)
    elif stage == "risk_of_bias" and action == "judgement":
        row["study_id"] = study_of[payload.pop("study_id")]
        row["tool"] = payload.pop("tool")
        row["domain"] = payload.pop("domain")
        role = payload.pop("role", None) or "assessor"
        row["role"] = _ROLE.get(role, role)
    row["payload"] = json.dumps(payload, ensure_ascii=False)
    return row


def _old_studies(connection, old_events: list[dict], work_of: dict, needed: int
                 ) -> tuple[list, dict]:
    """The 0002 study table, recomputed as 0002 did: [(label, [work ids])] and every label."""
    import pandas as pd

    from review.dedup.merge import merged_records
    from review.extraction.studies import assign_study_ids, first_surname
    from review.store.state import DecisionFold, screening_final

    undone = {int(json.loads(e["payload"])["undoes"]) for e in old_events
              if e["stage"] == "full_text" and e["action"] == "undo"}
    fold = DecisionFold()
    for e in old_events:
        if e["stage"] == "full_text" and e["action"] in ("include", "exclude", "maybe",
                                                           "not_retrieved"):
            if e["event_id"] in undone:
                continue
            payload = json.loads(e["payload"] or "{}")
            fold.apply_decision({**e, "work_id": work_of.get(e["record_id"], e["record_id"]),
                                 "role": payload.get("role") or "screener"})
    by_work: dict[int, list] = {}
    for row in fold.rows.values():
        by_work.setdefault(row["work_id"], []).append(row)
    included = sorted(w for w, rows in by_work.items()
                      if screening_final(rows, needed)["final"] == "include")
    links: dict[int, str | None] = {}
    labels: set[str] = set()
    for e in old_events:
        if e["stage"] == "extraction" and e["action"] == "link_report":
            label = json.loads(e["payload"]).get("study_id")
            links[work_of.get(e["record_id"], e["record_id"])] = label
            if isinstance(label, str):
                labels.add(label)  # every name ever given, superseded ones too
    for e in old_events:
        if (e["stage"], e["action"]) in (("extraction", "value"), ("risk_of_bias", "judgement")):
            labels.add(json.loads(e["payload"])["study_id"])
    labels |= {v for v in links.values() if isinstance(v, str)}
    if not included:
        return [], labels
    records = pd.read_sql(sa.text("SELECT record_id, source_id, title, authors, year, journal, "
                                  "doi, pmid FROM records"), connection)
    records["authors"] = records["authors"].map(lambda v: json.loads(v) if v else [])
    mapping = pd.Series({int(r): int(work_of.get(int(r), int(r))) for r in records["record_id"]})
    members = records[records["record_id"].map(mapping).isin(included)]
    merged = merged_records(members, mapping)
    reports = pd.DataFrame({"record_id": merged["record_id"].astype("Int64"),
                            "first_author": merged["authors"].map(first_surname),
                            "year": pd.to_numeric(merged["year"], errors="coerce").astype("Int64")})
    ids = assign_study_ids(reports, links)
    groups: dict[str, list[int]] = {}
    for work, label in ids.items():
        groups.setdefault(label, []).append(int(work))
    labels |= set(groups)
    return sorted(groups.items(), key=lambda item: min(item[1])), labels


def _reviewers_per_record(connection) -> int:
    """The protocol's reviewers per record, which 0002 read from the review folder: `review
    upgrade` passes it, else 2, the protocol's default."""
    from alembic import context
    value = context.config.attributes.get("reviewers_per_record")
    return int(value) if value else 2


def upgrade() -> None:
    from review.store import schema
    from review.store.state import Needed

    connection = op.get_bind()
    dialect = connection.dialect.name
    old_events = [dict(r) for r in connection.execute(sa.text(
        "SELECT event_id, at, actor, stage, action, record_id, source_id, payload FROM events "
        "ORDER BY event_id")).mappings()]
    clusters = dict(connection.execute(sa.text(
        "SELECT record_id, cluster_id FROM record_clusters")).all())
    record_ids = [int(r) for r in connection.execute(sa.text(
        "SELECT record_id FROM records ORDER BY record_id")).scalars()]
    work_of = {r: int(clusters.get(r, r)) for r in record_ids}

    needed = _reviewers_per_record(connection)
    groups, labels = _old_studies(connection, old_events, work_of, needed)
    study_of: dict[str, int] = {}
    for label, _ in groups:
        study_of[label] = len(study_of) + 1
    for label in sorted(labels - set(study_of)):
        study_of[label] = len(study_of) + 1

    work_of_event = {}
    for e in old_events:
        if e["stage"] in ("title_abstract", "full_text") and e["action"] != "undo":
            work_of_event[e["event_id"]] = work_of.get(e["record_id"], e["record_id"])
    typed = [_typed(e, work_of, study_of, work_of_event) for e in old_events]

    # The log moves to a table with typed columns, keeping every event id.
    _drop_append_only(dialect)
    op.drop_index("ix_events_record_id", table_name="events")
    op.rename_table("events", "events_0002")
    if dialect == "postgresql":  # free the default names for the new log's key, sequence and keys
        op.execute("""DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_class WHERE relname = 'events_pkey') THEN
                ALTER INDEX events_pkey RENAME TO events_0002_pkey; END IF;
            IF EXISTS (SELECT 1 FROM pg_class WHERE relname = 'events_event_id_seq') THEN
                ALTER SEQUENCE events_event_id_seq RENAME TO events_0002_event_id_seq; END IF;
            IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'events_record_id_fkey') THEN
                ALTER TABLE events_0002 RENAME CONSTRAINT events_record_id_fkey
                    TO events_0002_record_id_fkey; END IF;
            IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'events_source_id_fkey') THEN
                ALTER TABLE events_0002 RENAME CONSTRAINT events_source_id_fkey
                    TO events_0002_source_id_fkey; END IF;
        END $$""")
    schema.events.create(connection)
    columns = [c.name for c in schema.events.columns]
    rows = [{c: row.get(c) for c in columns} for row in typed]
    for start in range(0, len(rows), 5_000):
        connection.execute(schema.events.insert(), rows[start:start + 5_000])
    op.drop_table("events_0002")
    if dialect == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('events', 'event_id'), "
                   "COALESCE((SELECT MAX(event_id) FROM events), 0) + 1, false)")
    for table in (schema.works, schema.record_works, schema.studies, schema.study_reports,
                  schema.screening_decisions, schema.screening_finals, schema.extraction_values,
                  schema.extraction_finals, schema.judgements, schema.judgement_finals,
                  schema.protocol_versions):
        table.create(connection)
    _create_append_only(dialect)

    # The migration's own events: works (one per cluster), studies and their reports.
    at = max((e["at"] for e in old_events), default="1970-01-01T00:00:00+00:00")
    members: dict[int, list[int]] = {}
    for record, work in work_of.items():
        members.setdefault(work, []).append(record)
    migrated = []
    if members:
        migrated.append({"stage": "works", "action": "migrate", "payload": {
            "works": [[w, sorted(rs)] for w, rs in sorted(members.items())]}})
    grouped = dict(groups)
    for label, study in sorted(study_of.items(), key=lambda item: item[1]):
        works = sorted(grouped.get(label, []))
        migrated.append({"stage": "extraction", "action": "create_study", "study_id": study,
                         "work_id": works[0] if works else None, "payload": {"name": label}})
        for work in works[1:]:
            migrated.append({"stage": "extraction", "action": "link_report", "study_id": study,
                             "work_id": work, "payload": {"name": label}})
    for event in migrated:
        event.update(at=at, actor="migration",
                     payload=json.dumps(event["payload"], ensure_ascii=False))
        connection.execute(schema.events.insert().values(**event))

    # The current state, rebuilt from the whole log, as `review verify` rebuilds it.
    from review.store.verification import replay_log, write_state
    write_state(connection, replay_log(connection, Needed()))


def downgrade() -> None:
    raise NotImplementedError("a 0003 store cannot go back to 0002: keep a copy of the store "
                              "from before `review upgrade`")
