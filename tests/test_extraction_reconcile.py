"""Dual extraction: every difference between two extractors is found field by field, a
reconciler's decision settles it with their name, and final values follow."""
from __future__ import annotations

import random
import re

import pytest
from test_extraction_values import tiny_review

from review.errors import ReviewError
from review.extraction.reconcile import differences, final_values, reconcile, take_value
from review.extraction.values import record_values, reviewer_values

#: Values both extractors start from: (field, group, instance, value, unit).
AGREED = [("strategy", "study", 1, "drug-loaded", None), ("cargo", "study", 1, "paclitaxel", None),
          ("mechanism", "study", 1, "perforin/granzyme; FasL", None),
          ("source_cell", "vesicle", 1, "NK-92", None), ("mean_size", "vesicle", 1, "128", None),
          ("tem_imaging", "vesicle", 1, "yes", None),
          ("positive_markers", "vesicle", 1, "CD63; CD81; HSP70", None),
          ("tumour_type", "experiment", 1, "melanoma", None), ("model", "experiment", 1, "xenograft", None),
          ("dose", "experiment", 1, "50", "ug protein"), ("route", "experiment", 1, "intratumoural", None),
          ("outcome_measure", "outcome", 1, "tumour volume", None),
          ("treated_mean", "outcome", 1, "318", None), ("treated_sd", "outcome", 1, "64", None),
          ("treated_n", "outcome", 1, "6", None), ("control_mean", "outcome", 1, "902", None)]


@pytest.fixture
def review(tmp_path):
    review = tiny_review(tmp_path)
    yield review
    review.store.dispose()


def _rows(reviewer, study, entries):
    return [{"reviewer": reviewer, "study_id": study, "field": f, "group": g, "instance": i,
             "value": v, "unit": u} for f, g, i, v, u in entries]


def _dual(review, study="Kim 2018"):
    """Amara and Bruno extract one study; Bruno differs in five ways."""
    bruno = [e for e in AGREED if e[0] != "cargo"]                      # cargo missing
    bruno = [(f, g, i, "182", u) if f == "mean_size" else (f, g, i, v, u) for f, g, i, v, u in bruno]
    bruno = [(f, g, i, "CD81; CD63; HSP70", u) if f == "positive_markers" else (f, g, i, v, u)
             for f, g, i, v, u in bruno]                                 # same, other order
    bruno = [(f, g, i, v, "ug/mL") if f == "dose" else (f, g, i, v, u) for f, g, i, v, u in bruno]
    bruno += [("outcome_measure", "outcome", 2, "survival", None),      # outcome 2 only Bruno's
              ("treated_mean", "outcome", 2, "41.5", None)]
    bruno += [("targeting_ligand", "study", 1, "RGD", None)]             # only Bruno has a value
    record_values(review, _rows("Amara", study, AGREED) + _rows("Bruno", study, bruno))


def test_every_difference_is_found_field_by_field(review):
    """Different values, a value only one entered, a unit, and each field of an instance only
    one extracted are all listed; equal lists in another order are not."""
    _dual(review)
    found = differences(review)
    assert [("study", 1, "cargo", "no value from Bruno", "paclitaxel", ""),
            ("study", 1, "targeting_ligand", "no value from Amara", "", "RGD"),
            ("vesicle", 1, "mean_size", "values differ", "128 nm", "182 nm"),
            ("experiment", 1, "dose", "values differ", "50 ug protein", "50 ug/mL"),
            ("outcome", 2, "outcome_measure", "outcome 2 extracted by Bruno only", "", "survival"),
            ("outcome", 2, "treated_mean", "outcome 2 extracted by Bruno only", "", "41.5")] == \
        [(d.group, d.instance, d.field, d.issue, d.shown_a, d.shown_b) for d in found.itertuples()]
    assert {("Kim 2018", "Amara", "Bruno")} == set(zip(found["study_id"], found["reviewer_a"], found["reviewer_b"]))
    assert [] == list(differences(review, "Bruno", "Amara", study_id="Rossi 2016a")["field"])


def test_random_disagreements_are_all_found(review):
    """Whatever fields a second extractor gets wrong or leaves out, exactly those are listed."""
    chance = random.Random(5)
    for study in ("Kim 2018", "Kim 2020", "Rossi 2016a"):
        wrong = set(chance.sample(range(len(AGREED)), 6))
        bruno = []
        for index, (f, g, i, v, u) in enumerate(AGREED):
            if index not in wrong:
                bruno.append((f, g, i, v, u))
            elif index % 3:  # changed: a number, a choice or text that differs
                changed = {"yes": "no", "NK-92": "NK-92MI", "xenograft": "syngeneic",
                           "melanoma": "lung", "intratumoural": "intravenous",
                           "drug-loaded": "native", "tumour volume": "tumour weight",
                           "perforin/granzyme; FasL": "FasL", "CD63; CD81; HSP70": "CD63",
                           "paclitaxel": "taxol"}.get(v, str(float(v) + 1) if v[0].isdigit() else v)
                bruno.append((f, g, i, changed, u))
        record_values(review, _rows("Amara", study, AGREED) + _rows("Bruno", study, bruno))
        expected = sorted(AGREED[i][0] for i in wrong)
        assert expected == sorted(differences(review, study_id=study)["field"])


def test_reconciling_records_the_agreed_value_and_who_decided(review):
    """A decided difference leaves the open list; with `include_decided` it shows the decision."""
    _dual(review)
    open_ = differences(review)
    take_value(review, open_.iloc[2], "a", reviewer="Chen")            # mean size: Amara's 128
    reconcile(review, study_id="Kim 2018", group="study", instance=1, field="cargo",
              value="paclitaxel", reviewer="Chen")
    reconcile(review, study_id="Kim 2018", group="outcome", instance=2, field="outcome_measure",
              value=None, reviewer="Chen")                             # no outcome 2 after all
    reconcile(review, study_id="Kim 2018", group="outcome", instance=2, field="treated_mean",
              value="", reviewer="Chen")
    left = differences(review)
    assert ["targeting_ligand", "dose"] == list(left["field"])
    every = differences(review, include_decided=True)
    decided = every[every["decided_by"].notna()]
    assert [("cargo", "Chen", "paclitaxel"), ("mean_size", "Chen", 128.0),
            ("outcome_measure", "Chen", None), ("treated_mean", "Chen", None)] == \
        list(zip(decided["field"], decided["decided_by"], decided["agreed_value"]))
    events = review.store.events("extraction", action="value")
    assert {"resolver"} == set(events.loc[events["actor"] == "Chen", "role"])


def test_final_values_agreed_reconciled_conflict_pending(review):
    """Agreement is final, a reconciler's value is final, the rest waits."""
    _dual(review)
    record_values(review, _rows("Amara", "Kim 2020", AGREED[:2]))
    reconcile(review, study_id="Kim 2018", group="vesicle", instance=1, field="mean_size",
              value="128", reviewer="Chen")
    reconcile(review, study_id="Kim 2018", group="outcome", instance=2, field="treated_mean",
              value=None, reviewer="Chen")
    finals = final_values(reviewer_values(review)).set_index(["study_id", "group", "instance", "field"])
    status = finals["status"].to_dict()
    assert "agreed" == status[("Kim 2018", "vesicle", 1, "positive_markers")]
    assert ["CD63", "CD81", "HSP70"] == finals.loc[("Kim 2018", "vesicle", 1, "positive_markers"), "value"]
    assert ("resolved", 128.0, "Chen") == tuple(finals.loc[("Kim 2018", "vesicle", 1, "mean_size"),
                                                            ["status", "value", "decided_by"]])
    assert ("Kim 2018", "outcome", 2, "treated_mean") not in status  # decided: no value
    assert "conflict" == status[("Kim 2018", "experiment", 1, "dose")]
    assert "conflict" == status[("Kim 2018", "outcome", 2, "outcome_measure")]
    assert {"pending"} == {s for k, s in status.items() if k[0] == "Kim 2020"}
    assert 2 == sum(1 for k in status if k[0] == "Kim 2020")


def test_a_reconciled_value_is_checked_like_any_other(review):
    """A typed agreed value that the field refuses is not recorded."""
    _dual(review)
    with pytest.raises(ReviewError, match=re.escape(
            "field 'dose' (Dose), experiment 1: expected a unit of ug protein, particles, ug/mL, found 'mg'")):
        reconcile(review, study_id="Kim 2018", group="experiment", instance=1, field="dose",
                  value="50", unit="mg", reviewer="Chen")
    with pytest.raises(ValueError, match=re.escape("side must be 'a' or 'b', not 'c'")):
        take_value(review, differences(review).iloc[0], "c", reviewer="Chen")
    assert "Chen" not in set(review.store.events("extraction")["actor"])
