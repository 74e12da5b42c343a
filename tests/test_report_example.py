"""`review report` on the worked example, end to end: what the notebooks write equals what the
store says, and a changed decision moves the numbers in the diagram and the tables."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from conftest import copy_review
from review.cli import main
from review.extraction.studies import study_table
from review.project import open_review
from review.report.prisma import counts_to_json, prisma_counts
from review.screening.decisions import RESOLVER, decision_event, final_decisions

pytestmark = pytest.mark.slow

#: Worked out by hand from protocols/nk-exosomes/update/answer_key.csv (the example's update
#: search, which PRISMA 2020's template for updated reviews counts) and, for the previous
#: version, searches/answer_key.csv and works.csv: 7 PubMed records, 3 of them copies of works
#: screened before; 4 new works screened, 3 excluded, 1 assessed in full and excluded; the first
#: searches' 15 studies in 16 reports are the previous version's.
HAND_COUNTS = {
    "databases": {"PubMed": 7}, "database_results": 7, "website_results": 0, "duplicates": 3,
    "other_duplicates": 0, "records_screened": 4, "records_excluded": 3,
    "other_excluded_records": 0, "dbr_sought_reports": 1, "dbr_notretrieved_reports": 0,
    "dbr_assessed": 1, "dbr_included_reports": 0, "new_studies": 0, "new_reports": 0,
    "previous_studies": 15, "previous_reports": 16, "total_studies": 15, "total_reports": 16,
}


def _store_snapshot(folder) -> dict:
    """The event count and every state table's rows, to compare before and after a report."""
    import sqlalchemy as sa

    from review.store.schema import STATE_TABLES, protocol_versions
    review = open_review(folder)
    try:
        with review.store.engine.connect() as connection:
            tables = {t.name: sorted(map(tuple, connection.execute(sa.select(t)).all()))
                      for t in (*STATE_TABLES, protocol_versions)}
        return {"events": review.store.event_count(), **tables}
    finally:
        review.store.dispose()


@pytest.fixture(scope="module")
def report(worked_example, tmp_path_factory):
    """The example review and the report the README's main command writes for it."""
    folder = tmp_path_factory.mktemp("report")
    copy_review(worked_example, folder / "ex")
    before = _store_snapshot(folder / "ex")
    assert 0 == main(["report", "--review", str(folder / "ex"), "--out", str(folder / "out")])
    (folder / "snapshots.json").write_text(json.dumps(
        {"before": before, "after": _store_snapshot(folder / "ex")}, default=str))
    return folder


def test_the_report_leaves_the_store_unchanged(report):
    """Reports only read: the same events and the same state tables after as before."""
    snapshots = json.loads((report / "snapshots.json").read_text())
    assert snapshots["before"]["events"] == snapshots["after"]["events"]
    assert snapshots["before"] == snapshots["after"]


def test_the_report_refuses_records_imported_after_the_last_deduplication(report, tmp_path):
    shutil.copytree(report / "ex", tmp_path / "ex")
    extra = tmp_path / "extra.ris"
    extra.write_text("TY  - JOUR\nTI  - NK cell exosomes and glioma\nAU  - Novak, J.\n"
                     "PY  - 2024\nER  - \n", encoding="utf-8")
    assert 0 == main(["import", str(extra), "--review", str(tmp_path / "ex"),
                      "--database", "Embase"])
    assert 1 == main(["report", "--review", str(tmp_path / "ex"), "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()


def test_prisma_json_equals_the_store_and_the_hand_count(report):
    """prisma.json holds the store's counts, and those are the ones worked out by hand."""
    written = json.loads((report / "out" / "figures" / "prisma.json").read_text())
    review = open_review(report / "ex")
    assert counts_to_json(prisma_counts(review)) == written
    assert HAND_COUNTS == {key: written[key] for key in HAND_COUNTS}
    assert 1 == sum(written["dbr_excluded"].values())


def test_evidence_table_lists_exactly_the_included_studies(report):
    """Every format of the evidence table has one row per included study, and only those."""
    review = open_review(report / "ex")
    studies = set(study_table(review)["study_id"])
    assert 15 == len(studies)
    table = pd.read_csv(report / "out" / "tables" / "evidence_table.csv", encoding="utf-8-sig")
    assert sorted(studies) == sorted(table["Study"])
    markdown = (report / "out" / "tables" / "evidence_table.md").read_text(encoding="utf-8")
    assert all(f"| {study} |" in markdown for study in studies)


def test_every_figure_is_a_valid_image(report):
    """Each figure exists as SVG (parsable XML), PNG and PDF (by their signatures)."""
    figures = report / "out" / "figures"
    names = {p.stem for p in figures.glob("*.svg")}
    assert {"prisma", "evidence_map", "studies_per_year", "rob_traffic_light_syrcle",
            "rob_summary_syrcle", "rob_traffic_light_misev", "rob_summary_misev",
            "forest_tumour_volume", "forest_tumour_volume_subgroups", "forest_tumour_weight",
            "forest_tumour_volume_experiments",
            "effect_direction_survival", "effect_direction_cytotoxicity", "cumulative_tumour_volume",
            "cumulative_tumour_weight"} == names
    assert "funnel_tumour_volume" not in names  # 9 studies: the caveat instead (next test)
    for name in names:
        assert ET.parse(figures / f"{name}.svg").getroot().tag.endswith("svg")
        assert (figures / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (figures / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"


def test_the_tables_a_manuscript_needs_are_written(report):
    """Evidence table in every format, the meta-analysis and the three PRISMA checklists."""
    tables = {p.name for p in (report / "out" / "tables").iterdir()}
    expected = {f"evidence_table.{s}" for s in ("csv", "xlsx", "md", "tex", "docx")} | {
        "meta_analysis_tumour_volume.csv"} | {f"prisma_checklist.{s}" for s in ("docx", "md", "csv")}
    assert set() == expected - tables


def test_every_notebook_ran_without_an_error(report):
    """All five report notebooks ran (their executed copies in OUT/executed) and no cell of any
    of them shows an error, run side by side as `review report` runs them."""
    import nbformat
    from review.report.runner import EXECUTED_FOLDER, REPORT_NOTEBOOKS
    executed = {name: report / "out" / EXECUTED_FOLDER / f"{name}.ipynb" for name in REPORT_NOTEBOOKS}
    assert [] == [name for name, path in executed.items() if not path.is_file()]
    errors = [(name, cell.source) for name, path in executed.items()
              for cell in nbformat.read(str(path), as_version=4).cells
              if any(o.get("output_type") == "error" for o in cell.get("outputs", []))]
    assert [] == errors


def test_meta_analysis_pools_the_studies_reporting_the_outcome(report):
    """The pooled tumour-volume analysis names its studies and its estimator."""
    pooled = json.loads((report / "out" / "tables" / "meta_analysis_tumour_volume.json").read_text())
    rows = pd.read_csv(report / "out" / "tables" / "meta_analysis_tumour_volume.csv",
                       encoding="utf-8-sig")
    assert ("SMD", "REML", len(rows)) == (pooled["measure"], pooled["method"], pooled["k"])
    assert pooled["ci_low"] < pooled["estimate"] < pooled["ci_high"]


def test_outcomes_are_synthesised_rated_and_summarised(report):
    """Every protocol outcome is in the summary of findings with its certainty; tumour volume is
    pooled over 12 experiments in 9 studies with a three-level model and strategy subgroups,
    with no funnel plot or Egger's test for 9 studies and the reason said; survival and
    cytotoxicity, too few to pool, get a SWiM table with vote counting."""
    tables = report / "out" / "tables"
    sof = pd.read_csv(tables / "summary_of_findings.csv", encoding="utf-8-sig")
    assert ["Tumour volume (critical)", "Tumour weight (critical)", "Survival (critical)",
            "Tumour cell killing in vitro (important)"] == list(sof["Outcome"])
    assert sof["Certainty of the evidence"].str.match("^[\u2295\u25ef]{4} ").all()
    for suffix in (".docx", ".md", ".tex", ".xlsx"):
        assert (tables / f"summary_of_findings{suffix}").stat().st_size > 0
    pooled = json.loads((tables / "meta_analysis_tumour_volume.json").read_text())
    assert (9, 12, "knha") == (pooled["k"], pooled["experiments"], pooled["test"])
    assert pooled["pi_low"] < pooled["ci_low"] and pooled["three_level"]["estimate"] < 0
    assert {"native", "drug-loaded", "surface-modified"} == set(pooled["subgroups"]["groups"])
    text = (tables / "meta_analysis_tumour_volume.txt").read_text(encoding="utf-8")
    assert "Egger's test not done: 9 studies, fewer than 10" in text
    assert "No funnel plot: 9 studies, fewer than 10" in text
    swim = pd.read_csv(tables / "swim_survival.csv", encoding="utf-8-sig")
    assert ["Novak 2023", "Wang 2022"] == sorted(swim["Study"])
    assert "sign test p = 0.500" in (tables / "swim_survival.md").read_text(encoding="utf-8")


def test_one_changed_decision_moves_the_diagram_and_the_tables(report, tmp_path):
    """A resolver excluding one included report at full text: one report and one study fewer in
    prisma.json (the previous version's, where the report was found), one row fewer in the
    evidence table."""
    shutil.copytree(report / "ex", tmp_path / "ex")
    review = open_review(tmp_path / "ex")
    table = study_table(review)
    single = table.groupby("study_id").filter(lambda g: len(g) == 1).iloc[0]
    finals = final_decisions(review.store, "full_text")
    assert "include" == finals.set_index("record_id").loc[single["record_id"], "final"]
    review.store.record_decisions([decision_event(
        stage="full_text", record_id=int(single["record_id"]), reviewer="Chen Wei",
        decision="exclude", reason="wrong_outcome", role=RESOLVER)])
    review.store.dispose()
    out = tmp_path / "out"
    assert 0 == main(["report", "--review", str(tmp_path / "ex"), "--out", str(out),
                      "--only", "10_prisma", "11_evidence_tables"])
    before = json.loads((report / "out" / "figures" / "prisma.json").read_text())
    after = json.loads((out / "figures" / "prisma.json").read_text())
    assert (15, 14) == (before["previous_reports"] - 1, after["previous_studies"])
    assert (15, 14) == (after["previous_reports"], after["total_studies"])
    assert before["dbr_excluded"] == after["dbr_excluded"]  # the update's column is unchanged
    rows = pd.read_csv(out / "tables" / "evidence_table.csv", encoding="utf-8-sig")
    assert single["study_id"] not in set(rows["Study"]) and 14 == len(rows)
    assert f"(n = {after['previous_studies']})" in (out / "figures" / "prisma.svg").read_text()


def test_updated_review_has_a_cumulative_meta_analysis(report):
    """The example has an update: the pooled outcome is also shown by search date."""
    table = pd.read_csv(report / "out" / "tables" / "meta_analysis_tumour_volume_cumulative.csv",
                        encoding="utf-8-sig")
    assert table["round"].tolist() == [0, 1]
    assert table["search_date"].tolist()[1] == "2026-02-10"
    pooled = json.loads((report / "out" / "tables" / "meta_analysis_tumour_volume.json").read_text())
    assert table["k"].iloc[-1] == pooled["k"]  # after the last search: every study
    assert (report / "out" / "figures" / "cumulative_tumour_volume.svg").exists()
