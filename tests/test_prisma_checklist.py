"""PRISMA 2020, PRISMA-S and PRISMA 2020 for Abstracts filled from the protocol and the log:
every item listed, each filled where the review knows it, the rest "to complete" with what is
needed; written as docx, md and csv by the report."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from review.errors import ProtocolError
from review.protocol import load_protocol, parse_protocol
from review.report.checklist import (
    CHECKLISTS,
    FILLED,
    PARTLY,
    TO_COMPLETE,
    checklist_items,
    fill_checklists,
)
from review.report.checklist_facts import ChecklistFacts, StageFacts

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "protocols" / "nk-exosomes"
EXAMPLE = EXAMPLE_DIR / "protocol.yaml"

#: Items the worked example's log and protocol fill completely (listed in the README).
FILLED_2020 = ["1", "4", "5", "6", "7", "8", "10b", "11", "12", "13a", "13c", "13d", "13e", "13f",
               "14", "15", "16a", "17", "18", "20b", "20c", "20d", "21", "22", "24a", "24b", "24c",
               "25", "26"]
FILLED_S = ["1", "3", "4", "5", "7", "8", "13", "15", "16"]
FILLED_ABSTRACTS = ["1", "2", "3", "4", "5", "6", "8", "11", "12"]


def test_every_item_and_sub_item_is_listed():
    expected = {
        "prisma_2020": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10a", "10b", "11", "12",
                        "13a", "13b", "13c", "13d", "13e", "13f", "14", "15", "16a", "16b", "17",
                        "18", "19", "20a", "20b", "20c", "20d", "21", "22", "23a", "23b", "23c",
                        "23d", "24a", "24b", "24c", "25", "26", "27"],
        "prisma_s": [str(i) for i in range(1, 17)],
        "prisma_abstracts": [str(i) for i in range(1, 13)]}
    for name in CHECKLISTS:
        title, items = checklist_items(name)
        assert [item.id for item in items] == expected[name], name
        assert all(item.text and item.topic and item.section for item in items)
        assert all(item.fill or item.needs for item in items), "an item without a filler says what is needed"


def facts(**changes) -> ChecklistFacts:
    protocol = load_protocol(EXAMPLE)
    if changes:
        protocol = protocol.model_copy(update=changes)
    stage = StageFacts(per_item=2, reviewers=["A", "B"], resolvers=["C"], decided=100,
                       conflicts=4, resolved=3, agreement=96.0)
    return ChecklistFacts(protocol=protocol, screening={"title_abstract": stage, "full_text": stage},
                          extraction=StageFacts(per_item=2, reviewers=["A", "B"]),
                          records_by_source={"PubMed": 10, "Embase": 12}, software="review 0.1.0")


def rows_of(found, checklist="prisma_2020") -> dict:
    return {row.item: row for row in found if row.checklist == checklist}


def test_items_are_filled_in_the_methods_words_from_the_facts():
    """Selection: how many screened, independently, conflicts settled by whom, automation;
    sources with dates; full queries; registration and support from the protocol."""
    rows = rows_of(fill_checklists(facts()))
    selection = rows["8"].text
    assert rows["8"].status == FILLED
    assert "Two reviewers screened each record independently" in selection
    assert "They disagreed on 4 records; 3 of these were settled by a third reviewer (C)" in selection
    assert "No record was excluded by automation" in selection
    protocol = load_protocol(EXAMPLE)
    for search in protocol.searches:
        assert f"{search.name} via {search.platform} (searched {search.date.isoformat()})" in rows["6"].text
        assert search.query in rows["7"].text
    assert rows["24a"].text == protocol.registration
    assert rows["25"].text == protocol.funding and rows["26"].text == protocol.competing_interests
    assert protocol.amendments[0].change in rows["24c"].text
    assert rows["3"].status == TO_COMPLETE and rows["3"].text == "" and "rationale" in rows["3"].to_complete


def test_what_the_protocol_does_not_say_is_left_to_complete_with_what_is_needed():
    rows = rows_of(fill_checklists(facts(funding=None, competing_interests=None,
                                         registration=None, amendments=[])))
    assert rows["25"].status == TO_COMPLETE and "protocol: funding" in rows["25"].to_complete
    assert rows["26"].status == TO_COMPLETE
    assert rows["24a"].status == TO_COMPLETE and "not registered" in rows["24a"].to_complete
    assert rows["24c"].text == "The protocol was not amended."


def test_automation_that_excluded_records_is_reported():
    found = facts(screening=load_protocol(EXAMPLE).screening.model_copy(
        update={"automation_may_exclude": True}))
    found.automation_excluded = 37
    assert "it excluded 37 records" in rows_of(fill_checklists(found))["8"].text


def test_the_methods_describe_the_model_the_protocol_chose():
    """The prioritiser is described as the protocol's `screening.model` orders records."""
    screening = load_protocol(EXAMPLE).screening
    words = {}
    for model in ("fused", "elas-u4", "fused+meaning"):
        chosen = facts(screening=screening.model_copy(update={"model": model}))
        words[model] = rows_of(fill_checklists(chosen))["8"].text
    assert "over words and character 4-grams with a nearest-include similarity" in words["fused"]
    assert "ASReview LAB's default model ELAS u4" in words["elas-u4"]
    assert "sentence embeddings of title and abstract" in words["fused+meaning"]
    assert "4-grams" not in words["elas-u4"]


def test_protocol_fields_for_the_checklist_are_validated():
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["amendments"] = [{"date": "sometime", "change": ""}]
    with pytest.raises(ProtocolError) as info:
        parse_protocol(data, "p.yaml")
    assert "amendments[0].date: Input should be a valid date" in str(info.value)
    assert "amendments[0].change: String should have at least 1 character" in str(info.value)


@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    from conftest import copy_review
    from review.extraction.load import load_extraction
    from review.project import open_review
    review = open_review(copy_review(worked_example, tmp_path_factory.mktemp("checklist") / "ex"))
    if review.store.events("extraction", action="value").empty:
        load_extraction(review, EXAMPLE_DIR / "extraction")
    return review


@pytest.mark.slow
def test_the_example_checklists_are_written_and_filled_from_the_log(example, tmp_path):
    """docx, md and csv; the items the README lists as filled are filled; the numbers are the
    log's (PRISMA counts, records per database)."""
    import docx

    from review.report.checklist import write_checklists
    from review.report.prisma import prisma_counts
    said: list[str] = []
    written = write_checklists(example, tmp_path, echo=said.append)
    assert [p.name for p in written] == [f"prisma_checklist.{s}" for s in ("docx", "md", "csv")]
    with open(tmp_path / "prisma_checklist.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 42 + 16 + 12
    by = {(r["checklist"], r["item"]): r for r in rows}
    for checklist, items in (("PRISMA 2020 checklist", FILLED_2020),
                             ("PRISMA-S checklist (reporting literature searches)", FILLED_S),
                             ("PRISMA 2020 for Abstracts checklist", FILLED_ABSTRACTS)):
        filled = [i for (c, i), r in by.items() if c == checklist and r["status"] == FILLED]
        assert filled == items, checklist
    for row in rows:
        assert row["status"] in (FILLED, PARTLY, TO_COMPLETE)
        assert row["reported"] or row["to_complete"], row
        if row["status"] != FILLED:
            assert row["to_complete"], row
    counts = prisma_counts(example)
    selection = by[("PRISMA 2020 checklist", "16a")]["reported"]
    assert f"{counts.records_screened} records were screened" in selection
    assert f"{counts.total_studies} studies" in selection
    if counts.has_previous:                      # the example was updated (`review update`)
        assert selection.startswith("The update's searches identified")
        assert f"the update added {counts.new_studies} new stud" in selection
    by_database = example.store.count_by_database().groupby("database")["records"].sum()
    total = by[("PRISMA-S checklist (reporting literature searches)", "15")]["reported"]
    assert all(f"{name}: {n}" in total for name, n in by_database.items())
    document = docx.Document(str(tmp_path / "prisma_checklist.docx"))
    assert len(document.tables) == 1 and len(document.tables[0].rows) > 70
    markdown = (tmp_path / "prisma_checklist.md").read_text(encoding="utf-8")
    assert "**PRISMA-S checklist (reporting literature searches): Managing records**" in markdown
    assert said[0].startswith(f"PRISMA 2020 checklist: {len(FILLED_2020)} filled")


def test_synthesis_methods_come_from_the_protocols_outcomes():
    """Items 12, 13d, 13e, 14 and 15 are the protocol's outcomes in the methods' words; their
    results (20b, 20c, 21, 22) wait for the report's syntheses."""
    rows = rows_of(fill_checklists(facts()))
    specs = load_protocol(EXAMPLE).report.outcomes
    for item in ("12", "13d", "13e", "14", "15"):
        assert rows[item].status == FILLED, item
    for spec in specs:
        assert f"{spec.name}: standardised mean difference (Hedges' g)" in rows["12"].text
        assert f"{spec.name} {spec.measure} {spec.threshold:g}" in rows["15"].text
    assert "Hartung-Knapp" in rows["13d"].text and "three-level model" in rows["13d"].text
    assert "k-2 degrees of freedom" in rows["13d"].text and "SWiM" in rows["13d"].text
    assert "Subgroup analysis by strategy (native, drug-loaded and surface-modified)" in rows["13e"].text
    assert "test for subgroup differences" in rows["13e"].text
    assert "10 or more studies" in rows["14"].text
    assert "Hooijmans" in rows["15"].text and "Egger's test gives p < 0.10" in rows["15"].text
    for item in ("20b", "20c", "21", "22"):
        assert rows[item].status == TO_COMPLETE and rows[item].to_complete, item
    bare = rows_of(fill_checklists(facts(report=load_protocol(EXAMPLE).report.model_copy(
        update={"outcomes": [], "meta_analysis": None}))))
    assert bare["13e"].status == TO_COMPLETE and bare["15"].status == TO_COMPLETE


@pytest.mark.slow
def test_synthesis_results_are_the_reports_numbers(example):
    """20b, 20c, 21 and 22 say what `outcome_results` (the report's own syntheses and GRADE
    ratings with the stored judgements) found, outcome by outcome; a domain no reviewer has
    judged leaves 22 partly filled, naming it."""
    from review.report.checklist_facts import checklist_facts
    from review.report.grade import certainty_for
    from review.report.outcome_report import outcome_results
    found = checklist_facts(example)
    rows = rows_of(fill_checklists(found))
    results = outcome_results(example)
    assert [s.spec.outcome for s, _ in found.outcomes] == [s.spec.outcome for s, _ in results]
    pooled = [(s, c) for s, c in results if s.pooled]
    swim = [(s, c) for s, c in results if not s.pooled]
    assert pooled and swim
    for syn, certainty in results:
        r = syn.result
        if syn.pooled:
            assert (f"{syn.spec.name}: SMD {r.estimate:.2f} (95% CI {r.ci_low:.2f} to "
                    f"{r.ci_high:.2f}") in rows["20b"].text
            assert f"prediction interval {r.pi_low:.2f} to {r.pi_high:.2f}" in rows["20b"].text
            assert f"{syn.spec.name}: {syn.egger.text()}" in rows["21"].text
        else:
            assert f"{syn.spec.name}: not assessed" in rows["21"].text
            assert syn.votes.text() in rows["20b"].text
        assert f"{syn.spec.name}: {certainty.level} certainty ({certainty.symbols})" in rows["22"].text
    for syn, _ in pooled:                        # the sensitivity analyses refit the same model
        low, high = syn.sensitivity["estimate"].min(), syn.sensitivity["estimate"].max()
        assert (f"{syn.spec.name} (SMD {syn.result.estimate:.2f} as reported): leaving out one "
                f"study at a time, estimates from {low:.2f} to {high:.2f}") in rows["20d"].text
    volume = next(s for s, _ in pooled if s.subgroups is not None)
    assert volume.subgroups.test_text() in rows["20c"].text
    assert "favouring vesicle therapy" in rows["20b"].text
    assert "Amara Okafor" in rows["22"].text         # the stored indirectness judgements
    assert rows["22"].status == FILLED
    found.outcomes = [(s, certainty_for(s)) for s, _ in results]   # no reviewer's judgement
    row = rows_of(fill_checklists(found))["22"]
    assert row.status == PARTLY and "indirectness of Tumour volume" in row.to_complete


@pytest.mark.slow
def test_the_checklists_conflict_counts_are_the_agreement_reports(example):
    """The checklist counts conflicts and agreement itself (no scikit-learn import); the numbers
    are those of `review.screening.agreement`."""
    from review.report.checklist_facts import checklist_facts
    from review.screening.agreement import agreement
    found = checklist_facts(example)
    for stage in ("title_abstract", "full_text"):
        expected = agreement(example.store, stage)
        facts = found.screening[stage]
        assert (facts.conflicts, facts.resolved, facts.agreement, facts.reviewers) == (
            expected["conflicts"], expected["resolved"], expected["percent_agreement"],
            expected["reviewers"])
        assert facts.conflicts > 0


def test_a_review_with_nothing_imported_yet_gets_its_checklists(tmp_path):
    """A new review: every item listed; the flow and the studies are left to complete."""
    from review.project import init_review
    from review.report.checklist import write_checklists
    review = init_review(tmp_path / "r", EXAMPLE)
    written = write_checklists(review, tmp_path / "out", echo=lambda _: None)
    with open(written[-1], encoding="utf-8-sig", newline="") as handle:
        rows = {(r["checklist"], r["item"]): r for r in csv.DictReader(handle)}
    assert len(rows) == 70
    for item in ("16a", "17", "18", "20b"):
        row = rows[("PRISMA 2020 checklist", item)]
        assert row["status"] == TO_COMPLETE and row["to_complete"], row
    assert rows[("PRISMA 2020 checklist", "7")]["status"] == FILLED     # the queries are known
