"""`review dedup` on a review store: provenance, update searches, reviewer decisions, explain."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from review.cli import main
from review.dedup.decisions import pair_decisions
from review.dedup.merge import merged_records
from review.dedup.run import duplicate_queue
from review.project import open_review

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"

EMBASE = """TY  - JOUR
TI  - Exosomes derived from natural killer cells exert therapeutic effect in melanoma
AU  - Zhu, Liya
AU  - Kalimuthu, Senthilkumar
AU  - Gangadaran, Prakash
PY  - 2017
T2  - Theranostics
VL  - 7
IS  - 10
SP  - 2732
EP  - 2745
DO  - 10.7150/thno.18752
ER  - 

TY  - JOUR
TI  - NK cell-released exosomes: natural nanobullets against tumors
AU  - Fais, Stefano
PY  - 2013
T2  - OncoImmunology
VL  - 2
IS  - 1
SP  - e22337
ER  - 

TY  - JOUR
TI  - Natural killer cell-derived extracellular vesicles loaded with paclitaxel suppress glioma growth
AU  - Rivera, Ana
AU  - Okafor, Chidi
AU  - Lindqvist, Maja
PY  - 2021
T2  - Journal of Controlled Release
ER  - 
"""

PUBMED = """PMID- 28819459
TI  - Exosomes derived from natural killer cells exert therapeutic effect in
      melanoma.
AU  - Zhu L
AU  - Kalimuthu S
AU  - Gangadaran P
DP  - 2017
TA  - Theranostics
VI  - 7
IP  - 10
PG  - 2732-2745
LID - 10.7150/thno.18752 [doi]

PMID- 31000001
TI  - Natural killer cell-derived vesicles loaded with paclitaxel suppress
      glioma growth.
AU  - Rivera A
AU  - Okafor C
AU  - Lindqvist M
DP  - 2021
TA  - J Control Release
"""

UPDATE = """TY  - JOUR
TI  - NK cell-released exosomes: Natural nanobullets against tumors.
AU  - Fais, S.
PY  - 2013
T2  - Oncoimmunology
VL  - 2
IS  - 1
SP  - e22337
ER  - 

TY  - JOUR
TI  - CAR-NK cell exosomes for HER2-positive breast cancer
AU  - Novak, Petra
PY  - 2024
T2  - Cancers
DO  - 10.3390/cancers16010001
ER  - 
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def dedup_json(review_dir, capsys, *extra) -> dict:
    assert main(["dedup", "--review", str(review_dir), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def review_dir(request, tmp_path, capsys):
    folder = tmp_path / "rev"
    url = [] if request.param == "sqlite" else ["--database-url", request.getfixturevalue("postgres_url")]
    assert main(["init", str(folder), "--protocol", str(PROTOCOL), *url]) == 0
    assert main(["import", str(write(tmp_path, "embase.ris", EMBASE)), "--review", str(folder),
                 "--database", "Embase"]) == 0
    assert main(["import", str(write(tmp_path, "pubmed.nbib", PUBMED)), "--review", str(folder),
                 "--database", "PubMed"]) == 0
    capsys.readouterr()
    return folder


def test_dedup_counts_per_source_and_keeps_provenance(review_dir, capsys):
    summary = dedup_json(review_dir, capsys)
    assert (summary["records"], summary["unique"], summary["duplicates_removed"]) == (5, 4, 1)
    embase, pubmed = summary["sources"]
    assert (embase["database"], embase["records"], embase["new"]) == ("Embase", 3, 3)
    assert (pubmed["new"], pubmed["duplicates_of_earlier"], pubmed["duplicates_within"]) == (1, 1, 0)
    assert summary["unsure_waiting"] == 1  # the reworded paclitaxel record is not merged silently
    review = open_review(review_dir)
    records = review.store.records(with_raw=False)
    clusters = review.store.clusters().set_index("record_id")["cluster_id"]
    merged = merged_records(records, clusters)
    zhu = merged[merged["title"].str.startswith("Exosomes derived")].iloc[0]
    assert zhu["databases"] == ["Embase", "PubMed"] and zhu["pmid"] == "28819459"
    assert zhu["found_in"] == ["Embase: embase.ris #1", "PubMed: pubmed.nbib #1"]
    assert len(records) == 5  # the originals stay in the store


def test_update_search_links_new_records_to_earlier_ones(review_dir, tmp_path, capsys):
    """A later search's duplicates join the clusters of records already in the review (named by
    their earliest record), and only its new records count as new."""
    dedup_json(review_dir, capsys)
    before = open_review(review_dir).store.clusters().set_index("record_id")["cluster_id"]
    assert main(["import", str(write(tmp_path, "update.ris", UPDATE)), "--review", str(review_dir),
                 "--database", "Embase"]) == 0
    capsys.readouterr()
    assert main(["status", "--review", str(review_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deduplication"]["out_of_date"] is True
    summary = dedup_json(review_dir, capsys)
    update = summary["sources"][-1]
    assert (update["records"], update["new"], update["duplicates_of_earlier"]) == (2, 1, 1)
    after = open_review(review_dir).store.clusters().set_index("record_id")["cluster_id"]
    assert after[before.index].equals(before)  # earlier clusters keep their names
    assert after[6] == 2  # the update's Fais record joins the earlier Fais record
    assert after[7] == 7


def test_explain_shows_rule_and_scores(review_dir, capsys):
    dedup_json(review_dir, capsys)
    assert main(["dedup", "--review", str(review_dir), "--explain", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Record 4: cluster 1 (2 records: 1, 4)")
    assert "1 ~ 4: duplicate — same DOI" in out


def test_unsure_pairs_wait_and_reviewer_decisions_are_respected(review_dir, capsys):
    """The paclitaxel records (reworded title, abbreviated journal) are unsure: not merged, listed
    for a reviewer; 'same' merges them on the next run, 'different' splits an automatic merge."""
    dedup_json(review_dir, capsys)
    assert main(["dedup", "--review", str(review_dir), "--unsure", "--json"]) == 0
    waiting = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(p["record_a"], p["record_b"]) for p in waiting] == [(3, 5)]
    summary = dedup_json(review_dir, capsys, "--same", "3", "5", "--reviewer", "ana")
    assert summary["unique"] == 3 and summary["unsure_waiting"] == 0
    summary = dedup_json(review_dir, capsys, "--different", "1", "4", "--reviewer", "ana")
    assert summary["unique"] == 4 and summary["reviewer_decisions"] == 2
    clusters = open_review(review_dir).store.clusters().set_index("record_id")["cluster_id"]
    assert clusters[5] == 3 and clusters[4] == 4
    decided = pair_decisions(open_review(review_dir).store)
    assert decided[["record_a", "record_b", "decision", "reviewer"]].values.tolist() == [
        [1, 4, "different", "ana"], [3, 5, "same", "ana"]]


def test_queue_decisions_apply_on_the_next_run(review_dir, capsys):
    """Deciding in the queue (the widget's state) is what the next dedup run applies."""
    dedup_json(review_dir, capsys)
    queue = duplicate_queue(open_review(review_dir), "ana")
    assert tuple(sorted(queue.current.members)) == (3, 5)
    queue.decide("same")
    assert queue.current is None
    assert dedup_json(review_dir, capsys)["unique"] == 3


def test_dedup_refuses_unknown_records(review_dir, capsys):
    assert main(["dedup", "--review", str(review_dir), "--same", "1", "99"]) == 1
    assert "record 99 is not in the review" in capsys.readouterr().err


def test_exports_carry_clusters_and_merged_provenance(review_dir, tmp_path, capsys):
    import pandas as pd
    from review.io import read_file
    dedup_json(review_dir, capsys)
    every = tmp_path / "every.csv"
    assert main(["export", "--review", str(review_dir), "--format", "csv", "--out", str(every)]) == 0
    table = pd.read_csv(every)
    assert table.set_index("record_id")["duplicate_of"].fillna(0).astype(int).to_dict() == \
        {1: 0, 2: 0, 3: 0, 4: 1, 5: 0}
    assert table.set_index("record_id").loc[4, "merge_rule"] == "same DOI"
    merged = tmp_path / "merged.ris"
    assert main(["export", "--review", str(review_dir), "--format", "ris", "--out", str(merged),
                 "--deduplicated"]) == 0
    assert "Wrote 4 records" in capsys.readouterr().out
    text = merged.read_text(encoding="utf-8")
    assert "N1  - Found in: Embase: embase.ris #1" in text and "N1  - Found in: PubMed: pubmed.nbib #1" in text
    assert len(read_file(merged).parsed.records) == 4


def test_deduplicated_export_needs_a_current_run(review_dir, tmp_path, capsys):
    out = tmp_path / "merged.csv"
    assert main(["export", "--review", str(review_dir), "--format", "csv", "--out", str(out),
                 "--deduplicated"]) == 1
    assert "not deduplicated yet" in capsys.readouterr().err


def test_concurrent_dedup_runs_store_one_after_the_other(review_dir, capsys):
    """Two reviewers running `review dedup` at once (threads here, kernels in practice) both
    succeed and leave one complete result: every record in exactly one cluster."""
    from concurrent.futures import ThreadPoolExecutor
    from review.dedup.run import deduplicate_review

    def run(name):
        return deduplicate_review(open_review(review_dir), actor=name)[0].unique

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(run, ["ana", "ben"])) == [4, 4]
    clusters = open_review(review_dir).store.clusters()
    assert sorted(clusters["record_id"]) == [1, 2, 3, 4, 5]
    runs = open_review(review_dir).store.events("dedup")
    assert sorted(runs.loc[runs["action"] == "run", "actor"]) == ["ana", "ben"]
