"""Initial store: settings, sources, records and the append-only event log.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY = "the event log is append-only: events cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=True),
    )
    op.create_table(
        "sources",
        sa.Column("source_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("file_path", sa.Text, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("format", sa.String(40), nullable=False),
        sa.Column("encoding", sa.String(40), nullable=True),
        sa.Column("database", sa.String(200), nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("search_date", sa.String(40), nullable=True),
        sa.Column("query", sa.Text, nullable=True),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Text, nullable=False, server_default="[]"),
        sa.Column("imported_at", sa.String(40), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=True),
    )
    op.create_table(
        "records",
        sa.Column("record_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.source_id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("line", sa.Integer, nullable=True),
        sa.Column("title", sa.Text), sa.Column("abstract", sa.Text),
        sa.Column("authors", sa.Text), sa.Column("year", sa.Integer),
        sa.Column("journal", sa.Text), sa.Column("volume", sa.String(100)),
        sa.Column("issue", sa.String(100)), sa.Column("pages", sa.String(100)),
        sa.Column("doi", sa.String(300)), sa.Column("pmid", sa.String(20)),
        sa.Column("pmcid", sa.String(20)), sa.Column("keywords", sa.Text),
        sa.Column("language", sa.String(100)), sa.Column("publication_type", sa.String(200)),
        sa.Column("url", sa.Text),
        sa.Column("database", sa.String(200), nullable=False),
        sa.Column("raw_format", sa.String(40)), sa.Column("raw", sa.Text),
    )
    op.create_index("ix_records_source_id", "records", ["source_id"])
    op.create_index("ix_records_doi", "records", ["doi"])
    op.create_index("ix_records_pmid", "records", ["pmid"])
    op.create_table(
        "events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(60), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.record_id"), nullable=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.source_id"), nullable=True),
        sa.Column("payload", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_events_record_id", "events", ["record_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    op.drop_table("events")
    op.drop_table("records")
    op.drop_table("sources")
    op.drop_table("settings")
