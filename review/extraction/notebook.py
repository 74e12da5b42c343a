"""What `notebooks/03_extract.ipynb` shows besides its widgets: who is extracting, with which
appraisal tool, how far each study is, and how many final values are settled.

Small functions so the notebook stays a list of calls; they read the store and return plain
values or DataFrames, and import no widgets.
"""
from __future__ import annotations

import pandas as pd

from ..appraisal.tools import load_tool
from ..errors import ReviewError
from ..store import current_user
from .reconcile import EXTRACTORS_PER_STUDY, differences, extractors_of
from .session import ExtractionSession
from .studies import study_table
from .values import RECONCILER, extraction_long, reviewer_values

__all__ = [
    "ALL_STUDIES",
    "NO_TOOL",
    "STATUSES",
    "appraisal_tool",
    "extraction_overview",
    "final_value_counts",
    "reviewer_name",
]

#: The statuses of a final value (see `review.extraction.reconcile`), in the order shown.
STATUSES = ("agreed", "resolved", "conflict", "pending")
#: Label of the totals row of `final_value_counts`.
ALL_STUDIES = "all studies"
#: The `tool` parameter that skips appraisal.
NO_TOOL = "none"

EXTRACTOR_COLUMNS = ["study_id", "reports", "values", "missing", "status"]
RECONCILER_COLUMNS = ["study_id", "reports", "extractors", "open_differences", "decided", "status"]


def reviewer_name(given: str = "") -> str:
    """The notebook's reviewer: `given`, else REVIEW_REVIEWER, else the login name (as the
    command line does), so a reviewer who forgot the parameter still gets their own values."""
    return str(given or "").strip() or current_user()


def appraisal_tool(review, tool: str = "") -> str | None:
    """The appraisal tool to show: `tool`, else the protocol's `risk_of_bias.tool`; None when
    it is "none" (appraisal skipped). An unknown name is refused here, before any widget (the
    protocol's own tool was checked when the protocol was read)."""
    chosen = str(tool or "").strip() or review.protocol.risk_of_bias.tool
    if chosen.casefold() == NO_TOOL:
        return None
    try:
        return load_tool(chosen).name
    except ReviewError as exc:
        raise ReviewError(f"notebook parameter 'tool': {exc}") from None


def extraction_overview(session: ExtractionSession) -> pd.DataFrame:
    """One row per included study: how far the session's reviewer is with it.

    Extractor: `values` entered, required fields still `missing`, `status` not started /
    started / complete. Nothing about other extractors, since extraction is blind.
    Reconciler: `extractors` (names, in the order they started), `open_differences` between
    the first two, `decided` (values the reconciler recorded), `status` waiting for extractors
    / to reconcile / settled."""
    progress = session.progress
    if session.role != RECONCILER:
        rows = [(p.study_id, p.reports, p.values, len(p.missing),
                 "complete" if p.complete else "started" if p.started else "not started")
                for p in progress]
        return pd.DataFrame(rows, columns=EXTRACTOR_COLUMNS)
    values = reviewer_values(session.review)
    who = extractors_of(values)
    still_open = differences(session.review, values=values)
    open_counts = still_open.groupby("study_id").size().to_dict() if not still_open.empty else {}
    rows = []
    for p in progress:
        names = who.get(p.study_id, [])
        count = int(open_counts.get(p.study_id, 0))
        status = ("waiting for extractors" if len(names) < EXTRACTORS_PER_STUDY
                  else "to reconcile" if count else "settled")
        rows.append((p.study_id, p.reports, "; ".join(names), count, p.values, status))
    return pd.DataFrame(rows, columns=RECONCILER_COLUMNS)


def final_value_counts(review, *, long: pd.DataFrame | None = None,
                       totals: bool = True) -> pd.DataFrame:
    """Per study, how many final values are agreed, reconciled, in conflict or pending (and in
    total), from `extraction_long`; included studies with no values yet show zeros. With
    `totals`, a last row `ALL_STUDIES` adds them up."""
    long = extraction_long(review) if long is None else long
    order = list(dict.fromkeys(list(study_table(review)["study_id"])
                               + sorted(set(long["study_id"]), key=str.casefold)))
    counts = (long.groupby(["study_id", "status"]).size().unstack(fill_value=0)
              if not long.empty else pd.DataFrame())
    counts = counts.reindex(index=order, columns=list(STATUSES), fill_value=0).astype(int)
    counts["total"] = counts.sum(axis=1)
    if totals:
        counts.loc[ALL_STUDIES] = counts.sum(axis=0)
    counts.index.name = "study_id"
    counts.columns.name = None
    return counts.reset_index()
