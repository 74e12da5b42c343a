"""Figures for the manuscript, drawn with matplotlib in one colour-blind-safe style."""
from .style import PALETTE, JUDGEMENT_COLOURS, FORMATS, figure_style, save_figure

__all__ = ["PALETTE", "JUDGEMENT_COLOURS", "FORMATS", "figure_style", "save_figure"]
