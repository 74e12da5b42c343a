"""The single pooled outcome of `report.meta_analysis` (protocols without `report.outcomes`):
the forest plot names the outcome, the prediction interval is on t (wider than the CI even when
tau^2 = 0), and no funnel plot is drawn for fewer than 10 studies."""
from __future__ import annotations

import json

import pytest

from conftest import copy_review
from review.project import open_review
from review.report.meta_report import write_meta_analysis


@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    review = open_review(copy_review(worked_example, tmp_path_factory.mktemp("meta") / "ex"))
    yield review
    review.store.dispose()


def test_meta_analysis_alone_has_a_t_prediction_interval_and_no_funnel_below_ten(example, tmp_path):
    example.protocol.report.outcomes = []  # as a protocol that names only report.meta_analysis
    report = write_meta_analysis(example, figures_dir=tmp_path / "f", tables_dir=tmp_path / "t")
    r = report.result
    assert 9 == r.k and "t" == r.prediction
    assert r.pi_low < r.ci_low - 0.01 and r.pi_high > r.ci_high + 0.01
    names = {p.stem for p in (tmp_path / "f").glob("*.svg")}
    assert {"forest_tumour_volume", "cumulative_tumour_volume"} == names  # no funnel; updated
    pooled = json.loads((tmp_path / "t" / "meta_analysis_tumour_volume.json").read_text())
    assert pooled["pi_low"] == pytest.approx(r.pi_low)
    svg = (tmp_path / "f" / "forest_tumour_volume.svg").read_text(encoding="utf-8")
    assert "Tumour volume: standardised mean difference" in svg


def test_with_outcomes_the_meta_analysis_is_left_to_them(example, tmp_path):
    review = open_review(example.path)
    try:
        report = write_meta_analysis(review, figures_dir=tmp_path / "f", tables_dir=tmp_path / "t")
    finally:
        review.store.dispose()
    assert report.result is None and "report.outcomes" in report.message
    assert not (tmp_path / "f").exists() or not list((tmp_path / "f").iterdir())
