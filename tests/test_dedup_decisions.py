"""Pair decisions in the append-only event log, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from review.dedup.decisions import pair_decisions, record_pair_decision, undo_pair_decision
from review.records import records_frame
from review.store import Store


def _add_records(store: Store, n: int = 4) -> list[int]:
    frame = records_frame([{"title": f"Study {i}", "authors": ["Doe, J"], "year": "2020"}
                           for i in range(n)], source_file="a.ris", database="Embase",
                          raw_format="ris")
    store.add_source(frame, file_name="a.ris", file_path=None, sha256="a" * 64, format="ris",
                     encoding="utf-8", database="Embase", actor="tester")
    return store.records()["record_id"].tolist()


def test_decision_round_trip(store):
    """A decision is committed at once, in canonical order, and read back as the verdict."""
    r1, r2, *_ = _add_records(store)
    event_id = record_pair_decision(store, r2, r1, "same", "ana", note="same DOI, typo in title")
    events = store.events("dedup")
    assert events["event_id"].tolist() == [event_id]
    event = events.iloc[0]
    assert (event["action"], event["actor"], event["record_id"], event["other_record_id"]) == \
        ("same", "ana", r1, r2)
    assert event["payload"] == {"note": "same DOI, typo in title"}
    decided = pair_decisions(store)
    assert decided[["record_a", "record_b", "decision", "reviewer", "event_id", "note"]] \
        .to_dict("records") == [{"record_a": r1, "record_b": r2, "decision": "same",
                                 "reviewer": "ana", "event_id": event_id,
                                 "note": "same DOI, typo in title"}]
    assert decided.loc[0, "at"] == event["at"]


def test_undo_appends_and_restores_the_earlier_verdict(store):
    """Undo is a new event; the verdict before the undone one is in force again."""
    r1, r2, *_ = _add_records(store)
    first = record_pair_decision(store, r1, r2, "different", "ana")
    second = record_pair_decision(store, r1, r2, "same", "bo")
    undo = undo_pair_decision(store, second, "bo")
    events = store.events("dedup")
    assert events["action"].tolist() == ["different", "same", "undo"]
    assert (events.iloc[2]["undoes"], events.iloc[2]["other_record_id"]) == (second, r2)
    assert events.iloc[2]["record_id"] == r1 and undo == events.iloc[2]["event_id"]
    decided = pair_decisions(store)
    assert decided[["decision", "reviewer", "event_id"]].to_dict("records") == [
        {"decision": "different", "reviewer": "ana", "event_id": first}]
    undo_pair_decision(store, first, "ana")
    assert pair_decisions(store).empty


def test_skip_is_not_a_verdict_and_does_not_erase_one(store):
    """A skip alone decides nothing; a skip after a verdict leaves it standing."""
    r1, r2, r3, _ = _add_records(store)
    record_pair_decision(store, r1, r3, "skip", "ana")
    assert pair_decisions(store).empty
    record_pair_decision(store, r1, r2, "different", "ana")
    record_pair_decision(store, r2, r1, "skip", "bo")
    assert pair_decisions(store)["decision"].tolist() == ["different"]


def test_latest_verdict_wins_and_order_is_by_pair(store):
    r1, r2, r3, r4 = _add_records(store)
    record_pair_decision(store, r3, r4, "same", "ana")
    record_pair_decision(store, r1, r2, "same", "ana")
    record_pair_decision(store, r2, r1, "different", "bo")
    decided = pair_decisions(store)
    assert list(zip(decided["record_a"], decided["record_b"], decided["decision"])) == [
        (r1, r2, "different"), (r3, r4, "same")]
    assert list(decided.columns) == ["record_a", "record_b", "decision", "reviewer", "at",
                                     "event_id", "note"]


def test_bad_decisions_are_refused(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    store.upgrade()
    r1, r2, *_ = _add_records(store)
    with pytest.raises(ValueError, match="'same', 'different', 'skip'"):
        record_pair_decision(store, r1, r2, "maybe", "ana")
    with pytest.raises(ValueError, match="two different records"):
        record_pair_decision(store, r1, r1, "same", "ana")
    import_event = int(store.events().iloc[0]["event_id"])
    with pytest.raises(ValueError, match="not a pair decision"):
        undo_pair_decision(store, import_event, "ana")
    event_id = record_pair_decision(store, r1, r2, "same", "ana")
    undo = undo_pair_decision(store, event_id, "ana")
    with pytest.raises(ValueError, match="already been undone"):
        undo_pair_decision(store, event_id, "ana")
    with pytest.raises(ValueError, match="only a pair decision"):
        undo_pair_decision(store, undo, "ana")
    assert store.events("dedup")["action"].tolist() == ["same", "undo"]
    assert pair_decisions(store).empty and list(pair_decisions(store).columns)[0] == "record_a"
