"""Judgements made elsewhere (a pilot in a spreadsheet, the worked example) loaded into the log.

One CSV per tool: reviewer, role, study_id, domain, judgement, support, and optionally the
signalling answers as a JSON object. Every row is checked before anything is stored, and all
rows go in one transaction, so a bad file records nothing.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import ReviewError
from ..io.csv_rows import read_csv_rows
from .judgements import ASSESSOR, judgement_event, store_judgements
from .tools import Tool, load_tool

__all__ = ["load_judgements", "JUDGEMENT_COLUMNS"]

JUDGEMENT_COLUMNS = ("reviewer", "role", "study_id", "domain", "judgement", "support")


def _study_ids(review) -> set[str]:
    from ..extraction.studies import study_table
    return set(study_table(review)["study_id"])


def load_judgements(review, path: str | Path, tool: Tool | str, *,
                    studies: list[str] | None = None) -> int:
    """Record every row of a judgements CSV for `tool`; returns how many were recorded.

    Study ids must be the review's (`review.extraction.studies.study_table`, or `studies` when
    given). Errors name the file, the line and the domain, and say what was expected."""
    tool = load_tool(tool)
    path = Path(path)
    rows = read_csv_rows(path, JUDGEMENT_COLUMNS)
    known = set(studies) if studies is not None else _study_ids(review)
    planned = []
    for line, row in enumerate(rows, start=2):
        study_id = (row["study_id"] or "").strip()
        domain = (row["domain"] or "").strip()
        where = f"{path}, line {line}, {tool.name} {domain or '(no domain)'}"
        if study_id not in known:
            raise ReviewError(f"{where}: no study {study_id!r} in this review; "
                              f"no judgements were recorded")
        answers = None
        text = (row.get("answers") or "").strip()
        if text:
            try:
                answers = json.loads(text)
            except json.JSONDecodeError:
                answers = None
            if not isinstance(answers, dict):
                raise ReviewError(f"{where}: expected the answers as a JSON object such as "
                                  f"{{\"1.1\": \"Y\"}}, found {text[:60]!r}; "
                                  f"no judgements were recorded")
        try:
            planned.append(judgement_event(
                tool, reviewer=(row["reviewer"] or "").strip(), study_id=study_id, domain=domain,
                judgement=(row["judgement"] or "").strip(), support=row["support"] or "",
                answers=answers, role=(row["role"] or "").strip() or ASSESSOR))
        except ReviewError as exc:
            raise ReviewError(f"{path}, line {line}: {exc}; no judgements were recorded") from None
    try:
        return len(store_judgements(review, planned))
    except ReviewError as exc:
        raise ReviewError(f"{path}: {exc}; no judgements were recorded") from None
