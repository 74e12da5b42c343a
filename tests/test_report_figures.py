"""Figures: what each plot counts, that the files are valid images, and that bad input is an
error naming the column, study or judgement."""
from __future__ import annotations

import re
import struct
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest

from conftest import copy_review
from review.errors import ReviewError
from review.figures.style import JUDGEMENT_COLOURS, save_figure
from review.report.figures import (
    evidence_map,
    rob_summary,
    rob_traffic_light,
    studies_per_year,
    write_figures,
)

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "protocols" / "nk-exosomes"
ROBVIS = pd.DataFrame({
    "Study": ["Kim 2018", "Rossi 2016", "Lugini 2012"],
    "D1": ["Low", "some concerns", "High"],
    "D2": ["Unclear", "No information", None],
    "Overall": ["High", "Low", "Critical"],
    "Weight": [1, 3, 0]})
DOMAINS = {"D1": "Sequence generation", "D2": "Baseline characteristics"}
STUDIES = pd.DataFrame({
    "study_id": ["A 2016", "A 2016", "B 2019", "C 2019", "D"],
    "year": [2016, 2016, 2019, 2019, None],
    "strategy": ["native", "native", "drug-loaded", None, "native"],
    "tumour_type": ["melanoma", "melanoma", ["lung", "breast"], "breast", "lung"]})


def assert_valid_images(paths: list[Path], min_width: int = 300) -> None:
    """PNG magic bytes and size, SVG that parses as XML, PDF header and trailer."""
    by_suffix = {p.suffix: p for p in paths}
    assert sorted(by_suffix) == [".pdf", ".png", ".svg"]
    png = by_suffix[".png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= min_width and height >= 200
    root = ElementTree.parse(by_suffix[".svg"]).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    pdf = by_suffix[".pdf"].read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def texts(figure) -> list[str]:
    return [t.get_text() for ax in figure.axes for t in ax.texts]


def test_evidence_map_counts_each_study_once_per_cell(tmp_path):
    """Lists are exploded, a study counts once per cell, missing values are left out, every
    category in the order is shown; the figure saves as valid SVG, PNG and PDF."""
    figure = evidence_map(STUDIES, "strategy", "tumour_type",
                          row_order=["native", "drug-loaded", "surface-modified"],
                          column_order=["melanoma", "breast", "lung", "colorectal"])
    ax = figure.axes[0]
    cells = {(ax.get_xticklabels()[round(t.get_position()[0])].get_text(),
              ax.get_yticklabels()[round(t.get_position()[1])].get_text()): t.get_text()
             for t in ax.texts}
    assert cells == {("melanoma", "native"): "1", ("lung", "native"): "1",
                     ("lung", "drug-loaded"): "1", ("breast", "drug-loaded"): "1"}
    assert [t.get_text() for t in ax.get_yticklabels()] == ["native", "drug-loaded", "surface-modified"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["melanoma", "breast", "lung", "colorectal"]
    assert ax.get_title(loc="left") == "Evidence map: number of studies (3 studies)"
    assert_valid_images(save_figure(figure, tmp_path, "evidence_map"))


def test_studies_per_year_stacks_studies_and_fills_the_years_between():
    """Bars per year and strategy count distinct studies; empty years are on the axis; a study
    without strategy counts as 'not reported', one without year is left out and said so."""
    figure = studies_per_year(STUDIES, "strategy", order=["native", "drug-loaded"])
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2016", "2017", "2018", "2019"]
    heights = [(p.get_x() + p.get_width() / 2, p.get_y(), p.get_height()) for p in ax.patches]
    assert heights == [(2016, 0, 1), (2017, 0, 0), (2018, 0, 0), (2019, 0, 0),      # native
                       (2016, 1, 0), (2017, 0, 0), (2018, 0, 0), (2019, 0, 1),      # drug-loaded
                       (2016, 1, 0), (2017, 0, 0), (2018, 0, 0), (2019, 1, 1)]      # not reported
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["native", "drug-loaded",
                                                                    "not reported"]
    assert texts(figure) == ["1 study without a year not shown"]


def test_traffic_light_draws_a_coloured_symbol_per_judgement(tmp_path):
    """One circle per judged cell in its judgement's colour, blank where none; a legend with the
    symbols; the domain names below; valid image files."""
    figure = rob_traffic_light(ROBVIS, domains=DOMAINS, title="SYRCLE")
    ax = figure.axes[0]
    circles = {}
    for collection in ax.collections:
        if collection.get_sizes()[0] == 190:
            colour = "#%02X%02X%02X" % tuple(round(c * 255) for c in collection.get_facecolor()[0][:3])
            for x, y in collection.get_offsets():
                circles[(ax.get_yticklabels()[int(y)].get_text(),
                         ax.get_xticklabels()[int(x)].get_text())] = colour
    colour = {k: v.upper() for k, v in JUDGEMENT_COLOURS.items()}
    assert circles == {
        ("Kim 2018", "D1"): colour["low"], ("Kim 2018", "D2"): colour["unclear"],
        ("Kim 2018", "Overall"): colour["high"], ("Rossi 2016", "D1"): colour["some concerns"],
        ("Rossi 2016", "D2"): colour["no information"], ("Rossi 2016", "Overall"): colour["low"],
        ("Lugini 2012", "D1"): colour["high"], ("Lugini 2012", "Overall"): colour["critical"]}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "+  Low", "−  Some concerns", "?  Unclear", "×  High", "!  Critical", "?  No information"]
    assert texts(figure) == ["D1: Sequence generation\nD2: Baseline characteristics"]
    assert_valid_images(save_figure(figure, tmp_path, "rob_traffic_light_syrcle"))


def test_summary_bars_are_weighted_shares(tmp_path):
    """Each bar is the share of weight per judgement; unweighted, each study counts once;
    a domain's unjudged studies are left out of its bar."""
    figure = rob_summary(ROBVIS, weighted=True, domains=DOMAINS)
    ax = figure.axes[0]
    # weights 1, 3, 0: D1 low 1/4, some concerns 3/4; D2 unclear 1/4, no information 3/4
    widths = {}
    for container in ax.containers:
        for y, patch in enumerate(container.patches):
            if patch.get_width():
                widths[(container.get_label(), y)] = round(patch.get_width(), 2)
    assert widths == {("Low", 0): 25.0, ("Some concerns", 0): 75.0, ("Unclear", 1): 25.0,
                      ("No information", 1): 75.0, ("Low", 2): 75.0, ("High", 2): 25.0}
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "D1: Sequence generation", "D2: Baseline characteristics", "Overall risk of bias"]
    unweighted = rob_summary(ROBVIS, weighted=False).axes[0]
    shares = {(c.get_label(), y): round(p.get_width(), 2) for c in unweighted.containers
              for y, p in enumerate(c.patches) if p.get_width()}
    assert shares == {("Low", 0): 33.33, ("Some concerns", 0): 33.33, ("High", 0): 33.33,
                      ("Unclear", 1): 50.0, ("No information", 1): 50.0, ("Low", 2): 33.33,
                      ("High", 2): 33.33, ("Critical", 2): 33.33}
    assert_valid_images(save_figure(rob_summary(ROBVIS), tmp_path, "rob_summary_syrcle"))


def test_a_reporting_checklist_names_its_judgements_in_its_own_words():
    """MISEV-style checklists say "Reported", not robvis' "Low": the legends take the labels."""
    labels = {"Low": "Reported", "Some concerns": "Partly reported", "High": "Not reported"}
    light = rob_traffic_light(ROBVIS, judgement_labels=labels).axes[0]
    assert [t.get_text() for t in light.get_legend().get_texts()] == [
        "+  Reported", "−  Partly reported", "?  Unclear", "×  Not reported", "!  Critical",
        "?  No information"]
    summary = rob_summary(ROBVIS, judgement_labels=labels).axes[0]
    assert [t.get_text() for t in summary.get_legend().get_texts()] == [
        "Reported", "Partly reported", "Unclear", "Not reported", "Critical", "No information"]


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns="Study"),
     "robvis table: missing column 'Study'; expected columns Study, D1 ... Dn, Overall, Weight"),
    (lambda f: f.drop(columns=["D1", "D2"]),
     "robvis table: no domain columns (D1, D2, ...); expected columns Study, D1 ... Dn, Overall, Weight"),
    (lambda f: f.drop(columns="Overall"),
     "robvis table: missing column 'Overall'; expected columns Study, D1 ... Dn, Overall, Weight"),
    (lambda f: f.assign(D2=["Low", "Probably low", "Low"]),
     "robvis table, study 'Rossi 2016', D2: unknown judgement 'Probably low'; expected one of "
     "Low, Some concerns, Moderate, Unclear, High, Serious, Critical, No information, Not applicable"),
    (lambda f: f.head(0), "robvis table: no studies to plot"),
])
def test_bad_robvis_tables_are_refused(change, message):
    """The traffic light names the missing column or the study and domain of a bad judgement."""
    with pytest.raises(ReviewError, match=re.escape(message)):
        rob_traffic_light(change(ROBVIS))


def test_summary_needs_a_usable_weight():
    """Weighted summaries need the Weight column and a number of 0 or more per study."""
    with pytest.raises(ReviewError, match=re.escape(
            "robvis table: missing column 'Weight'; expected columns Study, D1 ... Dn, Overall, Weight")):
        rob_summary(ROBVIS.drop(columns="Weight"))
    with pytest.raises(ReviewError, match=re.escape(
            "robvis table, study 'Kim 2018': Weight must be a number of 0 or more, found -1")):
        rob_summary(ROBVIS.assign(Weight=[-1, 1, 1]))
    assert rob_summary(ROBVIS.drop(columns="Weight"), weighted=False).axes


def test_bad_study_tables_are_refused():
    """The evidence map and per-year plot name the missing column, a bad year, or empty data."""
    with pytest.raises(ReviewError, match=re.escape(
            "evidence map: missing column 'tumour_type'; expected columns study_id, strategy, tumour_type")):
        evidence_map(STUDIES.drop(columns="tumour_type"))
    with pytest.raises(ReviewError, match=re.escape(
            "evidence map: no study has both 'strategy' and 'tumour_type'")):
        evidence_map(STUDIES.assign(strategy=None))
    with pytest.raises(ReviewError, match=re.escape(
            "studies per year: study 'C 2019' has year 'n.d.'; expected a year such as 2018")):
        studies_per_year(STUDIES.assign(year=[2016, 2016, 2019, "n.d.", None]))
    with pytest.raises(ReviewError, match=re.escape("studies per year: no study has a year")):
        studies_per_year(STUDIES.assign(year=None))
    with pytest.raises(ReviewError, match=re.escape(
            "studies per year: expected a table (DataFrame), found list")):
        studies_per_year([])


def test_a_review_without_data_skips_every_figure_and_says_why(tmp_path):
    """A new review has no included studies: nothing is drawn and each skip has its reason."""
    from review.project import init_review
    review = init_review(tmp_path / "r", EXAMPLE_DIR / "protocol.yaml")
    said: list[str] = []
    assert write_figures(review, tmp_path / "figures", echo=said.append) == []
    assert said == [
        "evidence_map skipped: the review has no included studies",
        "studies_per_year skipped: the review has no included studies",
        "rob_traffic_light_syrcle and rob_summary_syrcle skipped: no SYRCLE judgements of "
        "included studies are agreed or reconciled yet",
        "rob_traffic_light_misev and rob_summary_misev skipped: no MISEV judgements of included "
        "studies are agreed or reconciled yet"]
    assert not (tmp_path / "figures").exists()


@pytest.mark.slow
def test_the_example_review_gets_every_figure(worked_example, tmp_path_factory):
    """With the example's extraction and judgements loaded: evidence map, studies per year and
    both tools' traffic lights and summaries, each a valid SVG, PNG and PDF."""
    from review.appraisal import load_judgements
    from review.extraction.load import load_extraction
    from review.project import open_review
    folder = tmp_path_factory.mktemp("figures")
    review = open_review(copy_review(worked_example, folder / "ex"))
    if review.store.events("extraction").empty:
        load_extraction(review, EXAMPLE_DIR / "extraction")
    if review.store.events("risk_of_bias").empty:
        for tool in ("SYRCLE", "MISEV"):
            load_judgements(review, EXAMPLE_DIR / "risk_of_bias" / f"{tool.lower()}.csv", tool)
    said: list[str] = []
    written = write_figures(review, folder / "figures", echo=said.append)
    assert said == []
    names = ["evidence_map", "studies_per_year", "rob_traffic_light_syrcle", "rob_summary_syrcle",
             "rob_traffic_light_misev", "rob_summary_misev"]
    assert [p.name for p in written] == [f"{n}.{s}" for n in names for s in ("svg", "png", "pdf")]
    for name in names:
        assert_valid_images([p for p in written if p.stem == name])
    _check_example_figure_words(folder / "figures")


def _svg_text(path) -> str:
    import html
    import re
    return html.unescape(" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())))


def _check_example_figure_words(folder):
    """What a journal reads in the example's appraisal figures: MISEV's overall column in its
    own levels with the rule under the plot; SYRCLE named once; no "weighted" without weights."""
    for kind in ("rob_traffic_light", "rob_summary"):
        misev = _svg_text(folder / f"{kind}_misev.svg")
        assert "Well characterised" in misev and "Poorly characterised" in misev
        assert "at least 7" in misev and "4 to 6" in misev and "3 or fewer" in misev
        syrcle = _svg_text(folder / f"{kind}_syrcle.svg")
        assert "SYRCLE's risk of bias tool for animal studies" in syrcle
        assert "SYRCLE: SYRCLE" not in syrcle
    for tool in ("misev", "syrcle"):
        summary = _svg_text(folder / f"rob_summary_{tool}.svg")
        assert "Share of studies" in summary and "weighted" not in summary


def test_overall_levels_have_their_own_legend_section_and_the_rule_is_stated():
    """A checklist's Overall column is not labelled with its items' words ("Not reported")."""
    items = {"Low": "Reported", "Some concerns": "Partly reported", "High": "Not reported"}
    overall = {"Low": "Well characterised", "Some concerns": "Partly characterised",
               "High": "Poorly characterised"}
    rule = "Overall: well characterised with at least 7 items reported"
    light = rob_traffic_light(ROBVIS, judgement_labels=items, overall_labels=overall,
                              caption=rule)
    texts = [t.get_text() for t in light.axes[0].get_legend().get_texts()]
    assert texts.index("Overall") > texts.index("Items")
    in_overall = texts[texts.index("Overall") + 1:]
    # ROBVIS' Overall column holds Low, High and Critical
    assert in_overall == ["+  Well characterised", "×  Poorly characterised", "!  Critical"]
    assert "×  Not reported" in texts[:texts.index("Overall")]
    assert rule in [t.get_text() for t in light.axes[0].texts]
    summary = rob_summary(ROBVIS, judgement_labels=items, overall_labels=overall, caption=rule)
    texts = [t.get_text() for t in summary.axes[0].get_legend().get_texts()]
    assert {"Well characterised", "Poorly characterised", "Reported"} <= set(texts)
    assert rule in [t.get_text() for t in summary.axes[0].texts]


def test_summary_says_weighted_only_when_weights_differ():
    assert rob_summary(ROBVIS, weighted=True).axes[0].get_xlabel() == "Share of studies (weighted)"
    equal = ROBVIS.assign(Weight=1)
    assert rob_summary(equal, weighted=True).axes[0].get_xlabel() == "Share of studies"
    assert rob_summary(ROBVIS, weighted=False).axes[0].get_xlabel() == "Share of studies"


def test_a_tool_is_named_once_in_its_title():
    from review.report.figures import tool_title
    assert tool_title("SYRCLE", "SYRCLE's risk of bias tool for animal studies") == \
        "SYRCLE's risk of bias tool for animal studies"
    assert tool_title("RoB2", "Risk of bias tool for randomised trials") == \
        "RoB2: Risk of bias tool for randomised trials"


def test_pdf_embeds_truetype_subsets_without_layout_tables(tmp_path):
    """PDFs embed their fonts as TrueType (Type 42, as journals ask), subset to the glyphs used
    and without the OpenType layout tables a PDF never reads (subsetting them cost two thirds of
    the embedding)."""
    import io
    import zlib

    import matplotlib.pyplot as plt
    from fontTools.ttLib import TTFont

    figure, axes = plt.subplots(figsize=(3, 2))
    axes.set_title("Tumour volume, ≥ 2 studies")
    axes.plot([1, 2, 3], [2, 1, 3])
    path = save_figure(figure, tmp_path, "lean", formats=("pdf",))[0]
    data = path.read_bytes()
    assert b"/FontFile2" in data and b"/Subtype /CIDFontType2" in data
    fonts = []
    for match in re.finditer(rb"<<([^>]*?/Length1 \d+[^>]*?)>>\s*stream\r?\n", data):
        length = int(re.search(rb"/Length (\d+)", match.group(1)).group(1))
        stream = data[match.end():match.end() + length]
        if b"/FlateDecode" in match.group(1):
            stream = zlib.decompress(stream)
        fonts.append(TTFont(io.BytesIO(stream)))
    assert fonts
    for font in fonts:
        assert {"glyf", "cmap", "hmtx"} <= set(font.keys())
        assert not {"GSUB", "GPOS", "GDEF", "MATH"} & set(font.keys())
        assert len(font.getGlyphOrder()) < 100
    plt.close(figure)
