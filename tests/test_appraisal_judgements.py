"""Judgements through a real SQLite store: events as the contract says, latest wins, agreement,
reconciliation with who decided, the robvis table, and CSV files loaded all or nothing."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from review.appraisal import (differences, judgements, load_judgements, reconcile,
                              record_judgement, robvis_table, write_robvis)
from review.errors import ReviewError
from review.extraction.studies import study_table
from studies import review_with_studies

ROOT = Path(__file__).resolve().parents[1]
AMARA, BRUNO, CHEN = "Amara Okafor", "Bruno Lindqvist", "Chen Wei"
STUDIES = ["Lugini 2012", "Rossi 2016"]
#: The included studies of the test review: a judgement is only recorded for a study that exists.
INCLUDED = [*STUDIES, "Jensen 2021", '=HYPERLINK("x") 2020']


@pytest.fixture
def review(tmp_path):
    review = review_with_studies(tmp_path / "r", INCLUDED)
    yield review
    review.store.dispose()


def _study(review, label: str) -> int:
    """The surrogate id of the included study labelled `label`."""
    table = study_table(review)
    return int(table.loc[table["study_id"] == label, "study"].iloc[0])


def _judge(review, reviewer, study, domain, judgement, support="As reported.", **extra):
    return record_judgement(review, reviewer=reviewer, tool="SYRCLE", study_id=study,
                            domain=domain, judgement=judgement, support=support, **extra)


def _syrcle_all(review, reviewer, study, judgement, support="Described in the methods."):
    for i in range(1, 11):
        _judge(review, reviewer, study, f"D{i}", judgement, support)


def test_a_judgement_is_one_event_with_the_contract_payload(review):
    """Stage risk_of_bias, action judgement, actor the reviewer, payload as the contract says."""
    event_id = record_judgement(review, reviewer=AMARA, tool="RoB 2", study_id="Rossi 2016",
                                domain="Bias arising from the randomisation process",
                                judgement="Some concerns", support="Randomised; method not given.",
                                answers={"1.1": "NI", "1.2": "Y", "1.3": "", "9": None})
    log = review.store.events("risk_of_bias")
    assert [event_id] == list(log["event_id"])
    event = log.iloc[0]
    assert (AMARA, "judgement") == (event["actor"], event["action"])
    # What identifies the judgement is typed columns: the study's surrogate id, tool, domain, role.
    assert (_study(review, "Rossi 2016"), "RoB2", "D1", "assessor") == \
        (int(event["study_id"]), event["tool"], event["domain"], event["role"])
    assert all(pd.isna(event[c]) for c in ("record_id", "work_id", "form_group", "instance",
                                           "field", "undoes"))
    # The payload keeps only the free values.
    assert {"judgement": "some_concerns", "support": "Randomised; method not given.",
            "answers": {"1.1": "NI", "1.2": "Y"}} == event["payload"]


@pytest.mark.parametrize("change, message", [
    ({"judgement": "Maybe"}, "SYRCLE, study 'Rossi 2016', D3 (Allocation concealment): judgement "
                             "must be one of Low risk, Unclear risk, High risk, not 'Maybe'"),
    ({"support": "  "}, "SYRCLE, study 'Rossi 2016', D3 (Allocation concealment): a judgement "
                        "needs a support text (a quote from the report or the reason for the "
                        "judgement)"),
    ({"domain": "D11"}, "SYRCLE, study 'Rossi 2016': no domain 'D11'; expected one of D1, D2, "
                        "D3, D4, D5, D6, D7, D8, D9, D10"),
    ({"answers": {"3.1": "maybe"}}, "SYRCLE, study 'Rossi 2016', D3 (Allocation concealment): "
                                    "question 3.1: answer must be one of Y, N, U, not 'maybe'"),
    ({"answers": {"1.1": "Y"}}, "SYRCLE, study 'Rossi 2016', D3 (Allocation concealment): no "
                                "signalling question '1.1' in this domain; expected one of 3.1"),
    ({"role": "boss"}, "SYRCLE, study 'Rossi 2016', D3 (Allocation concealment): role must be "
                       "one of assessor, resolver, not 'boss'"),
    ({"reviewer": ""}, "SYRCLE, study 'Rossi 2016', D3 (Allocation concealment): a judgement "
                       "needs the reviewer's name"),
])
def test_a_bad_judgement_is_refused_naming_tool_study_and_domain(review, change, message):
    """Nothing is stored, and the message says where and what was expected."""
    given = {"reviewer": AMARA, "tool": "SYRCLE", "study_id": "Rossi 2016", "domain": "D3",
             "judgement": "low", "support": "Sealed envelopes."} | change
    with pytest.raises(ReviewError, match=re.escape(message)):
        record_judgement(review, **given)
    assert review.store.events("risk_of_bias").empty


def test_round_trip_latest_judgement_wins(review):
    """Each reviewer's standing judgement is their latest for the study and domain."""
    first = _judge(review, AMARA, "Rossi 2016", "D1", "unclear", "Said to be random.")
    second = _judge(review, AMARA, "Rossi 2016", "D1", "low", "Random-number table, methods p.3.",
                    answers={"1.1": "Y"})
    bruno = _judge(review, BRUNO, "Rossi 2016", "D1", "low", "Table of random numbers.")
    _judge(review, BRUNO, "Lugini 2012", "Sequence generation", "Unclear risk", "Not described.")
    standing = judgements(review, "SYRCLE", final=False)
    lugini, rossi = _study(review, "Lugini 2012"), _study(review, "Rossi 2016")
    expected = pd.DataFrame({
        "study_id": ["Lugini 2012", "Rossi 2016", "Rossi 2016"], "study": [lugini, rossi, rossi],
        "domain": ["D1", "D1", "D1"], "reviewer": [BRUNO, AMARA, BRUNO],
        "role": ["assessor"] * 3, "judgement": ["unclear", "low", "low"],
        "support": ["Not described.", "Random-number table, methods p.3.", "Table of random numbers."],
        "answers": [{}, {"1.1": "Y"}, {}]})
    assert expected.to_dict("list") == standing.drop(columns=["at", "event_id"]).to_dict("list")
    assert first not in set(standing["event_id"]) and {second, bruno} <= set(standing["event_id"])


def test_final_judgements_agree_conflict_pending_and_reconcile(review):
    """Agreement stands, a difference waits for the reconciler, whose judgement is final."""
    _judge(review, AMARA, "Rossi 2016", "D1", "low", "Random-number table.")
    _judge(review, BRUNO, "Rossi 2016", "D1", "low", "Randomised by table.")
    _judge(review, AMARA, "Rossi 2016", "D2", "low", "Tumour volumes equal at day 7.")
    _judge(review, BRUNO, "Rossi 2016", "D2", "unclear", "Baseline volumes not given by group.")
    _judge(review, AMARA, "Rossi 2016", "D3", "unclear", "Not described.")
    final = judgements(review, "SYRCLE")
    rossi = _study(review, "Rossi 2016")
    assert [("Rossi 2016", rossi, "D1", "low", "Low risk", f"{AMARA}: Random-number table.\n"
             f"{BRUNO}: Randomised by table.", "agreed", [AMARA, BRUNO], None),
            ("Rossi 2016", rossi, "D2", None, None, "", "conflict", [AMARA, BRUNO], None),
            ("Rossi 2016", rossi, "D3", None, None, "", "pending", [AMARA], None)] == \
        list(final.itertuples(index=False, name=None))
    reconcile(review, reviewer=CHEN, tool="SYRCLE", study_id="Rossi 2016", domain="D2",
              judgement="unclear", support="Figure 2 shows day-7 volumes only as a pooled mean.")
    final = judgements(review, "SYRCLE").set_index("domain")
    assert ("unclear", "resolved", CHEN) == tuple(final.loc["D2", ["judgement", "status", "decided_by"]])
    assert "Figure 2 shows day-7 volumes only as a pooled mean." == final.loc["D2", "support"]
    single = judgements(review, "SYRCLE", assessors=1).set_index("domain")
    assert ("unclear", "agreed") == tuple(single.loc["D3", ["judgement", "status"]])


def test_differences_list_who_said_what_and_who_decided(review):
    """Only domains where assessors differ are listed, open or reconciled, with the reconciler."""
    _judge(review, AMARA, "Rossi 2016", "D1", "low", "Table.")
    _judge(review, BRUNO, "Rossi 2016", "D1", "low", "Table.")
    _judge(review, AMARA, "Rossi 2016", "D7", "unclear", "Not stated.")
    _judge(review, BRUNO, "Rossi 2016", "D7", "high", "Calipers by the treating author.")
    _judge(review, AMARA, "Lugini 2012", "D8", "low", "All wells reported.")
    _judge(review, BRUNO, "Lugini 2012", "D8", "unclear", "Replicates unclear.")
    reconcile(review, reviewer=CHEN, tool="SYRCLE", study_id="Rossi 2016", domain="D7",
              judgement="high", support="Methods: measured by the author who injected.")
    found = differences(review, "SYRCLE")
    assert [("Lugini 2012", "D8", "Incomplete outcome data", {AMARA: "low", BRUNO: "unclear"},
             {AMARA: "All wells reported.", BRUNO: "Replicates unclear."}, "conflict", None, None),
            ("Rossi 2016", "D7", "Blinding of outcome assessment", {AMARA: "unclear", BRUNO: "high"},
             {AMARA: "Not stated.", BRUNO: "Calipers by the treating author."}, "resolved",
             CHEN, "high")] == list(found.itertuples(index=False, name=None))


def test_robvis_table_is_exact(review):
    """Study, D1..D10, Overall, Weight in robvis' spelling; incomplete studies left blank."""
    for reviewer in (AMARA, BRUNO):
        _syrcle_all(review, reviewer, "Rossi 2016", "low")
        _judge(review, reviewer, "Rossi 2016", "D5", "unclear", "Not stated.")
        _syrcle_all(review, reviewer, "Lugini 2012", "low")
    _judge(review, BRUNO, "Lugini 2012", "D9", "high", "Outcomes in methods missing from results.")
    table = robvis_table(review, "SYRCLE")
    assert ["Study", "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10", "Overall",
            "Weight"] == list(table.columns)
    assert [["Lugini 2012"] + ["Low"] * 8 + [None, "Low", None, 1],
            ["Rossi 2016"] + ["Low"] * 4 + ["Unclear"] + ["Low"] * 5 + ["Unclear", 1]] == \
        table.values.tolist()
    reconcile(review, reviewer=CHEN, tool="SYRCLE", study_id="Lugini 2012", domain="D9",
              judgement="high", support="Viability assay in methods, not in results.")
    table = robvis_table(review, "SYRCLE", studies=["Rossi 2016", "Lugini 2012", "Sun 2019"],
                         weights={"Rossi 2016": 12})
    assert [["Rossi 2016"] + ["Low"] * 4 + ["Unclear"] + ["Low"] * 5 + ["Unclear", 12],
            ["Lugini 2012"] + ["Low"] * 8 + ["High", "Low", "High", 1],
            ["Sun 2019"] + [None] * 11 + [1]] == table.values.tolist()


def test_robvis_table_uses_overall_levels_of_misev(review):
    """MISEV's overall is how many items are reported, spelled Low / Some concerns / High."""
    items = ["reported"] * 5 + ["not_reported", "partly", "reported"]
    for reviewer in (AMARA, BRUNO):
        for i, judgement in enumerate(items, start=1):
            record_judgement(review, reviewer=reviewer, tool="MISEV", study_id="Jensen 2021",
                             domain=f"D{i}", judgement=judgement, support="Figure 1.")
    assert [["Jensen 2021", "Low", "Low", "Low", "Low", "Low", "High", "Some concerns", "Low",
             "Some concerns", 1]] == robvis_table(review, "MISEV").values.tolist()
    assert robvis_table(review, "SYRCLE").empty


def test_write_robvis_csv_and_xlsx_neutralise_formulas(review, tmp_path):
    """The table is written by suffix; a study name that looks like a formula stays text."""
    for reviewer in (AMARA, BRUNO):
        _syrcle_all(review, reviewer, "=HYPERLINK(\"x\") 2020", "high", "No methods at all.")
    table = robvis_table(review, "SYRCLE")
    write_robvis(table, tmp_path / "rob.csv")
    with open(tmp_path / "rob.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert ["Study", "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10", "Overall",
            "Weight"] == rows[0]
    assert ["'=HYPERLINK(\"x\") 2020"] + ["High"] * 11 + ["1"] == rows[1]
    write_robvis(table, tmp_path / "rob.xlsx")
    sheet = load_workbook(tmp_path / "rob.xlsx").active
    assert ["'=HYPERLINK(\"x\") 2020", "High"] == [sheet["A2"].value, sheet["B2"].value]
    with pytest.raises(ReviewError, match=re.escape(
            f"{tmp_path / 'rob.json'}: a robvis table is written as .csv or .xlsx, not '.json'")):
        write_robvis(table, tmp_path / "rob.json")


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


HEADER = ["reviewer", "role", "study_id", "domain", "judgement", "support", "answers"]


def test_load_judgements_records_every_row_in_one_go(review, tmp_path):
    """A judgements CSV becomes events by its reviewers, answers included, reconciler final."""
    path = _write(tmp_path / "syrcle.csv", [
        HEADER,
        [AMARA, "assessor", "Rossi 2016", "D1", "Low", "Random-number table.", '{"1.1": "Y"}'],
        [BRUNO, "assessor", "Rossi 2016", "D1", "Unclear", "Method not given.", ""],
        [CHEN, "reconciler", "Rossi 2016", "D1", "low", "Methods p.3 names the table.", ""],
        [AMARA, "", "Lugini 2012", "Random housing", "high", "Cages by group.", ""],
    ])
    assert 4 == load_judgements(review, path, "SYRCLE", studies=STUDIES)
    standing = judgements(review, "SYRCLE", final=False)
    assert [("Lugini 2012", "D4", AMARA, "assessor", "high", {}),
            ("Rossi 2016", "D1", AMARA, "assessor", "low", {"1.1": "Y"}),
            ("Rossi 2016", "D1", BRUNO, "assessor", "unclear", {}),
            ("Rossi 2016", "D1", CHEN, "resolver", "low", {})] == list(
        standing[["study_id", "domain", "reviewer", "role", "judgement", "answers"]]
        .itertuples(index=False, name=None))
    assert 1 == review.store.events("risk_of_bias")["at"].nunique()  # one transaction


@pytest.mark.parametrize("row, message", [
    ([AMARA, "assessor", "Rossi 2017", "D2", "low", "x", ""],
     "{path}, line 3, SYRCLE D2: no study 'Rossi 2017' in this review; no judgements were recorded"),
    ([AMARA, "assessor", "Rossi 2016", "D2", "fine", "x", ""],
     "{path}, line 3: SYRCLE, study 'Rossi 2016', D2 (Baseline characteristics): judgement must "
     "be one of Low risk, Unclear risk, High risk, not 'fine'; no judgements were recorded"),
    ([AMARA, "assessor", "Rossi 2016", "D2", "low", "x", "[1, 2]"],
     "{path}, line 3, SYRCLE D2: expected the answers as a JSON object such as {{\"1.1\": \"Y\"}}, "
     "found '[1, 2]'; no judgements were recorded"),
    ([AMARA, "assessor", "Rossi 2016", "D12", "low", "x", ""],
     "{path}, line 3: SYRCLE, study 'Rossi 2016': no domain 'D12'; expected one of D1, D2, D3, "
     "D4, D5, D6, D7, D8, D9, D10; no judgements were recorded"),
])
def test_load_judgements_refuses_a_bad_row_and_records_nothing(review, tmp_path, row, message):
    """Errors name file, line and domain; the good row before the bad one is not stored."""
    path = _write(tmp_path / "syrcle.csv", [
        HEADER, [AMARA, "assessor", "Rossi 2016", "D1", "low", "Table.", ""], row])
    with pytest.raises(ReviewError, match=re.escape(message.format(path=path))):
        load_judgements(review, path, "SYRCLE", studies=STUDIES)
    assert review.store.events("risk_of_bias").empty


def test_load_judgements_needs_its_columns(review, tmp_path):
    """A file without the expected columns is refused saying which are missing."""
    path = _write(tmp_path / "rob.csv", [["reviewer", "study", "domain", "judgement"],
                                         [AMARA, "Rossi 2016", "D1", "low"]])
    with pytest.raises(ReviewError, match=re.escape(
            f"{path}: expected a CSV with columns reviewer, role, study_id, domain, judgement, "
            "support; missing role, study_id, support")):
        load_judgements(review, path, "SYRCLE", studies=STUDIES)
    assert json.dumps([]) == json.dumps(list(review.store.events("risk_of_bias")["event_id"]))


EXAMPLE = ROOT / "protocols" / "nk-exosomes"


def _generator():
    import importlib.util
    import sys
    spec = importlib.util.spec_from_file_location("generate_risk_of_bias",
                                                  EXAMPLE / "generate_risk_of_bias.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_example_files_are_what_the_generator_writes(tmp_path):
    """The committed example judgements are regenerated byte for byte."""
    _generator().main(tmp_path)
    for name in ("syrcle.csv", "misev.csv"):
        assert (EXAMPLE / "risk_of_bias" / name).read_bytes() == (tmp_path / name).read_bytes()


def test_example_judgements_load_complete_and_reconciled(tmp_path):
    """12 animal studies by SYRCLE and 15 by MISEV, every difference settled by Chen Wei."""
    studies = _generator().studies()
    ids = [s.study_id for s in studies]
    assert 15 == len(ids) and "Kim 2018" in ids and "Kim 2020" not in ids
    review = review_with_studies(tmp_path / "ex", ids)  # the example's included studies
    try:
        _check_example_judgements(review, studies, ids)
    finally:
        review.store.dispose()


def _check_example_judgements(review, studies, ids):
    assert 245 == load_judgements(review, EXAMPLE / "risk_of_bias" / "syrcle.csv", "SYRCLE",
                                  studies=ids)
    assert 244 == load_judgements(review, EXAMPLE / "risk_of_bias" / "misev.csv", "MISEV",
                                  studies=ids)
    syrcle, misev = robvis_table(review, "SYRCLE"), robvis_table(review, "MISEV")
    assert sorted(s.study_id for s in studies if s.in_vivo) == list(syrcle["Study"])
    assert ids == list(misev["Study"])
    assert not syrcle.isna().any().any() and not misev.isna().any().any()
    for tool, count in (("SYRCLE", 5), ("MISEV", 4)):
        found = differences(review, tool)
        assert (count, {"resolved"}, {CHEN}) == (len(found), set(found["status"]),
                                                   set(found["resolved_by"]))
    by_study = syrcle.set_index("Study")
    assert ("High", "Low") == (by_study.loc["Huang 2020", "D8"], by_study.loc["Kim 2018", "D1"])
    standing = judgements(review, "MISEV", final=False)
    from review.appraisal import suggest_judgement
    assert all(j == suggest_judgement("MISEV", d, a) for j, d, a in
               zip(standing["judgement"], standing["domain"], standing["answers"]))


@pytest.mark.slow
def test_example_judgements_name_the_studies_of_the_built_example(example_copy):
    """Against the built example, the study ids come from its study table (no list given)."""
    from review.project import open_review
    review = open_review(example_copy)
    try:
        from review.extraction.studies import link_reports, study_table
        table = study_table(review)
        kim = table[table["first_author"] == "Kim"].sort_values("year")
        if list(kim["study_id"]) != ["Kim 2018", "Kim 2018"]:  # example not yet linking them
            link_reports(review, "Kim 2018", list(kim["record_id"]), reviewer="Chen Wei")
        recorded = load_judgements(review, EXAMPLE / "risk_of_bias" / "misev.csv", "MISEV")
        assert 244 == recorded
        assert 15 == len(robvis_table(review, "MISEV"))
    finally:
        review.store.dispose()
