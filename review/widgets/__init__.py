"""Jupyter widgets for the steps where a reviewer must look and decide."""
from __future__ import annotations

from .appraisal import Appraiser
from .duplicates import DuplicateReviewer
from .extraction import ExtractionForm, ReconciliationView
from .screener import Screener
from .stopping import StoppingPanel

__all__ = ["Appraiser", "DuplicateReviewer", "ExtractionForm", "ReconciliationView", "Screener",
           "StoppingPanel"]
