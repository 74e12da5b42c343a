"""The store on real SQLite and PostgreSQL: schema version, atomic imports, append-only log."""
from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from review.records import records_frame
from review.store import SCHEMA_HEAD, Store
from review.errors import StoreError


def _frame(n: int = 3) -> pd.DataFrame:
    return records_frame(
        [{"title": f"Exosome study {i}", "authors": ["Smith, J", "Lee, K"], "year": "2020",
          "doi": f"https://doi.org/10.5555/X{i}", "raw": f"TY  - JOUR\nTI  - Exosome study {i}\nER  - \n",
          "line": 1 + 3 * i, "keywords": ["NK cell"]} for i in range(n)],
        source_file="a.ris", database="Embase", raw_format="ris")


def _add(store: Store, frame: pd.DataFrame, sha: str = "a" * 64) -> int:
    return store.add_source(frame, file_name="a.ris", file_path="/x/a.ris", sha256=sha,
                            format="ris", encoding="utf-8", database="Embase", actor="tester",
                            warnings=[{"file": "a.ris", "message": "m", "line": 2, "record": 1}])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'review.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = Store(url)
    store.upgrade()
    yield store
    store.dispose()


def test_schema_version_is_recorded(store):
    """Alembic records the schema version the code expects."""
    assert store.schema_version() == SCHEMA_HEAD
    store.check_version()


def test_records_round_trip(store):
    """Records come back with lists, integers and provenance intact."""
    source_id = _add(store, _frame())
    back = store.records()
    assert list(back["title"]) == ["Exosome study 0", "Exosome study 1", "Exosome study 2"]
    assert back.loc[0, "authors"] == ["Smith, J", "Lee, K"]
    assert back.loc[0, "keywords"] == ["NK cell"]
    assert back.loc[0, "doi"] == "10.5555/x0"
    assert back.loc[0, "year"] == 2020
    assert back.loc[2, "position"] == 3 and back.loc[2, "line"] == 7
    assert back.loc[1, "raw"].startswith("TY  - JOUR")
    assert set(back["source_id"]) == {source_id}
    assert set(back["database"]) == {"Embase"}
    assert set(back["source_file"]) == {"a.ris"}


def test_source_is_found_by_hash_and_counted(store):
    """The sources table keeps file, database, count, hash and warnings."""
    _add(store, _frame(2))
    found = store.source_by_hash("a" * 64)
    assert found["record_count"] == 2 and found["database"] == "Embase"
    assert store.source_by_hash("b" * 64) is None
    sources = store.sources()
    assert sources.loc[0, "warnings"] == [{"file": "a.ris", "message": "m", "line": 2, "record": 1}]
    counts = store.count_by_database()
    assert counts.to_dict(orient="records") == [
        {"database": "Embase", "method": "database", "files": 1, "records": 2}]


def test_same_file_twice_is_refused_by_the_store(store):
    """The sha256 is unique, so a second import of the same bytes cannot slip in."""
    _add(store, _frame(1))
    with pytest.raises(sa.exc.IntegrityError):
        _add(store, _frame(1))
    assert len(store.records()) == 1


def test_failed_import_stores_nothing(store):
    """A failure half way through an import rolls back the source and every record."""
    frame = _frame(3)
    frame.loc[2, "position"] = None  # violates NOT NULL on the third record
    with pytest.raises(sa.exc.IntegrityError):
        _add(store, frame)
    assert store.records().empty
    assert store.sources().empty
    assert store.events().empty


def test_import_writes_an_event(store):
    """Each import is in the event log with who, when, stage and what."""
    _add(store, _frame(2))
    events = store.events()
    assert list(events["action"]) == ["import"]
    assert events.loc[0, "actor"] == "tester"
    assert events.loc[0, "stage"] == "identification"
    assert events.loc[0, "payload"]["records"] == 2


def test_event_log_is_append_only(store):
    """Events cannot be updated or deleted, only appended."""
    store.append_event(actor="ana", stage="title_abstract", action="decision", payload={"d": "include"})
    for statement in ("UPDATE events SET actor = 'eve'", "DELETE FROM events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with store.engine.begin() as connection:
                connection.execute(sa.text(statement))
    assert store.events()["actor"].tolist() == ["ana"]


def test_settings_round_trip(store):
    """Settings keep JSON values and can be replaced."""
    store.set_setting("k", {"a": [1, 2]})
    store.set_setting("k", {"a": [3]})
    assert store.get_setting("k") == {"a": [3]}
    assert store.get_setting("missing", 5) == 5


def test_sqlite_uses_wal(tmp_path):
    """The default SQLite store runs in WAL mode so readers never block a writer."""
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    store.upgrade()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_empty_database_is_not_a_store(tmp_path):
    """Opening a database without the schema says so plainly."""
    store = Store(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with pytest.raises(StoreError, match="holds no review store"):
        store.check_version()
