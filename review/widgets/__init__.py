"""Jupyter widgets for the steps where a reviewer must look and decide."""
from __future__ import annotations

from .appraisal import Appraiser
from .certainty import CertaintyRater
from .duplicates import DuplicateReviewer
from .extraction import ExtractionForm
from .reconciliation import ReconciliationView
from .screener import Screener
from .stopping import StoppingPanel

__all__ = ["Appraiser", "CertaintyRater", "DuplicateReviewer", "ExtractionForm", "ReconciliationView",
           "Screener", "StoppingPanel"]
