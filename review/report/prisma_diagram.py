"""The PRISMA 2020 flow diagram, drawn with matplotlib from `PrismaCounts`, in the statement's
layout: Identification / Screening / Included bands on the left, an optional "previous studies"
column, the databases-and-registers column and, when other methods were used, the other-methods
column. Every number on it comes from the counts; nothing is typed in.

Boxes are sized from their text (one line per database and per exclusion reason), so the figure's
height follows the review. Each line is its own text element: the SVG holds every count as text.
"""
from __future__ import annotations

import io
import itertools
import json
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from ..figures.style import figure_style, save_figure
from ..io.table import write_csv
from .prisma import PrismaCounts, check_counts, counts_to_json, prisma2020_template, prisma_counts

__all__ = ["prisma_diagram", "write_prisma", "box_lines", "Line", "FONT_SIZE"]

FONT_SIZE = 7.0            # points
LINE = 0.135               # inches between baselines
PAD = 0.07                 # inches inside a box
BOX_WIDTH = 2.05
GAP_X = 0.3                # between a column's main box and its side box
COLUMN_GAP = 0.35
ROW_GAP = 0.3
HEADER_HEIGHT = 0.36
PHASE_WIDTH = 0.28
MARGIN = 0.1
INDENT = 0.12
#: Characters per line of a box at FONT_SIZE (DejaVu Sans averages about half an em a character).
WRAP = int((BOX_WIDTH - 2 * PAD - INDENT) * 72 / (FONT_SIZE * 0.5))

COLOURS = {"database_header": "#F6E3A1", "other_header": "#DCDCDC", "previous_header": "#DCDCDC",
           "phase": "#C9DCEC", "box": "#FFFFFF", "other_box": "#F2F2F2", "edge": "#000000"}


@dataclass(frozen=True)
class Line:
    """One line of box text: indented lines are breakdowns (a database, a reason)."""

    text: str
    indent: int = 0
    bold: bool = False


def _n(value: int) -> str:
    return f"(n = {value:,})"


def _counted(label: str, value: int, indent: int = 0, *, own_line: bool = False) -> list[Line]:
    """`label (n = x)` wrapped to the box; the count never splits and goes on its own line when
    `own_line` (PRISMA's single-count boxes) or when it does not fit after the label."""
    width = WRAP + (2 if indent == 0 else 0)
    parts = textwrap.wrap(label, width) or [""]
    count = _n(value)
    if own_line or len(parts[-1]) + 1 + len(count) > width:
        parts.append(count)
    else:
        parts[-1] = f"{parts[-1]} {count}"
    return [Line(parts[0], indent)] + [Line(p, indent + (0 if own_line else 1)) for p in parts[1:]]


def _heading(text: str) -> list[Line]:
    """A bold heading line (bold glyphs are wider: fewer characters a line)."""
    return [Line(part, 0, True) for part in textwrap.wrap(text, WRAP - 4)]


def _breakdown(heading: str, counts: dict[str, int]) -> list[Line]:
    lines = _heading(heading)
    for name, value in counts.items():
        lines += _counted(name, value, 1)
    return lines


def box_lines(counts: PrismaCounts) -> dict[str, list[Line]]:
    """The text of every box, by box name: what the diagram shows, all from `counts`."""
    c = counts
    identified = _heading("Records identified from:")
    if c.databases:
        identified += _counted("Databases", c.database_results)
        identified += [line for name, n in c.databases.items() for line in _counted(name, n, 1)]
    if c.registers:
        identified += _counted("Registers", c.register_results)
        identified += [line for name, n in c.registers.items() for line in _counted(name, n, 1)]
    boxes = {
        "identified": identified,
        "removed": _heading("Records removed before screening:")
        + _counted("Duplicate records removed", c.duplicates, 1)
        + _counted("Records marked as ineligible by automation tools", c.excluded_automatic, 1)
        + _counted("Records removed for other reasons", c.excluded_other, 1),
        "screened": _counted("Records screened", c.records_screened, own_line=True),
        "excluded": _counted("Records excluded", c.records_excluded, own_line=True),
        "sought": _counted("Reports sought for retrieval", c.dbr_sought_reports, own_line=True),
        "not_retrieved": _counted("Reports not retrieved", c.dbr_notretrieved_reports,
                                  own_line=True),
        "assessed": _counted("Reports assessed for eligibility", c.dbr_assessed, own_line=True),
        "reports_excluded": _excluded(c.dbr_excluded),
    }
    new = "New studies included in review" if c.has_previous else "Studies included in review"
    new_reports = "Reports of new included studies" if c.has_previous else \
        "Reports of included studies"
    boxes["included"] = _counted(new, c.new_studies) + _counted(new_reports, c.new_reports)
    if c.has_previous:
        previous = []
        if c.previous_studies is not None:
            previous += _counted("Studies included in previous version of review",
                                 c.previous_studies)
        if c.previous_reports is not None:
            previous += _counted("Reports of studies included in previous version of review",
                                 c.previous_reports)
        boxes["previous"] = previous
        boxes["total"] = (_counted("Total studies included in review", c.total_studies)
                          + _counted("Reports of total included studies", c.total_reports))
    if c.has_other_methods:
        boxes["other_identified"] = _breakdown("Records identified from:", c.other_methods)
        boxes["other_removed"] = (
            _heading("Records removed before retrieval:")
            + _counted("Duplicate records removed", c.other_duplicates, 1)
            + _counted("Records excluded on title and abstract", c.other_excluded_records, 1))
        boxes["other_sought"] = _counted("Reports sought for retrieval", c.other_sought_reports,
                                         own_line=True)
        boxes["other_not_retrieved"] = _counted("Reports not retrieved",
                                                c.other_notretrieved_reports, own_line=True)
        boxes["other_assessed"] = _counted("Reports assessed for eligibility", c.other_assessed,
                                           own_line=True)
        boxes["other_reports_excluded"] = _excluded(c.other_excluded)
    return boxes


def _excluded(reasons: dict[str, int]) -> list[Line]:
    if not reasons:
        return _counted("Reports excluded", 0, own_line=True)
    return _breakdown(f"Reports excluded {_n(sum(reasons.values()))}:", reasons)


def _height(lines: list[Line]) -> float:
    return 2 * PAD + LINE * len(lines) + 0.03


def _label_length(text: str) -> float:
    """Inches a phase label needs along its band (bold, a little over half an em a character)."""
    return len(text) * (FONT_SIZE + 1) * 0.68 / 72 + 2 * PAD


class _Canvas:
    """Draws boxes, labels and arrows in inches from the top left (y grows downwards)."""

    def __init__(self, width: float, height: float):
        self.figure = Figure(figsize=(width, height))
        self.ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        self.ax.set_axis_off()

    def box(self, x: float, y: float, width: float, height: float, lines: list[Line],
            fill: str, gid: str) -> None:
        self.ax.add_patch(Rectangle((x, y), width, height, facecolor=fill,
                                    edgecolor=COLOURS["edge"], linewidth=0.8, gid=gid))
        for i, line in enumerate(lines):
            self.ax.text(x + PAD + INDENT * line.indent, y + PAD + LINE * (i + 1) - 0.02,
                         line.text, fontsize=FONT_SIZE, va="baseline", ha="left",
                         fontweight="bold" if line.bold else "normal", parse_math=False,
                         gid=f"{gid}-{i}")

    def banner(self, x: float, y: float, width: float, height: float, text: str, fill: str,
               *, vertical: bool = False) -> None:
        gid = f"banner-{text.split()[-1].lower()}"
        self.ax.add_patch(FancyBboxPatch((x, y), width, height,
                                         boxstyle="round,pad=0,rounding_size=0.06",
                                         facecolor=fill, edgecolor="none", gid=gid))
        self.ax.text(x + width / 2, y + height / 2, text, fontsize=FONT_SIZE + 1,
                     fontweight="bold", ha="center", va="center", rotation=90 if vertical else 0,
                     parse_math=False, gid=f"{gid}-0")

    def arrow(self, *points: tuple[float, float]) -> None:
        """A line through `points`, with an arrow head at the last one."""
        for start, end in itertools.pairwise(points[:-1]):
            self.ax.plot([start[0], end[0]], [start[1], end[1]], color=COLOURS["edge"],
                         linewidth=0.8, solid_capstyle="butt")
        self.ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>",
                                          mutation_scale=8, linewidth=0.8, shrinkA=0, shrinkB=0,
                                          color=COLOURS["edge"]))


def prisma_diagram(counts: PrismaCounts) -> Figure:
    """The flow diagram as a matplotlib Figure (not registered with pyplot, so nothing leaks)."""
    boxes = box_lines(counts)
    other = counts.has_other_methods
    previous = counts.has_previous
    column = 2 * BOX_WIDTH + GAP_X
    x_phase = MARGIN
    x_previous = x_phase + PHASE_WIDTH + 0.15
    x_database = x_previous + (BOX_WIDTH + COLUMN_GAP if previous else 0)
    x_other = x_database + column + COLUMN_GAP
    width = (x_other + column if other else x_database + column) + MARGIN

    def row(*names: str) -> float:
        return max(_height(boxes[n]) for n in names if n in boxes)

    heights = {
        "identification": row("identified", "removed", "other_identified", "other_removed",
                              "previous"),
        "screened": row("screened", "excluded"),
        "sought": row("sought", "not_retrieved", "other_sought", "other_not_retrieved"),
        "assessed": row("assessed", "reports_excluded", "other_assessed", "other_reports_excluded"),
        "included": row("included"),
    }
    if previous:
        heights["total"] = row("total")
    last = "total" if previous else "included"
    span = heights["included"] + (heights["total"] + ROW_GAP if previous else 0)
    heights[last] += max(0.0, _label_length("Included") - span)
    tops, y = {}, MARGIN + HEADER_HEIGHT + ROW_GAP * 0.6
    for name, height in heights.items():
        tops[name] = y
        y += height + ROW_GAP
    height = y - ROW_GAP + MARGIN
    canvas = _Canvas(width, height)
    with figure_style():
        _draw(canvas, boxes, tops, heights, x_phase, x_previous, x_database, x_other,
              other=other, previous=previous)
    return canvas.figure


def _draw(canvas: _Canvas, boxes, tops, heights, x_phase, x_previous, x_database, x_other, *,
          other: bool, previous: bool) -> None:
    column = 2 * BOX_WIDTH + GAP_X
    header_y = MARGIN
    canvas.banner(x_database, header_y, column, HEADER_HEIGHT,
                  "Identification of new studies via databases and registers",
                  COLOURS["database_header"])
    if other:
        canvas.banner(x_other, header_y, column, HEADER_HEIGHT,
                      "Identification of new studies via other methods", COLOURS["other_header"])
    if previous:
        canvas.banner(x_previous, header_y, BOX_WIDTH, HEADER_HEIGHT, "Previous studies",
                      COLOURS["previous_header"])
    last = "total" if previous else "included"
    phases = (("Identification", "identification", "identification"),
              ("Screening", "screened", "assessed"), ("Included", "included", last))
    for label, first, final in phases:
        top, bottom = tops[first], tops[final] + heights[final]
        canvas.banner(x_phase, top, PHASE_WIDTH, bottom - top, label, COLOURS["phase"],
                      vertical=True)

    def place(name: str, x: float, row: str, fill: str = COLOURS["box"]) -> None:
        """Draw a box in a row, as tall as the row."""
        canvas.box(x, tops[row], BOX_WIDTH, heights[row], boxes[name], fill, gid=f"prisma-{name}")

    def right(x: float, row: str) -> None:
        middle = tops[row] + heights[row] / 2
        canvas.arrow((x + BOX_WIDTH, middle), (x + BOX_WIDTH + GAP_X, middle))

    def down(x: float, upper: str, lower: str) -> None:
        centre = x + BOX_WIDTH / 2
        canvas.arrow((centre, tops[upper] + heights[upper]), (centre, tops[lower]))

    side = x_database + BOX_WIDTH + GAP_X
    place("identified", x_database, "identification")
    place("removed", side, "identification")
    right(x_database, "identification")
    for main, aside, row in (("screened", "excluded", "screened"),
                             ("sought", "not_retrieved", "sought"),
                             ("assessed", "reports_excluded", "assessed")):
        place(main, x_database, row)
        place(aside, side, row)
        right(x_database, row)
    place("included", x_database, "included")
    for upper, lower in (("identification", "screened"), ("screened", "sought"),
                         ("sought", "assessed"), ("assessed", "included")):
        down(x_database, upper, lower)
    if other:
        grey, other_side = COLOURS["other_box"], x_other + BOX_WIDTH + GAP_X
        place("other_identified", x_other, "identification", grey)
        place("other_removed", other_side, "identification", grey)
        right(x_other, "identification")
        for main, aside, row in (("other_sought", "other_not_retrieved", "sought"),
                                 ("other_assessed", "other_reports_excluded", "assessed")):
            place(main, x_other, row, grey)
            place(aside, other_side, row, grey)
            right(x_other, row)
        down(x_other, "identification", "sought")
        down(x_other, "sought", "assessed")
        centre = x_other + BOX_WIDTH / 2
        middle = tops["included"] + heights["included"] / 2
        canvas.arrow((centre, tops["assessed"] + heights["assessed"]), (centre, middle),
                     (x_database + BOX_WIDTH, middle))
    if previous:
        place("previous", x_previous, "identification", COLOURS["other_box"])
        place("total", x_database, "total")
        down(x_database, "included", "total")
        centre = x_previous + BOX_WIDTH / 2
        middle = tops["total"] + heights["total"] / 2
        canvas.arrow((centre, tops["identification"] + heights["identification"]),
                     (centre, middle), (x_database, middle))


def write_prisma(review, out_dir: str | Path, *, previous_studies: int | None = None,
                 previous_reports: int | None = None, name: str = "prisma") -> dict[str, Path]:
    """Check the review's PRISMA counts (ReviewError if they do not add up), then write the
    diagram (`prisma.svg`, `.png` at 300 dpi, `.pdf`), the counts (`prisma.json`) and the
    PRISMA2020 R package's template (`prisma.csv`); returns the paths by extension.

    The CSV has no byte-order mark: R's `read.csv` would read it into the first column's name,
    and `PRISMA_data()` looks that column up by name."""
    counts = check_counts(prisma_counts(review, previous_studies=previous_studies,
                                        previous_reports=previous_reports))
    out_dir = Path(out_dir)
    figure = prisma_diagram(counts)
    paths = {path.suffix[1:]: path for path in save_figure(figure, out_dir, name)}
    text = json.dumps(counts_to_json(counts), indent=2, ensure_ascii=False) + "\n"
    paths["json"] = _write_text(out_dir / f"{name}.json", text)
    buffer = io.StringIO()
    write_csv(prisma2020_template(counts), buffer)
    paths["csv"] = _write_text(out_dir / f"{name}.csv", buffer.getvalue())
    return paths


def _write_text(path: Path, text: str) -> Path:
    """Write whole or not at all: to a temporary name first, then moved into place."""
    part = path.with_name(f".{path.name}.part")
    with open(part, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(part, path)
    return path
