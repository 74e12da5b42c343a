"""The duplicate-pair queue without a kernel: decide, skip, undo, progress, what is shown."""
from __future__ import annotations

import pandas as pd
import pytest

from review.dedup.decisions import pair_decisions, record_pair_decision
from review.dedup.queue import DuplicateQueue, Pair, highlight_differences

from conftest import store_with_records

RECORDS = [
    {"title": "NK cell exosomes in cancer", "authors": ["Smith, J", "Lee, K"], "year": "2020",
     "journal": "J Immunol", "doi": "10.1000/a1"},
    {"title": "NK-cell exosomes in cancer", "authors": ["Smith, J"], "year": "2020",
     "journal": "J Immunol", "doi": "10.1000/a1"},
    {"title": "Exosomes <script>alert(1)</script> review", "year": "2019"},
    {"title": "Exosomes review", "year": "2019", "abstract": "A & B"},
    {"title": "Unrelated", "year": "2001"},
]


@pytest.fixture
def store(tmp_path):
    store = store_with_records(tmp_path, RECORDS)
    yield store
    store.dispose()


@pytest.fixture
def records(store):
    return store.records().set_index("record_id")


def _pairs(*pairs) -> pd.DataFrame:
    return pd.DataFrame([{"record_a": a, "record_b": b, "score": s, "reason": r}
                         for a, b, s, r in pairs])


PAIRS = _pairs((1, 2, 0.91, "same DOI, titles differ"), (3, 4, 0.7, "title similar"),
               (5, 1, 0.6, "same journal"))


def test_decide_commits_before_moving_on(store, records):
    queue = DuplicateQueue(PAIRS, records, store, "ana")
    assert queue.current == Pair(1, 2, 0.91, "same DOI, titles differ")
    event_id = queue.decide("same", note="hyphen only")
    assert store.events("dedup")["event_id"].tolist() == [event_id]
    assert queue.current.key == (3, 4)
    queue.decide("different")
    queue.decide("different")
    assert queue.current is None
    assert queue.progress == (3, 0, 3, 0)
    decided = pair_decisions(store)
    assert list(zip(decided["record_a"], decided["record_b"], decided["decision"])) == [
        (1, 2, "same"), (1, 5, "different"), (3, 4, "different")]
    assert decided.loc[0, "note"] == "hyphen only"
    with pytest.raises(RuntimeError, match="every pair is decided"):
        queue.decide("same")


def test_skipped_pairs_come_round_again(store, records):
    queue = DuplicateQueue(PAIRS, records, store, "ana")
    queue.skip()
    assert queue.progress == (0, 1, 3, 3)
    assert queue.current.key == (3, 4)
    queue.decide("same")
    queue.decide("different")
    assert queue.current.key == (1, 2)  # the skipped pair, after the others
    queue.skip()
    assert queue.current.key == (1, 2)  # the only one left
    queue.decide("different")
    assert queue.current is None and queue.progress == (3, 0, 3, 0)
    assert store.events("dedup")["action"].tolist() == ["skip", "same", "different", "skip",
                                                        "different"]
    with pytest.raises(ValueError, match="'same' or 'different'"):
        DuplicateQueue(PAIRS, records, store, "bo").decide("maybe")


def test_undo_appends_an_event_and_goes_back(store, records):
    queue = DuplicateQueue(PAIRS, records, store, "ana")
    assert queue.undo() is None  # nothing yet
    first = queue.decide("same")
    queue.skip()
    undone = queue.undo()
    assert undone.decision == "skip" and queue.current.key == (3, 4)
    assert queue.progress == (1, 0, 3, 2)
    undone = queue.undo()
    assert undone.event_id == first and queue.current.key == (1, 2)
    assert queue.progress == (0, 0, 3, 3) and queue.history == []
    events = store.events("dedup")
    assert events["action"].tolist() == ["same", "skip", "undo", "undo"]
    assert (events.iloc[3]["undoes"], events.iloc[3]["other_record_id"]) == (first, 2)
    assert pair_decisions(store).empty
    queue.decide("different")
    assert [a.decision for a in queue.history] == ["different"]
    assert pair_decisions(store)["decision"].tolist() == ["different"]


def test_pairs_decided_earlier_are_not_queued_but_counted(store, records):
    record_pair_decision(store, 2, 1, "same", "bo")
    record_pair_decision(store, 3, 4, "skip", "bo")  # a skip decides nothing
    queue = DuplicateQueue(pd.concat([PAIRS, _pairs((2, 1, 0.9, "listed twice"))]), records,
                           store, "ana")
    assert queue.progress == (1, 0, 3, 2)
    assert queue.current.key == (3, 4)
    queue.decide("same")
    queue.decide("same")
    assert queue.current is None and queue.progress.remaining == 0
    # a fresh session sees everything decided
    assert DuplicateQueue(PAIRS, records, store, "ana").current is None


def test_rule_column_is_the_reason_and_missing_records_are_refused(store, records):
    pairs = pd.DataFrame({"record_a": [1], "record_b": [2], "score": [0.8], "rule": ["doi"]})
    assert DuplicateQueue(pairs, records, store, "ana").current.reason == "doi"
    with pytest.raises(ValueError, match=r"records \[99\]"):
        DuplicateQueue(_pairs((1, 99, 0.5, "")), records, store, "ana")
    with pytest.raises(ValueError, match="reviewer"):
        DuplicateQueue(PAIRS, records, store, "")


def test_comparison_rows(store, records):
    queue = DuplicateQueue(PAIRS, records, store, "ana")
    rows = {row.label: row for row in queue.comparison(queue.current)}
    assert rows["Authors"] == ("Authors", "Smith, J; Lee, K", "Smith, J", False)
    assert rows["Year"] == ("Year", "2020", "2020", True)
    assert rows["DOI"].same and rows["DOI"].a == "10.1000/a1"
    assert rows["Volume"] == ("Volume", "—", "—", True)
    assert rows["Database"].a == "Embase" and rows["Source file"].b == "a.ris"
    assert not rows["Title"].same
    assert [row.label for row in queue.comparison()][:3] == ["Title", "Authors", "Year"]


def test_highlight_marks_differing_words_and_escapes_everything():
    a, b = highlight_differences("Exosomes <script>alert(1)</script> review", "Exosomes review")
    assert "<script>" not in a and "&lt;script&gt;alert(1)&lt;/script&gt;" in a
    assert a == "Exosomes <mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark> review"
    assert b == "Exosomes review"
    a, b = highlight_differences('NK cell "exosomes" & more', "NK-cell exosomes & more")
    assert a == "<mark>NK cell &quot;exosomes&quot;</mark> &amp; more"
    assert b == "<mark>NK-cell exosomes</mark> &amp; more"
    assert highlight_differences("same text", "same text") == ("same text", "same text")
    assert highlight_differences("—", "<b>") == ("<mark>—</mark>", "<mark>&lt;b&gt;</mark>")
