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
            if fmt == "pdf":
                options["metadata"] = {"CreationDate": None}  # reproducible bytes
            elif fmt == "svg":
                options["metadata"] = {"Date": None}
            figure.savefig(tmp, format=fmt, bbox_inches=bbox, **options)
            tmp.replace(path)
            written.append(path)
    return written


def close(figure) -> None:
    plt.close(figure)
