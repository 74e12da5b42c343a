"""One look for every figure: the Okabe-Ito palette (safe for the common colour-vision
deficiencies), a sans-serif font that needs no download, and SVG/PNG/PDF written side by side."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Sequence

import matplotlib

matplotlib.use("Agg", force=False)  # figures are files; a notebook may still show them inline
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["PALETTE", "JUDGEMENT_COLOURS", "FORMATS", "PNG_DPI", "figure_style", "save_figure"]

#: Okabe & Ito (2008) colours, in the order series take them.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

#: Risk-of-bias judgements in robvis' manner, but colour-blind safe (and each also has a symbol).
JUDGEMENT_COLOURS = {
    "low": "#009E73",
    "some concerns": "#F0E442",
    "unclear": "#56B4E9",
    "moderate": "#F0E442",
    "high": "#D55E00",
    "serious": "#D55E00",
    "critical": "#7F2704",
    "no information": "#BBBBBB",
    "not applicable": "#FFFFFF",
}

FORMATS = ("svg", "png", "pdf")
PNG_DPI = 300

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE)),
    "legend.frameon": False,
    "savefig.bbox": "tight",
    "svg.fonttype": "none",       # text stays text in SVG (searchable, editable by journals)
    "svg.hashsalt": "review",     # stable ids: the same figure gives the same SVG
    "pdf.fonttype": 42,           # TrueType in PDF, as journals ask
}


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """Draw inside this to get the project's style without changing the caller's settings."""
    with matplotlib.rc_context(_RC):
        yield


def _tight_bbox(figure):
    """The figure's tight bounding box, padded as savefig pads it, measured once with the vector
    renderer (SVG and PDF measure text alike), so that each format is drawn once: savefig's
    "tight" would draw to measure, then draw again to write, for every format. Falls back to
    savefig's own "tight" where matplotlib's internals differ or a layout engine must run."""
    setting = matplotlib.rcParams["savefig.bbox"]
    if setting != "tight" or figure.get_layout_engine() is not None:
        return setting
    try:
        from matplotlib.backend_bases import _get_renderer
        from matplotlib.backends.backend_svg import FigureCanvasSVG
    except ImportError:  # pragma: no cover - a matplotlib without this helper
        return setting
    canvas, dpi = figure.canvas, figure.dpi
    try:
        renderer = _get_renderer(figure, FigureCanvasSVG(figure).print_svg)
        with getattr(renderer, "_draw_disabled", contextlib.nullcontext)():
            figure.draw(renderer)
        bbox = figure.get_tightbbox(renderer)
    finally:
        figure.set_canvas(canvas)
        figure.dpi = dpi
    return bbox.padded(matplotlib.rcParams["savefig.pad_inches"])


#: OpenType tables for laying out text, which a PDF never reads (it places every glyph itself);
#: subsetting them (fontTools resolving DejaVu Sans' substitution and positioning rules for the
#: glyphs kept) was two thirds of each PDF's font embedding.
_LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern")


class _LeanSubsetting:
    """fontTools.subset as matplotlib's PDF writer sees it while a figure is saved: the same,
    but the options it makes also drop _LAYOUT_TABLES. The embedded font keeps every outline,
    metric and character mapping, so the PDF looks and searches the same (TrueType, Type 42)."""

    def __init__(self, subset):
        self._subset = subset

    def __getattr__(self, name):
        return getattr(self._subset, name)

    def Options(self, *args, **kwargs):  # noqa: N802 - fontTools' name
        options = self._subset.Options(*args, **kwargs)
        options.drop_tables = [*options.drop_tables, *_LAYOUT_TABLES]
        return options


@contextlib.contextmanager
def _lean_pdf_fonts() -> Iterator[None]:
    """Embed subsets without layout tables in the PDFs saved inside this block; where
    matplotlib's PDF writer does not subset through `fontTools.subset`, nothing changes."""
    try:
        from matplotlib.backends import _backend_pdf_ps as pdf_fonts
    except ImportError:  # pragma: no cover - a matplotlib without this module
        yield
        return
    subset = getattr(pdf_fonts, "subset", None)
    if subset is None or not hasattr(subset, "Options"):
        yield
        return
    pdf_fonts.subset = _LeanSubsetting(subset)
    try:
        yield
    finally:
        pdf_fonts.subset = subset


def save_figure(figure, folder: str | Path, name: str,
                formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write `figure` as folder/name.svg, .png (300 dpi) and .pdf; returns the paths written.
    Files are written whole (to a temporary name first), so a failed run leaves no torn figure."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with figure_style():
        bbox = _tight_bbox(figure)
        for fmt in formats:
            path = folder / f"{name}.{fmt}"
            tmp = path.with_name(f".{path.name}.part")
            options = {"dpi": PNG_DPI} if fmt == "png" else {}
            fonts = contextlib.nullcontext()
            if fmt == "pdf":
                options["metadata"] = {"CreationDate": None}  # reproducible bytes
                fonts = _lean_pdf_fonts()
            elif fmt == "svg":
                options["metadata"] = {"Date": None}
            with fonts:
                figure.savefig(tmp, format=fmt, bbox_inches=bbox, **options)
            tmp.replace(path)
            written.append(path)
    return written


def close(figure) -> None:
    plt.close(figure)
