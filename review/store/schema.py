"""Tables of the review store. Alembic migrations create them; this module describes them for queries.

The event log (`events`) is append-only and is the truth. The fields code filters on are typed
columns with indexes and CHECK constraints; free text and values travel in `payload` (JSON).
Everything else is current state, written in the same transaction as the event that changes it,
and rebuilt from the log by `review verify` to prove that it matches.
"""
from __future__ import annotations

import sqlalchemy as sa

__all__ = ["metadata", "settings", "sources", "records", "events", "record_clusters", "dedup_pairs",
           "works", "record_works", "studies", "study_reports", "screening_decisions",
           "screening_finals", "extraction_values", "extraction_finals", "judgements",
           "judgement_finals", "protocol_versions", "SCHEMA_HEAD", "EVENT_STAGES",
           "EVENT_ACTIONS", "EVENT_ROLES", "STATE_TABLES", "certainty_judgements",
           "record_embeddings"]

#: The Alembic revision this code expects the store to be at.
SCHEMA_HEAD = "0005"

#: Every stage and action the log knows; the database refuses any other.
EVENT_STAGES = ("identification", "dedup", "works", "title_abstract", "full_text", "extraction",
                "risk_of_bias", "protocol", "certainty")
EVENT_ACTIONS = ("import", "run", "same", "different", "skip", "undo", "merge", "split", "move",
                 "migrate", "include", "exclude", "maybe", "not_retrieved", "link_report",
                 "create_study", "name_study", "merge_study", "value", "judgement", "protocol",
                 "certainty")
EVENT_ROLES = ("screener", "resolver", "automation", "extractor", "assessor")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


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


def event_columns() -> list:
    """The log's columns (a function: the migration builds the same table under another name)."""
    return [
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),  # ISO 8601, UTC
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(60), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.record_id"), nullable=True),
        sa.Column("other_record_id", sa.Integer, sa.ForeignKey("records.record_id"), nullable=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.source_id"), nullable=True),
        sa.Column("work_id", sa.Integer, nullable=True),
        sa.Column("other_work_id", sa.Integer, nullable=True),
        sa.Column("study_id", sa.Integer, nullable=True),
        sa.Column("other_study_id", sa.Integer, nullable=True),
        sa.Column("role", sa.String(20), nullable=True),
        sa.Column("tool", sa.String(60), nullable=True),
        sa.Column("domain", sa.String(60), nullable=True),
        sa.Column("form_group", sa.String(100), nullable=True),
        sa.Column("instance", sa.Integer, nullable=True),
        sa.Column("field", sa.String(100), nullable=True),
        sa.Column("undoes", sa.Integer, sa.ForeignKey("events.event_id"), nullable=True),
        sa.Column("payload", sa.Text, nullable=False, server_default="{}"),  # JSON object
        sa.CheckConstraint(_in("stage", EVENT_STAGES), name="ck_events_stage"),
        sa.CheckConstraint(_in("action", EVENT_ACTIONS), name="ck_events_action"),
        sa.CheckConstraint(f"role IS NULL OR {_in('role', EVENT_ROLES)}", name="ck_events_role"),
        sa.CheckConstraint("instance IS NULL OR instance >= 1", name="ck_events_instance"),
        sa.CheckConstraint("(action = 'undo') = (undoes IS NOT NULL)", name="ck_events_undo"),
        sa.CheckConstraint(
            "stage NOT IN ('title_abstract', 'full_text') OR work_id IS NOT NULL",
            name="ck_events_screening_work"),
        sa.CheckConstraint(
            "action NOT IN ('value', 'judgement', 'create_study') OR study_id IS NOT NULL",
            name="ck_events_study"),
    ]


#: (name, columns, unique) of the log's indexes.
EVENT_INDEXES = (
    ("ix_events_stage_work", ("stage", "work_id", "actor"), False),
    ("ix_events_stage_action", ("stage", "action"), False),
    ("ix_events_study", ("study_id",), False),
    ("ix_events_other_work", ("other_work_id",), False),
    ("ix_events_record_id", ("record_id",), False),
    ("ux_events_undoes", ("undoes",), True),  # an event is undone at most once, even by two kernels
)

events = sa.Table("events", metadata, *event_columns())
for _name, _columns, _unique in EVENT_INDEXES:
    sa.Index(_name, *(events.c[c] for c in _columns), unique=_unique)

#: The latest deduplication run's clusters (record -> its cluster's smallest record id), for
#: --explain and the pair queue; identities live in `works`.
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

# -- current state (rebuilt from the log by `review verify`) ----------------------------------------
#: A work: one deduplicated bibliographic item, with an id no later run changes. A work merged
#: into another keeps its row, `current_work_id` pointing at the work it lives on in.
works = sa.Table(
    "works", metadata,
    sa.Column("work_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("head_record_id", sa.Integer, sa.ForeignKey("records.record_id"), nullable=False),
    sa.Column("current_work_id", sa.Integer, nullable=False, index=True),
    sa.Column("created_event_id", sa.Integer, sa.ForeignKey("events.event_id"), nullable=False),
    sa.Column("origin", sa.String(20), nullable=False),  # import | split | migration
    sa.CheckConstraint("origin IN ('import', 'split', 'migration')", name="ck_works_origin"),
)

#: Which live work each record is in: the one answer every stage uses.
record_works = sa.Table(
    "record_works", metadata,
    sa.Column("record_id", sa.Integer, sa.ForeignKey("records.record_id"), primary_key=True),
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.work_id"), nullable=False, index=True),
)

#: A study has a surrogate id; `name` is a display label a reviewer gave (None: named after its
#: earliest report). A study merged into another points at it with `current_study_id`.
studies = sa.Table(
    "studies", metadata,
    sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("current_study_id", sa.Integer, nullable=False, index=True),
    sa.Column("created_event_id", sa.Integer, sa.ForeignKey("events.event_id"), nullable=False),
)

#: Which study each report (a work) belongs to.
study_reports = sa.Table(
    "study_reports", metadata,
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.work_id"), primary_key=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.study_id"), nullable=False, index=True),
)

#: Each reviewer's standing screening decision; `work_id` is the work the decision was made on
#: (it may since have merged into another: join `works` for the current one).
screening_decisions = sa.Table(
    "screening_decisions", metadata,
    sa.Column("stage", sa.String(20), primary_key=True),
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.work_id"), primary_key=True),
    sa.Column("reviewer", sa.String(200), primary_key=True),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(200), nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.event_id"), nullable=False),
)

sa.Index("ix_screening_decisions_work", screening_decisions.c.work_id)

#: The final decision of each live work that has any decision, per stage.
screening_finals = sa.Table(
    "screening_finals", metadata,
    sa.Column("stage", sa.String(20), primary_key=True),
    sa.Column("work_id", sa.Integer, sa.ForeignKey("works.work_id"), primary_key=True),
    sa.Column("final", sa.String(30), nullable=False),
    sa.Column("reason", sa.String(200), nullable=True),
    sa.Column("resolved_by", sa.String(200), nullable=True),
    sa.Column("reviewers", sa.Text, nullable=False),  # JSON list, in decision order
    sa.Column("decisions", sa.Text, nullable=False),  # JSON list, matching `reviewers`
)

_VALUE_KEY = ("study_id", "form_group", "instance", "field")

#: Each reviewer's standing value per study (as entered), field and role.
extraction_values = sa.Table(
    "extraction_values", metadata,
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.study_id"), primary_key=True),
    sa.Column("form_group", sa.String(100), primary_key=True),
    sa.Column("instance", sa.Integer, primary_key=True),
    sa.Column("field", sa.String(100), primary_key=True),
    sa.Column("reviewer", sa.String(200), primary_key=True),
    sa.Column("role", sa.String(20), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # JSON
    sa.Column("unit", sa.String(100), nullable=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.event_id"), nullable=False),
)

#: The final value of each field of each current study.
extraction_finals = sa.Table(
    "extraction_finals", metadata,
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.study_id"), primary_key=True),
    sa.Column("form_group", sa.String(100), primary_key=True),
    sa.Column("instance", sa.Integer, primary_key=True),
    sa.Column("field", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # JSON (null while in conflict or pending)
    sa.Column("unit", sa.String(100), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=True),
)

#: Each reviewer's standing judgement per study, tool, domain and role.
judgements = sa.Table(
    "judgements", metadata,
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.study_id"), primary_key=True),
    sa.Column("tool", sa.String(60), primary_key=True),
    sa.Column("domain", sa.String(60), primary_key=True),
    sa.Column("reviewer", sa.String(200), primary_key=True),
    sa.Column("role", sa.String(20), primary_key=True),
    sa.Column("judgement", sa.String(40), nullable=False),
    sa.Column("support", sa.Text, nullable=False),
    sa.Column("answers", sa.Text, nullable=False),  # JSON object
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.event_id"), nullable=False),
)

#: The final judgement of each domain of each current study, per tool.
judgement_finals = sa.Table(
    "judgement_finals", metadata,
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.study_id"), primary_key=True),
    sa.Column("tool", sa.String(60), primary_key=True),
    sa.Column("domain", sa.String(60), primary_key=True),
    sa.Column("judgement", sa.String(40), nullable=True),
    sa.Column("support", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("assessors", sa.Text, nullable=False),  # JSON list
    sa.Column("decided_by", sa.String(200), nullable=True),
)

#: Every version of the protocol the team works to (the latest is in force).
protocol_versions = sa.Table(
    "protocol_versions", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.event_id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
)

#: A reviewer's judgement of one GRADE domain of one outcome (certainty of evidence), the latest
#: standing: it overrides the judgement the report pre-fills from the data (review.report.grade).
#: Kept apart from STATE_TABLES, which the 0003 migration rebuilds before this table exists.
certainty_judgements = sa.Table(
    "certainty_judgements", metadata,
    sa.Column("outcome", sa.String(100), primary_key=True),
    sa.Column("domain", sa.String(60), primary_key=True),
    sa.Column("judgement", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.event_id"), nullable=False),
)

#: A cache of derived data, not review state: each screened record's sentence embedding (float32
#: bytes, `review.screening.embeddings`) by the named model, with the SHA-256 of the text it was
#: computed from, so that a record is embedded once and again only when its title or abstract
#: changes. No event writes it and `review verify` neither reads nor needs it: emptying it only
#: costs the vectors' recomputation. `record_id` is the id the screener shows (the work's).
record_embeddings = sa.Table(
    "record_embeddings", metadata,
    sa.Column("record_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("model", sa.String(100), primary_key=True),
    sa.Column("text_sha256", sa.String(64), nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),
)

#: Current-state tables, in the order they are cleared (children first) and compared.
STATE_TABLES = (screening_finals, screening_decisions, extraction_finals, extraction_values,
                judgement_finals, judgements, study_reports, studies, record_works, works)
