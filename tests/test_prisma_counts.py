"""PRISMA 2020 counts from the store: the worked example against a hand-computed expectation and
against the store, the arithmetic check, numbers that move with a decision, the PRISMA2020 R
template, and a review with a register and citation searching."""
from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import copy_review
from review.errors import ReviewError
from review.extraction.studies import link_reports
from review.project import init_review, open_review
from review.report.prisma import (PrismaCounts, TEMPLATE_CSV, check_counts, counts_to_json,
                                  prisma2020_template, prisma_counts, record_flow, template_list)
from review.screening.decisions import decision_event, exclude_by_automation
from review.status import review_status

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "protocols" / "nk-exosomes"
ANSWER_KEY = EXAMPLE / "searches" / "answer_key.csv"
CHEN = "Chen Wei"

# The worked example, counted by hand from searches/answer_key.csv (one row per exported record,
# with its work and that work's decisions), works.csv and the five pages in other-methods/:
# - 77 PubMed + 89 Embase + 87 Web of Science + 82 Scopus = 335 records of 150 distinct works:
#   335 - 150 = 185 duplicates; all 150 works are screened on title and abstract.
# - 30 of the 150 works are relevant on title/abstract (120 excluded); of those 30, 2 are
#   `full_text_not_retrieved` (28 assessed), 12 are excluded at full text (wrong_outcome 4,
#   wrong_population 2, wrong_intervention 2, conference_abstract 2, not_cancer 1,
#   duplicate_publication 1) and 16 are included.
# - W003 and W004 are two reports of one study (works.csv `related_work`): 16 reports, 15 studies.
# - 5 web pages: the Fais 2013 citation (W031), the cancer-stem-cell exosome article and the
#   Javdani-Mallak 2025 record (W035) are works also found in the databases (3 duplicates); the
#   review summary and the clinic's blog post are found nowhere else and are excluded on title
#   and abstract (2). No report is sought from other methods.
EXAMPLE_COUNTS = PrismaCounts(
    databases={"PubMed": 77, "Embase": 89, "Web of Science": 87, "Scopus": 82},
    registers={}, other_methods={"Websites": 5},
    duplicates=185, excluded_automatic=0, excluded_other=0,
    records_screened=150, records_excluded=120,
    dbr_sought_reports=30, dbr_notretrieved_reports=2, dbr_assessed=28,
    dbr_excluded={"Vesicles not from NK cells, tumour cells or cancer stem cells": 2,
                  "No exosome / EV therapy tested": 2,
                  "No anti-tumour outcome reported": 4,
                  "Conference abstract without a full report": 2,
                  "Not a cancer indication": 1,
                  "Duplicate publication of an included study": 1},
    dbr_included_reports=16,
    other_duplicates=3, other_excluded_records=2, other_sought_reports=0,
    other_notretrieved_reports=0, other_assessed=0, other_excluded={}, other_included_reports=0,
    new_studies=15, new_reports=16)


def cluster_of(review, work_id: str) -> int:
    """The dedup cluster (screening's record id) holding the answer key's records of a work."""
    key = pd.read_csv(ANSWER_KEY)
    rows = key[key["work_id"] == work_id]
    records = review.store.records(with_raw=False)
    where = set(zip(rows["file"], rows["position"]))
    ids = records.loc[[(f, int(p)) in where for f, p in zip(records["source_file"],
                                                           records["position"])], "record_id"]
    clusters = review.store.clusters().set_index("record_id")["cluster_id"]
    found = {int(clusters[r]) for r in ids}
    assert 1 == len(found), f"{work_id} is in clusters {found}"
    return found.pop()


def link_kim_2018(review) -> None:
    """W003 and W004 are one study (the example may already hold this link; linking again is
    the same link)."""
    link_reports(review, "Kim 2018", [cluster_of(review, "W003"), cluster_of(review, "W004")],
                 reviewer=CHEN)


@pytest.fixture(scope="module")
def example(worked_example_first_version, tmp_path_factory):
    # the example's first version, before its update search: the whole first search counted
    review = open_review(copy_review(worked_example_first_version,
                                     tmp_path_factory.mktemp("prisma") / "ex"))
    link_kim_2018(review)
    yield review
    review.store.dispose()


@pytest.fixture
def example_copy(example, tmp_path):
    """A copy of the example review that a test may change."""
    example.store.dispose()
    shutil.copytree(example.path, tmp_path / "ex")
    review = open_review(tmp_path / "ex")
    yield review
    review.store.dispose()


def test_example_counts_equal_the_hand_computed_expectation(example):
    """Every count of the worked example equals the one worked out from the answer key."""
    counts = prisma_counts(example)
    assert EXAMPLE_COUNTS == counts
    assert list(EXAMPLE_COUNTS.databases) == list(counts.databases)  # the protocol's order
    assert list(EXAMPLE_COUNTS.dbr_excluded) == list(counts.dbr_excluded)


def test_example_counts_equal_the_store(example):
    """The counts agree with what `review status` reads from the store."""
    counts = prisma_counts(example)
    status = review_status(example)
    assert {d["database"]: d["records"] for d in status["databases"]} == {
        **counts.databases, "Websites": counts.other_results}
    assert status["records"] == counts.database_results + counts.other_results
    assert status["deduplication"]["duplicates_removed"] == (
        counts.duplicates + counts.other_duplicates)
    assert status["screening"]["title_abstract"] == {
        "exclude": counts.records_excluded + counts.other_excluded_records,
        "include": counts.dbr_sought_reports + counts.other_sought_reports}
    assert status["screening"]["full_text"] == {
        "exclude": sum(counts.dbr_excluded.values()) + sum(counts.other_excluded.values()),
        "include": counts.new_reports,
        "not_retrieved": counts.dbr_notretrieved_reports + counts.other_notretrieved_reports}


def test_database_column_agrees_with_the_answer_key(example):
    """The databases-and-registers column, recomputed from the answer key's works."""
    key = pd.read_csv(ANSWER_KEY)
    works = key.drop_duplicates("work_id")
    passed = works[works["relevant_title_abstract"] == 1]
    reasons = passed["exclusion_reason_full_text"].dropna()
    counts = prisma_counts(example)
    assert (len(key) - len(works), len(works), len(works) - len(passed), len(passed)) == (
        counts.duplicates, counts.records_screened, counts.records_excluded,
        counts.dbr_sought_reports)
    assert ((reasons == "full_text_not_retrieved").sum(), int(works["included"].sum())) == (
        counts.dbr_notretrieved_reports, counts.dbr_included_reports)
    assert int((reasons != "full_text_not_retrieved").sum()) == sum(counts.dbr_excluded.values())


def test_record_flow_puts_each_deduplicated_record_in_one_box(example):
    """One row per cluster; the web-page-only clusters are the other-methods column."""
    flow = record_flow(example)
    assert 152 == len(flow) == flow["record_id"].nunique()
    assert 340 == flow["records"].sum()
    other = flow[flow["route"] == "other_methods"]
    assert [("exclude", "screened_out"), ("exclude", "screened_out")] == list(
        zip(other["title_abstract"], other["box"]))


def test_example_counts_add_up(example):
    """The arithmetic check accepts the example's counts."""
    counts = prisma_counts(example)
    assert counts is check_counts(counts)


def test_a_broken_count_fails_loudly_with_every_broken_equation():
    """One wrong number breaks both equations it appears in; the message gives their numbers."""
    broken = dataclasses.replace(EXAMPLE_COUNTS, records_screened=149)
    expected = (
        "PRISMA counts do not add up:\n"
        "  - records identified from databases and registers (335) - duplicate records removed "
        "(185) - records marked as ineligible by automation tools (0) - records removed for other "
        "reasons (0) = 150, but records screened = 149\n"
        "  - records screened (149) - records excluded (120) = 29, but reports sought for "
        "retrieval (databases and registers) = 30")
    with pytest.raises(ReviewError, match=f"^{re.escape(expected)}$"):
        check_counts(broken)


def test_unfinished_screening_and_impossible_studies_are_reported():
    """Records awaiting a decision and more studies than reports are problems too."""
    broken = dataclasses.replace(EXAMPLE_COUNTS, other_sought_reports=1, awaiting_screening=2,
                                 awaiting_full_text=1, new_studies=17)
    expected = (
        "PRISMA counts do not add up:\n"
        "  - records identified from other methods (5) - duplicate records (3) - records excluded "
        "(2) = 0, but reports sought for retrieval (other methods) = 1\n"
        "  - reports sought for retrieval (other methods) (1) - reports not retrieved (0) = 1, but "
        "reports assessed for eligibility (other methods) = 0\n"
        "  - studies included (17) must be at least 1 and at most the reports of included "
        "studies (16)\n"
        "  - 2 record(s) still await a title/abstract decision (not screened yet, pending a second "
        "reviewer, or in conflict)\n"
        "  - 1 report(s) still await a full-text decision (not assessed yet, pending a second "
        "reviewer, or in conflict)")
    with pytest.raises(ReviewError, match=f"^{re.escape(expected)}$"):
        check_counts(broken)


def test_changing_one_full_text_decision_moves_the_counts(example_copy):
    """A resolver excluding Lugini 2012 at full text: one report and one study fewer, one more
    exclusion for its reason; the counts still add up."""
    lugini = cluster_of(example_copy, "W001")
    example_copy.store.record_decisions([decision_event(
        stage="full_text", record_id=lugini, reviewer=CHEN, decision="exclude",
        reason="wrong_outcome", role="resolver")])
    counts = check_counts(prisma_counts(example_copy))
    reasons = dict(EXAMPLE_COUNTS.dbr_excluded, **{"No anti-tumour outcome reported": 5})
    assert dataclasses.replace(EXAMPLE_COUNTS, dbr_excluded=reasons, dbr_included_reports=15,
                               new_reports=15, new_studies=14) == counts
    flow = record_flow(example_copy).set_index("record_id")
    assert ("exclude", "wrong_outcome", "excluded") == tuple(
        flow.loc[lugini, ["full_text", "reason", "box"]])


def test_a_pending_title_abstract_decision_makes_the_check_fail(example_copy):
    """Withdrawing a record's decisions by a conflict leaves it awaiting: the check says so."""
    lugini = cluster_of(example_copy, "W001")
    example_copy.store.record_decisions([decision_event(
        stage="title_abstract", record_id=lugini, reviewer="Amara Okafor", decision="maybe")])
    counts = prisma_counts(example_copy)
    assert (1, 149, 29) == (counts.awaiting_screening, counts.records_screened,
                            counts.dbr_sought_reports)
    with pytest.raises(ReviewError, match=re.escape(
            "records identified from databases and registers (335) - duplicate records removed "
            "(185) - records marked as ineligible by automation tools (0) - records removed for "
            "other reasons (0) = 150, but records screened = 149")):
        check_counts(counts)


def test_previous_version_adds_to_the_totals(example):
    """An updated review: totals are the new plus the previous version's studies and reports."""
    counts = prisma_counts(example, previous_studies=7, previous_reports=9)
    assert (7, 9, 22, 25) == (counts.previous_studies, counts.previous_reports,
                              counts.total_studies, counts.total_reports)
    with pytest.raises(ReviewError, match=re.escape(
            "previous_studies: expected a whole number of at least 0, found -1")):
        prisma_counts(example, previous_studies=-1)


def test_counts_to_json_has_stable_keys_and_integers():
    """The JSON object: fixed key order, whole numbers, breakdowns as objects, null previous."""
    data = counts_to_json(EXAMPLE_COUNTS)
    assert ["databases", "database_results", "registers", "register_results", "other_methods",
            "website_results", "organisation_results", "citations_results",
            "other_sources_results", "duplicates", "excluded_automatic", "excluded_other",
            "records_screened", "records_excluded", "dbr_sought_reports",
            "dbr_notretrieved_reports", "dbr_assessed", "dbr_excluded", "dbr_included_reports",
            "other_duplicates", "other_excluded_records", "other_sought_reports",
            "other_notretrieved_reports", "other_assessed", "other_excluded",
            "other_included_reports", "new_studies", "new_reports", "previous_studies",
            "previous_reports", "total_studies", "total_reports", "awaiting_screening",
            "awaiting_full_text"] == list(data)
    assert data == json.loads(json.dumps(data))
    assert (335, 5, 15, 16, None) == (data["database_results"], data["website_results"],
                                      data["total_studies"], data["total_reports"],
                                      data["previous_studies"])


def test_template_reproduces_the_r_package_csv():
    """Same columns, rows and texts as PRISMA2020's inst/extdata/PRISMA.csv; only `n` differs."""
    template = prisma2020_template(EXAMPLE_COUNTS)
    original = pd.read_csv(io.StringIO(TEMPLATE_CSV), dtype=str,
                           keep_default_na=False)
    assert ["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"] == list(
        template.columns)
    assert original.drop(columns="n").values.tolist() == template.drop(columns="n").values.tolist()
    n = dict(zip(template["data"], template["n"]))
    assert {"previous_studies": "NA", "previous_reports": "NA", "database_results": "335",
            "database_specific_results": "PubMed, 77; Embase, 89; Web of Science, 87; Scopus, 82",
            "register_results": "NA", "register_specific_results": "NA", "website_results": "5",
            "organisation_results": "NA", "citations_results": "NA", "duplicates": "185",
            "excluded_automatic": "0", "excluded_other": "0", "records_screened": "150",
            "records_excluded": "120", "dbr_sought_reports": "30", "dbr_notretrieved_reports": "2",
            "other_sought_reports": "0", "other_notretrieved_reports": "0", "dbr_assessed": "28",
            "dbr_excluded": "Vesicles not from NK cells / tumour cells or cancer stem cells, 2; "
                            "No exosome / EV therapy tested, 2; "
                            "No anti-tumour outcome reported, 4; "
                            "Conference abstract without a full report, 2; "
                            "Not a cancer indication, 1; "
                            "Duplicate publication of an included study, 1",
            "other_assessed": "0", "other_excluded": "0", "new_studies": "15", "new_reports": "16",
            "total_studies": "15", "total_reports": "16", "NA": "0", "identification": "0",
            "screening": "0", "included": "0"} == n


def test_template_lists_keep_names_the_r_package_can_split():
    """Commas and semicolons in a name would split it in R; they become ' / '."""
    assert "A / b, 3; C / d / e, 1" == template_list({"A, b": 3, "C; d,e": 1})


def _ris(records: list[tuple[str, str, str, str]]) -> str:
    return "".join(f"TY  - JOUR\nTI  - {title}\nAU  - {author}\nPY  - {year}\nDO  - {doi}\n"
                   f"JO  - Journal of Examples\nER  - \n\n" for title, author, year, doi in records)


A = ("Perforin-rich vesicles from NK-92 cells shrink hepatoma xenografts", "Abe, Kenji", "2019",
     "10.5555/a.1")
B = ("Tumour exosome vaccines in murine melanoma", "Berg, Lise", "2020", "10.5555/b.2")
C = ("Granzyme B cargo of natural killer exosomes kills glioma cells", "Cruz, Ana", "2021",
     "10.5555/c.3")
D = ("Phase I trial of dendritic cell vesicles in lung cancer", "Diaz, Pedro", "2022",
     "10.5555/d.4")
E = ("Registry of NK cell infusions for leukaemia", "Eze, Obi", "2023", "10.5555/e.5")
F = ("Exosomal miR-186 from NK cells in neuroblastoma", "Fox, Mary", "2018", "10.5555/f.6")
G = ("Surface-modified NK exosomes target HER2 breast tumours", "Gill, Raj", "2024",
     "10.5555/g.7")


@pytest.fixture
def register_review(tmp_path):
    """A review searching a database and a register, with backward citation searching."""
    protocol = yaml.safe_load((EXAMPLE / "protocol.yaml").read_text(encoding="utf-8"))
    protocol["searches"] = [
        {"name": "MEDLINE", "kind": "database", "date": "2025-01-10", "query": "nk AND exosome",
         "file": "medline.ris"},
        {"name": "ClinicalTrials.gov", "kind": "register", "date": "2025-01-11",
         "query": "exosome", "file": "trials.ris"}]
    protocol["other_methods"] = [{"name": "Backward citations", "kind": "citation_searching",
                                  "files": ["citations.ris"]}]
    protocol["screening"] = {"reviewers_per_record": 1, "automation_may_exclude": True}
    folder = tmp_path / "protocol"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(yaml.safe_dump(protocol), encoding="utf-8")
    (folder / "medline.ris").write_text(_ris([A, B, C]), encoding="utf-8")
    (folder / "trials.ris").write_text(_ris([D, E, B]), encoding="utf-8")
    (folder / "citations.ris").write_text(_ris([F, G, C]), encoding="utf-8")
    review = init_review(tmp_path / "r", folder / "protocol.yaml")
    for path, options in review.protocol_files():
        review.import_file(path, actor="test", **options)
    from review.dedup.run import deduplicate_review
    deduplicate_review(review, actor="test")
    yield review
    review.store.dispose()


def _cluster(review, title: str) -> int:
    records = review.store.records(with_raw=False)
    clusters = review.store.clusters().set_index("record_id")["cluster_id"]
    return int(clusters[int(records.loc[records["title"] == title, "record_id"].iloc[0])])


def test_a_register_and_citation_searching_each_count_in_their_column(register_review):
    """Register records count with the databases; citation searching is the other-methods column,
    and its record of a work the database also found is a duplicate there."""
    review = register_review
    ids = {name: _cluster(review, rec[0]) for name, rec in zip("ABCDEFG", (A, B, C, D, E, F, G))}
    rows = [decision_event(stage="title_abstract", record_id=ids[n], reviewer="ana",
                           decision=d, reason=None if d == "include" else "not_cancer")
            for n, d in zip("ABCDFG", ("include", "exclude", "include", "exclude", "include",
                                       "include"))]
    rows += [decision_event(stage="full_text", record_id=ids[n], reviewer="ana", decision=d,
                            reason="wrong_outcome" if d == "exclude" else None)
             for n, d in zip("ACFG", ("include", "not_retrieved", "exclude", "include"))]
    review.store.record_decisions(rows)
    exclude_by_automation(review, [ids["E"]], reviewer="stopping rule")
    counts = check_counts(prisma_counts(review))
    assert PrismaCounts(
        databases={"MEDLINE": 3}, registers={"ClinicalTrials.gov": 3},
        other_methods={"Citation searching": 3},
        duplicates=1, excluded_automatic=1, excluded_other=0, records_screened=4,
        records_excluded=2, dbr_sought_reports=2, dbr_notretrieved_reports=1, dbr_assessed=1,
        dbr_excluded={}, dbr_included_reports=1, other_duplicates=1, other_excluded_records=0,
        other_sought_reports=2, other_notretrieved_reports=0, other_assessed=2,
        other_excluded={"No anti-tumour outcome reported": 1}, other_included_reports=1,
        new_studies=2, new_reports=2) == counts
    n = dict(zip(*prisma2020_template(counts)[["data", "n"]].T.values))
    assert ("3", "MEDLINE, 3", "3", "ClinicalTrials.gov, 3", "NA", "NA", "3") == (
        n["database_results"], n["database_specific_results"], n["register_results"],
        n["register_specific_results"], n["website_results"], n["organisation_results"],
        n["citations_results"])


# The example after its update search (protocols/nk-exosomes/update/answer_key.csv): 7 PubMed
# records, 3 of them copies of works screened before (duplicates), 4 new works screened; 3
# excluded on title and abstract, 1 assessed in full and excluded (no anti-tumour outcome). The
# previous version's 15 studies in 16 reports stay; no new study.
UPDATED_COUNTS = dict(
    databases={"PubMed": 7}, duplicates=3, records_screened=4, records_excluded=3,
    dbr_sought_reports=1, dbr_notretrieved_reports=0, dbr_assessed=1,
    dbr_excluded={"No anti-tumour outcome reported": 1}, dbr_included_reports=0,
    new_studies=0, new_reports=0, previous_studies=15, previous_reports=16, other_methods={})


def test_updated_example_follows_the_updated_review_template(worked_example, tmp_path):
    """With its update search, the example's diagram counts the update's records and the
    previous version's studies, as PRISMA 2020's template for updated reviews."""
    review = open_review(copy_review(worked_example, tmp_path / "ex"))
    try:
        link_kim_2018(review)
        counts = check_counts(prisma_counts(review))
        assert UPDATED_COUNTS == {name: getattr(counts, name) for name in UPDATED_COUNTS}
        assert (15, 16) == (counts.total_studies, counts.total_reports)
    finally:
        review.store.dispose()
