"""The PRISMA 2020 flow diagram: an image snapshot of the worked example's diagram, every count as
text in the SVG, text inside its boxes, and `write_prisma` writing all five files the same way
twice (or nothing, when the counts do not add up).

The snapshot is `tests/data/snapshots/prisma_example.png`. After an intended change to the layout,
regenerate it with `REVIEW_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_prisma_diagram.py`, look
at the new image, and commit it.
"""
from __future__ import annotations

import dataclasses
import html
import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread
from PIL import Image

from conftest import copy_review
from review.errors import ReviewError
from review.figures.style import figure_style
from review.project import open_review
from review.report.prisma import counts_to_json, prisma2020_template, prisma_counts
from review.report.prisma_diagram import box_lines, prisma_diagram, write_prisma
from review.screening.decisions import decision_event
from test_prisma_counts import EXAMPLE_COUNTS, cluster_of, link_kim_2018

SNAPSHOT = Path(__file__).parent / "data" / "snapshots" / "prisma_example.png"
#: Resolution of the snapshot: enough to see the layout, small enough to commit.
SNAPSHOT_DPI = 100
#: Largest mean absolute difference per pixel channel (0-255) still taken as the same image: text
#: anti-aliasing differs a little between FreeType builds; a moved or resized box differs by more.
TOLERANCE = 0.6

#: Counts with a different number in every box, and text a renderer or SVG could misread.
DISTINCT = dataclasses.replace(
    EXAMPLE_COUNTS, databases={"PubMed": 1201, "Cost $5 $ database": 134},
    registers={"ClinicalTrials.gov": 17}, other_methods={"Websites": 23, "Citation searching": 29},
    duplicates=311, excluded_automatic=41, excluded_other=43, records_screened=977,
    records_excluded=853, dbr_sought_reports=124, dbr_notretrieved_reports=13, dbr_assessed=111,
    dbr_excluded={"<b>Wrong population</b> & more": 47, "Wrong outcome": 53},
    dbr_included_reports=11, other_duplicates=19, other_excluded_records=7,
    other_sought_reports=26, other_notretrieved_reports=3, other_assessed=57,
    other_excluded={"Not a cancer indication": 59}, other_included_reports=61,
    new_studies=67, new_reports=71, previous_studies=73, previous_reports=79)


def render_png(counts, path: Path) -> Path:
    """The diagram as PNG at the snapshot's resolution, at the figure's own size (no cropping)."""
    figure = prisma_diagram(counts)
    figure.savefig(path, format="png", dpi=SNAPSHOT_DPI, bbox_inches=None)
    return path


def mean_difference(expected: Path, actual: Path) -> float:
    a, b = imread(expected), imread(actual)
    assert a.shape == b.shape, f"image size {b.shape} differs from the snapshot's {a.shape}"
    return float(np.abs(a.astype(float) - b.astype(float)).mean() * 255)


def test_example_diagram_matches_the_snapshot(tmp_path):
    """The worked example's diagram looks as the committed snapshot (REVIEW_UPDATE_SNAPSHOTS=1
    rewrites it)."""
    actual = render_png(EXAMPLE_COUNTS, tmp_path / "prisma_example.png")
    if os.environ.get("REVIEW_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(actual, SNAPSHOT)
        pytest.skip(f"snapshot rewritten: {SNAPSHOT}; look at it before committing")
    assert SNAPSHOT.exists(), f"{SNAPSHOT} is missing: run with REVIEW_UPDATE_SNAPSHOTS=1"
    assert mean_difference(SNAPSHOT, actual) <= TOLERANCE


def test_the_snapshot_comparison_sees_a_changed_diagram(tmp_path):
    """A diagram with one box recoloured and nothing else differs beyond the tolerance."""
    figure = prisma_diagram(EXAMPLE_COUNTS)
    [patch] = [p for p in figure.axes[0].patches if p.get_gid() == "prisma-screened"]
    patch.set_facecolor("#777777")
    figure.savefig(tmp_path / "changed.png", format="png", dpi=SNAPSHOT_DPI, bbox_inches=None)
    same = render_png(EXAMPLE_COUNTS, tmp_path / "same.png")
    assert 0.0 == mean_difference(same, render_png(EXAMPLE_COUNTS, tmp_path / "again.png"))
    assert mean_difference(same, tmp_path / "changed.png") > TOLERANCE


def svg_text(counts) -> str:
    """The diagram as SVG in the project's figure style (text kept as text, as save_figure does)."""
    buffer = io.StringIO()
    with figure_style():
        prisma_diagram(counts).savefig(buffer, format="svg")
    return buffer.getvalue()


def svg_lines(svg: str) -> str:
    """The SVG's text elements, unescaped, joined by spaces (a wrapped label reads whole)."""
    return " ".join(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))


def test_every_count_is_text_in_the_svg():
    """Each count of every box is in the SVG as text, with its label, from the counts given."""
    svg = svg_text(DISTINCT)
    expected = [
        "Databases (n = 1,335)", "PubMed (n = 1,201)", "Cost $5 $ database (n = 134)",
        "Registers (n = 17)", "ClinicalTrials.gov (n = 17)", "Websites (n = 23)",
        "Citation searching (n = 29)", "Duplicate records removed (n = 311)", "(n = 41)",
        "Records removed for other reasons (n = 43)", "(n = 977)", "(n = 853)", "(n = 124)",
        "(n = 13)", "(n = 111)", "Reports excluded (n = 100):",
        "<b>Wrong population</b> & more (n = 47)", "Wrong outcome (n = 53)",
        "Duplicate records removed (n = 19)", "(n = 7)", "(n = 26)", "(n = 3)", "(n = 57)",
        "Not a cancer indication (n = 59)", "(n = 67)", "(n = 71)", "(n = 73)", "(n = 79)",
        "(n = 140)", "(n = 150)"]
    lines = svg_lines(svg)
    assert [] == [text for text in expected if text not in lines]
    assert "<b>" not in svg and "&lt;b&gt;Wrong population&lt;/b&gt; &amp; more" in svg


def test_the_example_svg_holds_each_of_its_counts():
    """The example's numbers, each in its box's wording."""
    lines = svg_lines(svg_text(EXAMPLE_COUNTS))
    for text in ("Databases (n = 335)", "PubMed (n = 77)", "Embase (n = 89)",
                 "Web of Science (n = 87)", "Scopus (n = 82)", "Websites (n = 5)",
                 "Duplicate records removed (n = 185)", "(n = 150)", "(n = 120)", "(n = 30)",
                 "(n = 2)", "(n = 28)", "Reports excluded (n = 12):", "(n = 4)",
                 "Duplicate records removed (n = 3)", "Studies included in review (n = 15)",
                 "Reports of included studies (n = 16)"):
        assert text in lines, text


def _inside(counts) -> list[str]:
    figure = prisma_diagram(counts)
    renderer = FigureCanvasAgg(figure).get_renderer()
    ax = figure.axes[0]
    boxes = {p.get_gid(): p.get_window_extent(renderer) for p in ax.patches if p.get_gid()}
    outside = []
    for text in ax.texts:
        gid = text.get_gid()
        if not gid:
            continue
        box = boxes[gid.rsplit("-", 1)[0]]
        extent = text.get_window_extent(renderer)
        if not (box.x0 < extent.x0 and extent.x1 < box.x1 and box.y0 < extent.y0
                and extent.y1 < box.y1):
            outside.append(text.get_text())
    assert len(boxes) > 8
    return outside


def test_text_stays_inside_its_box():
    """No line of any box runs over its edge, for the example and for long labels."""
    long = dataclasses.replace(DISTINCT, dbr_excluded={
        "Vesicles isolated from cells other than natural killer cells, tumour cells or cancer "
        "stem cells, including platelets": 1234567})
    assert [] == _inside(EXAMPLE_COUNTS)
    assert [] == _inside(long)


def test_boxes_follow_the_review():
    """No other-methods column without other methods; previous-version boxes only when given."""
    counts = dataclasses.replace(EXAMPLE_COUNTS, other_methods={}, other_duplicates=0,
                                 other_excluded_records=0)
    boxes = box_lines(counts)
    assert not any(name.startswith("other_") for name in boxes)
    assert "previous" not in boxes and "total" not in boxes
    assert "via other methods" not in svg_text(counts)
    only_studies = box_lines(dataclasses.replace(DISTINCT, previous_reports=None))["previous"]
    assert "Studies included in previous version of review (n = 73)" == " ".join(
        line.text for line in only_studies)


@pytest.fixture(scope="module")
def example(worked_example_first_version, tmp_path_factory):
    # the example's first version, before its update search: the whole first search counted
    review = open_review(copy_review(worked_example_first_version,
                                     tmp_path_factory.mktemp("prisma_diagram") / "ex"))
    link_kim_2018(review)
    yield review
    review.store.dispose()


def test_write_prisma_writes_five_files(example, tmp_path):
    """SVG, PNG at 300 dpi, PDF, the counts as JSON and the R template as CSV without a BOM."""
    paths = write_prisma(example, tmp_path / "a")
    assert ["svg", "png", "pdf", "json", "csv"] == list(paths)
    assert {k: tmp_path / "a" / f"prisma.{k}" for k in paths} == paths
    counts = prisma_counts(example)
    assert counts_to_json(counts) == json.loads(paths["json"].read_text(encoding="utf-8"))
    assert not paths["csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    written = pd.read_csv(paths["csv"], dtype=str, keep_default_na=False)
    assert prisma2020_template(counts).values.tolist() == written.values.tolist()
    assert (300, 300) == tuple(round(d) for d in Image.open(paths["png"]).info["dpi"])
    assert paths["pdf"].read_bytes().startswith(b"%PDF")
    svg = paths["svg"].read_text(encoding="utf-8")
    assert "Studies included in review (n = 15)" in svg_lines(svg)


@pytest.mark.slow
def test_write_prisma_gives_the_same_bytes_twice(example, tmp_path):
    """Deterministic output: a second run writes byte-identical files."""
    first = write_prisma(example, tmp_path / "a")
    second = write_prisma(example, tmp_path / "b")
    assert [] == [kind for kind in first if first[kind].read_bytes() != second[kind].read_bytes()]


def test_write_prisma_refuses_counts_that_do_not_add_up(example, tmp_path):
    """A record left in conflict: ReviewError naming the broken equation, and no file written."""
    example.store.dispose()
    shutil.copytree(example.path, tmp_path / "ex")
    review = open_review(tmp_path / "ex")
    review.store.record_decisions([decision_event(
        stage="title_abstract", record_id=cluster_of(review, "W001"), reviewer="Amara Okafor",
        decision="maybe")])
    with pytest.raises(ReviewError, match=re.escape(
            "1 record(s) still await a title/abstract decision")):
        write_prisma(review, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    review.store.dispose()
