"""Stable identities in ordinary work: a reviewer's verdict splits a work, an update search merges
into works already screened, works with decisions merge, a third extractor and a second
"Rossi 2016" arrive; after each, nothing is orphaned and the state matches the log."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from review.dedup.decisions import record_pair_decision
from review.dedup.run import deduplicate_review
from review.errors import ReviewError
from review.extraction.studies import study_table
from review.extraction.values import extraction_long, record_value
from review.project import init_review, open_review
from review.report.prisma import check_counts, prisma_counts
from review.screening.decisions import (final_decisions, record_decision, reviewer_decisions,
                                        undo_decision)
from review.screening.records import screening_records
from review.verify import verify_review
from studies import PROTOCOL, SCREENERS, include, ris_record, write_ris

AMARA, BRUNO = SCREENERS
CHEN, DANA = "Chen Wei", "Dana Third"


@pytest.fixture
def review(tmp_path):
    """Three works: A (two copies, same DOI), B, C."""
    export = write_ris(tmp_path / "embase.ris", [
        ris_record("NK cell exosomes kill melanoma cells", "Zhu, L.", 2017, "10.1/a"),
        ris_record("NK cell exosomes kill melanoma cells", "Zhu, L.", 2017, "10.1/a"),
        ris_record("Tumour exosomes as vaccines", "Rossi, M.", 2016, "10.1/b"),
        ris_record("Cancer stem cell vesicles", "Kim, H.", 2018, "10.1/c")])
    review = init_review(tmp_path / "r", PROTOCOL)
    review.import_file(export, database="Embase", actor="test")
    deduplicate_review(review, actor="test")
    yield review
    review.store.dispose()


def _ok(review) -> dict:
    result = verify_review(review)
    assert result["orphaned"] == 0, result
    assert result["state_matches_log"], result
    assert result["ok"], result["problems"]
    return result


def _work_of(review, record_id: int) -> int:
    return int(review.store.work_of_records()[record_id])


def test_a_split_keeps_decisions_with_the_record_shown_and_lists_the_new_work(review):
    """Records 1 and 2 are one work; a reviewer says they differ; the next run splits them."""
    assert _work_of(review, 1) == _work_of(review, 2) == 1
    include(review, [1, 3, 4])
    assert 3 == (final_decisions(review.store, "full_text")["final"] == "include").sum()
    record_pair_decision(review.store, 1, 2, "different", AMARA)
    summary, _ = deduplicate_review(review, actor="test")
    # record 2 was imported as work 2, merged into work 1 by the first run: it gets that id back
    assert [2] == summary.changes["revived"] and not summary.changes["merged"]
    new = _work_of(review, 2)
    assert _work_of(review, 1) == 1 and new not in (1, 3, 4)
    finals = final_decisions(review.store, "full_text")
    assert 3 == (finals["final"] == "include").sum()  # no include lost
    assert new not in set(final_decisions(review.store, "title_abstract")["record_id"])
    assert new in set(screening_records(review, "title_abstract").index)
    result = _ok(review)
    assert [{"work": new, "records": [2],
             "why": "split off from work 1 by a deduplication run; needs screening"}] == \
        result["attention"]
    include(review, [new], stages=("title_abstract",))
    assert [] == _ok(review)["attention"]


def test_an_update_search_joins_screened_works_and_only_the_new_work_waits(review, tmp_path):
    """A second export repeats B and brings D: B keeps its decisions, D alone is new."""
    include(review, [1, 3, 4])
    update = write_ris(tmp_path / "update.ris", [
        ris_record("Tumour exosomes as vaccines", "Rossi, M.", 2016, "10.1/b"),
        ris_record("Engineered NK vesicles carry siRNA", "Ahmadi, R.", 2020, "10.1/d")])
    review.import_file(update, database="Embase", actor="test")
    assert 2 == review.store.records_since_dedup()
    with pytest.raises(ReviewError, match="2 record.s. were imported after the last deduplication"):
        from review.report.runner import _check_deduplicated
        _check_deduplicated(review, review.path, lambda line: None)
    deduplicate_review(review, actor="test")
    assert 0 == review.store.records_since_dedup()
    assert _work_of(review, 5) == 3  # the repeated B joined the screened work
    todo = screening_records(review, "title_abstract")
    decided = set(final_decisions(review.store, "title_abstract")["record_id"])
    assert [_work_of(review, 6)] == [w for w in todo.index if w not in decided]
    result = _ok(review)
    assert [_work_of(review, 6)] == [item["work"] for item in result["attention"]]
    assert "imported after screening began" in result["attention"][0]["why"]
    counts = check_counts(prisma_counts(review), unfinished=True)
    assert (3, 3) == (counts.records_screened, counts.dbr_included_reports)  # D still to screen


@pytest.fixture
def two_rossi(tmp_path):
    """Two records the rules keep apart (no DOI, titles too different) that a reviewer may call
    the same: works 1 and 2."""
    export = write_ris(tmp_path / "a.ris", [
        ris_record("Tumour exosomes as vaccines", "Rossi, M.", 2016),
        ris_record("Tumor-derived exosomes: vaccines against cancer", "Rossi, M.", 2016)])
    review = init_review(tmp_path / "r", PROTOCOL)
    review.import_file(export, database="Embase", actor="test")
    deduplicate_review(review, actor="test")
    yield review
    review.store.dispose()


def test_merging_works_keeps_every_decision_and_a_disagreement_is_a_conflict(two_rossi):
    """B and B' were screened apart (by the same two reviewers, differently); a reviewer then
    says they are the same: the merged work holds all four decisions and is a conflict."""
    review = two_rossi
    assert _work_of(review, 1) != _work_of(review, 2)
    include(review, [1], stages=("title_abstract",))
    for who in SCREENERS:
        record_decision(review.store, stage="title_abstract", record_id=2, reviewer=who,
                        decision="exclude")
    record_pair_decision(review.store, 1, 2, "same", AMARA)
    summary, _ = deduplicate_review(review, actor="test")
    assert [2] == summary.changes["merged"]
    finals = final_decisions(review.store, "title_abstract")
    assert [(1, "conflict")] == list(zip(finals["record_id"], finals["final"]))
    each = reviewer_decisions(review.store, "title_abstract")
    assert [1, 1, 2, 2] == sorted(each["decided_on"]) and {1} == set(each["record_id"])
    result = _ok(review)
    assert [1] == [item["work"] for item in result["attention"]]
    assert "merged from works with different title and abstract decisions" in \
        result["attention"][0]["why"]
    # A decision on the merged work supersedes the reviewer's two earlier ones.
    record_decision(review.store, stage="title_abstract", record_id=2, reviewer=AMARA,
                    decision="include")  # the old id is taken to the merged work
    record_decision(review.store, stage="title_abstract", record_id=1, reviewer=BRUNO,
                    decision="include")
    finals = final_decisions(review.store, "title_abstract")
    assert [(1, "include")] == list(zip(finals["record_id"], finals["final"]))
    assert [] == _ok(review)["attention"]


def test_merged_works_that_agree_stay_agreed(two_rossi):
    review = two_rossi
    include(review, [1, 2])
    assert 2 == len(study_table(review))
    record_pair_decision(review.store, 1, 2, "same", BRUNO)
    deduplicate_review(review, actor="test")
    finals = final_decisions(review.store, "full_text")
    assert [(1, "include")] == list(zip(finals["record_id"], finals["final"]))
    assert 1 == len(study_table(review))  # one report now, of one study
    _ok(review)


def test_undo_twice_is_refused_in_one_transaction(review):
    event = record_decision(review.store, stage="title_abstract", record_id=1, reviewer=AMARA,
                            decision="include")
    undo_decision(review.store, stage="title_abstract", event_id=event, reviewer=AMARA)
    with pytest.raises(ValueError, match="already undone"):
        undo_decision(review.store, stage="title_abstract", event_id=event, reviewer=AMARA)
    with pytest.raises(sa.exc.IntegrityError):  # the database itself refuses a second undo
        with review.store._write() as connection:
            from review.store._log import insert_event
            insert_event(connection, actor=AMARA, stage="title_abstract", action="undo",
                         work_id=1, undoes=event)
    assert reviewer_decisions(review.store, "title_abstract").empty
    _ok(review)


def test_a_third_screener_is_told_and_changes_nothing(review):
    include(review, [3], stages=("title_abstract",))
    with pytest.raises(ReviewError, match=r"already has its 2 screeners \(Amara Okafor and "
                                          r"Bruno Lindqvist\)"):
        record_decision(review.store, stage="title_abstract", record_id=3, reviewer=DANA,
                        decision="exclude")
    record_decision(review.store, stage="title_abstract", record_id=3, reviewer=CHEN,
                    decision="exclude", role="resolver")
    finals = final_decisions(review.store, "title_abstract").set_index("record_id")
    assert ("exclude", CHEN) == (finals.loc[3, "final"], finals.loc[3, "resolved_by"])
    _ok(review)


def test_a_third_extractor_cannot_disturb_agreed_values(review):
    include(review, [1])
    for who in SCREENERS:
        record_value(review, reviewer=who, study_id="Zhu 2017", field="strategy", value="native")
        record_value(review, reviewer=who, study_id="Zhu 2017", field="cargo", value="miR-186")
    with pytest.raises(ReviewError, match=r"Study Zhu 2017 already has its 2 extractors"):
        record_value(review, reviewer=DANA, study_id="Zhu 2017", field="cargo", value="none")
    final = extraction_long(review)
    assert {"agreed"} == set(final["status"]) and 2 == len(final)
    _ok(review)


def test_a_second_rossi_2016_renames_the_label_not_the_study(review, tmp_path):
    """Values and judgements stay with their study when its label gains a letter."""
    include(review, [3])
    table = study_table(review)
    assert ["Rossi 2016"] == list(table["study_id"])
    study = int(table["study"].iloc[0])
    for who in SCREENERS:
        record_value(review, reviewer=who, study_id="Rossi 2016", field="strategy", value="native")
    update = write_ris(tmp_path / "u.ris", [
        ris_record("Dendritic cell exosomes in glioma", "Rossi, P.", 2016, "10.1/e")])
    review.import_file(update, database="Embase", actor="test")
    deduplicate_review(review, actor="test")
    include(review, [_work_of(review, 5)])
    table = study_table(review)
    assert ["Rossi 2016a", "Rossi 2016b"] == list(table["study_id"])
    assert study == int(table.loc[table["study_id"] == "Rossi 2016a", "study"].iloc[0])
    final = extraction_long(review)
    assert [("Rossi 2016a", study, "native", "agreed")] == \
        list(zip(final["study_id"], final["study"], final["value"], final["status"]))
    _ok(review)


def test_the_protocol_lives_in_the_store_and_a_change_recomputes_the_finals(review, tmp_path):
    import yaml
    record_decision(review.store, stage="title_abstract", record_id=3, reviewer=AMARA,
                    decision="include")
    assert "pending" == final_decisions(review.store, "title_abstract")["final"].iloc[0]
    data = yaml.safe_load(PROTOCOL.read_text(encoding="utf-8"))
    data["screening"]["reviewers_per_record"] = 1
    changed = tmp_path / "protocol-v2.yaml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert 2 == review.update_protocol(changed, actor=AMARA)
    assert "include" == final_decisions(review.store, "title_abstract")["final"].iloc[0]
    again = open_review(review.path)
    assert (2, 1) == (again.protocol_version, again.protocol.screening.reviewers_per_record)
    log = again.store.events("protocol")
    assert [1, 2] == [p["version"] for p in log["payload"]]
    again.store.dispose()
    _ok(review)


def test_verify_json_is_one_line_with_the_contract_keys(review, capsys):
    from review.cli import main
    include(review, [1])
    assert 0 == main(["verify", "--review", str(review.path), "--json"])
    out = capsys.readouterr().out
    assert 1 == len(out.strip().splitlines())
    result = json.loads(out)
    assert ["ok", "events", "orphaned", "state_matches_log", "attention", "problems"] == list(result)
    assert result["ok"] is True and result["orphaned"] == 0


def test_verify_finds_a_state_that_does_not_match_the_log(review):
    include(review, [1])
    with review.store._write() as connection:
        connection.execute(sa.text("UPDATE screening_finals SET final = 'exclude'"))
    result = verify_review(review)
    assert not result["ok"] and not result["state_matches_log"]
    assert any("screening_finals" in p for p in result["problems"])
    review.store.rebuild_state()
    _ok(review)


def test_a_third_extractor_is_told_when_the_form_opens(review):
    from review.extraction.session import ExtractionSession
    from review.widgets.extraction import ExtractionForm
    include(review, [1])
    for who in SCREENERS:
        record_value(review, reviewer=who, study_id="Zhu 2017", field="strategy", value="native")
    assert ExtractionSession(review, AMARA).outsider() is None
    form = ExtractionForm(ExtractionSession(review, DANA))
    assert "Study Zhu 2017 already has its 2 extractors (Amara Okafor and Bruno Lindqvist)" in \
        form.missing.value


def test_linking_and_unlinking_reports_moves_no_value_out_of_reach(review):
    """Two reports of one study: the emptied study joins the target with its values; unlinking
    a report that is a study of its own changes nothing."""
    from review.extraction.studies import link_reports, unlink_reports
    include(review, [1, 3])
    for who in SCREENERS:
        record_value(review, reviewer=who, study_id="Rossi 2016", field="strategy", value="native")
    link_reports(review, "Zhu 2017", [3], reviewer=AMARA)
    table = study_table(review)
    assert {"Zhu 2017"} == set(table["study_id"]) and 1 == table["study"].nunique()
    final = extraction_long(review)
    assert [("Zhu 2017", "native", "agreed")] == list(zip(final["study_id"], final["value"],
                                                          final["status"]))
    unlink_reports(review, [1], reviewer=AMARA)
    unlink_reports(review, [1], reviewer=AMARA)  # already on its own now: nothing changes
    assert 2 == study_table(review)["study"].nunique()
    _ok(review)


def test_status_says_how_many_works_need_a_reviewer(review, capsys):
    from review.cli import main
    include(review, [1, 3, 4])
    record_pair_decision(review.store, 1, 2, "different", AMARA)
    deduplicate_review(review, actor="test")
    assert 0 == main(["status", "--review", str(review.path)])
    assert "1 work(s) need a reviewer after a merge, split or new import" in capsys.readouterr().out


def test_a_merge_of_works_judged_by_different_screeners_is_a_conflict(two_rossi):
    """Amara and Bruno include work 1, Chen and Dana exclude work 2; merged, the four decisions
    disagree: a conflict, listed for attention, and Chen (one of work 2's screeners) may still
    decide on the merged work."""
    review = two_rossi
    include(review, [1], stages=("title_abstract",))
    for who in (CHEN, DANA):
        record_decision(review.store, stage="title_abstract", record_id=2, reviewer=who,
                        decision="exclude")
    record_pair_decision(review.store, 1, 2, "same", AMARA)
    deduplicate_review(review, actor="test")
    assert ["conflict"] == list(final_decisions(review.store, "title_abstract")["final"])
    assert [1] == [item["work"] for item in _ok(review)["attention"]]
    record_decision(review.store, stage="title_abstract", record_id=1, reviewer=CHEN,
                    decision="include")
    with pytest.raises(ReviewError, match="already has its 4 screeners"):
        record_decision(review.store, stage="title_abstract", record_id=1, reviewer="Eve",
                        decision="include")
    _ok(review)


def test_a_merge_that_joins_two_studies_keeps_their_values_final(two_rossi):
    review = two_rossi
    include(review, [1, 2])
    for who in SCREENERS:
        record_value(review, reviewer=who, study_id=int(study_table(review)["study"].iloc[0]),
                     field="strategy", value="native")
        record_value(review, reviewer=who, study_id=int(study_table(review)["study"].iloc[1]),
                     field="cargo", value="miR-186")
    record_pair_decision(review.store, 1, 2, "same", AMARA)
    deduplicate_review(review, actor="test")
    final = extraction_long(review)
    assert 1 == final["study"].nunique() and {"agreed"} == set(final["status"])
    assert {"strategy", "cargo"} == set(final["field"])
    _ok(review)


def test_records_imported_while_a_deduplication_ran_still_count_as_waiting(review, tmp_path):
    """The run clusters what it read; a file imported before it stores its result is not in its
    clusters, and the report still waits for the next run."""
    from review.dedup.engine import find_duplicates
    records = review.store.records(with_raw=False)
    result = find_duplicates(records)
    review.import_file(write_ris(tmp_path / "late.ris", [
        ris_record("NK cell exosomes kill melanoma cells", "Zhu, L.", 2017, "10.1/a")]),
        database="Embase", actor="test")
    review.store.apply_deduplication(result.clusters, {}, result.pairs, actor="test",
                                     summary={"records": len(records)})
    assert 1 == review.store.records_since_dedup()


def test_an_extraction_file_that_is_refused_links_nothing(review, tmp_path):
    """studies.csv and extraction.csv land together or not at all: a refused value (a third
    extractor) leaves the reports' studies as they were."""
    from review.extraction.load import load_extraction
    include(review, [1, 3])
    for who in SCREENERS:
        record_value(review, reviewer=who, study_id="Rossi 2016", field="strategy", value="native")
    folder = tmp_path / "load"
    folder.mkdir()
    (folder / "studies.csv").write_text(
        "study_id,file,position\nPooled,embase.ris,3\nPooled,embase.ris,1\n", encoding="utf-8")
    (folder / "extraction.csv").write_text(
        "reviewer,role,study_id,group,instance,field,value,unit\n"
        f"{DANA},extractor,Pooled,,1,strategy,drug-loaded,\n", encoding="utf-8")
    before = review.store.event_count()
    with pytest.raises(ReviewError, match="already has its 2 extractors"):
        load_extraction(review, folder, linked_by="chair")
    assert before == review.store.event_count()
    assert ["Rossi 2016", "Zhu 2017"] == sorted(study_table(review)["study_id"])
    _ok(review)


def test_undoing_a_same_verdict_brings_the_merged_work_back_with_its_decisions(two_rossi):
    from review.dedup.decisions import undo_pair_decision
    review = two_rossi
    include(review, [1], stages=("title_abstract",))
    for who in SCREENERS:
        record_decision(review.store, stage="title_abstract", record_id=2, reviewer=who,
                        decision="exclude")
    verdict = record_pair_decision(review.store, 1, 2, "same", AMARA)
    deduplicate_review(review, actor="test")
    assert ["conflict"] == list(final_decisions(review.store, "title_abstract")["final"])
    undo_pair_decision(review.store, verdict, AMARA)
    summary, _ = deduplicate_review(review, actor="test")
    assert [2] == summary.changes["revived"] and {1: 1, 2: 2} == \
        review.store.work_of_records().to_dict()
    finals = final_decisions(review.store, "title_abstract")
    assert [(1, "include"), (2, "exclude")] == list(zip(finals["record_id"], finals["final"]))
    assert [] == _ok(review)["attention"]


def test_an_extractor_replaces_their_value_on_a_merged_study(review):
    """Two reports joined into one study, each extracted before: an extractor's new value on
    the study replaces both of theirs, and the field is agreed again."""
    from review.extraction.studies import link_reports
    include(review, [1, 3])
    record_value(review, reviewer=AMARA, study_id="Zhu 2017", field="strategy", value="native")
    record_value(review, reviewer=BRUNO, study_id="Zhu 2017", field="strategy", value="native")
    record_value(review, reviewer=AMARA, study_id="Rossi 2016", field="strategy",
                 value="drug-loaded")
    link_reports(review, "Zhu 2017", [3], reviewer=AMARA)
    assert ["conflict"] == list(extraction_long(review)["status"])
    record_value(review, reviewer=AMARA, study_id="Zhu 2017", field="strategy", value="native")
    final = extraction_long(review)
    assert [("native", "agreed")] == list(zip(final["value"], final["status"]))
    _ok(review)


def test_an_undo_after_a_merge_and_a_revival_keeps_state_and_log_together(tmp_path):
    """Found by the property test: a decision on a merged work, the merged-away work revived,
    then the replaced decision undone. The state rebuilt for the works touched equals the
    whole log's, and the later include still stands."""
    from review.dedup.run import deduplicate_review as dedup
    export = write_ris(tmp_path / "a.ris", [
        ris_record("NK cell exosomes kill melanoma cells", "Zhu, L.", 2017, "10.5555/nk.1")] * 2)
    review = init_review(tmp_path / "r", PROTOCOL)
    review.import_file(export, database="Embase", actor="test")
    first = record_decision(review.store, stage="full_text", record_id=2, reviewer=BRUNO,
                            decision="include")
    dedup(review, actor="test")
    record_decision(review.store, stage="full_text", record_id=1, reviewer=BRUNO,
                    decision="include")
    record_pair_decision(review.store, 1, 2, "different", AMARA)
    dedup(review, actor="test")
    undo_decision(review.store, stage="full_text", event_id=first, reviewer=BRUNO)
    standing = reviewer_decisions(review.store, "full_text")
    assert [(BRUNO, "include")] == list(zip(standing["reviewer"], standing["decision"]))
    _ok(review)
    review.store.dispose()


def test_a_revived_work_comes_back_alone_and_works_merged_into_it_stay_put(tmp_path):
    """Found by the property test: work 4 was merged into work 2, work 2 into work 1, and a
    "different" verdict then brought work 2 back. Work 4 stays with work 1 (where its record
    is), in the stored state and in the state rebuilt from the log alike."""
    export = write_ris(tmp_path / "a.ris", [
        ris_record("Cancer stem cell vesicles", "Kim, H.", 2018, "10.1/c")]
        + [ris_record("NK cell exosomes kill melanoma cells", "Zhu, L.", 2017, "10.1/a")] * 3)
    review = init_review(tmp_path / "r", PROTOCOL)
    review.import_file(export, database="Embase", actor="test")
    store = review.store
    for a, b, verdict, who, then_dedup in [
            (2, 4, "same", AMARA, False), (1, 3, "same", AMARA, False),
            (1, 3, "different", BRUNO, True), (4, 1, "same", BRUNO, False),
            (3, 1, "different", CHEN, True), (3, 2, "same", BRUNO, True),
            (2, 4, "different", AMARA, True)]:
        record_pair_decision(store, a, b, verdict, who)
        if then_dedup:
            deduplicate_review(review, actor="test")
        _ok(review)
    works = store.works(live=False).set_index("work_id")["current_work_id"].to_dict()
    placed = store.work_of_records().to_dict()
    assert works[2] == 2 and placed[2] == 2  # work 2 is back, with its record
    assert works[4] == placed[4] == 1  # work 4 stays where its record is
    review.store.dispose()
