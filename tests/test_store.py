"""The store on real SQLite and PostgreSQL: schema version, atomic imports, append-only log."""
from __future__ import annotations

import re

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings, strategies as st

import review.store as store_module
from review.errors import ImportFormatError, ParseWarning, StoreError
from review.records import _clean_list, _clean_str, normalise_record, records_frame
from review.store import SCHEMA_HEAD, Store


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
    store.set_setting("k", 1)
    _add(store, _frame(1))
    for statement in ("UPDATE events SET actor = 'eve'", "DELETE FROM events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with store.engine.begin() as connection:
                connection.execute(sa.text(statement))
    assert store.events()["actor"].tolist() == ["tester"]


@pytest.mark.parametrize("column, value, constraint", [
    ("stage", "'somewhere'", "ck_events_stage"), ("action", "'decision'", "ck_events_action"),
    ("role", "'boss'", "ck_events_role")])
def test_event_columns_are_checked_by_the_database(store, column, value, constraint):
    """Typed columns with CHECK constraints: a stage, action or role the code does not know is
    refused by the database itself."""
    values = {"stage": "'dedup'", "action": "'run'", "role": "NULL", column: value}
    with pytest.raises(sa.exc.IntegrityError):
        with store.engine.begin() as connection:
            connection.execute(sa.text(
                f"INSERT INTO events (at, actor, stage, action, role, payload) VALUES "
                f"('2026', 'ana', {values['stage']}, {values['action']}, {values['role']}, '{{}}')"))
    assert store.events().empty


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
    import sqlite3
    path = tmp_path / "empty.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE other (x)").connection.close()
    store = Store(f"sqlite:///{path}")
    with pytest.raises(StoreError, match="holds no review store"):
        store.check_version()


def test_missing_store_is_not_created(tmp_path):
    """A deleted review.sqlite is reported, and opening it does not make a new empty file."""
    path = tmp_path / "review.sqlite"
    with pytest.raises(StoreError, match="the review store is missing"):
        Store(f"sqlite:///{path}").check_version()
    assert not path.exists()


# ------------------------------------------------------------------ streamed imports


def _rows(n: int, fail_at: int | None = None):
    """Canonical rows as an import streams them, optionally failing like a parse error would."""
    for i in range(n):
        if i == fail_at:
            raise ImportFormatError("big.ris", "a RIS tag", line=3 * i + 1, record=i + 1)
        yield normalise_record({"title": f"Study {i}", "authors": ["Doe, J"], "year": "2021",
                                "doi": f"doi:10.1000/S{i}", "raw": f"TY  - JOUR\nTI  - Study {i}",
                                "line": 3 * i + 1}, i + 1, database="PubMed", raw_format="ris")


def _add_rows(store: Store, rows, warnings=(), progress=None) -> int:
    return store.add_source(rows, file_name="big.ris", file_path=None, sha256="c" * 64,
                            format="ris", encoding="utf-8", database="PubMed", actor="tester",
                            warnings=warnings, progress=progress)


def test_streamed_rows_are_stored_in_chunks(store, monkeypatch):
    """Rows from an iterable go in a chunk at a time; count, progress and warnings are recorded."""
    monkeypatch.setattr(store_module, "_INSERT_CHUNK", 3)
    warnings, seen = [], []

    def rows():  # a stream whose warnings appear while it is read
        for row in _rows(7):
            yield row
        warnings.append(ParseWarning("big.ris", "record has no ER line", line=19, record=7))

    _add_rows(store, rows(), warnings, seen.append)
    assert seen == [3, 3, 1]
    back = store.records()
    assert list(back["title"]) == [f"Study {i}" for i in range(7)]
    assert back.loc[6, "doi"] == "10.1000/s6" and back.loc[6, "position"] == 7
    assert back.loc[0, "authors"] == ["Doe, J"] and back.loc[0, "keywords"] == []
    source = store.sources().iloc[0]
    assert source["record_count"] == 7
    assert source["warnings"] == [{"file": "big.ris", "message": "record has no ER line",
                                   "line": 19, "record": 7}]
    assert store.events().loc[0, "payload"]["records"] == 7


def test_parse_error_after_some_chunks_stores_nothing(store, monkeypatch):
    """A stream that fails after chunks were inserted rolls back the source and every record."""
    monkeypatch.setattr(store_module, "_INSERT_CHUNK", 2)
    with pytest.raises(ImportFormatError, match="record 6"):
        _add_rows(store, _rows(9, fail_at=5))
    assert store.records().empty and store.sources().empty and store.events().empty


def test_new_sqlite_store_uses_large_pages(tmp_path):
    """New SQLite stores use 32 KB pages, so ~4 KB records with raw text do not overflow."""
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    store.upgrade()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == store_module.SQLITE_PAGE_SIZE


def test_records_frame_rows_are_normalise_record():
    """The frame and the streamed import clean every field the same way."""
    records = [{"title": " A\u2009title\n  here ", "authors": ["Doe, J", " Doe, J", "", None],
                "year": "c. 2019-2020", "doi": "https://doi.org/10.1000/ABC.", "pmid": "PMID: 0042",
                "pmcid": "123", "keywords": "single", "abstract": float("nan"), "raw": {"k": 1}}]
    frame = records_frame(records, source_file="f.csv", database="Scopus", raw_format="table")
    row = normalise_record(records[0], 1, source_file="f.csv", database="Scopus", raw_format="table")
    assert frame.iloc[0].to_dict() == row
    assert (row["title"], row["authors"], row["doi"], row["pmid"], row["pmcid"], row["keywords"]) == (
        "A title here", ["Doe, J"], "10.1000/abc", "42", "PMC123", ["single"])
    assert row["abstract"] is None and row["raw"] == '{"k": 1}'


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \t\n\r\x0b\x0c\x1c\x85\xa0\u2009\u3000\u200b\u00e9")),
               max_size=30))
def test_text_cleaning_is_the_regular_expression_it_replaced(text):
    """The fast whitespace cleaning equals collapsing every whitespace run and stripping."""
    assert _clean_str(text) == (re.sub(r"\s+", " ", text).strip() or None)
    assert _clean_list([text, text]) == ([] if _clean_str(text) is None else [_clean_str(text)])
