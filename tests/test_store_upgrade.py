"""`review upgrade` takes a store of schema 0002, built by the previous release's code path
(tests/data/store-0002: the worked example, an undone decision, a pair verdict and a value by a
third extractor) to 0003 with nothing lost: the same PRISMA counts, final decisions, studies,
extraction and judgements, every old event kept, and a state that matches the log."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from review.appraisal import judgements
from review.cli import main
from review.errors import StoreError
from review.extraction.studies import study_table
from review.extraction.values import extraction_long
from review.project import open_review
from review.report.prisma import counts_to_json, prisma_counts
from review.screening.decisions import final_decisions
from review.store import SCHEMA_HEAD
from review.verify import verify_review

FIXTURE = Path(__file__).parent / "data" / "store-0002"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
#: Status words of 0002 and their one-vocabulary names.
STATUS = {"reconciled": "resolved"}


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("upgrade") / "review"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns("expected.json"))
    with sqlite3.connect(folder / "review.sqlite") as connection:
        old_events = connection.execute(
            "SELECT event_id, at, actor, stage, action FROM events ORDER BY event_id").fetchall()
    with pytest.raises(StoreError, match="run `review upgrade`"):
        open_review(folder)
    assert 0 == main(["upgrade", "--review", str(folder)])
    review = open_review(folder)
    yield review, old_events
    review.store.dispose()


def test_the_store_is_at_the_new_schema_and_keeps_every_event(upgraded):
    review, old_events = upgraded
    assert SCHEMA_HEAD == review.store.schema_version()
    log = review.store.events()
    kept = [tuple(row) for row in log[["event_id", "at", "actor", "stage", "action"]]
            .itertuples(index=False)][:len(old_events)]
    assert [tuple(e) for e in old_events] == kept
    added = log.iloc[len(old_events):]
    # the migration's own: the works, the studies and their links; then the protocol's first
    # stored version, from the folder's copy
    assert set(added["action"]) == {"migrate", "create_study", "link_report", "protocol"}
    assert {"migration"} == set(added.loc[added["action"] != "protocol", "actor"])


def test_prisma_counts_are_unchanged(upgraded):
    review, _ = upgraded
    assert EXPECTED["prisma"] == json.loads(json.dumps(counts_to_json(prisma_counts(review))))


def test_final_decisions_are_unchanged(upgraded):
    review, _ = upgraded
    for stage, rows in EXPECTED["final_decisions"].items():
        finals = final_decisions(review.store, stage)
        assert [(r["record_id"], r["final"], r["reason"]) for r in rows] == \
            list(zip(finals["record_id"], finals["final"], finals["reason"]))


def test_studies_keep_their_labels_and_reports(upgraded):
    review, _ = upgraded
    table = study_table(review)
    assert sorted((r["study_id"], r["record_id"]) for r in EXPECTED["study_table"]) == \
        sorted(zip(table["study_id"], table["record_id"]))
    assert 15 == table["study"].nunique()


def test_judgements_are_unchanged(upgraded):
    review, _ = upgraded
    for tool, rows in EXPECTED["judgements"].items():
        final = judgements(review, tool)
        assert sorted((r["study_id"], r["domain"], r["judgement"], STATUS.get(r["status"], r["status"]))
                      for r in rows) == \
            sorted(zip(final["study_id"], final["domain"], final["judgement"], final["status"]))


def test_extraction_is_unchanged_except_what_the_third_extractor_had_disturbed(upgraded):
    """0002 let a third extractor (Dana Third, one value) turn Ahmadi 2020's agreed values into
    conflicts with no value. The first two extractors count now: those values are agreed again;
    everything else is exactly as it was."""
    review, _ = upgraded
    final = extraction_long(review)
    now = {(r.study_id, r.group, int(r.instance), r.field): (r.value, r.unit, r.status)
           for r in final.itertuples(index=False)}
    disturbed = []
    for row in EXPECTED["extraction_long"]:
        key = (row["study_id"], row["group"], row["instance"], row["field"])
        if row["status"] == "conflict":
            disturbed.append(key)
            assert "agreed" == now[key][2] and now[key][0] is not None, key
        else:
            value = now[key]
            assert (row["value"], row["unit"], STATUS.get(row["status"], row["status"])) == \
                (value[0], value[1], value[2]), key
    assert 27 == len(disturbed) and {"Ahmadi 2020"} == {key[0] for key in disturbed}
    assert len(EXPECTED["extraction_long"]) == len(final)


def test_the_upgraded_store_verifies_and_a_second_upgrade_does_nothing(upgraded, capsys):
    review, _ = upgraded
    result = verify_review(review)
    assert result["ok"] and result["state_matches_log"] and 0 == result["orphaned"], result
    assert [] == result["attention"]
    capsys.readouterr()
    assert 0 == main(["upgrade", "--review", str(review.path)])
    assert "already at schema" in capsys.readouterr().out


@pytest.mark.postgres
def test_a_0002_store_on_postgresql_upgrades_with_its_names_and_triggers(postgres_url, tmp_path):
    """The fixture's rows in a 0002 PostgreSQL store: the upgrade keeps them, the log keeps its
    usual key, sequence and append-only trigger, and new events get new ids."""
    import sqlalchemy as sa
    import yaml
    from alembic import command

    from review.store import Store
    store = Store(postgres_url)
    with store.engine.begin() as connection:
        command.upgrade(store._alembic_config(connection), "0002")
    source = sqlite3.connect(FIXTURE / "review.sqlite")
    source.row_factory = sqlite3.Row
    with store.engine.begin() as connection:
        for name in ("settings", "sources", "records", "events", "record_clusters", "dedup_pairs"):
            rows = [dict(r) for r in source.execute(f"SELECT * FROM {name}")]
            table = sa.Table(name, sa.MetaData(), autoload_with=connection)
            if rows:
                connection.execute(table.insert(), rows)
        for name, key in (("sources", "source_id"), ("records", "record_id"),
                          ("events", "event_id"), ("dedup_pairs", "pair_id")):
            connection.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', '{key}'), "
                                       f"(SELECT MAX({key}) FROM {name}))"))
    store.dispose()
    folder = tmp_path / "review"
    folder.mkdir()
    shutil.copy(FIXTURE / "protocol.yaml", folder / "protocol.yaml")
    (folder / "review.yaml").write_text(yaml.safe_dump({"name": "pg", "database_url": postgres_url}))
    assert 0 == main(["upgrade", "--review", str(folder)])
    review = open_review(folder)
    try:
        assert EXPECTED["prisma"] == json.loads(json.dumps(counts_to_json(prisma_counts(review))))
        assert verify_review(review)["ok"]
        with review.store.engine.connect() as connection:
            names = set(connection.execute(sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'events'::regclass")).scalars())
            sequences = set(connection.execute(sa.text(
                "SELECT relname FROM pg_class WHERE relkind = 'S'")).scalars())
        assert {"events_pkey", "events_record_id_fkey", "events_source_id_fkey"} <= names
        assert "events_event_id_seq" in sequences and "events_0002_event_id_seq" not in sequences
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with review.store.engine.begin() as connection:
                connection.execute(sa.text("UPDATE events SET actor = 'x' WHERE event_id = 1"))
        before = review.store.event_count()
        from review.screening.decisions import record_decision
        event = record_decision(review.store, stage="title_abstract", record_id=1,
                                reviewer="Amara Okafor", decision="include")
        assert event > before
    finally:
        review.store.dispose()
