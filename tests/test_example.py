"""The worked example builds from its raw exports, and its notebook runs under papermill."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import copy_review
from review.cli import main
from review.project import open_review

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "protocols" / "nk-exosomes"
DATABASE_NAMES = {"pubmed": "PubMed", "embase": "Embase", "wos": "Web of Science", "scopus": "Scopus"}
#: The update search (a second search date), imported by `review example` with `review update`.
UPDATE = EXAMPLE / "update"


def answer_key() -> pd.DataFrame:
    """Every database record of the example: the first searches' and the update's."""
    return pd.concat([pd.read_csv(EXAMPLE / "searches" / "answer_key.csv"),
                      pd.read_csv(UPDATE / "answer_key.csv")], ignore_index=True)


@pytest.fixture(scope="module")
def example_review(worked_example, tmp_path_factory):
    """`review example` as the session built it (conftest), copied for this module."""
    return copy_review(worked_example, tmp_path_factory.mktemp("example") / "nk-exosomes")


def test_example_counts_match_the_answer_key(example_review):
    """Records per database equal the answer keys' rows per database (the update's included)."""
    key = answer_key()
    expected = {DATABASE_NAMES[db]: n for db, n in key.groupby("database").size().items()}
    counts = open_review(example_review).store.count_by_database()
    got = {row.database: int(row.records) for row in counts.itertuples() if row.method == "database"}
    assert got == expected


def test_example_positions_follow_the_answer_key(example_review):
    """Each stored record sits at the file position the answer key gives, with its work's title."""
    key = answer_key()
    records = open_review(example_review).store.records(with_raw=False)
    for (db, file), n in key.groupby(["database", "file"]).size().items():
        stored = records[(records["database"] == DATABASE_NAMES[db]) & (records["source_file"] == file)]
        assert sorted(stored["position"]) == list(range(1, n + 1))


def test_example_other_methods_records(example_review):
    """The five seed works are in the review as records found via other methods."""
    records = open_review(example_review).store.records(with_raw=False)
    sources = open_review(example_review).store.sources()
    other = sources[sources["method"] != "database"]
    assert other["record_count"].sum() == 5
    dois = set(records["doi"].dropna())
    assert {"10.4161/onci.22337", "10.1186/s13046-023-02717-x", "10.1186/s12967-025-06814-7"} <= dois


def test_example_refuses_to_overwrite_without_force(example_review, capsys):
    """Rebuilding into an existing review needs --force."""
    assert main(["example", str(example_review)]) == 1
    assert "--force" in capsys.readouterr().err


def test_status_json_of_example(example_review, capsys):
    """`review status --json` lists every database searched and the other-methods source."""
    assert main(["status", "--review", str(example_review), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    names = {d["database"] for d in status["databases"]}
    assert {"PubMed", "Embase", "Web of Science", "Scopus"} <= names
    decisions = len(pd.read_csv(EXAMPLE / "screening" / "decisions.csv")) \
        + len(pd.read_csv(UPDATE / "decisions.csv"))
    extraction = sum(len(pd.read_csv(EXAMPLE / "extraction" / name))
                     for name in ("studies.csv", "extraction.csv"))
    judgements = sum(len(pd.read_csv(EXAMPLE / "risk_of_bias" / name))
                     for name in ("syrcle.csv", "misev.csv"))
    judgements += len(pd.read_csv(EXAMPLE / "certainty" / "judgements.csv"))  # GRADE, one event each
    # one import event per file, the protocol, two dedup runs (the first searches', the
    # update's) and a merge per duplicate, one event per screening decision, extracted value
    # and risk-of-bias judgement, a new study per included report, and the links and names of
    # studies.csv
    dedup = status["deduplication"]
    studies_csv = len(pd.read_csv(EXAMPLE / "extraction" / "studies.csv"))
    assert status["events"] == (status["sources"] + 1 + 2 + dedup["duplicates_removed"]
                                + decisions + extraction - studies_csv + judgements
                                + 16 + status["event_actions"].get("link_report", 0)
                                + status["event_actions"].get("name_study", 0)
                                + status["event_actions"].get("merge_study", 0))
    # the update's one work that passed title and abstract is excluded at full text
    assert status["screening"]["full_text"] == {"exclude": 13, "include": 16, "not_retrieved": 2}
    dedup = status["deduplication"]
    assert dedup["records"] == status["records"] and not dedup["out_of_date"]
    assert dedup["unique"] + dedup["duplicates_removed"] == status["records"]
    extraction = status["extraction"]
    assert (15, 16) == (extraction["studies"], extraction["reports"])
    assert {"agreed", "resolved"} == set(extraction["values"])  # nothing left open
    assert {"SYRCLE": 12, "MISEV": 15} == {tool: counts["studies"]
                                         for tool, counts in status["risk_of_bias"].items()}


@pytest.mark.slow
def test_identify_notebook_runs_under_papermill(example_review, tmp_path):
    """notebooks/01_identify.ipynb runs on the example and shows its per-database counts."""
    import papermill
    out = tmp_path / "01_identify.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "01_identify.ipynb"), str(out),
                               parameters={"review_dir": str(example_review)},
                               progress_bar=False, kernel_name="python3")
    notebook = json.loads(out.read_text(encoding="utf-8"))
    text = "".join("".join(o.get("text", "")) for c in notebook["cells"] if c["cell_type"] == "code"
                   for o in c.get("outputs", []))
    assert "PubMed" in text and "Scopus" in text and "Total" in text
    assert "duplicates removed" in text
    widgets = [o for c in notebook["cells"] for o in c.get("outputs", [])
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets, "the duplicate reviewer widget is displayed"


def test_example_deduplication_meets_the_answer_key_exactly(example_review):
    """`review example` deduplicates: database records of one work form one cluster, records of
    different works never share one (errata, conference abstracts and duplicate publications
    included), and each other-methods page joins the database records of its work, if any."""
    review = open_review(example_review)
    records = review.store.records(with_raw=False).merge(review.store.clusters(), on="record_id")
    key = answer_key().drop(columns=["record_id"])
    located = records.merge(key, left_on=["source_file", "position"], right_on=["file", "position"],
                            how="left")
    found = located.dropna(subset=["work_id"])
    by_work = found.groupby("work_id")["cluster_id"].nunique()
    assert (by_work == 1).all(), by_work[by_work > 1]
    by_cluster = found.groupby("cluster_id")["work_id"].nunique()
    assert (by_cluster == 1).all(), by_cluster[by_cluster > 1]
    pages = located[located["work_id"].isna()]
    works_of_page = {row.title: set(found.loc[found["cluster_id"] == row.cluster_id, "work_id"])
                     for row in pages.itertuples()}
    fais = works_of_page["NK cell-released exosomes: Natural nanobullets against tumors"]
    assert len(fais) == 1 and len(works_of_page["NK-derived exosomes in anti-tumor strategies"]) == 0
    assert records["cluster_id"].nunique() == key["work_id"].nunique() + sum(
        1 for works in works_of_page.values() if not works)


def test_example_screening_decisions_follow_the_answer_key(example_review):
    """Two reviewers' decisions (with their conflicts resolved) give the answer key's works
    through title/abstract and full text; reports not retrieved are counted apart."""
    from review.screening.decisions import final_decisions, reviewer_decisions
    review = open_review(example_review)
    key = answer_key()
    works = key.drop_duplicates("work_id")
    ta = final_decisions(review.store, "title_abstract")
    ft = final_decisions(review.store, "full_text")
    # 30 works of the first searches and one of the update's 4 new works pass title/abstract
    assert (ta["final"] == "include").sum() == works["relevant_title_abstract"].sum() == 31
    assert len(ta) == review.store.clusters()["cluster_id"].nunique() == 156
    assert (ft["final"] == "include").sum() == works["included"].sum() == 16
    not_retrieved = (works["exclusion_reason_full_text"] == "full_text_not_retrieved").sum()
    assert (ft["final"] == "not_retrieved").sum() == not_retrieved == 2
    assert set(ft["final"]) == {"include", "exclude", "not_retrieved"}  # every conflict resolved
    resolved = reviewer_decisions(review.store, "title_abstract")
    assert set(resolved["reviewer"]) == {"Amara Okafor", "Bruno Lindqvist", "Chen Wei"}


def test_example_update_keeps_decisions_and_reports_what_changed(example_review):
    """The update's copies of works screened before keep their decisions; its new works carry
    the update's own decisions; the what-changed summary is in the review folder."""
    from review.screening.decisions import final_decisions
    from review.update import latest_round, search_rounds
    review = open_review(example_review)
    assert latest_round(review.store) == 1
    rounds = search_rounds(review.store)
    assert rounds.loc[rounds["round"] == 1, "search_date"].tolist() == ["2026-02-10"]
    summary = json.loads((example_review / "updates" / "2026-02-10.json").read_text())
    key = pd.read_csv(UPDATE / "answer_key.csv")
    again = key[key["differences"] != "new_in_update"]
    assert (summary["new_records"], summary["duplicates_of_existing"]) == (len(key), len(again))
    assert summary["new_works_count"] == (key["differences"] == "new_in_update").sum() == 4
    assert [w["fields"] for w in summary["changed_works"]] == [["PMCID"]]
    records = review.store.records(with_raw=False)
    work = review.store.work_of_records()
    ta = final_decisions(review.store, "title_abstract").set_index("record_id")["final"]
    for row in key.itertuples():
        rid = records.loc[(records["source_file"] == row.file) & (records["position"] == row.position),
                          "record_id"].iloc[0]
        expected = "include" if row.relevant_title_abstract else "exclude"
        assert ta[work[rid]] == expected, row.work_id
