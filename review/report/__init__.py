"""Report: the numbers, tables and figures a review publishes, one module per concern
(effect sizes, meta-analysis, forest and funnel plots, ...). Import the modules themselves."""
from __future__ import annotations

__all__: list[str] = []
