"""Screening decisions alongside records in exports: columns for spreadsheets, labelled notes
for reference managers (Zotero and EndNote keep RIS N1 notes), and ASReview's label column."""
from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from ..protocol import STAGES
from .decisions import final_decisions, reviewer_decisions

__all__ = ["decision_columns", "decision_notes", "reason_wording", "with_decisions", "asreview_table"]

_LABEL = {"title_abstract": "title/abstract", "full_text": "full text"}


def _reviewer_text(group: pd.DataFrame) -> str:
    parts = []
    for row in group.itertuples(index=False):
        text = f"{row.reviewer}: {row.decision}"
        if isinstance(row.reason, str) and row.reason:
            text += f" ({row.reason})"
        if row.role == "resolver":
            text += " [resolved]"
        parts.append(text)
    return "; ".join(parts)


def decision_columns(store, *, reviewers_per_record: int | None = None) -> pd.DataFrame:
    """Per screened work: for each stage the final decision, its reason, each reviewer's
    decision and the notes."""
    frames = []
    for stage in STAGES:
        each = reviewer_decisions(store, stage)
        final = final_decisions(store, stage, reviewers_per_record=reviewers_per_record)
        if final.empty:
            continue
        table = final.set_index("record_id")[["final", "reason"]].rename(
            columns={"final": f"{stage}_decision", "reason": f"{stage}_reason"})
        grouped = each.groupby("record_id")
        table[f"{stage}_reviewers"] = grouped.apply(_reviewer_text, include_groups=False)
        table[f"{stage}_notes"] = grouped["note"].agg(lambda v: " | ".join(n for n in v if n))
        frames.append(table)
    if not frames:
        return pd.DataFrame(index=pd.Index([], name="record_id"))
    return pd.concat(frames, axis=1)


def with_decisions(frame: pd.DataFrame, store, *,
                   reviewers_per_record: int | None = None) -> pd.DataFrame:
    """`frame` (records or merged records) with the decision columns of each record's work."""
    columns = decision_columns(store, reviewers_per_record=reviewers_per_record)
    if columns.empty:
        return frame
    key = frame["work_id"] if "work_id" in frame.columns else frame["record_id"]
    joined = columns.reindex(key.astype("Int64").to_numpy())
    joined.index = frame.index
    return pd.concat([frame, joined], axis=1)


def reason_wording(protocol) -> dict[str, dict[str, str]]:
    """Per stage, reason code -> the protocol's wording of it."""
    if protocol is None:
        return {}
    return {stage: {r.code: r.label for r in getattr(protocol.exclusion_reasons, stage)}
            for stage in STAGES}


def _worded(text: str, labels: dict[str, str]) -> str:
    """A reviewers' summary with each "(code)" replaced by the protocol's wording."""
    return re.sub(r"\(([a-z][a-z0-9_]*)\)", lambda m: f"({labels.get(m.group(1), m.group(1))})",
                  text)


def decision_notes(frame: pd.DataFrame, reasons: Mapping[str, Mapping[str, str]] | None = None
                   ) -> dict:
    """RIS N1 notes per record id: 'Screening title/abstract: include (A: include; B: include)';
    reasons in the protocol's words where `reasons` (`reason_wording(protocol)`) gives them."""
    notes: dict = {}
    reasons = reasons or {}
    for row in frame.to_dict("records"):
        lines = []
        for stage in STAGES:
            final = row.get(f"{stage}_decision")
            if isinstance(final, str) and final:
                labels = dict(reasons.get(stage, {}))
                reason = row.get(f"{stage}_reason")
                text = f"Screening {_LABEL[stage]}: {final}"
                if isinstance(reason, str) and reason:
                    text += f", reason: {labels.get(reason, reason)}"
                reviewers = row.get(f"{stage}_reviewers")
                if isinstance(reviewers, str) and reviewers:
                    text += f" ({_worded(reviewers, labels)})"
                lines.append(text)
                note = row.get(f"{stage}_notes")
                if isinstance(note, str) and note:
                    lines.append(f"Screening note {_LABEL[stage]}: {note}")
        if lines:
            notes[row["record_id"]] = lines
    return notes


def asreview_table(frame: pd.DataFrame) -> pd.DataFrame:
    """ASReview's import layout: `label_included` 1/0 from the latest stage decided (blank while
    pending or in conflict), and `label_abstract_screening` from title/abstract."""
    def label(value) -> object:
        return {"include": 1, "exclude": 0, "not_retrieved": 0}.get(value, pd.NA) \
            if isinstance(value, str) else pd.NA

    table = pd.DataFrame({
        "record_id": frame["record_id"], "title": frame.get("title"), "abstract": frame.get("abstract"),
        "authors": frame["authors"].map(lambda v: "; ".join(v) if isinstance(v, list) else v)
        if "authors" in frame else None,
        "year": frame.get("year"), "doi": frame.get("doi"),
        "keywords": frame["keywords"].map(lambda v: "; ".join(v) if isinstance(v, list) else v)
        if "keywords" in frame else None})
    ta = frame.get("title_abstract_decision", pd.Series(pd.NA, index=frame.index)).map(label)
    ft = frame.get("full_text_decision", pd.Series(pd.NA, index=frame.index)).map(label)
    table["label_abstract_screening"] = ta.astype("Int64")
    table["label_included"] = ft.where(ft.notna(), ta.where(ta != 1)).astype("Int64")
    return table
