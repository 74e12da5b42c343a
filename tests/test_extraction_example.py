"""The worked example's extraction: generated deterministically, loaded whole or not at all,
16 reports in 15 studies, every difference reconciled, numbers for a meta-analysis."""
from __future__ import annotations

import csv
import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from conftest import copy_review
from review.errors import ReviewError
from review.project import open_review
from review.extraction.form import check_required, form_for
from review.extraction.load import load_extraction
from review.extraction.reconcile import differences
from review.extraction.studies import included_reports, studies
from review.extraction.values import extraction_long, extraction_wide, instance_table

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "protocols" / "nk-exosomes"
FOLDER = EXAMPLE / "extraction"
IN_VIVO = {"xenograft", "syngeneic", "orthotopic", "patient-derived xenograft"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    """The worked example with its extraction loaded (by `review example`, or here)."""
    review = open_review(copy_review(worked_example, tmp_path_factory.mktemp("extraction") / "ex"))
    if review.store.events("extraction", action="value").empty:
        load_extraction(review, FOLDER)
    yield review
    review.store.dispose()


@pytest.fixture(scope="module")
def long(example):
    return extraction_long(example)


def _generator():
    spec = importlib.util.spec_from_file_location("generate_extraction", EXAMPLE / "generate_extraction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_output_is_the_committed_files(tmp_path):
    """Regenerating gives the committed CSVs byte for byte."""
    module = _generator()
    studies_rows, values = module.generate()
    module._write(tmp_path / "studies.csv", module.STUDY_COLUMNS, studies_rows)
    module._write(tmp_path / "extraction.csv", module.VALUE_COLUMNS, values)
    for name in ("studies.csv", "extraction.csv"):
        assert (FOLDER / name).read_bytes() == (tmp_path / name).read_bytes()


def test_sixteen_reports_make_fifteen_studies(example):
    """W003 and W004 are one study named after W003; every other report is its own study."""
    assert 16 == len(included_reports(example))
    listed = studies(example)
    assert 15 == len(listed)
    kim = listed[listed["study_id"] == "Kim 2018"].iloc[0]
    assert (2, "Kim", 2018) == (kim["reports"], kim["first_author"], kim["year"])
    assert {1} == set(listed.loc[listed["study_id"] != "Kim 2018", "reports"])


def test_every_difference_is_resolved_by_chen_wei(example, long):
    """The two extractors differ on 15 fields, each decided by the resolver; all values are final."""
    every = differences(example, include_decided=True)
    assert 15 == len(every)
    assert {"Chen Wei"} == set(every["decided_by"])
    assert {("Amara Okafor", "Bruno Lindqvist")} == set(zip(every["reviewer_a"], every["reviewer_b"]))
    assert differences(example).empty
    assert {"agreed": len(long) - 15, "resolved": 15} == long["status"].value_counts().to_dict()
    rossi = long[(long["study_id"] == "Rossi 2016") & (long["field"] == "mean_size")].iloc[0]
    assert (128.0, "nm", "resolved", "Chen Wei") == (rossi["value"], rossi["unit"], rossi["status"],
                                                       rossi["decided_by"])


def test_every_study_has_its_required_fields(example, long):
    """The final values of each study fill every required field of every instance."""
    form = form_for(example)
    for study_id, values in long.groupby("study_id"):
        assert [] == check_required(form, values), study_id
    wide = extraction_wide(example, long=long)
    assert 15 == len(wide) and {0} == set(wide["unresolved"])


def test_in_vivo_studies_have_numbers_for_a_meta_analysis(example, long):
    """Each in vivo study has a tumour volume or weight outcome with both arms' mean, SD and n."""
    models = long[long["field"] == "model"].groupby("study_id")["value"].agg(set)
    in_vivo = sorted(s for s, m in models.items() if m & IN_VIVO)
    assert 12 == len(in_vivo)
    outcomes = instance_table(example, "outcome", long=long)
    tumour = outcomes[outcomes["outcome_measure"].isin(["tumour volume", "tumour weight"])]
    assert in_vivo == sorted(set(tumour["study_id"]))
    numbers = ["treated_mean", "treated_sd", "treated_n", "control_mean", "control_sd", "control_n"]
    assert not tumour[numbers].isna().any().any()
    assert (tumour["treated_mean"] < tumour["control_mean"]).all()


def _copy(tmp_path) -> Path:
    folder = tmp_path / "extraction"
    shutil.copytree(FOLDER, folder)
    return folder


def _rewrite(path: Path, line: int, column: str, value: str) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[line - 2][column] = value
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_a_bad_value_names_file_line_and_field_and_loads_nothing(example, tmp_path):
    """Loading checks every row first: one bad value and nothing is stored."""
    folder = _copy(tmp_path)
    path = folder / "extraction.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        line = 2 + next(i for i, r in enumerate(csv.DictReader(handle)) if r["field"] == "mean_size")
    _rewrite(path, line, "value", "big")
    before = len(example.store.events())
    with pytest.raises(ReviewError, match=re.escape(
            f"{path}, line {line}: field 'mean_size' (Mean or modal size): expected a number, "
            "found 'big'; nothing was loaded")):
        load_extraction(example, folder)
    _rewrite(path, 3, "study_id", "Smith 1999")
    _rewrite(folder / "studies.csv", 4, "position", "9999")
    with pytest.raises(ReviewError) as info:
        load_extraction(example, folder)
    assert str(info.value).splitlines() == [
        "3 problems in the extraction files; nothing was loaded:",
        f"  - {folder / 'studies.csv'}, line 4: no record at pubmed.nbib #9999 in this review",
        (f"  - {path}, line 3, field 'study_id': 'Smith 1999' is not a study of this review "
         "(link its reports in studies.csv)"),
        f"  - {path}, line {line}: field 'mean_size' (Mean or modal size): expected a number, found 'big'"]
    assert before == len(example.store.events())


def test_some_studies_report_several_experiments_of_one_outcome(example, long):
    """Rossi 2016, Chen 2021 and Zhou 2022 measure tumour volume in a second in vivo model
    (its own experiment and outcome instance, appended after the others): 12 tumour-volume
    experiments in 9 studies, for the three-level model."""
    outcomes = instance_table(example, "outcome", long=long)
    volume = outcomes[outcomes["outcome_measure"] == "tumour volume"]
    per_study = volume.groupby("study_id").size()
    assert (12, 9) == (len(volume), len(per_study))
    assert ["Chen 2021", "Rossi 2016", "Zhou 2022"] == sorted(per_study[per_study == 2].index)
    experiments = instance_table(example, "experiment", long=long)
    second = experiments[(experiments["study_id"] == "Zhou 2022") & (experiments["instance"] == 3)]
    assert ["patient-derived xenograft"] == list(second["model"])
