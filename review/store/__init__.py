"""The review store: SQLite in the review folder by default, PostgreSQL for a team, schema by Alembic."""
from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from ..errors import StoreError
from ..records import LIST_FIELDS, RECORD_COLUMNS
from .schema import SCHEMA_HEAD, events, records, settings, sources

__all__ = ["Store", "DATABASE_URL_ENV", "now", "current_user", "SCHEMA_HEAD"]

#: Environment variable holding a database URL that overrides the review folder's SQLite file.
DATABASE_URL_ENV = "REVIEW_DATABASE_URL"
_MIGRATIONS = Path(__file__).with_name("migrations")
_INSERT_CHUNK = 5000


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def current_user() -> str:
    try:
        return os.environ.get("REVIEW_REVIEWER") or getpass.getuser()
    except Exception:  # no user name on some containers
        return "unknown"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """One review's tables. Every write is one transaction: it lands whole or not at all."""

    def __init__(self, url: str):
        self.url = url
        try:
            self.engine = sa.create_engine(url, future=True)
        except Exception as exc:
            raise StoreError(f"cannot use database URL {url!r}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)

    @classmethod
    def for_folder(cls, folder: str | Path, url: str | None = None) -> "Store":
        url = os.environ.get(DATABASE_URL_ENV) or url
        if not url:
            url = f"sqlite:///{Path(folder).resolve() / 'review.sqlite'}"
        return cls(url)

    # -- schema -------------------------------------------------------------------------------
    def _alembic_config(self, connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def upgrade(self) -> None:
        """Create or migrate the schema to the version this code expects."""
        try:
            with self.engine.begin() as connection:
                command.upgrade(self._alembic_config(connection), "head")
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot open the review store at {self.url}: {exc.orig}") from None

    def schema_version(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def check_version(self) -> None:
        try:
            version = self.schema_version()
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot open the review store at {self.url}: {exc.orig}") from None
        if version is None:
            raise StoreError(f"{self.url} holds no review store (run `review init` first)")
        if version != SCHEMA_HEAD:
            raise StoreError(f"the review store is at schema version {version}, this code expects "
                             f"{SCHEMA_HEAD}: upgrade the package or run `review upgrade`")

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

    def add_source(self, frame: pd.DataFrame, *, file_name: str, file_path: str | None, sha256: str,
                   format: str, encoding: str | None, database: str, method: str = "database",
                   search_date: str | None = None, query: str | None = None,
                   warnings: Iterable[dict] = (), actor: str | None = None,
                   progress=None) -> int:
        """Store one imported file and its records atomically; returns the new source id."""
        actor = actor or current_user()
        at = now()
        warnings = list(warnings)
        with self.engine.begin() as connection:
            source_id = connection.execute(sources.insert().values(
                file_name=file_name, file_path=file_path, sha256=sha256, format=format,
                encoding=encoding, database=database, method=method, search_date=search_date,
                query=query, record_count=len(frame), warnings=json.dumps(warnings, ensure_ascii=False),
                imported_at=at, imported_by=actor,
            )).inserted_primary_key[0]
            rows = _record_rows(frame, source_id, database)
            for start in range(0, len(rows), _INSERT_CHUNK):
                chunk = rows[start:start + _INSERT_CHUNK]
                connection.execute(records.insert(), chunk)
                if progress is not None:
                    progress(len(chunk))
            connection.execute(events.insert().values(
                at=at, actor=actor, stage="identification", action="import", source_id=source_id,
                payload=json.dumps({"file": file_name, "database": database, "method": method,
                                    "records": len(frame), "sha256": sha256,
                                    "warnings": len(warnings)}, ensure_ascii=False),
            ))
        return int(source_id)

    def sources(self) -> pd.DataFrame:
        with self.engine.connect() as connection:
            frame = pd.read_sql(sa.select(sources).order_by(sources.c.source_id), connection)
        frame["warnings"] = frame["warnings"].map(json.loads)
        return frame

    def records(self, *, with_raw: bool = True) -> pd.DataFrame:
        """Every stored record in the canonical table, with `source_id`."""
        columns = [records.c[name] for name in records.c.keys() if with_raw or name != "raw"]
        query = (sa.select(*columns, sources.c.file_name.label("source_file"))
                 .join(sources, records.c.source_id == sources.c.source_id)
                 .order_by(records.c.record_id))
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
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
    def append_event(self, *, actor: str, stage: str, action: str, record_id: int | None = None,
                     source_id: int | None = None, payload: dict | None = None) -> int:
        """Append one event (a decision, a note, an import) and return its id once committed."""
        with self.engine.begin() as connection:
            result = connection.execute(events.insert().values(
                at=now(), actor=actor, stage=stage, action=action, record_id=record_id,
                source_id=source_id, payload=json.dumps(payload or {}, ensure_ascii=False)))
        return int(result.inserted_primary_key[0])

    def events(self, stage: str | None = None) -> pd.DataFrame:
        query = sa.select(events).order_by(events.c.event_id)
        if stage is not None:
            query = query.where(events.c.stage == stage)
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        frame["payload"] = frame["payload"].map(json.loads)
        return frame

    def dispose(self) -> None:
        self.engine.dispose()


def _record_rows(frame: pd.DataFrame, source_id: int, database: str) -> list[dict]:
    """DataFrame rows as insert parameters: lists to JSON, pandas NA to None."""
    names = ["position", "line", "title", "abstract", "authors", "year", "journal", "volume",
             "issue", "pages", "doi", "pmid", "pmcid", "keywords", "language", "publication_type",
             "url", "raw_format", "raw"]
    columns = {}
    for name in names:
        series = frame[name] if name in frame.columns else pd.Series([None] * len(frame))
        if name in LIST_FIELDS:
            columns[name] = [json.dumps(v or [], ensure_ascii=False) for v in series]
        elif name in ("position", "line", "year"):
            columns[name] = [None if pd.isna(v) else int(v) for v in series]
        else:
            columns[name] = [None if v is None or (isinstance(v, float) and pd.isna(v)) else v
                             for v in series]
    databases = frame["database"] if "database" in frame.columns else [None] * len(frame)
    rows = []
    for i in range(len(frame)):
        row = {name: columns[name][i] for name in names}
        row["source_id"] = source_id
        row["database"] = databases[i] if isinstance(databases[i], str) and databases[i] else database
        rows.append(row)
    return rows
