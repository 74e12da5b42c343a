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


def _ids(question) -> tuple[int, ...]:
    return tuple(sorted(question.members))


def _pairs(*pairs) -> pd.DataFrame:
    return pd.DataFrame([{"record_a": a, "record_b": b, "score": s, "reason": r}
                         for a, b, s, r in pairs])


PAIRS = _pairs((1, 2, 0.91, "same DOI, titles differ"), (3, 4, 0.7, "title similar"),
               (5, 1, 0.6, "same journal"))


def test_decide_commits_before_moving_on(store, records):
    queue = DuplicateQueue(PAIRS, records, store, "ana")
    assert queue.current.pairs == (Pair(1, 2, 0.91, "same DOI, titles differ"),)
    assert queue.current.records == (1,) and queue.current.cluster == (2,)
    event_id = queue.decide("same", note="hyphen only")
    assert store.events("dedup")["event_id"].tolist() == event_id
    assert _ids(queue.current) == (3, 4)
    queue.decide("different")
    queue.decide("different")
    assert queue.current is None
    assert queue.progress == (3, 0, 3, 0)
    decided = pair_decisions(store)
    assert list(zip(decided["record_a"], decided["record_b"], decided["decision"])) == [
        (1, 2, "same"), (1, 5, "different"), (3, 4, "different")]
    assert decided.loc[0, "note"] == "hyphen only"
    with pytest.raises(RuntimeError, match="every question is answered"):
        queue.decide("same")


def test_skipped_pairs_come_round_again(store, records):
    queue = DuplicateQueue(PAIRS, records, store, "ana")
    queue.skip()
    assert queue.progress == (0, 1, 3, 3)
    assert _ids(queue.current) == (3, 4)
    queue.decide("same")
    queue.decide("different")
    assert _ids(queue.current) == (1, 2)  # the skipped pair, after the others
    queue.skip()
    assert _ids(queue.current) == (1, 2)  # the only one left
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
    assert undone.decision == "skip" and _ids(queue.current) == (3, 4)
    assert queue.progress == (1, 0, 3, 2)
    undone = queue.undo()
    assert undone.event_ids == tuple(first) and _ids(queue.current) == (1, 2)
    assert queue.progress == (0, 0, 3, 3) and queue.history == []
    events = store.events("dedup")
    assert events["action"].tolist() == ["same", "skip", "undo", "undo"]
    assert (events.iloc[3]["undoes"], events.iloc[3]["other_record_id"]) == (first[0], 2)
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
    assert _ids(queue.current) == (3, 4)
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
    assert rows["Authors"] == ("authors", "Authors", ("Smith, J; Lee, K", "Smith, J"), False)
    assert rows["Year"] == ("year", "Year", ("2020", "2020"), True)
    assert rows["DOI"].same and rows["DOI"].values[0] == "10.1000/a1"
    assert rows["Volume"] == ("volume", "Volume", ("—", "—"), True)
    assert rows["Database"].values[0] == "Embase" and rows["Source file"].values[1] == "a.ris"
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


def test_one_question_per_work_against_its_whole_cluster(store, records):
    """Record 5 may duplicate a work of three records (1, 2, 3): one question, all side by
    side; the answer is recorded against every member in one go, and undone in one go."""
    pairs = _pairs((5, 1, 0.8, "title similar"), (5, 2, 0.7, "title similar"),
                   (3, 5, 0.75, "same year"), (4, 1, 0.6, "other"))
    clusters = {1: 1, 2: 1, 3: 1, 4: 4, 5: 5}
    queue = DuplicateQueue(pairs, records, store, "ana", clusters=clusters)
    assert queue.progress == (0, 0, 2, 2)
    question = queue.current
    assert question.records == (5,) and question.cluster == (1, 2, 3)
    assert question.score == 0.8 and question.reason == "title similar; same year"
    assert [row.values for row in queue.comparison() if row.label == "Year"] == [
        ("2001", "2020", "2020", "2019")]
    events = queue.decide("different")
    assert len(events) == 3
    decided = pair_decisions(store)
    assert sorted(zip(decided["record_a"], decided["record_b"], decided["decision"])) == [
        (1, 5, "different"), (2, 5, "different"), (3, 5, "different")]
    assert queue.current.records == (4,) and queue.current.cluster == (1, 2, 3)
    queue.undo()
    assert pair_decisions(store).empty and queue.current.records == (5,)
    queue.decide("same")
    queue.decide("same")
    assert queue.current is None and queue.progress == (2, 0, 2, 0)
    assert len(pair_decisions(store)) == 6
    # a fresh session: every question answered
    assert DuplicateQueue(pairs, records, store, "bo", clusters=clusters).current is None


def test_likeness_sets_formats_aside():
    from review.dedup.likeness import author_key, marked_against, normalised

    assert author_key("Wang, Xiaoming") == author_key("Wang X.") == author_key("Xiaoming Wang")
    assert normalised("authors", "Wang, Xiaoming; Li, Hua") == normalised("authors", "Wang X.; Li H")
    assert normalised("publication_type", "Journal Article") == normalised("publication_type", "JOUR")
    assert normalised("title", "NK cell exosomes.") == normalised("title", "nk cell Exosomes")
    assert normalised("doi", "https://doi.org/10.1/ABC") == normalised("doi", "10.1/abc")
    assert marked_against("authors", "Wang, Xiaoming; Li, Hua", ["Wang X.; Chen K"]) == \
        "Wang, Xiaoming; <mark>Li, Hua</mark>"
    assert marked_against("title", "NK <b>cell</b> exosomes.", ["nk cell Exosomes"]) == \
        "NK <mark>&lt;b&gt;cell&lt;/b&gt;</mark> exosomes."
