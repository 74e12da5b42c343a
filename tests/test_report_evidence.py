"""Evidence tables: the protocol's report section is validated against the extraction schema, and
the table shows exactly the included studies with the named fields, grouped and sorted."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import copy_review
from review.errors import ProtocolError
from review.protocol import EvidenceTableSpec, Report, load_protocol, parse_protocol
from review.report.evidence import (
    default_spec,
    evidence_table,
    study_level,
    write_evidence_tables,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = ROOT / "protocols" / "nk-exosomes"
EXAMPLE = EXAMPLE_DIR / "protocol.yaml"
STUDY_COLUMNS_NOTE = "a field of the extraction schema or a study column (study_id, first_author, year, title, reports)"


@pytest.fixture(scope="module")
def schema():
    return load_protocol(EXAMPLE).extraction


def example_data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def problems(data: dict) -> str:
    with pytest.raises(ProtocolError) as info:
        parse_protocol(data, "p.yaml")
    return str(info.value)


# -- the protocol's report section ------------------------------------------------------------------
def test_example_protocol_has_a_report_section():
    """The worked example names its evidence table, map and meta-analysis."""
    report = load_protocol(EXAMPLE).report
    assert report.evidence_table.group_by == "strategy"
    assert report.evidence_table.sort_by == ["year", "study_id"]
    assert [c.field_names() for c in report.evidence_table.columns[:3]] == [
        ["study_id"], ["source_cell"], ["cargo", "targeting_ligand"]]
    assert (report.evidence_map.rows, report.evidence_map.columns) == ("strategy", "tumour_type")
    assert (report.meta_analysis.outcome, report.meta_analysis.measure,
            report.meta_analysis.method) == ("tumour volume", "SMD", "REML")
    assert report.abbreviations["NTA"] == "nanoparticle tracking analysis"


def test_a_protocol_without_report_section_is_valid():
    """The section is optional; its parts default to None."""
    data = example_data()
    del data["report"]
    assert parse_protocol(data).report == Report()


def test_an_unknown_column_is_named():
    """A misspelt field is reported with its place in the section."""
    data = example_data()
    data["report"]["evidence_table"]["columns"][1] = "tumor_type"
    assert problems(data) == (
        "p.yaml: the protocol is not valid (1 problem(s)):\n"
        f"  - report: evidence_table.columns[1]: unknown field 'tumor_type'; expected {STUDY_COLUMNS_NOTE}")


def test_every_bad_name_in_the_section_is_listed():
    """Unknown fields in combined columns, per-instance sort keys, non-choice map axes and an
    outcome the schema does not allow are all listed together."""
    data = example_data()
    report = data["report"]
    report["evidence_table"]["columns"][2]["fields"] = ["cargo", "ligand"]
    report["evidence_table"]["columns"].append({"label": "Mixed", "fields": ["model", "unit"]})
    report["evidence_table"]["sort_by"] = ["tumour_type"]
    report["evidence_map"]["rows"] = "cargo"
    report["meta_analysis"]["outcome"] = "tumour size"
    assert problems(data) == (
        "p.yaml: the protocol is not valid (1 problem(s)):\n"
        "  - report: 5 problems with the fields it names:\n"
        f"      evidence_table.columns[2]: unknown field 'ligand'; expected {STUDY_COLUMNS_NOTE}\n"
        "      evidence_table.columns[9]: fields from several repeating groups (experiment, "
        "outcome) cannot be paired\n"
        "      evidence_table.sort_by[0]: field 'tumour_type' is in the repeating group "
        "'experiment'; expected a field with one value per study\n"
        "      evidence_map.rows: 'cargo' is not a choice or yes/no field of the extraction schema\n"
        "      meta_analysis.outcome: 'tumour size' is not one of the values allowed for "
        "'outcome_measure' (cytotoxicity, apoptosis, tumour volume, tumour weight, survival, "
        "metastasis, toxicity)")


def test_column_shapes_are_checked_where_they_are():
    """A template with a conversion, a column of several fields without label, an unknown key."""
    data = example_data()
    columns = data["report"]["evidence_table"]["columns"]
    columns[2] = {"label": "Cargo", "template": "{cargo!r}"}
    columns[3] = {"fields": ["cargo", "targeting_ligand"]}
    data["report"]["evidence_tabel"] = {}
    assert problems(data) == (
        "p.yaml: the protocol is not valid (3 problem(s)):\n"
        "  - report.evidence_table.columns[2]: template placeholder {cargo} must be a plain field name\n"
        "  - report.evidence_table.columns[3]: a column made of several fields needs a 'label'\n"
        "  - report.evidence_tabel: unknown field (check its spelling)")


# -- the table --------------------------------------------------------------------------------------
SPEC = EvidenceTableSpec.model_validate({
    "caption": "Evidence", "group_by": "strategy", "sort_by": ["year", "study_id"],
    "columns": ["study_id", "source_cell", {"label": "Size", "fields": ["mean_size", "size_method"]},
                {"label": "Experiments", "fields": ["model", "cell_line"]}, "dose",
                {"label": "Result",
                 "template": "{outcome_measure}: {treated_mean} vs {control_mean} {unit}"}]})
ABBREVIATIONS = {"NK": "natural killer", "NTA": "nanoparticle tracking analysis",
                 "DLS": "dynamic light scattering", "TEM": "transmission electron microscopy"}
STUDIES = pd.DataFrame({"study_id": ["Chen 2021", "Lugini 2012", "Rossi 2016", "Zhou 2022"],
                        "reports": [1, 1, 2, 1], "year": [2021, 2012, 2016, 2022],
                        "first_author": ["Chen", "Lugini", "Rossi", "Zhou"]})
EXPECTED = pd.DataFrame([
    ["Native", "Lugini 2012", "primary human NK", "NR", "NR", "NR", "NR"],
    ["Native", "Rossi 2016", "NK-92", "128 nm (DLS; electron microscopy)",
     "xenograft (A375); in vitro cell line (SK-MEL-28)", "50 µg protein",
     "tumour volume: 318 vs 902 mm³"],
    ["Drug-loaded", "Chen 2021", "NK-92", "104 nm (NTA)", "xenograft (MDA-MB-231)",
     "2 × 10⁹ particles", "cytotoxicity: 58.4 vs 7.9%"],
    ["NR", "Zhou 2022", "NR", "NR", "NR", "NR", "NR"],
], columns=["Strategy", "Study", "Source cell", "Size", "Experiments", "Dose", "Result"], dtype=object)


def wide_frame() -> pd.DataFrame:
    """The shape `extraction_wide` gives: one row per study, repeating fields per instance."""
    return pd.DataFrame([
        {"study_id": "Rossi 2016", "reports": [5, 6], "strategy": "native", "source_cell": "NK-92",
         "mean_size": 128.0, "size_method": ["DLS", "electron microscopy"],
         "model_1": "xenograft", "cell_line_1": "A375", "dose_1": 50.0, "dose_1_unit": "ug protein",
         "model_2": "in vitro cell line", "cell_line_2": "SK-MEL-28", "dose_2": None,
         "dose_2_unit": None, "outcome_measure_1": "tumour volume", "treated_mean_1": 318.0,
         "control_mean_1": 902.0, "unit_1": "mm3"},
        {"study_id": "Chen 2021", "strategy": "drug-loaded", "source_cell": "NK-92",
         "mean_size": 104, "size_method": ["NTA"], "model_1": "xenograft",
         "cell_line_1": "MDA-MB-231", "dose_1": 2e9, "dose_1_unit": "particles",
         "outcome_measure_1": "cytotoxicity", "treated_mean_1": 58.4, "control_mean_1": 7.9,
         "unit_1": "%"},
        {"study_id": "Lugini 2012", "strategy": "native", "source_cell": "primary human NK"},
        {"study_id": "Old 2009", "strategy": "native"},
    ])


def instance_rows() -> pd.DataFrame:
    """The same values as rows per study and instance with plain field columns."""
    rows = []
    for record in wide_frame().to_dict("records"):
        by_instance: dict[int, dict] = {1: {}}
        for column, value in record.items():
            match = re.fullmatch(r"(.+)_(\d)(_unit)?", column)
            if match:
                name = match.group(1) + (match.group(3) or "")
                by_instance.setdefault(int(match.group(2)), {})[name] = value
            else:
                by_instance[1][column] = value
        for number, values in by_instance.items():
            rows.append({"study_id": record["study_id"], "instance": number, **values})
    return pd.DataFrame(rows)


def test_the_table_lists_exactly_the_included_studies_grouped_and_sorted(schema):
    """One row per included study in group order (the schema's), then by year; repeating groups
    summarised, numbers with units, multiple choices joined, missing values NR."""
    table = evidence_table(wide_frame(), SPEC, schema, studies=STUDIES, abbreviations=ABBREVIATIONS)
    pd.testing.assert_frame_equal(EXPECTED, table)
    assert table.attrs == {
        "caption": "Evidence", "group_by": "Strategy", "not_included": ["Old 2009"],
        "footnotes": ["Abbreviations: DLS, dynamic light scattering; NK, natural killer; NR, not "
                      "reported; NTA, nanoparticle tracking analysis."],
        "abbreviations": {"DLS": "dynamic light scattering", "NK": "natural killer",
                          "NR": "not reported", "NTA": "nanoparticle tracking analysis"}}


def test_rows_per_instance_give_the_same_table(schema):
    """A wide table with a row per study and instance reads the same."""
    table = evidence_table(instance_rows(), SPEC, schema, studies=STUDIES,
                           abbreviations=ABBREVIATIONS)
    pd.testing.assert_frame_equal(EXPECTED, table)


def test_a_report_spec_brings_its_abbreviations_and_defaults_apply(schema):
    """Given the protocol's `report`, its abbreviations are used; with no evidence_table in it,
    the table shows the study and the required fields."""
    report = Report(abbreviations={"NK": "natural killer"})
    table = evidence_table(wide_frame(), report, schema, studies=STUDIES.head(1))
    assert list(table.columns) == ["Study", "Source cell", "Isolation method", "Strategy",
                                   "Tumour type", "Model", "Outcome"]
    assert table.values.tolist() == [["Chen 2021", "NK-92", "NR", "drug-loaded", "NR",
                                      "xenograft", "cytotoxicity"]]
    assert table.attrs["footnotes"] == ["Abbreviations: NK, natural killer; NR, not reported."]
    assert [c.field for c in default_spec(schema).columns] == [
        "study_id", "source_cell", "isolation_method", "strategy", "tumour_type", "model",
        "outcome_measure"]


def test_without_a_study_list_the_extracted_studies_are_the_rows(schema):
    """Rows come from the extraction itself; shared labels stay distinct columns."""
    spec = EvidenceTableSpec.model_validate({"columns": [
        "study_id", {"field": "strategy", "label": "Study"}], "sort_by": ["study_id"]})
    table = evidence_table(wide_frame(), spec, schema)
    assert list(table.columns) == ["Study", "Study (2)"]
    assert table.values.tolist() == [["Chen 2021", "drug-loaded"], ["Lugini 2012", "native"],
                                     ["Old 2009", "native"], ["Rossi 2016", "native"]]
    assert table.attrs["footnotes"] == [] and table.attrs["not_included"] == []


def test_study_level_pairs_values_within_an_instance(schema):
    """Study-level values repeat on each experiment's row; experiments are not crossed."""
    frame = study_level(wide_frame(), schema, ["year", "strategy", "model"], STUDIES)
    assert frame.values.tolist() == [
        ["Chen 2021", 2021, "drug-loaded", "xenograft"],
        ["Lugini 2012", 2012, "native", None],
        ["Rossi 2016", 2016, "native", "xenograft"],
        ["Rossi 2016", 2016, "native", "in vitro cell line"],
        ["Zhou 2022", 2022, None, None]]


# -- the worked example -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    """The worked example with its invented extraction loaded (if `review example` did not)."""
    from review.extraction.load import load_extraction
    from review.project import open_review
    review = open_review(copy_review(worked_example, tmp_path_factory.mktemp("evidence") / "ex"))
    if review.store.events("extraction", action="value").empty:
        load_extraction(review, EXAMPLE_DIR / "extraction")
    return review


@pytest.mark.slow
def test_example_tables_in_five_formats_list_exactly_the_included_studies(example, tmp_path):
    """evidence_table.csv/xlsx/md/tex/docx: one row per included study (15, two reports of one
    study in one row), each study's strategy as extracted."""
    import docx

    from review.extraction.studies import studies
    from review.extraction.values import extraction_long
    included = studies(example)
    written = write_evidence_tables(example, tmp_path, echo=lambda _: None)
    assert [p.name for p in written] == [f"evidence_table.{s}" for s in ("csv", "xlsx", "md", "tex", "docx")]
    with open(tmp_path / "evidence_table.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["Study"] for r in rows) == sorted(included["study_id"])
    assert len(rows) == 15 and included["reports"].tolist().count(2) == 1
    long = extraction_long(example)
    strategy = long[long["field"] == "strategy"].set_index("study_id")["value"]
    assert {r["Study"]: r["Strategy"] for r in rows} == {
        s: strategy[s][:1].upper() + strategy[s][1:] for s in included["study_id"]}
    markdown = (tmp_path / "evidence_table.md").read_text(encoding="utf-8")
    assert all(markdown.count(f"\n| {s} |") == 1 for s in included["study_id"])
    groups = len(set(strategy))
    table = docx.Document(str(tmp_path / "evidence_table.docx")).tables[0]
    assert len(table.rows) == 1 + groups + 15
    latex = (tmp_path / "evidence_table.tex").read_text(encoding="utf-8")
    assert latex.count(r"\multicolumn") >= groups and r"\toprule" in latex


def test_values_of_a_study_that_is_not_included_are_left_out_and_named(tmp_path):
    """Values can only be recorded for an included study; when its report is excluded later (a
    resolver's full-text decision), its values stay in the store but add no row, and the writer
    names the study."""
    from review.extraction.studies import study_table
    from review.extraction.values import record_values
    from review.screening.decisions import record_decision
    from studies import review_with_studies
    review = review_with_studies(tmp_path / "r", ["Rossi 2016", "Ghost 1999"])
    try:
        record_values(review, [{"reviewer": "Chen Wei", "role": "reconciler", "study_id": study,
                                "field": "strategy", "value": "native"}
                               for study in ("Rossi 2016", "Ghost 1999")])
        table = study_table(review)
        ghost = int(table.loc[table["study_id"] == "Ghost 1999", "record_id"].iloc[0])
        record_decision(review.store, stage="full_text", record_id=ghost, reviewer="Chen Wei",
                        decision="exclude", role="resolver", reason="not_primary_research")
        assert ["Rossi 2016"] == list(study_table(review)["study_id"])
        said: list[str] = []
        write_evidence_tables(review, tmp_path / "out", formats=("csv",), echo=said.append)
        assert said == ["evidence table: values recorded for study id(s) that are not included "
                        "studies were left out: Ghost 1999"]
        with open(tmp_path / "out" / "evidence_table.csv", encoding="utf-8-sig",
                  newline="") as handle:
            assert ["Rossi 2016"] == [r["Study"] for r in csv.DictReader(handle)]
    finally:
        review.store.dispose()


# -- what a journal would catch ---------------------------------------------------------------------
MODELS = EvidenceTableSpec.model_validate({"columns": [
    "study_id", {"label": "Experiments: model (tumour: cell lines)",
                 "fields": ["model", "tumour_type", "cell_line"]}]})


def test_like_models_are_merged(schema):
    """One entry per model and tumour, with every cell line of it: not the same model twice."""
    wide = pd.DataFrame([{
        "study_id": "Huang 2020",
        "model_1": "in vitro cell line", "tumour_type_1": "breast", "cell_line_1": "4T1",
        "model_2": "syngeneic", "tumour_type_2": "breast", "cell_line_2": "4T1",
        "model_3": "in vitro cell line", "tumour_type_3": "breast", "cell_line_3": "MDA-MB-231",
    }, {
        "study_id": "Rossi 2016",
        "model_1": "in vitro cell line", "tumour_type_1": "melanoma", "cell_line_1": "A375; SK-MEL-28",
        "model_2": "xenograft", "tumour_type_2": "melanoma", "cell_line_2": "A375",
        "model_3": "in vitro cell line", "tumour_type_3": "melanoma", "cell_line_3": "A375",
        "model_4": "xenograft", "tumour_type_4": "melanoma"}])
    table = evidence_table(wide, MODELS, schema)
    cells = dict(zip(table["Study"], table["Experiments: model (tumour: cell lines)"]))
    assert cells == {
        "Huang 2020": "in vitro cell line (breast: 4T1, MDA-MB-231); syngeneic (breast: 4T1)",
        "Rossi 2016": "in vitro cell line (melanoma: A375, SK-MEL-28); xenograft (melanoma: A375)"}
    two = EvidenceTableSpec.model_validate({"columns": [
        "study_id", {"label": "Models", "fields": ["model", "cell_line"]}]})
    assert evidence_table(wide, two, schema)["Models"].tolist()[0] == \
        "in vitro cell line (4T1, MDA-MB-231); syngeneic (4T1)"


def test_units_are_typeset():
    from review.report.evidence import typeset_unit
    assert [typeset_unit(u) for u in ("mm3", "mm^3", "cm2", "ug/mL", "ul", "uM", "%", "g", "days",
                                      "m2", "nm")] == \
        ["mm³", "mm³", "cm²", "µg/mL", "µL", "µM", "%", "g", "days", "m²", "nm"]


def test_every_abbreviation_in_a_table_is_defined_from_the_glossary(schema):
    """AML and HER2 are defined though the protocol does not list them; the protocol's own
    meaning wins over the glossary's."""
    wide = pd.DataFrame([{"study_id": "Park 2023", "targeting_ligand": "anti-HER2 CAR",
                          "model_1": "in vitro primary cells", "cell_line_1": "primary AML blasts"}])
    spec = EvidenceTableSpec.model_validate({"columns": [
        "study_id", "targeting_ligand", {"label": "Model", "fields": ["model", "cell_line"]}]})
    table = evidence_table(wide, spec, schema, abbreviations={"CAR": "chimeric antigen receptor (ours)"})
    assert table.attrs["footnotes"] == [
        "Abbreviations: AML, acute myeloid leukaemia; CAR, chimeric antigen receptor (ours); "
        "HER2, human epidermal growth factor receptor 2."]


@pytest.mark.slow
def test_the_example_table_defines_every_abbreviation_it_uses(example):
    """Each word of the example's table that looks like an abbreviation is defined in the note,
    or is a name: a cell line as extracted, a CD marker, a named aptamer."""
    from review.extraction.studies import studies
    from review.extraction.values import extraction_long, extraction_wide
    from review.report.glossary import undefined_abbreviations
    table = evidence_table(extraction_wide(example), example.protocol.report,
                           example.protocol.extraction, studies=studies(example))
    texts = list(table.columns) + [c for row in table.itertuples(index=False) for c in row]
    defined = table.attrs["abbreviations"]
    assert {"AML", "HER2", "HSP70", "ALIX", "NK", "EV", "NR"} <= set(defined)
    long = extraction_long(example)
    names = {part.strip() for value in long.loc[long["field"] == "cell_line", "value"]
             for part in re.split(r"[;,()]", str(value))}
    names |= {"NK-92MI", "AS1411"}                 # a cell line in source_cell; an aptamer
    left = [w for w in undefined_abbreviations(texts, defined)
            if w not in names and not re.fullmatch(r"CD\d+", w)]
    assert left == []
    assert "mm3" not in " ".join(texts) and "mm³" in " ".join(texts)
    assert "in vitro cell line (breast: 4T1, MDA-MB-231); syngeneic (breast: 4T1)" in texts
