"""GRADE judgements by reviewers (on SQLite and PostgreSQL, the conftest `store`): stored as events with their state in one transaction, replayed
by verify, refused with the form's words when incomplete; the 0004 migration widens the log's
CHECK constraints of a store made by older code."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from review.errors import ReviewError
from review.store import Store

MIGRATION = Path(__file__).parents[1] / "review/store/migrations/versions/0004_certainty.py"


@pytest.fixture()
def sqlite_store(tmp_path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'review.sqlite'}")
    store.upgrade()
    return store


def test_a_judgement_is_an_event_and_state_and_can_be_withdrawn(store):
    before = store.event_count()
    store.record_certainty("tumour volume", "indirectness", "serious",
                           reason="Mouse models only", reviewer="Ana Silva")
    store.record_certainty("tumour volume", "indirectness", "very serious",
                           reason="Subcutaneous xenografts only", reviewer="Ben Okoro")
    frame = store.certainty_judgements()
    assert [("tumour volume", "indirectness", "very serious", "Subcutaneous xenografts only",
             "Ben Okoro")] == [tuple(r) for r in frame[["outcome", "domain", "judgement", "reason",
                                                         "reviewer"]].itertuples(index=False)]
    assert before + 2 == store.event_count()
    assert store.verify_state()["state_matches_log"]
    store.record_certainty("tumour volume", "indirectness", "", reason="", reviewer="Ben Okoro")
    assert store.certainty_judgements().empty
    assert store.verify_state()["state_matches_log"]
    assert [] == store.replay()["certainty_judgements"]


@pytest.mark.parametrize("args, message", [
    (("tumour volume", "directness", "serious", "x"), "Domain: expected one of risk_of_bias"),
    (("tumour volume", "imprecision", "grave", "x"), "Judgement: expected one of not serious"),
    (("tumour volume", "imprecision", "serious", " "), "Reason: say why, in words"),
    (("", "imprecision", "serious", "x"), "Outcome: choose the outcome"),
])
def test_incomplete_judgements_are_refused_and_nothing_is_stored(store, args, message):
    outcome, domain, judgement, reason = args
    with pytest.raises(ReviewError, match=message):
        store.record_certainty(outcome, domain, judgement, reason=reason, reviewer="Ana Silva")
    assert 0 == store.event_count()


def test_migration_widens_the_checks_of_a_store_made_by_older_code(sqlite_store):
    store = sqlite_store
    spec = importlib.util.spec_from_file_location("m0004", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    from review.store import schema
    with store._write() as connection:  # put back the CHECK lists a 0003 store had
        sql = connection.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'events'")).scalar()
        for column, values in (("stage", schema.EVENT_STAGES), ("action", schema.EVENT_ACTIONS)):
            sql = sql.replace(migration._listed(column, values),
                              migration._listed(column, [v for v in values if v != "certainty"]))
        version = connection.execute(sa.text("PRAGMA schema_version")).scalar()
        connection.execute(sa.text("PRAGMA writable_schema=ON"))
        connection.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE name = 'events'"),
                           {"sql": sql})
        connection.execute(sa.text(f"PRAGMA schema_version={version + 1}"))
        connection.execute(sa.text("PRAGMA writable_schema=OFF"))
    with pytest.raises(sa.exc.IntegrityError):
        store.record_certainty("survival", "imprecision", "serious", reason="two studies",
                               reviewer="Ana Silva")
    with store._write() as connection:
        migration._widen_sqlite_checks(connection, schema)
    store.record_certainty("survival", "imprecision", "serious", reason="two studies",
                           reviewer="Ana Silva")
    with store.engine.connect() as connection:
        assert "ok" == connection.execute(sa.text("PRAGMA integrity_check")).scalar()
    assert 1 == len(store.certainty_judgements())


def test_loading_judgements_checks_every_row_first(worked_example, tmp_path):
    from conftest import copy_review
    from review.appraisal.certainty import load_certainty
    from review.project import open_review
    review = open_review(copy_review(worked_example, tmp_path / "ex"))
    try:
        assert 4 == len(review.store.certainty_judgements())  # the example's own
        before = review.store.event_count()
        bad = tmp_path / "bad.csv"
        bad.write_text("reviewer,outcome,domain,judgement,reason\n"
                       "Ana,survival,indirectness,serious,Mice\n"
                       "Ana,survival,imprecision,grave,Few\n", encoding="utf-8")
        with pytest.raises(ReviewError, match=r"bad.csv, line 3: judgement 'grave'; expected one of"):
            load_certainty(review, bad)
        bad.write_text("reviewer,outcome,domain,judgement,reason\n"
                       "Ana,overall survival,indirectness,serious,Mice\n", encoding="utf-8")
        with pytest.raises(ReviewError, match=r"line 2: outcome 'overall survival' is not one of"):
            load_certainty(review, bad)
        assert before == review.store.event_count()
    finally:
        review.store.dispose()
