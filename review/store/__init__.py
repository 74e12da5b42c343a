"""The review store: SQLite in the review folder by default, PostgreSQL for a team, schema by Alembic.

The one way to the store: every query and every command of the review's stages is a method of
`Store`. Each command checks what it must and writes its event and the current state it changes
in one transaction (`_write`), so two kernels cannot both act on what only one may."""
from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import sqlalchemy as sa

from ..errors import StoreError
from . import faults
from .faults import lock_wait, sqlite_path, store_failure
from ..records import LIST_FIELDS, RECORD_COLUMNS
from ._log import current_user, next_id, now
from .certainty import CertaintyMixin
from .embeddings import EmbeddingsMixin
from .identity import IdentityMixin
from .protocol import ProtocolMixin
from .screening import ScreeningMixin
from .schema import (SCHEMA_HEAD, dedup_pairs, events, record_clusters, record_works, records,
                     settings, sources, works)
from .studies import StudiesMixin
from .verification import VerificationMixin

__all__ = ["Store", "DATABASE_URL_ENV", "now", "current_user", "SCHEMA_HEAD"]

#: Environment variable holding a database URL that overrides the review folder's SQLite file.
DATABASE_URL_ENV = "REVIEW_DATABASE_URL"
_MIGRATIONS = Path(__file__).with_name("migrations")
_INSERT_CHUNK = 2000
#: Page size of a new SQLite store (existing stores keep theirs).
SQLITE_PAGE_SIZE = 32768
#: The encoder `json.dumps(..., ensure_ascii=False)` uses for a string (C speed).
_json_string = json.encoder.encode_basestring


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Only takes effect when the file is created (before WAL mode writes its header): records
    # with their raw text are ~4 KB, which overflow 4 KB pages; with 32 KB pages a 100,000-record
    # import writes (to the WAL, then the database) about half as long.
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(lock_wait() * 1000)}")
    # A checkpoint leaves the WAL at most this long, so a killed import's WAL does not linger.
    cursor.execute("PRAGMA journal_size_limit=67108864")
    cursor.close()


def _sqlite_autocommit_driver(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see `_begin_immediate`)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")  # `_begin_immediate` waits, in short fair steps
    cursor.close()


#: How long a write waits for another writer before it gives up, in seconds (None: the
#: REVIEW_LOCK_WAIT environment variable, default 30; see `faults.lock_wait`).
WRITE_WAIT: float | None = None


def _begin_immediate(connection) -> None:
    """Writes on SQLite take the write lock when they begin, so a check and the write it allows
    see the same store (a deferred transaction could read, then find another writer first).

    The wait is ours, in steps of a millisecond or two: SQLite's own busy handler sleeps up to
    100 ms at a time, so a writer that commits and begins again at once would starve the
    others (four screeners would take turns of a whole queue each)."""
    import random
    import sqlite3
    import time
    deadline = time.monotonic() + (lock_wait() if WRITE_WAIT is None else WRITE_WAIT)
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except sa.exc.OperationalError as exc:
            if not isinstance(exc.orig, sqlite3.OperationalError) or "locked" not in str(exc.orig) \
                    or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.0005, 0.002))


#: Key of the PostgreSQL advisory lock that serialises a review's checked writes.
_PG_WRITE_LOCK = 0x5EE1A0E


class Store(IdentityMixin, ProtocolMixin, ScreeningMixin, StudiesMixin, VerificationMixin,
            CertaintyMixin, EmbeddingsMixin):
    """One review's tables. Every write is one transaction: it lands whole or not at all."""

    def __init__(self, url: str):
        self.url = url
        faults.last_url = url
        try:
            self.engine = sa.create_engine(url, future=True)
            self._writer = self.engine
            self._local = threading.local()
            if self.engine.dialect.name == "sqlite":
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
                self._writer = sa.create_engine(url, future=True)
                sa.event.listen(self._writer, "connect", _sqlite_pragmas)
                sa.event.listen(self._writer, "connect", _sqlite_autocommit_driver)
                sa.event.listen(self._writer, "begin", _begin_immediate)
        except Exception as exc:
            raise StoreError(f"cannot use database URL {url!r}: {exc}") from None

    @contextmanager
    def _write(self):
        """One checked write: a transaction holding the review's write lock from its start.
        Commands called inside `batch()` join its transaction instead."""
        active = getattr(self._local, "connection", None)
        if active is not None:
            yield active
            return
        try:
            with self._writer.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": _PG_WRITE_LOCK})
                self._local.connection = connection
                try:
                    yield connection
                finally:
                    self._local.connection = None
        except sa.exc.IntegrityError:
            raise  # a command's own check (e.g. a file imported twice at once) says what it means
        except sa.exc.DBAPIError as exc:
            raise store_failure(exc, self.url) from None

    def batch(self):
        """Several commands as one transaction: all of them land, or none (a file loaded)."""
        return self._write()

    @classmethod
    def for_folder(cls, folder: str | Path, url: str | None = None) -> "Store":
        url = os.environ.get(DATABASE_URL_ENV) or url
        if not url:
            url = f"sqlite:///{Path(folder).resolve() / 'review.sqlite'}"
        return cls(url)

    # -- schema -------------------------------------------------------------------------------
    def _alembic_config(self, connection):
        from alembic.config import Config  # only migrations need alembic (not opening a review)
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def upgrade(self, **migration_options: Any) -> None:
        """Create or migrate the schema to the version this code expects: all or nothing (on
        SQLite too, where the writer's explicit BEGIN makes the schema changes transactional)."""
        try:
            with self._write() as connection:
                config = self._alembic_config(connection)
                config.attributes.update(migration_options)
                from alembic import command
                command.upgrade(config, "head")
        except sa.exc.DBAPIError as exc:
            raise store_failure(exc, self.url) from None

    def _existing_file(self) -> None:
        """Refuse a SQLite store whose file is missing or empty, before SQLite makes a new one
        (only `upgrade`, i.e. `review init`, creates the file)."""
        path = sqlite_path(self.url)
        if path is None:
            return
        if not path.exists():
            raise StoreError(
                f"{path}: the review store is missing (moved or deleted?). Nothing was created; "
                f"restore review.sqlite from a backup, or make a new review with `review init`")
        if path.is_file() and path.stat().st_size == 0:
            raise StoreError(
                f"{path}: the review store is empty (0 bytes; it was cut short or overwritten). "
                f"Nothing was changed; restore review.sqlite from a backup, or make a new review "
                f"with `review init`")

    def schema_version(self) -> str | None:
        """The schema revision alembic recorded (None for an empty database), read directly: what
        alembic's MigrationContext reads, without importing alembic to open a review."""
        self._existing_file()
        try:
            with self.engine.connect() as connection:
                if not sa.inspect(connection).has_table("alembic_version"):
                    return None
                revisions = connection.execute(
                    sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        except sa.exc.DBAPIError as exc:
            raise store_failure(exc, self.url) from None
        if len(revisions) > 1:
            raise StoreError(f"{self.url}: the review store records several schema versions "
                             f"({', '.join(sorted(revisions))}); it was changed by hand")
        return revisions[0] if revisions else None

    def check_version(self) -> None:
        version = self.schema_version()
        if version is None:
            raise StoreError(f"{sqlite_path(self.url) or self.url} holds no review store "
                             f"(run `review init` to make one)")
        if version != SCHEMA_HEAD:
            raise StoreError(f"the review store is at schema version {version}, this code expects "
                             f"{SCHEMA_HEAD}: upgrade the package or run `review upgrade`")
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Fold a WAL left by a killed program into the database and truncate it, so it does
        not linger (a few hundred MB after a killed import) until the next write. Skipped
        without waiting when another program is using the store."""
        path = sqlite_path(self.url)
        wal = Path(f"{path}-wal") if path else None
        if wal is None or not wal.exists() or wal.stat().st_size == 0:
            return
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA busy_timeout=0")
                try:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:  # the pooled connection waits for locks again, as every other does
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={int(lock_wait() * 1000)}")
        except sa.exc.DBAPIError:
            pass  # busy: the other program's own checkpoint will do it

    # -- settings -----------------------------------------------------------------------------
    def set_setting(self, key: str, value: Any) -> None:
        text = json.dumps(value)
        with self.engine.begin() as connection:
            connection.execute(settings.delete().where(settings.c.key == key))
            connection.execute(settings.insert().values(key=key, value=text))

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self.engine.connect() as connection:
            value = connection.execute(sa.select(settings.c.value).where(settings.c.key == key)).scalar()
        return default if value is None else json.loads(value)

    # -- sources and records ------------------------------------------------------------------
    def source_by_hash(self, sha256: str) -> dict | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(sources).where(sources.c.sha256 == sha256)).mappings().first()
        return dict(row) if row else None

    def add_source(self, rows: pd.DataFrame | Iterable[dict[str, Any]], *, file_name: str,
                   file_path: str | None, sha256: str, format: str, encoding: str | None,
                   database: str, method: str = "database", search_date: str | None = None,
                   query: str | None = None, warnings: Iterable[Any] = (),
                   actor: str | None = None, progress=None) -> int:
        """Store one imported file and its records atomically; returns the new source id.

        `rows` is a canonical frame (`records_frame`) or an iterable of canonical rows
        (`normalise_record`), consumed once and inserted a chunk at a time, so a parse running
        inside the iterable streams into the store; if it raises, nothing is stored. `warnings`
        (ParseWarning or dicts) is read after `rows` is exhausted, so a stream's warning list
        may still be filling while the records go in.
        """
        actor = actor or current_user()
        at = now()
        if isinstance(rows, pd.DataFrame):
            rows = _frame_rows(rows)
        with self._write() as connection:
            source_id = connection.execute(sources.insert().values(
                file_name=file_name, file_path=file_path, sha256=sha256, format=format,
                encoding=encoding, database=database, method=method, search_date=search_date,
                query=query, record_count=0, warnings="[]", imported_at=at, imported_by=actor,
            )).inserted_primary_key[0]
            insert = _record_inserter(connection)
            count = 0
            chunk: list[tuple] = []
            for row in rows:
                chunk.append(_record_row(row, source_id, database))
                if len(chunk) >= _INSERT_CHUNK:
                    insert(chunk)
                    count += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
                    chunk = []
            if chunk:
                insert(chunk)
                count += len(chunk)
                if progress is not None:
                    progress(len(chunk))
            warnings = [w.to_dict() if hasattr(w, "to_dict") else dict(w) for w in warnings]
            connection.execute(sources.update().where(sources.c.source_id == source_id).values(
                record_count=count, warnings=json.dumps(warnings, ensure_ascii=False)))
            first_work = next_id(connection, works.c.work_id)
            event_id = connection.execute(events.insert().values(
                at=at, actor=actor, stage="identification", action="import", source_id=source_id,
                work_id=first_work if count else None,
                payload=json.dumps({"file": file_name, "database": database, "method": method,
                                    "records": count, "sha256": sha256,
                                    "warnings": len(warnings)}, ensure_ascii=False),
            )).inserted_primary_key[0]
            self._works_for_import(connection, int(source_id), first_work, int(event_id))
        return int(source_id)

    def sources(self) -> pd.DataFrame:
        with self.engine.connect() as connection:
            frame = pd.read_sql(sa.select(sources).order_by(sources.c.source_id), connection)
        frame["warnings"] = frame["warnings"].map(json.loads)
        return frame

    def records(self, *, with_raw: bool = True, works: Iterable[int] | None = None) -> pd.DataFrame:
        """Every stored record in the canonical table, with `source_id` (only the records of
        these live `works`, when given)."""
        columns = [records.c[name] for name in records.c.keys() if with_raw or name != "raw"]
        query = (sa.select(*columns, sources.c.file_name.label("source_file"))
                 .join(sources, records.c.source_id == sources.c.source_id)
                 .order_by(records.c.record_id))
        with self.engine.connect() as connection:
            if works is None:
                frame = pd.read_sql(query, connection)
            else:
                parts = [pd.read_sql(query.join(record_works, record_works.c.record_id
                                                == records.c.record_id)
                                     .where(record_works.c.work_id.in_(chunk)), connection)
                         for chunk in _chunks(sorted({int(w) for w in works}))]
                frame = (pd.concat(parts, ignore_index=True).sort_values("record_id")
                         .reset_index(drop=True) if parts else pd.read_sql(query.limit(0), connection))
        for name in LIST_FIELDS:
            frame[name] = frame[name].map(lambda v: json.loads(v) if v else [])
        for name in ("year", "position", "line"):
            frame[name] = frame[name].astype("Int64")
        ordered = [c for c in RECORD_COLUMNS if c in frame.columns] + ["source_id"]
        return frame[ordered]

    def count_by_database(self) -> pd.DataFrame:
        query = (sa.select(sources.c.database, sources.c.method,
                           sa.func.count(sa.distinct(sources.c.source_id)).label("files"),
                           sa.func.count(records.c.record_id).label("records"))
                 .join(records, records.c.source_id == sources.c.source_id, isouter=True)
                 .group_by(sources.c.database, sources.c.method)
                 .order_by(sources.c.database))
        with self.engine.connect() as connection:
            return pd.read_sql(query, connection)

    # -- event log ----------------------------------------------------------------------------
    def event_count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(events)).scalar())

    def event_counts(self) -> dict[str, int]:
        """How many events of each action the log holds."""
        query = sa.select(events.c.action, sa.func.count()).group_by(events.c.action)
        with self.engine.connect() as connection:
            return {action: int(n) for action, n in connection.execute(query)}

    def events(self, stage: str | None = None, *, action: str | None = None) -> pd.DataFrame:
        """The log (or one stage of it, one action) with its payloads decoded, oldest first."""
        query = sa.select(events).order_by(events.c.event_id)
        if stage is not None:
            query = query.where(events.c.stage == stage)
        if action is not None:
            query = query.where(events.c.action == action)
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        frame["payload"] = frame["payload"].map(json.loads)
        return frame

    # -- deduplication ------------------------------------------------------------------------
    def clusters(self) -> pd.DataFrame:
        """record_id, cluster_id and the rule that joined the record, from the latest run."""
        query = sa.select(record_clusters).order_by(record_clusters.c.record_id)
        with self.engine.connect() as connection:
            return pd.read_sql(query, connection)

    def dedup_pairs(self, decision: str | None = None) -> pd.DataFrame:
        query = sa.select(dedup_pairs).order_by(dedup_pairs.c.record_a, dedup_pairs.c.record_b)
        if decision is not None:
            query = query.where(dedup_pairs.c.decision == decision)
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        frame["details"] = frame["details"].map(json.loads)
        return frame

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writer is not self.engine:
            self._writer.dispose()


#: Columns of `records` an import fills, in the order of the insert's parameters.
_INSERT_COLUMNS = ("source_id", "position", "line", "title", "abstract", "authors", "year",
                   "journal", "volume", "issue", "pages", "doi", "pmid", "pmcid", "keywords",
                   "language", "publication_type", "url", "database", "raw_format", "raw")
#: Placeholder of each DB-API parameter style that takes plain tuples.
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _record_inserter(connection):
    """A function inserting a list of row tuples: the driver's own executemany with a plain SQL
    statement (no per-row work in SQLAlchemy), or Core with dicts for other parameter styles."""
    mark = _PLACEHOLDERS.get(connection.dialect.paramstyle)
    if mark is None:
        def insert_core(chunk: list[tuple]) -> None:
            connection.execute(records.insert(), [dict(zip(_INSERT_COLUMNS, row)) for row in chunk])
        return insert_core
    quote = connection.dialect.identifier_preparer.quote
    statement = (f"INSERT INTO {quote(records.name)} "
                 f"({', '.join(quote(name) for name in _INSERT_COLUMNS)}) "
                 f"VALUES ({', '.join([mark] * len(_INSERT_COLUMNS))})")

    def insert(chunk: list[tuple]) -> None:
        connection.exec_driver_sql(statement, chunk)
    return insert


def _text(value: Any) -> str | None:
    if value is None or value.__class__ is str:
        return value
    if value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value


def _number(value: Any) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value if value.__class__ is int else int(value)


def _json_list(value: Any) -> str:
    """A list of strings as JSON, exactly as `json.dumps(value, ensure_ascii=False)` writes it."""
    if not value or not isinstance(value, (list, tuple)):
        return "[]"
    try:
        return "[" + ", ".join(map(_json_string, value)) + "]"
    except TypeError:  # not all strings
        return json.dumps(list(value), ensure_ascii=False)


def _record_row(row: dict[str, Any], source_id: int, database: str) -> tuple:
    """A canonical row as insert parameters: lists to JSON, missing values (NaN, NA) to None."""
    get = row.get
    own = get("database")
    return (source_id, _number(get("position")), _number(get("line")), _text(get("title")),
            _text(get("abstract")), _json_list(get("authors")), _number(get("year")),
            _text(get("journal")), _text(get("volume")), _text(get("issue")), _text(get("pages")),
            _text(get("doi")), _text(get("pmid")), _text(get("pmcid")), _json_list(get("keywords")),
            _text(get("language")), _text(get("publication_type")), _text(get("url")),
            own if isinstance(own, str) and own else database, _text(get("raw_format")),
            _text(get("raw")))


def _frame_rows(frame: pd.DataFrame) -> Iterable[dict[str, Any]]:
    """Rows of a canonical frame as dicts (columns it lacks are simply missing)."""
    columns = list(frame.columns)
    for values in frame.itertuples(index=False, name=None):
        yield dict(zip(columns, values))
