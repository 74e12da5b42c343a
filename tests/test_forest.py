"""Forest and funnel plots: they draw one mark per study, the pooled diamond and prediction
interval, a log axis for ratios, save as valid SVG/PNG/PDF, and refuse anything but a fit."""
from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.patches import Polygon

from review.figures import save_figure
from review.report.effect_sizes import log_risk_ratio
from review.report.forest import PlotInputError, forest_plot, funnel_plot
from review.report.meta_analysis import random_effects

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def bcg_fit():
    d = json.loads((DATA / "metafor_dat_bcg.json").read_text(encoding="utf-8"))["data"]
    tpos, tneg, cpos, cneg = (np.array(d[c], dtype=float) for c in ("tpos", "tneg", "cpos", "cneg"))
    labels = [f"{a} {y}" for a, y in zip(d["author"], d["year"])]
    effects = log_risk_ratio(tpos, tpos + tneg, cpos, cpos + cneg, studies=labels)
    return random_effects(effects["yi"], effects["vi"], labels=effects["study"], measure="RR")


@pytest.fixture(scope="module")
def smd_fit():
    return random_effects([0.2, 0.5, -0.1, 0.8], [0.04, 0.09, 0.05, 0.10],
                          labels=["Lugini 2012", "Rossi 2016a", "Rossi 2016b", "Price $5 2019"],
                          measure="SMD")


def _by_gid(ax, gid):
    return [a for a in (*ax.collections, *ax.patches, *ax.texts) if a.get_gid() == gid]


def test_forest_plot_draws_one_square_per_study_and_the_pooled_rows(bcg_fit):
    """13 weighted squares with CIs, a diamond spanning the pooled CI, the prediction interval."""
    figure = forest_plot(bcg_fit, title="BCG vaccine")
    ax = figure.axes[0]
    [squares] = _by_gid(ax, "studies")
    assert isinstance(squares, PathCollection)
    assert 13 == len(squares.get_offsets())
    sizes = squares.get_sizes()
    assert int(np.argmax(sizes)) == int(np.argmax(bcg_fit.weights))  # biggest square, biggest weight
    [cis] = _by_gid(ax, "study-ci")
    assert 13 == len(cis.get_segments())
    [diamond] = _by_gid(ax, "pooled")
    assert isinstance(diamond, Polygon)
    pooled = bcg_fit.back_transformed()
    xs = diamond.get_xy()[:, 0]
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx((xs.min(), xs.max()), rel=1e-12)
    [pi] = _by_gid(ax, "prediction-interval")
    assert isinstance(pi, LineCollection)
    [[(x0, _), (x1, _)]] = pi.get_segments()
    assert (pooled.pi_low, pooled.pi_high) == pytest.approx((x0, x1), rel=1e-12)


def test_forest_plot_labels_log_axis_and_heterogeneity(bcg_fit):
    """Ratios sit on a log axis with a line at 1; rows are labelled; heterogeneity is stated."""
    ax = forest_plot(bcg_fit).axes[0]
    assert "log" == ax.get_xscale()
    assert "Risk ratio (log scale)" == ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert [*bcg_fit.labels, "Random-effects model (REML)", "Prediction interval"] == labels
    [text] = _by_gid(ax, "heterogeneity")
    assert ("Heterogeneity: I\u00b2 = 92.2%, \u03c4\u00b2 = 0.313, Q = 152.23 (df = 12), p < 0.001"
            == text.get_text())
    assert any(line.get_xdata()[0] == 1.0 for line in ax.get_lines())


def test_forest_plot_linear_axis_for_smd_and_literal_dollar_signs(smd_fit):
    """A SMD plot has a linear axis with a line at 0; a '$' in a study name stays literal."""
    ax = forest_plot(smd_fit).axes[0]
    assert "linear" == ax.get_xscale()
    assert any(line.get_xdata()[0] == 0.0 for line in ax.get_lines())
    assert r"Price \$5 2019" == ax.get_yticklabels()[3].get_text()
    assert 4 == len(_by_gid(ax, "studies")[0].get_offsets())


def test_funnel_plot_points_region_and_inverted_axis(bcg_fit):
    """One point per study at (ratio, SE), the pseudo-95% region, SE axis inverted."""
    ax = funnel_plot(bcg_fit).axes[0]
    [points] = _by_gid(ax, "studies")
    offsets = np.asarray(points.get_offsets())
    np.testing.assert_allclose(np.exp(bcg_fit.yi), offsets[:, 0], rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(bcg_fit.vi), offsets[:, 1], rtol=1e-12)
    [region] = _by_gid(ax, "pseudo-ci")
    assert isinstance(region, PolyCollection)
    bottom, top = ax.get_ylim()
    assert bottom > top == 0.0
    assert "log" == ax.get_xscale()
    assert "Standard error" == ax.get_ylabel()


def _png_size(data: bytes) -> tuple[int, int]:
    assert b"\x89PNG\r\n\x1a\n" == data[:8]
    assert b"IHDR" == data[12:16]
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow  # six files at 300 dpi: about 3 s on a busy machine
def test_figures_save_as_valid_svg_png_pdf(bcg_fit, tmp_path):
    """save_figure writes each plot as SVG (with the study marks' ids), PNG and PDF."""
    forest = save_figure(forest_plot(bcg_fit), tmp_path, "forest")
    funnel = save_figure(funnel_plot(bcg_fit), tmp_path, "funnel")
    assert [tmp_path / f"forest.{e}" for e in ("svg", "png", "pdf")] == forest
    assert [tmp_path / f"funnel.{e}" for e in ("svg", "png", "pdf")] == funnel
    for svg in (forest[0], funnel[0]):
        text = svg.read_text(encoding="utf-8")
        assert text.startswith("<?xml") and "<svg" in text
        assert 'id="studies"' in text
    assert "Stein &amp; Aronson 1953" in forest[0].read_text(encoding="utf-8")
    width, height = _png_size(forest[1].read_bytes())
    assert width > 1500 and height > 1000  # 300 dpi
    assert _png_size(funnel[1].read_bytes())[0] > 1000
    for pdf in (forest[2], funnel[2]):
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("plot, name", [(forest_plot, "forest_plot"), (funnel_plot, "funnel_plot")])
def test_plots_refuse_anything_but_a_meta_analysis(plot, name):
    """Passing a table or dict instead of a fitted model is an asserted error."""
    message = (f"{name} needs a MetaAnalysis (from random_effects or meta_analysis_from_outcomes), "
               "found dict")
    with pytest.raises(PlotInputError, match=f"^{re.escape(message)}$"):
        plot({"estimate": -0.71})
