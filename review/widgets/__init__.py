"""Jupyter widgets for the steps where a reviewer must look and decide."""
from __future__ import annotations

from .duplicates import DuplicateReviewer

__all__ = ["DuplicateReviewer"]
