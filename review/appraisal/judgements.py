"""Risk-of-bias and appraisal judgements in the review's append-only event log.

Each judgement is one event (stage `risk_of_bias`, action `judgement`, actor = the reviewer) with
its support text and the signalling answers behind it; a newer judgement by the same reviewer in
the same role for the same study and domain supersedes the older one. Two assessors judge
independently; where they differ, a reconciler's judgement is final and names who decided.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from ..errors import ReviewError
from .tools import Tool, check_answers, load_tool, overall_judgement

__all__ = [
    "STAGE", "ACTION", "ASSESSOR", "RECONCILER", "ROLES", "REVIEWER_COLUMNS", "FINAL_COLUMNS",
    "DIFFERENCE_COLUMNS", "judgement_event", "record_judgement", "reviewer_judgements",
    "judgements", "differences", "reconcile", "robvis_table", "write_robvis",
]

STAGE = "risk_of_bias"
ACTION = "judgement"
ASSESSOR = "assessor"
RECONCILER = "reconciler"
ROLES = (ASSESSOR, RECONCILER)
REVIEWER_COLUMNS = ["study_id", "domain", "reviewer", "role", "judgement", "support", "answers",
                    "at", "event_id"]
FINAL_COLUMNS = ["study_id", "domain", "judgement", "label", "support", "status", "assessors",
                 "decided_by"]
DIFFERENCE_COLUMNS = ["study_id", "domain", "domain_name", "judgements", "supports", "status",
                      "reconciled_by", "final"]


def judgement_event(tool: Tool | str, *, reviewer: str, study_id: str, domain: str,
                    judgement: str, support: str, answers: Mapping[str, str] | None = None,
                    role: str = ASSESSOR) -> dict:
    """A checked judgement as an event row for `Store.append_event(s)`. Errors name the tool,
    study and domain and say what was expected."""
    tool = load_tool(tool)
    study_id = str(study_id or "").strip()
    if not study_id:
        raise ReviewError(f"{tool.name}: a judgement needs the study it is about (study_id)")
    try:
        target = tool.domain(domain)
    except ReviewError as exc:
        raise ReviewError(f"{tool.name}, study {study_id!r}: "
                          f"{str(exc).removeprefix(tool.name + ': ')}") from None
    where = f"{tool.name}, study {study_id!r}, {target.id} ({target.name})"
    if not reviewer or not str(reviewer).strip():
        raise ReviewError(f"{where}: a judgement needs the reviewer's name")
    if role not in ROLES:
        raise ReviewError(f"{where}: role must be one of {', '.join(ROLES)}, not {role!r}")
    try:
        level = tool.level(judgement)
        clean = check_answers(tool, target, answers)
    except ValueError as exc:
        raise ReviewError(f"{where}: {exc}") from None
    support = str(support or "").strip()
    if not support:
        raise ReviewError(f"{where}: a judgement needs a support text (a quote from the report "
                          f"or the reason for the judgement)")
    payload = {"tool": tool.name, "study_id": study_id, "domain": target.id,
               "judgement": level.code, "support": support, "answers": clean, "role": role}
    return {"actor": str(reviewer).strip(), "stage": STAGE, "action": ACTION, "record_id": None,
            "payload": payload}


def record_judgement(review, *, reviewer: str, tool: Tool | str, study_id: str, domain: str,
                     judgement: str, support: str, answers: Mapping[str, str] | None = None,
                     role: str = ASSESSOR) -> int:
    """Append one judgement and return its event id once it is committed."""
    return review.store.append_event(**judgement_event(
        tool, reviewer=reviewer, study_id=study_id, domain=domain, judgement=judgement,
        support=support, answers=answers, role=role))


def reconcile(review, *, reviewer: str, tool: Tool | str, study_id: str, domain: str,
              judgement: str, support: str, answers: Mapping[str, str] | None = None) -> int:
    """The agreed judgement where assessors differ: recorded as the reconciler's, it is final."""
    return record_judgement(review, reviewer=reviewer, tool=tool, study_id=study_id,
                            domain=domain, judgement=judgement, support=support,
                            answers=answers, role=RECONCILER)


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame of object columns, so a missing judgement stays None (not NaN)."""
    return pd.DataFrame({c: pd.Series([r[i] for r in rows], dtype=object)
                         for i, c in enumerate(columns)}, columns=columns)


def _domain_order(tool: Tool) -> dict[str, int]:
    return {d: i for i, d in enumerate(tool.domain_ids)}


def reviewer_judgements(review, tool: Tool | str, *, events: pd.DataFrame | None = None
                        ) -> pd.DataFrame:
    """Each reviewer's standing judgement per study and domain in each role (latest wins)."""
    tool = load_tool(tool)
    log = review.store.events(STAGE) if events is None else events
    if not log.empty:
        log = log[(log["action"] == ACTION)
                  & log["payload"].map(lambda p: p.get("tool") == tool.name)]
    if log.empty:
        return pd.DataFrame(columns=REVIEWER_COLUMNS)
    payload = log["payload"]
    frame = pd.DataFrame({
        "study_id": payload.map(lambda p: p["study_id"]), "domain": payload.map(lambda p: p["domain"]),
        "reviewer": log["actor"], "role": payload.map(lambda p: p.get("role", ASSESSOR)),
        "judgement": payload.map(lambda p: p["judgement"]),
        "support": payload.map(lambda p: p.get("support") or ""),
        "answers": payload.map(lambda p: dict(p.get("answers") or {})),
        "at": log["at"], "event_id": log["event_id"].astype(int)})
    frame = frame.sort_values("event_id").drop_duplicates(
        ["study_id", "domain", "reviewer", "role"], keep="last")
    order = _domain_order(tool)
    frame = frame.assign(_d=frame["domain"].map(order)).sort_values(["study_id", "_d", "event_id"])
    return frame.drop(columns="_d").reset_index(drop=True)[REVIEWER_COLUMNS]


def _final(group: pd.DataFrame, needed: int) -> tuple[str | None, str, str, str | None]:
    """(judgement, support, status, decided_by) for one study and domain."""
    reconciled = group[group["role"] == RECONCILER]
    if not reconciled.empty:
        last = reconciled.sort_values("event_id").iloc[-1]
        return last["judgement"], last["support"], "reconciled", last["reviewer"]
    assessed = group[group["role"] == ASSESSOR]
    if len(assessed) < needed:
        return None, "", "pending", None
    if assessed["judgement"].nunique() == 1:
        if len(assessed) == 1:
            return assessed["judgement"].iloc[0], assessed["support"].iloc[0], "agreed", None
        support = "\n".join(f"{r}: {s}" for r, s in zip(assessed["reviewer"], assessed["support"]))
        return assessed["judgement"].iloc[0], support, "agreed", None
    return None, "", "conflict", None


def judgements(review, tool: Tool | str, *, final: bool = True, assessors: int = 2
               ) -> pd.DataFrame:
    """`final=False`: every reviewer's standing judgement (`REVIEWER_COLUMNS`). `final=True`:
    per study and domain the judgement that stands (`FINAL_COLUMNS`): `reconciled` when a
    reconciler decided, `agreed` when `assessors` assessors gave the same one, otherwise
    `conflict` or `pending` with no judgement."""
    tool = load_tool(tool)
    standing = reviewer_judgements(review, tool)
    if not final:
        return standing
    if standing.empty:
        return pd.DataFrame(columns=FINAL_COLUMNS)
    rows = []
    for (study_id, domain), group in standing.groupby(["study_id", "domain"], sort=False):
        judgement, support, status, decided_by = _final(group, assessors)
        label = tool.level(judgement).label if judgement else None
        names = list(group.loc[group["role"] == ASSESSOR, "reviewer"])
        rows.append((study_id, domain, judgement, label, support, status, names, decided_by))
    return _frame(rows, FINAL_COLUMNS)


def differences(review, tool: Tool | str, *, assessors: int = 2) -> pd.DataFrame:
    """Study domains where the assessors' judgements differ, with each one's judgement and
    support, and whether (and by whom) the difference was reconciled."""
    tool = load_tool(tool)
    standing = reviewer_judgements(review, tool)
    rows = []
    for (study_id, domain), group in standing.groupby(["study_id", "domain"], sort=False):
        assessed = group[group["role"] == ASSESSOR]
        if assessed["judgement"].nunique() < 2:
            continue
        judgement, _support, status, decided_by = _final(group, assessors)
        rows.append((study_id, domain, tool.domain(domain).name,
                     dict(zip(assessed["reviewer"], assessed["judgement"])),
                     dict(zip(assessed["reviewer"], assessed["support"])),
                     status, decided_by, judgement))
    return _frame(rows, DIFFERENCE_COLUMNS)


def robvis_table(review, tool: Tool | str, *, assessors: int = 2,
                 studies: list[str] | None = None,
                 weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The table robvis plots: Study, D1 ... Dn, Overall, Weight, judgements spelled as robvis
    does. Rows are the appraised studies (sorted), or `studies` in their order. A domain without
    a standing judgement (pending, in conflict, not yet appraised) is left empty, and so is
    Overall until every domain has one."""
    tool = load_tool(tool)
    final = judgements(review, tool, final=True, assessors=assessors)
    decided = final[final["status"].isin(("agreed", "reconciled"))]
    by_study = {s: dict(zip(g["domain"], g["judgement"])) for s, g in decided.groupby("study_id")}
    names = list(studies) if studies is not None else sorted(set(final["study_id"]))
    weights = weights or {}
    rows = []
    for study in names:
        codes = by_study.get(study, {})
        cells = [tool.level(codes[d]).robvis if d in codes else None for d in tool.domain_ids]
        overall = None
        if all(d in codes for d in tool.domain_ids):
            overall = tool.level(overall_judgement(tool, codes), overall=True).robvis
        rows.append((study, *cells, overall, weights.get(study, 1)))
    frame = _frame(rows, ["Study", *tool.domain_ids, "Overall", "Weight"])
    frame["Weight"] = pd.to_numeric(frame["Weight"]) if rows else pd.Series(dtype="int64")
    return frame


def write_robvis(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a robvis table as CSV or XLSX, chosen by the file's suffix (formulas neutralised)."""
    from ..io.table import write_csv
    from ..io.xlsx import write_xlsx
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(frame, path)
    elif suffix == ".xlsx":
        write_xlsx(frame, path)
    else:
        raise ReviewError(f"{path}: a robvis table is written as .csv or .xlsx, not "
                          f"{suffix or 'a file without suffix'!r}")
    return path
