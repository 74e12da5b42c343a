"""Four screeners deciding at once on one SQLite file and on one PostgreSQL database: no
decision lost, none duplicated, one standing decision per reviewer and record, and final
decisions that follow from the acknowledged decisions.

Each screener is a child process (tests/screening_worker.py) that opens the review, says READY,
waits for a start signal so all four write at the same moment, and prints
`ACK <event_id> <record_id> <decision>` after each decision is committed."""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest

from review.project import open_review
from review.screening.agreement import agreement
from review.screening.decisions import final_decisions, reviewer_decisions
from screening_worker import (CYCLE, build_review, decision_for, protocol_for, read_acks, spawn,
                              wait_ready)

pytestmark = pytest.mark.slow

RECORDS = 40
STAGE = "title_abstract"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def review_dir(request, tmp_path):
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    return build_review(tmp_path, RECORDS, url)


def run_together(review_dir: Path, tmp_path: Path, workers: list[tuple[str, list[str]]],
                 timeout: float = 60.0, during=None, overlap: bool = True
                 ) -> dict[int, list[tuple[int, int, str]]]:
    """Start the workers, release them at once, wait; each one's acknowledgements by index.
    `during` runs in this process while they work; `overlap`: check that each worker wrote
    while another did."""
    go = tmp_path / "go"
    outs = [tmp_path / f"worker{i}.out" for i in range(len(workers))]
    processes = [spawn(review_dir, reviewer, out, "--go", str(go), *options)
                 for (reviewer, options), out in zip(workers, outs)]
    try:
        for process, out in zip(processes, outs):
            wait_ready(process, out)
        go.touch()
        if during is not None:
            during()
        deadline = time.monotonic() + timeout
        for process in processes:
            _, stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            assert process.returncode == 0, stderr.decode()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    for out in outs:
        assert out.read_text().rstrip().endswith("DONE")
    acks = {i: read_acks(out) for i, out in enumerate(outs)}
    spans = [(min(e for e, _, _ in rows), max(e for e, _, _ in rows)) for rows in acks.values()]
    # Each worker wrote while another did (their event-id spans overlap): the writes really were
    # concurrent. Not all four at once: a loaded machine may start one late.
    alone = [span for i, span in enumerate(spans)
             if not any(span[0] < other[1] and other[0] < span[1]
                        for j, other in enumerate(spans) if j != i)]
    assert not (alone and overlap), \
        f"workers wrote alone, not at the same time as another: event ids {spans}"
    return acks


def check_log(review, workers, acks, *, merged: bool = False) -> tuple[list[tuple], object]:
    """The decision events are exactly the acknowledged decisions, by the right reviewers
    (`merged`: works merged meanwhile, so both sides are compared by the work they are now)."""
    events = review.store.events(STAGE)
    assert set(events["action"]) <= set(CYCLE)
    now = review.store.current_work if merged else (lambda work: work)
    logged = sorted(zip(events["event_id"].astype(int), events["actor"],
                        events["work_id"].astype(int).map(now), events["action"]))
    acknowledged = sorted((event_id, workers[i][0], now(record_id), decision)
                          for i, rows in acks.items() for event_id, record_id, decision in rows)
    assert len(logged) == len(acknowledged)  # none lost, none duplicated
    assert logged == acknowledged
    return logged, events


def expected_final(decisions: list[str]) -> str:
    """What two or more screeners' decisions on a record add up to (no resolver here)."""
    if len(set(decisions)) == 1 and decisions[0] != "maybe":
        return decisions[0]
    return "conflict"


def test_four_reviewers_each_decide_every_record(review_dir, tmp_path):
    """ana, bo and cy answer by record; dee departs from them on every fourth record."""
    workers = [("ana", []), ("bo", []), ("cy", []), ("dee", ["--disagree-every", "4"])]
    workers = [(name, ["--mode", "direct", "--pattern", "record", *extra]) for name, extra in workers]
    started = time.monotonic()
    acks = run_together(review_dir, tmp_path, workers)
    elapsed = time.monotonic() - started
    assert [len(acks[i]) for i in range(4)] == [RECORDS] * 4, f"after {elapsed:.1f} s"
    review = open_review(review_dir)
    logged, events = check_log(review, workers, acks)
    assert len(logged) == 4 * RECORDS
    # one decision event, hence one standing decision, per reviewer and record
    assert events.groupby(["actor", "work_id"]).size().eq(1).all()
    standing = reviewer_decisions(review.store, STAGE)
    records = sorted(review.store.records()["record_id"])
    assert len(standing) == 4 * RECORDS
    for reviewer, mine in standing.groupby("reviewer"):
        assert sorted(mine["record_id"]) == records, reviewer
    # each decision is the one the worker meant, and the finals follow from them
    by_record = defaultdict(list)
    for _, reviewer, record_id, decision in logged:
        extra = 4 if reviewer == "dee" else 0
        assert decision == decision_for(record_id, 0, disagree_every=extra)
        by_record[record_id].append(decision)
    finals = final_decisions(review.store, STAGE)
    assert dict(zip(finals["record_id"], finals["final"])) == \
        {r: expected_final(d) for r, d in by_record.items()}
    assert set(finals["final"]) == {"include", "exclude", "conflict"}
    assert all(sorted(r) == ["ana", "bo", "cy", "dee"] for r in finals["reviewers"])
    summary = agreement(review.store, STAGE)
    assert summary["records_compared"] == RECORDS and summary["fleiss_kappa"] is not None
    assert summary["conflicts"] == (finals["final"] == "conflict").sum()
    review.store.dispose()


def test_one_reviewer_in_two_kernels_and_two_others(review_dir, tmp_path):
    """ana screens in two processes at once (same queue, same order) beside bo and cy, all
    through ScreeningSession: every acknowledged click is logged once, and ana's standing
    decision on a record is her latest."""
    workers = [(name, ["--mode", "session", "--pattern", "record"])
               for name in ("ana", "ana", "bo", "cy")]
    before = open_review(review_dir)  # three screeners here: the protocol says so
    before.update_protocol(protocol_for(tmp_path, 3), actor="test")
    before.store.dispose()
    acks = run_together(review_dir, tmp_path, workers)
    review = open_review(review_dir)
    logged, _ = check_log(review, workers, acks)
    records = sorted(review.store.records()["record_id"])
    for i in (2, 3):  # bo and cy: each record once
        assert sorted(record_id for _, record_id, _ in acks[i]) == records
    # the two ana sessions each went through the whole queue they saw when they opened
    ana = [(event_id, record_id, decision) for i in (0, 1) for event_id, record_id, decision in acks[i]]
    assert {record_id for _, record_id, _ in ana} == set(records)
    latest = {}
    for event_id, record_id, decision in sorted(ana):
        latest[record_id] = (event_id, decision)
    standing = reviewer_decisions(review.store, STAGE)
    assert not standing.duplicated(["reviewer", "record_id"]).any()
    mine = standing[standing["reviewer"] == "ana"]
    assert {r: (e, d) for r, e, d in zip(mine["record_id"], mine["event_id"], mine["decision"])} == latest
    # all answer by record, so the finals are include / exclude, or conflict where they said maybe
    finals = final_decisions(review.store, STAGE)
    assert len(finals) == RECORDS
    for record_id, final, reviewers in zip(finals["record_id"], finals["final"], finals["reviewers"]):
        assert sorted(reviewers) == ["ana", "bo", "cy"]
        assert final == expected_final([decision_for(record_id, 0)])
    assert sum(len(rows) for rows in acks.values()) == len(logged)
    review.store.dispose()


def test_deduplication_runs_while_two_reviewers_screen(review_dir, tmp_path):
    """A chair declares five pairs the same and deduplicates five times while ana and bo screen:
    every acknowledged decision is kept, on the work it now belongs to, and the store verifies."""
    from review.dedup.decisions import record_pair_decision
    from review.dedup.run import deduplicate_review
    from review.verify import verify_review
    before = open_review(review_dir)
    before.update_protocol(protocol_for(tmp_path, 2), actor="test")
    before.store.dispose()
    runs = []

    def deduplicate_meanwhile():
        review = open_review(review_dir)
        try:
            for k in range(5):
                record_pair_decision(review.store, 2 * k + 1, 2 * k + 2, "same", "chair")
                runs.append(deduplicate_review(review, actor="chair")[0].changes)
        finally:
            review.store.dispose()

    workers = [(name, ["--mode", "direct", "--pattern", "record"]) for name in ("ana", "bo")]
    # the deduplication runs hold the write lock in turn with the screeners: whether the two
    # screeners' writes also interleave with each other depends on the machine's load
    acks = run_together(review_dir, tmp_path, workers, during=deduplicate_meanwhile,
                        overlap=False)
    assert 5 == len(runs) and 5 == sum(len(run["merged"]) for run in runs)
    review = open_review(review_dir)
    logged, _ = check_log(review, workers, acks, merged=True)
    assert len(logged) == 2 * RECORDS
    result = verify_review(review)
    assert result["ok"] and 0 == result["orphaned"], result["problems"]
    assert RECORDS - 5 == len(review.store.works())
    standing = reviewer_decisions(review.store, STAGE)
    latest = {}  # a reviewer's latest decision on a work (as it is now) always stands
    for _, reviewer, work, decision in logged:
        latest[(reviewer, work)] = decision
    for (reviewer, work), decision in latest.items():
        mine = standing[(standing["reviewer"] == reviewer) & (standing["record_id"] == work)]
        assert decision in set(mine["decision"]), (reviewer, work)
    finals = final_decisions(review.store, STAGE)
    assert sorted(finals["record_id"]) == sorted(review.store.works()["work_id"])
    review.store.dispose()
