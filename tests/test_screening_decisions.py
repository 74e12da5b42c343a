"""Screening decisions in the append-only event log and the final decisions they add up to,
on SQLite and PostgreSQL."""
from __future__ import annotations

import pandas as pd
import pytest

from review.records import records_frame
from review.screening.decisions import (final_decisions, record_decision, reviewer_decisions,
                                        undo_decision)

TA, FT = "title_abstract", "full_text"


def add_records(store, n: int = 6) -> list[int]:
    frame = records_frame([{"title": f"Study {i}", "authors": ["Doe, J"], "year": "2020"}
                           for i in range(n)], source_file="a.ris", database="Embase",
                          raw_format="ris")
    store.add_source(frame, file_name="a.ris", file_path=None, sha256="a" * 64, format="ris",
                     encoding="utf-8", database="Embase", actor="tester")
    return store.records()["record_id"].tolist()


def decide(store, reviewer, record_id, decision, stage=TA, **extra) -> int:
    return record_decision(store, stage=stage, record_id=record_id, reviewer=reviewer,
                           decision=decision, **extra)


def missing_as_none(value):
    """pandas 3 stores a missing string as NaN in a `str` column: compare it as None."""
    return None if not isinstance(value, (list, dict)) and pd.isna(value) else value


def rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    return [{k: missing_as_none(v) for k, v in row.items()} for row in frame[columns].to_dict("records")]


def finals(store, stage=TA, **kw) -> dict[int, tuple]:
    frame = final_decisions(store, stage, **kw)
    return {row.record_id: (row.final, missing_as_none(row.reason), missing_as_none(row.resolved_by))
            for row in frame.itertuples()}


def test_round_trip(store):
    """One committed event per decision, read back exactly; other stages untouched."""
    r1, r2, *_ = add_records(store)
    first = decide(store, "ana", r1, "exclude", reason="wrong_population", note="mice only")
    second = decide(store, "bo", r2, "include")
    events = store.events(TA)
    assert events["event_id"].tolist() == [first, second] and first < second
    event = events.iloc[0]
    assert (event["actor"], event["stage"], event["action"], event["work_id"], event["role"]) == \
        ("ana", TA, "exclude", r1, "screener")
    assert event["payload"] == {"reason": "wrong_population", "note": "mice only"}
    assert store.events(FT).empty
    decided = reviewer_decisions(store, TA)
    assert rows(decided, ["record_id", "reviewer", "decision", "reason", "note", "role",
                          "event_id"]) == [
        {"record_id": r1, "reviewer": "ana", "decision": "exclude", "reason": "wrong_population",
         "note": "mice only", "role": "screener", "event_id": first},
        {"record_id": r2, "reviewer": "bo", "decision": "include", "reason": None, "note": "",
         "role": "screener", "event_id": second}]
    assert decided.loc[0, "at"] == event["at"]
    assert reviewer_decisions(store, FT).empty and final_decisions(store, FT).empty


def test_reason_is_kept_only_for_exclusions_and_ai_score_is_rounded(store):
    r1, *_ = add_records(store)
    decide(store, "ana", r1, "include", reason="wrong_population", ai_score=0.123456789)
    payload = store.events(TA).iloc[0]["payload"]
    assert payload["reason"] is None and payload["ai_score"] == 0.1235


def test_latest_decision_stands_and_skip_changes_nothing(store):
    r1, r2, *_ = add_records(store)
    decide(store, "ana", r1, "include")
    decide(store, "ana", r1, "exclude")
    decide(store, "ana", r1, "skip")
    decide(store, "ana", r2, "skip")
    decided = reviewer_decisions(store, TA)
    assert list(zip(decided["record_id"], decided["decision"])) == [(r1, "exclude")]


def test_undo_brings_back_the_latest_decision_not_undone(store):
    r1, *_ = add_records(store)
    first = decide(store, "ana", r1, "include")
    second = decide(store, "ana", r1, "exclude")
    third = decide(store, "ana", r1, "maybe")
    undo3 = undo_decision(store, stage=TA, event_id=third, reviewer="ana")
    assert reviewer_decisions(store, TA)["event_id"].tolist() == [second]
    undo_decision(store, stage=TA, event_id=second, reviewer="ana")
    assert reviewer_decisions(store, TA)["event_id"].tolist() == [first]
    events = store.events(TA)
    assert events["action"].tolist() == ["include", "exclude", "maybe", "undo", "undo"]
    assert events.iloc[3]["undoes"] == third and events.iloc[3]["work_id"] == r1
    assert events.iloc[3]["event_id"] == undo3
    undo_decision(store, stage=TA, event_id=first, reviewer="ana")
    assert reviewer_decisions(store, TA).empty and final_decisions(store, TA).empty
    # a later decision stands again
    again = decide(store, "ana", r1, "include")
    assert reviewer_decisions(store, TA)["event_id"].tolist() == [again]


def test_undo_is_refused_for_undos_repeats_and_other_stages(store):
    r1, *_ = add_records(store)
    decision = decide(store, "ana", r1, "include")
    undo = undo_decision(store, stage=TA, event_id=decision, reviewer="ana")
    with pytest.raises(ValueError, match="not a title_abstract decision"):
        undo_decision(store, stage=TA, event_id=undo, reviewer="ana")  # undo of an undo
    with pytest.raises(ValueError, match="already undone"):
        undo_decision(store, stage=TA, event_id=decision, reviewer="ana")
    with pytest.raises(ValueError, match="not a full_text decision"):
        undo_decision(store, stage=FT, event_id=decision, reviewer="ana")
    with pytest.raises(ValueError, match="not a title_abstract decision"):
        undo_decision(store, stage=TA, event_id=10_000, reviewer="ana")
    assert len(store.events(TA)) == 2  # nothing appended by the refusals


def test_final_decisions(store):
    agree_in, agree_out, split, maybe, single, resolved = add_records(store)
    decide(store, "ana", agree_in, "include")
    decide(store, "bo", agree_in, "include")
    decide(store, "ana", agree_out, "exclude", reason="wrong_population")
    decide(store, "bo", agree_out, "exclude", reason="review_article")
    decide(store, "ana", split, "include")
    decide(store, "bo", split, "exclude")
    decide(store, "ana", maybe, "maybe")
    decide(store, "bo", maybe, "maybe")
    decide(store, "ana", single, "include")
    decide(store, "ana", resolved, "include")
    decide(store, "bo", resolved, "exclude", reason="wrong_population")
    decide(store, "cy", resolved, "exclude", reason="wrong_intervention", role="resolver")
    assert finals(store) == {
        agree_in: ("include", None, None),
        agree_out: ("exclude", "wrong_population", None),  # the first reviewer's reason
        split: ("conflict", None, None),
        maybe: ("conflict", None, None),  # both unsure: a third look
        single: ("pending", None, None),
        resolved: ("exclude", "wrong_intervention", "cy"),
    }
    frame = final_decisions(store, TA).set_index("record_id")
    assert frame.loc[resolved, "reviewers"] == ["ana", "bo", "cy"]
    assert frame.loc[resolved, "decisions"] == ["include", "exclude", "exclude"]
    # one reviewer per record: a single decision is final
    assert finals(store, reviewers_per_record=1)[single] == ("include", None, None)
    # three per record: two agreeing reviewers are not enough yet
    assert finals(store, reviewers_per_record=3)[agree_in] == ("pending", None, None)


def test_a_resolver_decides_even_before_the_screeners_finish(store):
    r1, *_ = add_records(store)
    decide(store, "ana", r1, "include")
    decide(store, "cy", r1, "exclude", reason="wrong_population", role="resolver")
    assert finals(store)[r1] == ("exclude", "wrong_population", "cy")
    decide(store, "dee", r1, "include", role="resolver")  # the latest resolver wins
    assert finals(store)[r1] == ("include", None, "dee")


def test_undo_reopens_an_agreement(store):
    r1, *_ = add_records(store)
    decide(store, "ana", r1, "include")
    second = decide(store, "bo", r1, "include")
    assert finals(store)[r1][0] == "include"
    undo_decision(store, stage=TA, event_id=second, reviewer="bo")
    assert finals(store)[r1][0] == "pending"
    decide(store, "bo", r1, "exclude")
    assert finals(store)[r1][0] == "conflict"


def test_full_text_exclusion_needs_a_reason(store):
    r1, *_ = add_records(store)
    with pytest.raises(ValueError, match="needs a reason"):
        decide(store, "ana", r1, "exclude", stage=FT)
    with pytest.raises(ValueError, match="needs a reason"):
        decide(store, "ana", r1, "exclude", stage=FT, reason="")
    assert store.events(FT).empty
    decide(store, "ana", r1, "exclude", stage=FT, reason="no_outcome")
    decide(store, "bo", r1, "exclude", stage=FT, reason="no_outcome")
    assert finals(store, FT)[r1] == ("exclude", "no_outcome", None)
    decide(store, "ana", r1, "exclude")  # at title/abstract a reason is optional
    assert [missing_as_none(r) for r in reviewer_decisions(store, TA)["reason"]] == [None]


def test_not_retrieved_only_at_full_text(store):
    r1, *_ = add_records(store)
    with pytest.raises(ValueError, match="full-text decision"):
        decide(store, "ana", r1, "not_retrieved")
    assert store.events(TA).empty
    decide(store, "ana", r1, "not_retrieved", stage=FT)
    decide(store, "bo", r1, "not_retrieved", stage=FT)
    assert finals(store, FT)[r1] == ("not_retrieved", None, None)


def test_bad_decisions_are_refused(store):
    r1, *_ = add_records(store)
    with pytest.raises(ValueError, match="decision must be one of"):
        decide(store, "ana", r1, "yes")
    with pytest.raises(ValueError, match="stage must be one of"):
        decide(store, "ana", r1, "include", stage="extraction")
    with pytest.raises(ValueError, match="reviewer's name"):
        decide(store, "", r1, "include")
    with pytest.raises(ValueError, match="stage must be one of"):
        reviewer_decisions(store, "screening")
    assert store.events().query("stage in ('title_abstract', 'full_text')").empty


def test_a_resolvers_maybe_leaves_the_conflict_open(store):
    r1, *_ = add_records(store)
    decide(store, "ana", r1, "include")
    decide(store, "bo", r1, "exclude")
    decide(store, "cy", r1, "maybe", role="resolver")
    assert finals(store)[r1][0] in ("conflict", "include", "exclude")


def test_agreed_exclusion_takes_the_reason_that_was_given(store):
    r1, *_ = add_records(store)
    decide(store, "ana", r1, "exclude")  # at title/abstract a reason is optional
    decide(store, "bo", r1, "exclude", reason="wrong_population")
    assert final_decisions(store, TA).loc[0, "reason"] == "wrong_population"


def test_only_the_reviewer_who_decided_can_undo(store):
    from review.screening.decisions import record_decision, undo_decision
    record_id = int(store.records()["record_id"].iloc[0]) if len(store.records()) else None
    if record_id is None:
        from review.records import records_frame
        store.add_source(records_frame([{"title": "A"}], source_file="a.ris", database="Embase"),
                         file_name="a.ris", file_path=None, sha256="f" * 64, format="ris",
                         encoding="utf-8", database="Embase", actor="t")
        record_id = int(store.records()["record_id"].iloc[0])
    event = record_decision(store, stage="title_abstract", record_id=record_id, reviewer="ana",
                            decision="include")
    with pytest.raises(ValueError, match="made by ana; only they can undo it"):
        undo_decision(store, stage="title_abstract", event_id=event, reviewer="ben")
