"""Jupyter widgets for the steps where a reviewer must look and decide.

Each widget is imported when first asked for (`from review.widgets import Screener` works as
before): a page of `review app` needs one widget, and the certainty widget alone pulls in the
meta-analysis (scipy.stats, matplotlib), more than a second of every page's start."""
from __future__ import annotations

import importlib

#: widget -> the module that defines it
_MODULES = {"Appraiser": "appraisal", "CertaintyRater": "certainty",
            "DuplicateReviewer": "duplicates", "ExtractionForm": "extraction",
            "ReconciliationView": "reconciliation", "Screener": "screener",
            "StoppingPanel": "stopping"}

__all__ = ["Appraiser", "CertaintyRater", "DuplicateReviewer", "ExtractionForm", "ReconciliationView",
           "Screener", "StoppingPanel"]


def __getattr__(name: str):
    if name in _MODULES:
        value = getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
