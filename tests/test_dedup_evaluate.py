"""Scoring a deduplication: hand-computed pair and record scores, and the labelled-set loaders."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SHARED, _need_shared
from dedup_evaluate import (
    LabelledSet, load_any, load_asysd, load_labelled_set, pairwise_scores, record_scores, score,
    split_bibtex_authors, split_glued_authors, true_pair_count,
)
from review.records import RECORD_FIELDS

DEDUP = SHARED / "data" / "dedup"
COLREV = DEDUP / "CoLRev_bib-dedupe"
ASYSD = DEDUP / "camaradesuk_ASySD" / "labelled_test_set.csv"


@pytest.fixture
def colrev_dir() -> Path:
    return _need_shared(COLREV)


@pytest.fixture
def asysd_csv() -> Path:
    return _need_shared(ASYSD)


def singletons(ids) -> pd.Series:
    return pd.Series(list(ids), index=list(ids), dtype=object)


# -- pairwise scores ----------------------------------------------------------------------------

def test_pairwise_scores_by_hand():
    # Truth: works {a,b,c}, {d,e}, {f}.  True pairs: C(3,2) + C(2,2) = 3 + 1 = 4.
    # Prediction: {a,b,d}, {c}, {e}, {f}.  Predicted pairs: C(3,2) = 3.
    # Right pairs: only a-b (d belongs to another work) -> tp 1, fp 3 - 1 = 2, fn 4 - 1 = 3.
    # P = 1/3, R = 1/4, F1 = 2PR/(P+R) = (2/12)/(7/12) = 2/7.
    # False merges: cluster {a,b,d} holds 2 works -> 2 - 1 = 1; the others hold 1 each.
    groups = [["a", "b", "c"], ["d", "e"]]
    clusters = pd.Series({"a": "a", "b": "a", "c": "c", "d": "a", "e": "e", "f": "f"})
    got = pairwise_scores(groups, clusters)
    assert (got["tp"], got["fp"], got["fn"], got["false_merges"]) == (1, 2, 3, 1)
    assert got["precision"] == pytest.approx(1 / 3)
    assert got["recall"] == pytest.approx(1 / 4)
    assert got["f1"] == pytest.approx(2 / 7)


def test_perfect_clustering_scores_one():
    groups = [[1, 2, 3], [4, 5]]
    clusters = pd.Series({1: 1, 2: 1, 3: 1, 4: 4, 5: 4, 6: 6})
    got = pairwise_scores(groups, clusters)
    assert (got["precision"], got["recall"], got["f1"], got["false_merges"]) == (1.0, 1.0, 1.0, 0)


def test_empty_prediction_has_precision_one_by_convention():
    # Nothing merged: 0 predicted pairs -> precision 1.0 (no claim, none wrong); recall 0 / 1 = 0.
    got = pairwise_scores([[1, 2]], singletons([1, 2, 3]))
    assert (got["precision"], got["recall"], got["f1"], got["fn"]) == (1.0, 0.0, 0.0, 1)


def test_merging_distinct_works_counts_each_lost_work():
    # Four distinct works in one cluster: C(4,2) = 6 predicted pairs, all wrong -> P = 0.
    # No true pairs -> recall 1.0 by convention. Works lost: 4 - 1 = 3.
    got = pairwise_scores([], pd.Series({1: 1, 2: 1, 3: 1, 4: 1}))
    assert (got["tp"], got["fp"], got["precision"], got["recall"], got["false_merges"]) == (0, 6, 0.0, 1.0, 3)


def test_records_missing_from_the_clustering_are_singletons():
    # 1 and 2 are one work but the clustering only mentions 3: the pair 1-2 is missed.
    got = pairwise_scores([[1, 2]], pd.Series({3: 3}))
    assert (got["tp"], got["fp"], got["fn"]) == (0, 0, 1)


def test_pairs_are_counted_not_enumerated():
    # 10,000 records in ONE cluster, truth = 100 groups of 100.
    # Predicted pairs C(10000,2) = 49,995,000; right pairs 100 * C(100,2) = 495,000.
    # P = 495,000 / 49,995,000 = 1/101; R = 1; works lost 100 - 1 = 99.
    ids = list(range(10_000))
    groups = [ids[i:i + 100] for i in range(0, 10_000, 100)]
    start = time.perf_counter()
    got = pairwise_scores(groups, pd.Series(0, index=ids))
    assert time.perf_counter() - start < 5
    assert (got["tp"], got["fp"], got["fn"]) == (495_000, 49_500_000, 0)
    assert got["precision"] == pytest.approx(1 / 101)
    assert got["false_merges"] == 99
    assert true_pair_count(groups) == 495_000


def test_string_record_ids_cannot_clash_with_group_labels():
    # Record ids that look like tuples or numbers must not be taken for the truth's group labels.
    groups = [["0", "1"]]
    got = pairwise_scores(groups, pd.Series({"0": "0", "1": "0", "2": "2"}))
    assert (got["tp"], got["fp"], got["false_merges"]) == (1, 0, 0)


# -- record-level scores (ASySD) ----------------------------------------------------------------

def test_record_scores_by_hand():
    # Labels: True = duplicate to remove.  1 F, 2 T, 3 T, 4 F, 5 T, 6 F  -> 3 duplicates.
    # Clusters: A {1,2,4}: removes 3 - 1 = 2, holds 1 duplicate -> correct min(2, 1) = 1;
    #                      holds 2 kept-labelled records -> false merges 2 - 1 = 1.
    #           B {3}:     removes 0, holds 1 duplicate -> correct 0 (a missed duplicate).
    #           C {5,6}:   removes 1, holds 1 duplicate -> correct 1.
    # Removed 2 + 0 + 1 = 3, correct 1 + 0 + 1 = 2 -> P = 2/3, R = 2/3, F1 = 2/3.
    labels = pd.Series({1: False, 2: True, 3: True, 4: False, 5: True, 6: False})
    clusters = pd.Series({1: 1, 2: 1, 4: 1, 3: 3, 5: 5, 6: 5})
    got = record_scores(labels, clusters)
    assert (got["tp"], got["fp"], got["fn"], got["false_merges"]) == (2, 1, 1, 1)
    assert got["precision"] == pytest.approx(2 / 3)
    assert got["recall"] == pytest.approx(2 / 3)
    assert got["f1"] == pytest.approx(2 / 3)
    assert (got["kept"], got["expected_kept"]) == (3, 3)


def test_record_scores_nothing_removed_and_unlabelled_records():
    labels = pd.Series({1: False, 2: True})
    got = record_scores(labels, singletons([1, 2]))
    assert (got["precision"], got["recall"], got["false_merges"]) == (1.0, 0.0, 0)
    with pytest.raises(ValueError, match="no label"):
        record_scores(labels, singletons([1, 2, 99]))


def test_score_dispatches_on_the_kind_of_truth():
    frame = pd.DataFrame({"record_id": [1, 2]})
    grouped = LabelledSet("g", frame, groups=[[1, 2]])
    labelled = LabelledSet("r", frame, kind="records", labels=pd.Series({1: False, 2: True}))
    merged = pd.Series({1: 1, 2: 1})
    assert score(grouped, merged)["level"] == "pairs"
    assert score(labelled, merged)["level"] == "records"
    assert (grouped.true_pairs, labelled.true_pairs, labelled.true_duplicates) == (1, None, 1)


# -- author splitting ---------------------------------------------------------------------------

def test_bibtex_authors_keep_each_name_as_written():
    assert split_bibtex_authors("Zuna, R E and Wang, S S and Group, ALTS") == [
        "Zuna, R E", "Wang, S S", "Group, ALTS"]
    assert split_bibtex_authors("Adeli K.Lewis G. F.") == ["Adeli K.Lewis G. F."]


def test_glued_asysd_authors_are_split_after_the_last_initial():
    assert split_glued_authors("Adeli K.Lewis G. F.") == ["Adeli K.", "Lewis G. F."]
    assert split_glued_authors("Radonjic M.van der Werff van der Vat B.Kim J.-H.Lee S.") == [
        "Radonjic M.", "van der Werff van der Vat B.", "Kim J.-H.", "Lee S."]
    assert split_glued_authors("Anonymous") == ["Anonymous"]


# -- loaders ------------------------------------------------------------------------------------

def _colrev(tmp_path: Path, records: str, groups: str) -> Path:
    (tmp_path / "records_pre_merged.csv").write_text(records, encoding="utf-8")
    (tmp_path / "merged_record_ids.csv").write_text(groups, encoding="utf-8")
    return tmp_path


def test_colrev_loader_keeps_text_and_placeholders(tmp_path):
    folder = _colrev(tmp_path, (
        '"ID","title","year","author","pages","volume","number","ENTRYTYPE","journal","booktitle","doi"\n'
        '"0012","A title ",2001,"UNKNOWN","","7A","","inproceedings","","Proc X","https://doi.org/10.1234/AB"\n'
        '"0013","A title",2001,"Smith, J and Doe, A","1-9","007","2","article","J X","",""\n'),
        'merged_ids\n"0012;0013"\n')
    got = load_labelled_set(folder)
    rec = got.records.set_index("record_id")
    assert list(got.records.columns) == ["record_id", *RECORD_FIELDS]
    assert list(rec.index) == ["0012", "0013"]
    assert rec.loc["0012", "authors"] == ["UNKNOWN"]
    assert (rec.loc["0012", "volume"], rec.loc["0013", "volume"]) == ("7A", "007")
    assert pd.isna(rec.loc["0012", "pages"]) and pd.isna(rec.loc["0012", "issue"])
    assert rec.loc["0012", "journal"] == "Proc X" and rec.loc["0013", "journal"] == "J X"
    assert rec.loc["0012", "doi"] == "10.1234/ab" and rec.loc["0013", "issue"] == "2"
    assert rec.loc["0012", "title"] == "A title" and rec.loc["0012", "year"] == 2001
    assert rec.loc["0012", "publication_type"] == "inproceedings"
    assert got.groups == [["0012", "0013"]] and got.kind == "groups" and got.name == tmp_path.name


def test_colrev_loader_refuses_truth_about_unknown_records(tmp_path):
    folder = _colrev(tmp_path, '"ID","title"\n"a","T"\n"b","T"\n', 'merged_ids\n"a;zz"\n')
    with pytest.raises(ValueError, match="zz"):
        load_labelled_set(folder)


@pytest.mark.shared
@pytest.mark.parametrize("name, records, groups", [
    ("cytology_screening", 1856, 648), ("haematology", 1415, 116),
    ("respiratory", 1988, 368), ("special_cases", 12, 3),
])
def test_colrev_sets_load_with_documented_counts(colrev_dir, name, records, groups):
    got = load_labelled_set(colrev_dir / name)
    assert (len(got.records), len(got.groups), got.name) == (records, groups, name)
    assert got.records["record_id"].is_unique
    assert all(isinstance(a, list) for a in got.records["authors"])


@pytest.mark.shared
def test_colrev_records_map_to_our_fields(colrev_dir):
    cytology = load_labelled_set(colrev_dir / "cytology_screening").records.set_index("record_id")
    first = cytology.loc["id_0000001"]
    assert first["authors"] == ["Zuna, R E", "Wang, S S", "Schiffman, M", "Solomon, D"]
    assert (first["year"], first["volume"], first["pages"], first["journal"]) == (2006, "108", "288-297", "Cancer")
    assert cytology["issue"].isna().all()  # the 'number' column is empty throughout
    special = load_labelled_set(colrev_dir / "special_cases")
    rec = special.records.set_index("record_id")
    assert rec.loc["id_0000001", "journal"] == "Americas Conference on Information Systems"
    assert rec.loc["id_0000003", "doi"] == "10.24251/hicss.2021.510"
    assert (rec.loc["id_0000007", "volume"], rec.loc["id_0000007", "issue"]) == ("7", "4")
    assert special.groups == [["id_0000001", "id_0000002"], ["id_0000005", "id_0000006"],
                              ["id_0000007", "id_0000011"]]


@pytest.mark.shared
def test_asysd_loads_record_level_labels(asysd_csv):
    got = load_asysd(asysd_csv)
    assert (len(got.records), int(got.labels.sum()), got.kind) == (1845, 896, "records")
    assert got.groups == [] and got.true_pairs is None and got.true_duplicates == 896
    rec = got.records.set_index("record_id")
    assert rec.loc[1, "authors"] == ["Adeli K.", "Lewis G. F."]
    assert rec.loc[1, "doi"] == "10.1097/mol.0b013e3282ffaf82" and rec.loc[1, "year"] == 2008
    assert rec["doi"].isna().sum() >= 492  # 'NA' is R's missing value
    assert load_any(asysd_csv).kind == "records"


# -- the quality benchmark end to end -----------------------------------------------------------

@pytest.mark.shared
def test_quality_benchmark_json_for_special_cases(colrev_dir):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "dedup_quality.py"), "--no-peer", "--json",
         str(colrev_dir / "special_cases")],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["dataset"] == "special_cases" and last["peer"] is None
    assert {"precision", "recall", "f1", "false_merges"} <= last.keys()
    assert 0.0 <= last["precision"] <= 1.0 and 0.0 <= last["recall"] <= 1.0
