"""`review update`: an update search imported into a screened review. Copies of screened works
keep their decisions, only new works wait for screening (ranked by a model trained on every
earlier decision), the what-changed summary is printed and written, the search round is stored,
and the PRISMA counts follow the template for updated reviews."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from review.cli import main
from review.dedup.run import deduplicate_review
from review.errors import ReviewError
from review.project import init_review, open_review
from review.report.prisma import check_counts, prisma_counts
from review.screening.decisions import final_decisions, record_decision
from review.screening.session import ScreeningSession
from review.update import latest_round, search_rounds, update_review, work_rounds
from review.verify import verify_review
from studies import PROTOCOL, SCREENERS, include, ris_record, write_ris

AMARA, BRUNO = SCREENERS


@pytest.fixture
def review(tmp_path):
    """Three works screened and included (A, B, C), one excluded (D)."""
    export = write_ris(tmp_path / "embase.ris", [
        ris_record("NK cell exosomes kill melanoma cells", "Zhu, L.", 2017, "10.1/a"),
        ris_record("Tumour exosomes as vaccines", "Rossi, M.", 2016, "10.1/b"),
        ris_record("Cancer stem cell vesicles", "Kim, H.", 2018, "10.1/c"),
        ris_record("Exosomes in cardiac repair after infarction", "Lee, J.", 2019, "10.1/d")])
    review = init_review(tmp_path / "r", PROTOCOL)
    review.import_file(export, database="Embase", actor="test", search_date="2025-01-10")
    deduplicate_review(review, actor="test")
    include(review, [1, 2, 3])
    for reviewer in SCREENERS:
        record_decision(review.store, stage="title_abstract", record_id=4, reviewer=reviewer,
                        decision="exclude", reason="wrong_intervention")
    yield review
    review.store.dispose()


def _update_file(tmp_path: Path) -> Path:
    return write_ris(tmp_path / "update.ris", [
        # a copy of A, with an abstract the first search lacked
        ris_record("NK cell exosomes kill melanoma cells", "Zhu, L.", 2017, "10.1/a")
        .replace("ER  -", "AB  - Exosomes from NK cells killed melanoma cells in mice.\nER  -"),
        # a copy of D (excluded): keeps its exclusion
        ris_record("Exosomes in cardiac repair after infarction", "Lee, J.", 2019, "10.1/d"),
        # two new works, one of them twice
        ris_record("NK exosomes carrying microRNA suppress neuroblastoma", "Neviani, P.", 2026,
                   "10.1/e"),
        ris_record("NK exosomes carrying microRNA suppress neuroblastoma", "Neviani, P.", 2026,
                   "10.1/e"),
        ris_record("Engineered NK vesicles for glioma", "Wu, F.", 2026, "10.1/f")])


def test_update_keeps_decisions_and_queues_only_new_works(review, tmp_path):
    before = final_decisions(review.store, "title_abstract").set_index("record_id")["final"]
    summary = update_review(review, [_update_file(tmp_path)], database="Embase",
                            search_date="2026-02-01", actor="test")
    assert summary.round == 1 and summary.new_records == 5
    assert summary.duplicates_of_existing == 2 and summary.screened_found_again == 2
    assert summary.duplicates_within_update == 1 and len(summary.new_works) == 2
    assert [w["work_id"] for w in summary.changed_works] == [1]
    assert summary.changed_works[0]["fields"] == ["abstract"]
    after = final_decisions(review.store, "title_abstract").set_index("record_id")["final"]
    assert after.reindex(before.index).tolist() == before.tolist()  # no decision lost or moved
    assert not set(summary.new_works) & set(after.index)
    result = verify_review(review)
    assert result["state_matches_log"] and result["orphaned"] == 0

    session = ScreeningSession(review, "title_abstract", "Chen Wei", ranker=None)
    assert session._todo == set(summary.new_works)
    # the model is trained on every earlier decision: includes and the exclusion alike
    assert session._labels() == {1: 1, 2: 1, 3: 1, 4: 0}


def test_rounds_and_summary_files(review, tmp_path):
    summary = update_review(review, [_update_file(tmp_path)], database="Embase",
                            search_date="2026-02-01", actor="test")
    store = review.store
    assert latest_round(store) == 1
    rounds = search_rounds(store)
    assert rounds["round"].tolist() == [0, 1]
    assert rounds["search_date"].tolist() == ["2025-01-10", "2026-02-01"]
    by_work = work_rounds(store)
    assert by_work[1] == 0 and all(by_work[w] == 1 for w in summary.new_works)
    md = review.path / "updates" / "2026-02-01.md"
    data = json.loads((review.path / "updates" / "2026-02-01.json").read_text())
    assert data["new_records"] == 5 and data["new_works_count"] == 2
    text = md.read_text()
    assert "New duplicates of works already in the review: 2" in text
    assert "work 1 (NK cell exosomes kill melanoma cells): abstract" in text


def test_prisma_follows_the_updated_review_template(review, tmp_path):
    summary = update_review(review, [_update_file(tmp_path)], database="Embase",
                            search_date="2026-02-01", actor="test")
    new_e, new_f = summary.new_works
    include(review, [new_e])
    for reviewer in SCREENERS:
        record_decision(review.store, stage="title_abstract", record_id=new_f, reviewer=reviewer,
                        decision="exclude", reason="wrong_population")
    counts = check_counts(prisma_counts(review))
    assert counts.previous_studies == 3 and counts.previous_reports == 3
    assert counts.databases == {"Embase": 5}  # only the update's records are identified anew
    assert counts.duplicates == 3 and counts.records_screened == 2
    assert counts.records_excluded == 1 and counts.new_studies == 1
    assert counts.total_studies == 4


def test_a_bad_file_imports_nothing(review, tmp_path):
    good = _update_file(tmp_path)
    bad = tmp_path / "broken.ris"
    bad.write_text("", encoding="utf-8")
    records = len(review.store.records(with_raw=False))
    for files in ([good, bad], [bad, good]):  # checked before anything is stored, either way
        with pytest.raises(ReviewError, match="broken.ris"):
            update_review(review, files, search_date="2026-02-01", actor="test")
        assert len(review.store.records(with_raw=False)) == records
        assert latest_round(review.store) == 0 and len(review.store.sources()) == 1


def test_bad_search_date_is_named(review, tmp_path):
    with pytest.raises(ReviewError, match="--search-date"):
        update_review(review, [_update_file(tmp_path)], search_date="1 Feb 2026", actor="test")


def test_the_command(review, tmp_path, capsys):
    folder = str(review.path)
    code = main(["update", str(_update_file(tmp_path)), "--review", folder, "--database", "Embase",
                 "--search-date", "2026-02-01"])
    out = capsys.readouterr().out
    assert code == 0
    assert "New works (waiting for title/abstract screening): 2" in out
    assert "updates/2026-02-01.md" in out
    assert latest_round(open_review(folder).store) == 1
