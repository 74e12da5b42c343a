"""Risk of bias and appraisal: tools as data, judgements in the event log, robvis tables.

`tools` reads a tool's YAML (domains, signalling questions, levels, rules); `judgements` turns
events into each reviewer's and the final judgements; `session` is the state behind the
appraisal widget; `load` brings in judgements kept in a CSV.
"""
from __future__ import annotations

from .judgements import (ASSESSOR, RECONCILER, differences, judgement_event, judgements,
                         reconcile, record_judgement, reviewer_judgements, robvis_table,
                         write_robvis)
from .load import load_judgements
from .session import AppraisalProgress, AppraisalSession, DomainState
from .tools import (Tool, applicable_questions, load_tool, load_tool_file, overall_judgement,
                    suggest_judgement, tool_names)

__all__ = [
    "ASSESSOR", "RECONCILER", "AppraisalProgress", "AppraisalSession", "DomainState", "Tool",
    "applicable_questions", "differences", "judgement_event", "judgements", "load_judgements",
    "load_tool", "load_tool_file", "overall_judgement", "reconcile", "record_judgement",
    "reviewer_judgements", "robvis_table", "suggest_judgement", "tool_names", "write_robvis",
]
