"""Tables of the review store. Alembic migrations create them; this module describes them for queries."""
from __future__ import annotations

import sqlalchemy as sa

__all__ = ["metadata", "settings", "sources", "records", "events", "record_clusters", "dedup_pairs",
           "SCHEMA_HEAD"]

#: The Alembic revision this code expects the store to be at.
SCHEMA_HEAD = "0002"

metadata = sa.MetaData()

settings = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=True),
)

sources = sa.Table(
    "sources", metadata,
    sa.Column("source_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.String(500), nullable=False),
    sa.Column("file_path", sa.Text, nullable=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("format", sa.String(40), nullable=False),
    sa.Column("encoding", sa.String(40), nullable=True),
    sa.Column("database", sa.String(200), nullable=False),
    sa.Column("method", sa.String(40), nullable=False),  # database | register | website | organisation | citation_searching | other
    sa.Column("search_date", sa.String(40), nullable=True),
    sa.Column("query", sa.Text, nullable=True),
    sa.Column("record_count", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Text, nullable=False, server_default="[]"),  # JSON list of ParseWarning dicts
    sa.Column("imported_at", sa.String(40), nullable=False),
    sa.Column("imported_by", sa.String(200), nullable=True),
)

records = sa.Table(
    "records", metadata,
    sa.Column("record_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.source_id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("line", sa.Integer, nullable=True),
    sa.Column("title", sa.Text), sa.Column("abstract", sa.Text),
    sa.Column("authors", sa.Text),  # JSON list
    sa.Column("year", sa.Integer),
    sa.Column("journal", sa.Text), sa.Column("volume", sa.String(100)),
    sa.Column("issue", sa.String(100)), sa.Column("pages", sa.String(100)),
    sa.Column("doi", sa.String(300), index=True), sa.Column("pmid", sa.String(20), index=True),
    sa.Column("pmcid", sa.String(20)),
    sa.Column("keywords", sa.Text),  # JSON list
    sa.Column("language", sa.String(100)), sa.Column("publication_type", sa.String(200)),
    sa.Column("url", sa.Text),
    sa.Column("database", sa.String(200), nullable=False),
    sa.Column("raw_format", sa.String(40)),
    sa.Column("raw", sa.Text),
)

events = sa.Table(
    "events", metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(40), nullable=False),  # ISO 8601, UTC
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("stage", sa.String(60), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("records.record_id"), nullable=True, index=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.source_id"), nullable=True),
    sa.Column("payload", sa.Text, nullable=False, server_default="{}"),  # JSON object
)

#: The latest deduplication: each record's cluster, named by the cluster's smallest record id.
record_clusters = sa.Table(
    "record_clusters", metadata,
    sa.Column("record_id", sa.Integer, sa.ForeignKey("records.record_id"), primary_key=True),
    sa.Column("cluster_id", sa.Integer, nullable=False, index=True),
    sa.Column("rule", sa.String(200), nullable=True),
)

#: Pairs the latest deduplication merged, was unsure about, or kept apart with similar titles.
dedup_pairs = sa.Table(
    "dedup_pairs", metadata,
    sa.Column("pair_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("record_a", sa.Integer, sa.ForeignKey("records.record_id"), nullable=False, index=True),
    sa.Column("record_b", sa.Integer, sa.ForeignKey("records.record_id"), nullable=False, index=True),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("details", sa.Text, nullable=False, server_default="{}"),  # JSON object
)
