"""Certainty of evidence (GRADE): the log accepts a "certainty" event (a reviewer's judgement of
one domain of one outcome) and `certainty_judgements` holds the standing ones.

The log's CHECK constraints name every stage and action, so they gain "certainty". PostgreSQL
alters them in place. SQLite cannot alter a CHECK constraint, and moving the log to a new table
would break the foreign keys of every state table; a constraint that only accepts more values
changes nothing stored, so the table's definition is edited in place as SQLite documents it
("Making other kinds of table schema changes", sqlite.org/lang_altertable.html): with
`writable_schema` on, in the migration's transaction, bumping `schema_version`.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ADDED = "certainty"


def _listed(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _widen_sqlite_checks(connection, schema) -> None:
    sql = connection.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'")).scalar()
    original = sql
    for column, values in (("stage", schema.EVENT_STAGES), ("action", schema.EVENT_ACTIONS)):
        if _listed(column, values) in sql:
            continue  # the 0003 migration of this code made the log with today's lists
        old = _listed(column, tuple(v for v in values if v != _ADDED))
        if old not in sql:
            raise RuntimeError(f"the events table's CHECK on {column} is not the one 0003 made")
        sql = sql.replace(old, _listed(column, values))
    if sql == original:
        return
    version = connection.execute(sa.text("PRAGMA schema_version")).scalar()
    connection.execute(sa.text("PRAGMA writable_schema=ON"))
    connection.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' "
                               "AND name = 'events'"), {"sql": sql})
    connection.execute(sa.text(f"PRAGMA schema_version={int(version) + 1}"))
    connection.execute(sa.text("PRAGMA writable_schema=OFF"))


def upgrade() -> None:
    from review.store import schema

    connection = op.get_bind()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        for name, column, values in (("ck_events_stage", "stage", schema.EVENT_STAGES),
                                     ("ck_events_action", "action", schema.EVENT_ACTIONS)):
            op.execute(f"ALTER TABLE events DROP CONSTRAINT IF EXISTS {name}")
            listed = ", ".join(repr(v) for v in values)
            op.execute(f"ALTER TABLE events ADD CONSTRAINT {name} CHECK ({column} IN ({listed}))")
    else:
        _widen_sqlite_checks(connection, schema)
    schema.certainty_judgements.create(connection)


def downgrade() -> None:
    raise NotImplementedError("a 0004 store cannot go back to 0003: keep a copy of the store "
                              "from before `review upgrade`")
