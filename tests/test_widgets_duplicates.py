"""The duplicate reviewer widget: buttons and keys write to the store, the page shows the pair."""
from __future__ import annotations

import pandas as pd
import pytest

from review.dedup.decisions import pair_decisions
from review.dedup.queue import DuplicateQueue

from conftest import store_with_records
from review.widgets import DuplicateReviewer

RECORDS = [
    {"title": "NK cell exosomes <script>alert(1)</script>", "authors": ["Smith, J"], "year": "2020"},
    {"title": "NK cell exosomes", "authors": ["Smith, J"], "year": "2021"},
    {"title": "Exosome review", "year": "2019"},
    {"title": "Exosome reviews", "year": "2019"},
]


@pytest.fixture
def store(tmp_path):
    store = store_with_records(tmp_path, RECORDS)
    yield store
    store.dispose()


@pytest.fixture
def reviewer(store):
    pairs = pd.DataFrame({"record_a": [1, 3], "record_b": [2, 4], "score": [0.8, 0.75],
                          "reason": ["title similar, <years> differ", "one letter apart"]})
    return DuplicateReviewer(DuplicateQueue(pairs, store.records(), store, "ana"))


def _key(key: str, **extra) -> dict:
    return {"type": "keydown", "event": "keydown", "key": key, "target": {"tagName": "DIV"},
            **extra}


def test_shows_the_question_escaped_with_differences(reviewer):
    assert "0 of 2 questions answered" in reviewer.header.value
    assert "Is record 1 the same work as a record? (similarity 0.80)" in reviewer.about.value
    assert "title similar, &lt;years&gt; differ" in reviewer.about.value
    table = reviewer.table.value
    assert "<script>" not in table
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in table
    assert "<mark>2020</mark>" in table and "<mark>2021</mark>" in table
    assert "Asked about: record 1" in table and "record 2</th>" in table
    assert "Smith, J <i>(the same in all)</i>" in table  # equal fields fold to one line
    assert [b.description for b in reviewer.buttons.children] == [
        "Same as these (s)", "Different (d)", "Skip (k)", "Undo (u)"]
    assert reviewer.undo_button.disabled


def test_buttons_write_decisions_and_move_on(reviewer, store):
    reviewer.note.value = "year is a typo"
    reviewer.same_button.click()
    events = store.events("dedup")
    assert events["action"].tolist() == ["same"]
    assert events.iloc[0]["payload"] == {"note": "year is a typo"}
    assert events.iloc[0]["other_record_id"] == 2
    assert reviewer.note.value == ""
    assert "1 of 2 questions answered" in reviewer.header.value
    assert "record 3" in reviewer.table.value and "event" not in reviewer.status.value
    assert reviewer.status.value == "Saved: record 1 is the same work as record 2."
    reviewer.different_button.click()
    assert "All duplicate questions answered" in reviewer.table.value
    assert "2 of 2 questions answered" in reviewer.header.value
    assert reviewer.same_button.disabled and not reviewer.undo_button.disabled
    reviewer.same_button.click()  # disabled in the page; nothing happens if clicked anyway
    assert store.events("dedup")["action"].tolist() == ["same", "different"]


def test_keys_skip_decide_and_undo(reviewer, store):
    reviewer.on_key(_key("k"))
    assert "record 3" in reviewer.table.value and "1 skipped" in reviewer.header.value
    reviewer.on_key(_key("d"))
    assert "record 1" in reviewer.table.value  # the skipped question comes round again
    reviewer.on_key(_key("u"))
    assert "record 3" in reviewer.table.value
    reviewer.on_key(_key("S"))
    assert reviewer.queue.current.members == (1, 2)
    assert store.events("dedup")["action"].tolist() == ["skip", "different", "undo", "same"]
    assert pair_decisions(store)["decision"].tolist() == ["same"]


def test_keys_typed_in_the_note_or_with_modifiers_are_ignored(reviewer, store):
    reviewer.on_key(_key("s", target={"tagName": "INPUT"}))
    reviewer.on_key(_key("s", target={"tagName": "textarea"}))
    reviewer.on_key(_key("s", ctrlKey=True))
    reviewer.on_key(_key("s", repeat=True))
    reviewer.on_key({"type": "keyup", "key": "s"})
    reviewer.on_key(_key("x"))
    assert store.events("dedup").empty
    reviewer.on_key({"type": "keydown", "key": "s"})  # no target reported: still a shortcut
    assert store.events("dedup")["action"].tolist() == ["same"]


def test_undo_with_nothing_to_undo_and_undo_restores_the_note(reviewer, store):
    reviewer.on_key(_key("u"))
    assert "Nothing to undo" in reviewer.status.value and store.events("dedup").empty
    reviewer.note.value = "check full text"
    reviewer.skip_button.click()
    reviewer.undo_button.click()
    assert reviewer.note.value == "check full text"
    assert reviewer.queue.current.members == (1, 2)
    assert store.events("dedup")["action"].tolist() == ["skip", "undo"]


def test_a_refused_write_is_said_in_the_projects_words_and_the_pair_stays(reviewer, store,
                                                                           monkeypatch):
    from review.errors import StoreError

    def refuse(*_args, **_kwargs):
        raise StoreError("the review store refused the change <now>")
    monkeypatch.setattr(store, "record_pair_verdicts", refuse)
    reviewer.same_button.click()
    assert "Not saved: the review store refused the change &lt;now&gt;." in reviewer.status.value
    assert "StoreError" not in reviewer.status.value
    assert reviewer.queue.current.members == (1, 2) and reviewer.queue.progress.decided == 0


def test_a_fault_of_ours_is_said_plainly_never_pythons_message(reviewer, store, monkeypatch,
                                                              caplog):
    def refuse(*_args, **_kwargs):
        raise RuntimeError("cursor already closed <now>")
    monkeypatch.setattr(store, "record_pair_verdicts", refuse)
    reviewer.same_button.click()
    said = reviewer.status.value
    assert "something went wrong in the duplicate reviewer" in said and "kernel's log" in said
    assert "cursor already closed" not in said and "RuntimeError" not in said
    assert "cursor already closed" in caplog.text  # the details are in the log
    assert reviewer.queue.current.members == (1, 2) and reviewer.queue.progress.decided == 0


def test_keys_come_from_the_key_catcher_above_the_comparison(reviewer, store):
    assert reviewer.children[0] is reviewer.decision_bar
    assert reviewer.decision_bar.children[0] is reviewer.key_catcher
    assert set(reviewer.key_catcher.shortcuts) == {"s", "d", "k", "u"}
    reviewer.key_catcher._message(reviewer.key_catcher, {"type": "key", "key": "d"}, [])
    assert store.events("dedup")["action"].tolist() == ["different"]


def test_a_cluster_is_one_question_with_format_differences_set_aside(tmp_path):
    records = [
        {"title": "NK cell exosomes kill tumours.", "authors": ["Wang, Xiaoming", "Li, Hua"],
         "year": "2020", "publication_type": "Journal Article", "abstract": "Same text."},
        {"title": "NK cell exosomes kill tumours", "authors": ["Wang X.", "Li H."],
         "year": "2020", "publication_type": "JOUR", "abstract": "Same text."},
        {"title": "nk cell exosomes kill tumours", "authors": ["Wang X", "Li H"],
         "year": "2020", "publication_type": "JOUR", "abstract": "same text"},
        {"title": "NK cell exosomes kill tumours", "authors": ["Wang, X.", "Chen, K."],
         "year": "2021", "publication_type": "JOUR", "abstract": "Same text."},
    ]
    store = store_with_records(tmp_path, records)
    try:
        pairs = pd.DataFrame({"record_a": [4, 4, 4], "record_b": [1, 2, 3]})
        view = DuplicateReviewer(DuplicateQueue(pairs, store.records(), store, "ana",
                                                clusters={1: 1, 2: 1, 3: 1, 4: 4}))
        assert view.queue.progress.total == 1
        table = view.table.value
        assert "Is record 4 the same work as a cluster of 3 records of one work?" in view.about.value
        assert table.count("Same text. <i>(the same in all)</i>") == 1  # the abstract once
        assert "JOUR <i>(the same in all)</i>" in table
        assert "<mark>Wang" not in table and "<mark>Chen, K.</mark>" in table
        assert "<mark>Li, Hua</mark>" in table  # no Li in record 4
        assert "<mark>2021</mark>" in table
        view.on_key(_key("s"))
        decided = pair_decisions(store)
        assert sorted(zip(decided["record_a"], decided["record_b"], decided["decision"])) == [
            (1, 4, "same"), (2, 4, "same"), (3, 4, "same")]
        assert "All duplicate questions answered" in view.table.value
    finally:
        store.dispose()
