"""Agreement between screeners: kappas checked against values worked out by hand, then
`agreement()` on real stores (SQLite and PostgreSQL) with two and three reviewers."""
from __future__ import annotations

import warnings

import pytest

from review.records import records_frame
from review.screening.agreement import (agreement, cohen_kappa, fleiss_kappa_from_labels,
                                        percent_agreement)
from review.screening.decisions import record_decision, undo_decision

# -- Cohen's kappa by hand ---------------------------------------------------------------------
# 20 records, reviewers a and b:
#                  b include   b exclude
#   a include          6           3        a: 9 include, 11 exclude
#   a exclude          1          10        b: 7 include, 13 exclude
# po = (6 + 10) / 20 = 0.8
# pe = (9/20)(7/20) + (11/20)(13/20) = 63/400 + 143/400 = 206/400 = 0.515
# kappa = (0.8 - 0.515) / (1 - 0.515) = 0.285 / 0.485 = 57/97 = 0.587628...
A = ["include"] * 6 + ["include"] * 3 + ["exclude"] * 1 + ["exclude"] * 10
B = ["include"] * 6 + ["exclude"] * 3 + ["include"] * 1 + ["exclude"] * 10


def test_cohen_kappa_of_a_two_by_two_table_matches_the_hand_calculation():
    kappa = cohen_kappa(A, B)
    assert kappa.value == pytest.approx(57 / 97) and kappa.value == pytest.approx(0.58763, abs=1e-5)
    assert kappa.reason is None and kappa.n == 20
    assert cohen_kappa(B, A).value == pytest.approx(57 / 97)  # symmetric
    assert percent_agreement(list(zip(A, B))) == pytest.approx(80.0)


def test_cohen_kappa_with_maybe_as_a_third_category():
    # 10 records:           b include  b exclude  b maybe   (row total)
    #   a include               3          0         1          4
    #   a exclude               0          3         1          4
    #   a maybe                 0          1         1          2
    #   (column total)          3          4         3         10
    # po = (3 + 3 + 1) / 10 = 0.7
    # pe = (4*3 + 4*4 + 2*3) / 100 = (12 + 16 + 6) / 100 = 0.34
    # kappa = (0.7 - 0.34) / (1 - 0.34) = 0.36 / 0.66 = 6/11 = 0.545454...
    a = ["include"] * 4 + ["exclude"] * 4 + ["maybe"] * 2
    b = (["include"] * 3 + ["maybe"]) + (["exclude"] * 3 + ["maybe"]) + ["exclude", "maybe"]
    assert cohen_kappa(a, b).value == pytest.approx(6 / 11)


def test_cohen_kappa_at_chance_and_below():
    # a always includes, b always excludes: po = 0, pe = 1*0 + 0*1 = 0, kappa = 0.
    assert cohen_kappa(["include"] * 4, ["exclude"] * 4).value == pytest.approx(0.0)
    # perfect disagreement on a 50/50 split: po = 0, pe = 0.5*0.5 + 0.5*0.5 = 0.5, kappa = -1.
    assert cohen_kappa(["include", "exclude"] * 3, ["exclude", "include"] * 3).value \
        == pytest.approx(-1.0)


def test_degenerate_cohen_kappa_is_none_with_a_reason():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NaN, no library warning leaks out
        empty = cohen_kappa([], [])
        one = cohen_kappa(["include"] * 5, ["include"] * 5)
    assert empty.value is None and "no record" in empty.reason and empty.n == 0
    assert one.value is None and "'include'" in one.reason and "undefined" in one.reason
    assert percent_agreement([]) is None
    with pytest.raises(ValueError, match="pair up"):
        cohen_kappa(["include"], [])
    with pytest.raises(ValueError, match="missing"):
        cohen_kappa(["include", None], ["include", "exclude"])


# -- Fleiss' kappa -----------------------------------------------------------------------------
# Wikipedia's worked example ("Fleiss' kappa"): 14 raters put 10 subjects in 5 categories.
WIKIPEDIA_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]
# Column sums 20, 28, 39, 21, 32 of N*n = 140 ratings:
#   p_j = 0.143, 0.200, 0.279, 0.150, 0.229
#   Pe = (20² + 28² + 39² + 21² + 32²) / 140² = 4170 / 19600 = 0.212755
# P_i = (sum_j n_ij² - 14) / (14 * 13): numerators 182, 46, 56, 80, 60, 84, 44, 32, 52, 52
#   P̄ = 688 / (10 * 182) = 0.378022
# kappa = (0.378022 - 0.212755) / (1 - 0.212755) = 0.165267 / 0.787245 = 0.20993  (published: 0.210)


def labels_from_counts(counts: list[list[int]]) -> list[list[int]]:
    """One row per subject, one label per rater: category j repeated n_ij times."""
    return [[j for j, n in enumerate(row) for _ in range(n)] for row in counts]


def test_fleiss_kappa_of_the_wikipedia_example_is_0_210():
    kappa = fleiss_kappa_from_labels(labels_from_counts(WIKIPEDIA_COUNTS))
    pe = 4170 / 19600
    p_bar = 688 / 1820
    assert kappa.value == pytest.approx((p_bar - pe) / (1 - pe))
    assert round(kappa.value, 3) == 0.210 and kappa.n == 10


def test_fleiss_kappa_of_two_raters_is_scotts_pi_not_cohens_kappa():
    # The 2x2 table above as Fleiss sees it: pooled include share (9 + 7) / 40 = 0.4,
    # exclude share 0.6, Pe = 0.4² + 0.6² = 0.52; P_i is 1 on the 16 agreements and 0 on the
    # 4 disagreements, P̄ = 0.8; kappa = (0.8 - 0.52) / (1 - 0.52) = 0.28 / 0.48 = 7/12.
    assert fleiss_kappa_from_labels(list(zip(A, B))).value == pytest.approx(7 / 12)


def test_fleiss_kappa_of_three_screeners_by_hand():
    # 3 reviewers, 4 records (I = include, E = exclude):  I I I | E E E | I I E | I E E
    #   counts (I, E): (3,0) (0,3) (2,1) (1,2)
    #   P_i = (sum n² - 3) / 6: (9-3)/6 = 1, 1, (4+1-3)/6 = 1/3, 1/3  ->  P̄ = (8/3)/4 = 2/3
    #   p_I = (3+0+2+1)/12 = 0.5, p_E = 0.5, Pe = 0.5
    #   kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3
    table = [["include"] * 3, ["exclude"] * 3, ["include", "include", "exclude"],
             ["include", "exclude", "exclude"]]
    assert fleiss_kappa_from_labels(table).value == pytest.approx(1 / 3)
    assert percent_agreement(table) == pytest.approx(50.0)


def test_degenerate_fleiss_kappa_is_none_with_a_reason():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = fleiss_kappa_from_labels([["maybe"] * 3] * 4)
        empty = fleiss_kappa_from_labels([])
        lone = fleiss_kappa_from_labels([["include"], ["exclude"]])
    assert same.value is None and "'maybe'" in same.reason and same.n == 4
    assert empty.value is None and "no record" in empty.reason
    assert lone.value is None and "two reviewers" in lone.reason
    with pytest.raises(ValueError, match="same number of reviewers"):
        fleiss_kappa_from_labels([["include", "include"], ["include", "exclude", "maybe"]])


# -- agreement() on a real store ---------------------------------------------------------------
def add_records(store, n: int) -> list[int]:
    frame = records_frame([{"title": f"Study {i}", "authors": ["Doe, J"], "year": "2020"}
                           for i in range(n)], source_file="a.ris", database="Embase",
                          raw_format="ris")
    store.add_source(frame, file_name="a.ris", file_path=None, sha256="a" * 64, format="ris",
                     encoding="utf-8", database="Embase", actor="tester")
    return store.records()["record_id"].tolist()


def decide(store, reviewer, record_id, decision, stage="title_abstract", **extra) -> int:
    return record_decision(store, stage=stage, record_id=record_id, reviewer=reviewer,
                           decision=decision, **extra)


def test_agreement_of_two_reviewers_on_a_store(store):
    ids = add_records(store, 21)
    for record_id, a, b in zip(ids, A, B):
        decide(store, "ana", record_id, a)
        decide(store, "bo", record_id, b)
    extra = ids[20]
    decide(store, "ana", extra, "include")           # bo has not got here: not compared
    wrong = decide(store, "bo", ids[0], "exclude")   # a slip, taken back: include stands
    undo_decision(store, stage="title_abstract", event_id=wrong, reviewer="bo")
    decide(store, "bo", ids[0], "skip")               # a skip does not replace a verdict
    decide(store, "cy", ids[6], "include", role="resolver")  # resolvers are not rated
    decide(store, "cy", ids[7], "exclude", role="resolver")
    result = agreement(store, "title_abstract")
    assert result["reviewers"] == ["ana", "bo"] and result["records_compared"] == 20
    assert result["categories"] == ["exclude", "include"]
    assert result["percent_agreement"] == pytest.approx(80.0)
    assert result["cohen_kappa"] == pytest.approx(57 / 97)
    assert result["fleiss_kappa"] is None and result["kappa_reason"] is None
    assert result["pairwise"] == []
    # the 4 disagreements (ids[6:10]) are conflicts; the resolver settled two of them
    assert (result["conflicts"], result["resolved"], result["unresolved"]) == (4, 2, 2)
    # nothing at full text yet
    empty = agreement(store, "full_text")
    assert empty["reviewers"] == [] and empty["records_compared"] == 0
    assert empty["cohen_kappa"] is None and "no reviewer" in empty["kappa_reason"]
    assert empty["conflicts"] == 0


def test_agreement_of_three_reviewers_on_a_store(store):
    store.save_protocol("screening:\n  reviewers_per_record: 3\n", actor="test")
    ids = add_records(store, 6)
    # records 0-3: the Fleiss example above (kappa 1/3); records 4 and 5: only ana and bo,
    # both maybe on 4 (a conflict: maybe needs a third look) and include/exclude on 5.
    rows = [("include",) * 3, ("exclude",) * 3, ("include", "include", "exclude"),
            ("include", "exclude", "exclude")]
    for record_id, row in zip(ids, rows):
        for reviewer, decision in zip(("ana", "bo", "cy"), row):
            decide(store, reviewer, record_id, decision)
    decide(store, "ana", ids[4], "maybe")
    decide(store, "bo", ids[4], "maybe")
    decide(store, "ana", ids[5], "include")
    decide(store, "bo", ids[5], "exclude")
    decide(store, "dee", ids[5], "include", role="resolver")
    result = agreement(store, "title_abstract")
    assert result["reviewers"] == ["ana", "bo", "cy"] and result["records_compared"] == 4
    assert result["fleiss_kappa"] == pytest.approx(1 / 3) and result["cohen_kappa"] is None
    assert result["percent_agreement"] == pytest.approx(50.0)
    pairs = {p["reviewers"]: p for p in result["pairwise"]}
    assert list(pairs) == [("ana", "bo"), ("ana", "cy"), ("bo", "cy")]
    # ana-bo on 6 records: I/I E/E I/I I/E M/M I/E -> po = 4/6;
    #   ana: I 4, E 1, M 1; bo: I 2, E 3, M 1 -> pe = (4*2 + 1*3 + 1*1)/36 = 12/36 = 1/3;
    #   kappa = (2/3 - 1/3) / (2/3) = 1/2
    assert pairs[("ana", "bo")]["records_compared"] == 6
    assert pairs[("ana", "bo")]["percent_agreement"] == pytest.approx(400 / 6)
    assert pairs[("ana", "bo")]["cohen_kappa"] == pytest.approx(0.5)
    # ana-cy on 4 records: I/I E/E I/E I/E -> po = 1/2; ana I 3 E 1, cy I 1 E 3:
    #   pe = (3*1 + 1*3)/16 = 3/8; kappa = (1/2 - 3/8) / (5/8) = 1/5
    assert pairs[("ana", "cy")]["cohen_kappa"] == pytest.approx(0.2)
    # bo-cy on 4 records: I/I E/E I/E E/E -> po = 3/4; bo I 2 E 2, cy I 1 E 3:
    #   pe = (2*1 + 2*3)/16 = 1/2; kappa = (3/4 - 1/2) / (1/2) = 1/2
    assert pairs[("bo", "cy")]["cohen_kappa"] == pytest.approx(0.5)
    # three screeners per record (the store's protocol): conflicts are records 2 and 3 (split);
    # records 4 and 5 still wait for their third screener (dee settled 5 before it came to that)
    assert (result["conflicts"], result["resolved"], result["unresolved"]) == (2, 0, 2)
    # the same store, two named reviewers: Cohen's kappa on their 6 shared records
    named = agreement(store, "title_abstract", reviewers=["ana", "bo"])
    assert named["cohen_kappa"] == pytest.approx(0.5) and named["records_compared"] == 6


def test_agreement_when_kappa_is_undefined(store):
    ids = add_records(store, 4)
    for record_id in ids[:3]:
        decide(store, "ana", record_id, "include")
    only_ana = agreement(store, "title_abstract")
    assert only_ana["reviewers"] == ["ana"] and only_ana["percent_agreement"] is None
    assert only_ana["cohen_kappa"] is None and "only one reviewer" in only_ana["kappa_reason"]
    decide(store, "bo", ids[3], "include")  # no record in common
    apart = agreement(store, "title_abstract")
    assert apart["records_compared"] == 0 and apart["percent_agreement"] is None
    assert apart["cohen_kappa"] is None and "no record" in apart["kappa_reason"]
    for record_id in ids[:3]:
        decide(store, "bo", record_id, "include")  # complete agreement on one category
    same = agreement(store, "title_abstract")
    assert same["records_compared"] == 3 and same["percent_agreement"] == pytest.approx(100.0)
    assert same["cohen_kappa"] is None and "undefined" in same["kappa_reason"]
    decide(store, "cy", ids[3], "exclude")  # three reviewers, none decided every record
    three = agreement(store, "title_abstract")
    assert three["records_compared"] == 0 and three["fleiss_kappa"] is None
    assert "all 3 reviewers" in three["kappa_reason"]
    assert [p["records_compared"] for p in three["pairwise"]] == [3, 0, 1]
