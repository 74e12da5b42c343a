"""Jupyter widgets for the steps where a reviewer must look and decide."""
from __future__ import annotations

from .duplicates import DuplicateReviewer
from .screener import Screener

__all__ = ["DuplicateReviewer", "Screener"]
