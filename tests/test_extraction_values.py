"""Extraction values through a real store: studies and reports, a round trip of every type,
latest wins, long and wide exports. `tiny_review` is shared with the other extraction tests."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from review.errors import ReviewError
from review.extraction.form import ExtractionValueError, form_for
from review.extraction.studies import (
    included_reports,
    link_reports,
    studies,
    study_table,
    surname,
    unlink_reports,
)
from review.extraction.values import (
    extraction_long,
    extraction_wide,
    instance_table,
    record_value,
    record_values,
    reviewer_values,
    write_extraction,
)
from review.project import init_review
from review.screening.decisions import record_decision

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"

RIS = """TY  - JOUR
TI  - Exosomes from NK-92 cells slow melanoma
AU  - Rossi, Giulia
PY  - 2016
T2  - Journal A
ER  - 
TY  - JOUR
TI  - NK exosomes and breast cancer <script>alert(1)</script>
AU  - Rossi, Marco
PY  - 2016
T2  - Journal B
ER  - 
TY  - JOUR
TI  - NK exosomes suppress liver cancer in vitro
AU  - Kim J.
PY  - 2018
ER  - 
TY  - JOUR
TI  - NK exosomes suppress liver cancer in mice
AU  - Kim, Ji-Hoon
PY  - 2020
ER  - 
TY  - JOUR
TI  - A review of exosomes
AU  - Other, Ann
PY  - 2019
ER  - 
"""


def tiny_protocol(folder: Path) -> Path:
    """The example's protocol without its search files, plus a date field."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for search in data["searches"]:
        search.pop("file", None)
    data["other_methods"] = []
    data["extraction"]["fields"].append(
        {"name": "checked_on", "label": "Date checked", "type": "date", "group": "study"})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "protocol.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def tiny_review(folder: Path):
    """A review of five records: four included at full text (Rossi 2016 twice, Kim 2018,
    Kim 2020: record ids 1-4), one excluded (5)."""
    review = init_review(folder / "review", tiny_protocol(folder / "protocol"))
    ris = folder / "tiny.ris"
    ris.write_text(RIS, encoding="utf-8")
    review.import_file(ris, database="Embase")
    for record_id in range(1, 6):
        for reviewer in ("A", "B"):
            for stage in ("title_abstract", "full_text"):
                include = record_id < 5
                record_decision(review.store, stage=stage, record_id=record_id, reviewer=reviewer,
                                decision="include" if include else "exclude",
                                reason=None if include else "not_primary_research")
    return review


@pytest.fixture
def review(tmp_path):
    review = tiny_review(tmp_path)
    yield review
    review.store.dispose()


def test_surnames_as_written():
    """Surnames come from every common way of writing an author."""
    names = ["Park, So-Yeon", "Ahmadi M.R.", "B. Abrahao", "Liu Y.", "De Luca, Giulia", "Madonna",
             None, ""]
    assert ["Park", "Ahmadi", "Abrahao", "Liu", "De Luca", "Madonna", "", ""] == [surname(n) for n in names]


def test_included_reports_and_default_study_ids(review):
    """Only full-text includes are reports; colliding default ids get letters by record id."""
    reports = included_reports(review)
    assert ["record_id", "title", "first_author", "year", "journal", "doi", "pmid"] == list(reports.columns)
    assert [1, 2, 3, 4] == list(reports["record_id"])
    assert ["Rossi", "Rossi", "Kim", "Kim"] == list(reports["first_author"])
    table = study_table(review)
    assert ["study_id", "study", "record_id", "title", "first_author", "year"] == list(table.columns)
    assert [("Kim 2018", 3), ("Kim 2020", 4), ("Rossi 2016a", 1), ("Rossi 2016b", 2)] == \
        list(zip(table["study_id"], table["record_id"]))
    # Each included report is a study of its own, with a surrogate id of its own.
    assert 4 == table["study"].nunique()


def test_linking_reports_makes_one_study_and_unlinking_undoes_it(review):
    """A later report linked to a default-named study joins it; the study keeps its name."""
    kim = int(study_table(review).set_index("record_id").loc[3, "study"])
    assert 1 == link_reports(review, "Kim 2018", [4], reviewer="C")
    table = study_table(review)
    assert {kim} == set(table.loc[table["record_id"].isin([3, 4]), "study"])
    assert [("Kim 2018", 3, 2018), ("Kim 2018", 4, 2020), ("Rossi 2016a", 1, 2016),
            ("Rossi 2016b", 2, 2016)] == list(zip(table["study_id"], table["record_id"], table["year"]))
    listed = studies(review)
    assert [("Kim 2018", 2, [3, 4]), ("Rossi 2016a", 1, [1]), ("Rossi 2016b", 1, [2])] == \
        list(zip(listed["study_id"], listed["reports"], listed["record_ids"]))
    links = review.store.events("extraction", action="link_report")
    assert [(4, kim, "C")] == list(zip(links["work_id"], links["study_id"], links["actor"]))
    unlink_reports(review, [4], reviewer="C")
    assert ["Kim 2018", "Kim 2020"] == list(study_table(review)["study_id"])[:2]


def test_linking_refuses_reports_that_are_not_included(review):
    """Only included reports can be linked, and nothing is recorded otherwise."""
    message = ("record(s) 5 are not included reports (their final full-text decision is not "
               "include); no links were recorded")
    with pytest.raises(ReviewError, match=re.escape(message)):
        link_reports(review, "Kim 2018", [3, 5], reviewer="C")
    with pytest.raises(ReviewError, match=re.escape("no work 9 in this review")):
        link_reports(review, "Kim 2018", [3, 9], reviewer="C")
    with pytest.raises(ReviewError, match=re.escape("expected a study id (text such as 'Lugini 2012'), found ' '")):
        link_reports(review, " ", [3], reviewer="C")
    assert review.store.events("extraction", action="link_report").empty
    assert review.store.events("extraction", action="name_study").empty
    assert [("Kim 2018", 3), ("Kim 2020", 4)] == \
        list(zip(study_table(review)["study_id"], study_table(review)["record_id"]))[:2]


def test_every_type_round_trips_through_the_store(review):
    """Values of each field type come back from the store as stored, typed."""
    entered = [("strategy", "study", 1, "Drug-loaded", None, "drug-loaded", None),
               ("cargo", "study", 1, "  paclitaxel ", None, "paclitaxel", None),
               ("mechanism", "study", 1, "FasL; perforin/granzyme", None, ["perforin/granzyme", "FasL"], None),
               ("checked_on", "study", 1, "2025-03-01", None, "2025-03-01", None),
               ("mean_size", "vesicle", 1, "128.5", None, 128.5, "nm"),
               ("tem_imaging", "vesicle", 1, "yes", None, True, None),
               ("dose", "experiment", 2, 50, "ug protein", 50.0, "ug protein"),
               ("treated_n", "outcome", 1, "6", None, 6, None)]
    record_values(review, [{"reviewer": "Amara", "study_id": "Kim 2018", "field": f, "group": g,
                            "instance": i, "value": v, "unit": u} for f, g, i, v, u, _, _ in entered])
    stored = reviewer_values(review)
    got = [(r.field, r.group, r.instance, r.value, r.unit) for r in stored.itertuples()]
    assert [(f, g, i, value, unit) for f, g, i, _, _, value, unit in entered] == got
    assert {"Amara"} == set(stored["reviewer"]) and {"extractor"} == set(stored["role"])
    assert isinstance(stored.loc[stored["field"] == "treated_n", "value"].iloc[0], int)


def test_latest_value_wins_and_null_clears(review):
    """A newer value replaces an older one; clearing removes an extractor's value."""
    record_value(review, reviewer="Amara", study_id="Kim 2018", field="cargo", value="taxol")
    record_value(review, reviewer="Amara", study_id="Kim 2018", field="cargo", value="paclitaxel")
    record_value(review, reviewer="Amara", study_id="Kim 2018", field="targeting_ligand", value="RGD")
    record_value(review, reviewer="Amara", study_id="Kim 2018", field="targeting_ligand", value="")
    record_value(review, reviewer="Chen", study_id="Kim 2018", field="targeting_ligand", value=None,
                 role="resolver")
    stored = reviewer_values(review)
    assert [("Amara", "extractor", "cargo", "paclitaxel"), ("Chen", "resolver", "targeting_ligand", None)] == \
        [(r.reviewer, r.role, r.field, r.value) for r in stored.itertuples()]
    assert 5 == len(review.store.events("extraction", action="value"))


def test_values_are_checked_before_anything_is_stored(review):
    """One bad value in a batch stores none; the message names the field and the instance."""
    rows = [{"reviewer": "Amara", "study_id": "Kim 2018", "field": "cargo", "value": "x"},
            {"reviewer": "Amara", "study_id": "Kim 2018", "field": "dose", "group": "experiment",
             "instance": 2, "value": "lots", "unit": "ug protein"}]
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'dose' (Dose), experiment 2: expected a number, found 'lots'")):
        record_values(review, rows)
    with pytest.raises(ReviewError, match=re.escape(
            "field 'strategy' (Strategy): group 'study' (Study characteristics) does not repeat, "
            "so its instance is 1, not 2")):
        record_value(review, reviewer="A", study_id="Kim 2018", field="strategy", value="native",
                     instance=2)
    with pytest.raises(ReviewError, match=re.escape(
            "field 'strategy' (Strategy): belongs to group 'study', not 'vesicle'")):
        record_value(review, reviewer="A", study_id="Kim 2018", field="strategy", group="vesicle",
                     value="native")
    with pytest.raises(ReviewError, match=re.escape("field 'colour' is not in the protocol's extraction schema")):
        record_value(review, reviewer="A", study_id="Kim 2018", field="colour", value="red")
    with pytest.raises(ReviewError, match=re.escape(  # a study is one of the included studies
            "no study 'Other 2019' in this review (its included studies are Kim 2018, Kim 2020, "
            "Rossi 2016a, Rossi 2016b)")):
        record_value(review, reviewer="A", study_id="Other 2019", field="strategy", value="native")
    assert review.store.events("extraction", action="value").empty


def _both(review, study_id: str, field: str, value, unit=None, *, group=None, instance=1, b_value="same"):
    for reviewer, v in (("Amara", value), ("Bruno", value if b_value == "same" else b_value)):
        record_value(review, reviewer=reviewer, study_id=study_id, field=field, value=v, unit=unit,
                     group=group, instance=instance)


def test_long_and_wide_exports_of_final_values(review, tmp_path):
    """Long form lists each final value with its status; wide form has a column per field and
    instance, with units; both write to CSV and XLSX."""
    _both(review, "Kim 2018", "strategy", "native")
    _both(review, "Kim 2018", "mean_size", "141")
    _both(review, "Kim 2018", "tem_imaging", "no")
    _both(review, "Kim 2018", "treated_mean", "0.42", group="outcome", instance=2)
    _both(review, "Kim 2018", "treated_n", "8", group="outcome", instance=2, b_value="9")
    record_value(review, reviewer="Amara", study_id="Kim 2020", field="strategy", value="native")
    long = extraction_long(review)
    assert ["study_id", "group", "instance", "field", "study", "label", "type", "value", "unit",
            "status", "decided_by"] == list(long.columns)
    kim = dict(zip(study_table(review)["study_id"], study_table(review)["study"]))
    assert [kim["Kim 2018"]] * 5 + [kim["Kim 2020"]] == list(long["study"])
    assert [("Kim 2018", "study", 1, "strategy", "native", None, "agreed"),
            ("Kim 2018", "vesicle", 1, "mean_size", 141.0, "nm", "agreed"),
            ("Kim 2018", "vesicle", 1, "tem_imaging", False, None, "agreed"),
            ("Kim 2018", "outcome", 2, "treated_mean", 0.42, None, "agreed"),
            ("Kim 2018", "outcome", 2, "treated_n", None, None, "conflict"),
            ("Kim 2020", "study", 1, "strategy", None, None, "pending")] == \
        [(r.study_id, r.group, r.instance, r.field, r.value, r.unit, r.status) for r in long.itertuples()]
    every = extraction_long(review, final=False)
    assert ["reviewer", "role", "study_id", "group", "instance", "field", "label", "type", "value",
            "unit", "at"] == list(every.columns)
    assert 11 == len(every)
    wide = extraction_wide(review)
    assert ["Kim 2018", "Kim 2020", "Rossi 2016a", "Rossi 2016b"] == list(wide["study_id"])
    assert [[3], [4], [1], [2]] == list(wide["reports"])
    assert [1, 1, 0, 0] == list(wide["unresolved"])
    first = wide.iloc[0]
    assert ("native", 141.0, "nm", False, 0.42, None) == (
        first["strategy"], first["mean_size"], first["mean_size_unit"], first["tem_imaging"],
        first["treated_mean_2"], first["treated_n_2"])
    assert "treated_mean_1" in wide.columns and "treated_mean_3" not in wide.columns
    assert "dose_1_unit" in wide.columns and "cargo_unit" not in wide.columns
    write_extraction(wide, tmp_path / "wide.csv")
    with open(tmp_path / "wide.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert ("native", "141", "nm", "no", "0.42", "") == (
        rows[0]["strategy"], rows[0]["mean_size"], rows[0]["mean_size_unit"], rows[0]["tem_imaging"],
        rows[0]["treated_mean_2"], rows[0]["treated_n_2"])
    write_extraction(long, tmp_path / "long.xlsx")
    from openpyxl import load_workbook
    sheet = load_workbook(tmp_path / "long.xlsx").active
    assert ["study_id", "group", "instance", "field"] == [c.value for c in sheet[1]][:4]
    assert ("value", "no") == (sheet.cell(row=1, column=8).value, sheet.cell(row=4, column=8).value)
    with pytest.raises(ReviewError, match=re.escape("long.txt: expected a file name ending in .csv or .xlsx, found '.txt'")):
        write_extraction(long, tmp_path / "long.txt")


def test_instance_table_gives_numbers_for_a_meta_analysis(review):
    """The outcome group as one row per study and outcome, numbers typed for calculation."""
    _both(review, "Kim 2018", "outcome_measure", "tumour weight", group="outcome", instance=1)
    _both(review, "Kim 2018", "treated_mean", "0.42", group="outcome", instance=1)
    _both(review, "Kim 2018", "treated_n", "8", group="outcome", instance=1)
    _both(review, "Rossi 2016a", "treated_mean", "318", group="outcome", instance=1)
    table = instance_table(review, "outcome")
    assert [("Kim 2018", 1, "tumour weight", 0.42), ("Rossi 2016a", 1, None, 318.0)] == \
        [(r.study_id, r.instance, r.outcome_measure, r.treated_mean) for r in table.itertuples()]
    assert [8, None] == [None if pd.isna(n) else n for n in table["treated_n"]]
    assert "float64" == str(table["treated_mean"].dtype) and "Int64" == str(table["treated_n"].dtype)


def test_form_for_the_review_uses_its_protocol(review):
    """The review's form has the protocol's groups in order, plus the added date field."""
    form = form_for(review)
    assert ["study", "vesicle", "experiment", "outcome"] == [g.name for g in form.groups]
    assert "date" == form.field("checked_on").type
