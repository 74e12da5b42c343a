"""Risk-of-bias and appraisal judgements, recorded through the store (`Store.record_judgements`).

Each judgement is one event with its support text and the signalling answers behind it; a newer
judgement by the same reviewer in the same role for the same study and domain supersedes the
older one. The protocol's N assessors (`risk_of_bias.assessors_per_study`) judge independently;
where they differ, a resolver's judgement is final and names who decided (`review.policy`).
Frames name a study by its label (`study_id`) and its surrogate id (`study`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from ..errors import ReviewError
from ..policy import RESOLVER
from ..store.state import judgement_finals_for
from .tools import Tool, check_answers, load_tool, overall_judgement

__all__ = [
    "STAGE", "ACTION", "ASSESSOR", "RECONCILER", "ROLES", "REVIEWER_COLUMNS", "FINAL_COLUMNS",
    "DIFFERENCE_COLUMNS", "judgement_event", "record_judgement", "reviewer_judgements",
    "judgements", "differences", "reconcile", "robvis_table", "write_robvis", "store_judgements",
]

STAGE = "risk_of_bias"
ACTION = "judgement"
ASSESSOR = "assessor"
#: The person who settles assessors' differences (the same role at every stage).
RECONCILER = RESOLVER
ROLES = (ASSESSOR, RESOLVER)
_ROLE_ALIASES = {"reconciler": RESOLVER}
REVIEWER_COLUMNS = ["study_id", "study", "domain", "reviewer", "role", "judgement", "support",
                    "answers", "at", "event_id"]
FINAL_COLUMNS = ["study_id", "study", "domain", "judgement", "label", "support", "status",
                 "assessors", "decided_by"]
DIFFERENCE_COLUMNS = ["study_id", "domain", "domain_name", "judgements", "supports", "status",
                      "resolved_by", "final"]


def judgement_event(tool: Tool | str, *, reviewer: str, study_id, domain: str,
                    judgement: str, support: str, answers: Mapping[str, str] | None = None,
                    role: str = ASSESSOR, label: str | None = None) -> dict:
    """A checked judgement for `Store.record_judgements` (the study as given: label or surrogate
    id). Errors name the tool, study and domain and say what was expected."""
    tool = load_tool(tool)
    role = _ROLE_ALIASES.get(role, role)
    if not isinstance(study_id, int) or isinstance(study_id, bool):
        study_id = str(study_id or "").strip()
    if not study_id:
        raise ReviewError(f"{tool.name}: a judgement needs the study it is about (study_id)")
    try:
        target = tool.domain(domain)
    except ReviewError as exc:
        raise ReviewError(f"{tool.name}, study {(label or study_id)!r}: "
                          f"{str(exc).removeprefix(tool.name + ': ')}") from None
    named = label or study_id  # messages name the study as reviewers read it
    where = f"{tool.name}, study {named!r}, {target.id} ({target.name})"
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
    return {"reviewer": str(reviewer).strip(), "tool": tool.name, "study_id": study_id,
            "domain": target.id, "judgement": level.code, "support": support, "answers": clean,
            "role": role}


def store_judgements(review, rows: list[dict]) -> list[int]:
    """Checked judgements (`judgement_event`) to the store in one transaction; event ids."""
    from ..extraction.studies import resolve_study, study_table
    if not rows:
        return []
    table = study_table(review)
    labels = dict(zip(table["study"], table["study_id"]))
    rows = [{**r, "study_id": resolve_study(review, r["study_id"], table=table)} for r in rows]
    return review.store.record_judgements(rows, describe=lambda s: f"Study {labels.get(s, s)}")


def record_judgement(review, *, reviewer: str, tool: Tool | str, study_id, domain: str,
                     judgement: str, support: str, answers: Mapping[str, str] | None = None,
                     role: str = ASSESSOR, label: str | None = None) -> int:
    """Store one judgement and return its event id once it is committed (`label`: how messages
    name the study when it is given by its surrogate id)."""
    return store_judgements(review, [judgement_event(
        tool, reviewer=reviewer, study_id=study_id, domain=domain, judgement=judgement,
        support=support, answers=answers, role=role, label=label)])[0]


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


def _label_of(review):
    from ..extraction.studies import label_of
    return label_of(review)


def reviewer_judgements(review, tool: Tool | str, *, events: pd.DataFrame | None = None
                        ) -> pd.DataFrame:
    """Each reviewer's standing judgement per study and domain in each role (latest wins)."""
    tool = load_tool(tool)
    stored = review.store.judgements(tool.name)
    if stored.empty:
        return pd.DataFrame(columns=REVIEWER_COLUMNS)
    frame = stored.rename(columns={"study_id": "study"})
    frame["study_id"] = frame["study"].map(_label_of(review)).astype(object)
    order = _domain_order(tool)
    frame = frame.assign(_d=frame["domain"].map(order)).sort_values(["study_id", "_d", "event_id"])
    return frame.drop(columns="_d").reset_index(drop=True)[REVIEWER_COLUMNS]


def _finals(standing: pd.DataFrame, assessors: int) -> list[tuple]:
    """(label, study, domain, judgement, support, status, assessors, decided_by) by the policy."""
    out = []
    for (label, study), group in standing.groupby(["study_id", "study"], sort=False):
        rows = group.to_dict("records")
        for final in judgement_finals_for(rows, assessors):
            out.append((label, study, final["domain"], final["judgement"], final["support"],
                        final["status"], final["assessors"], final["decided_by"]))
    return out


def judgements(review, tool: Tool | str, *, final: bool = True, assessors: int | None = None
               ) -> pd.DataFrame:
    """`final=False`: every reviewer's standing judgement (`REVIEWER_COLUMNS`). `final=True`:
    per study and domain the judgement that stands (`FINAL_COLUMNS`): `resolved` when a
    resolver decided, `agreed` when the study's N assessors gave the same one, otherwise
    `conflict` or `pending` with no judgement."""
    tool = load_tool(tool)
    if not final:
        return reviewer_judgements(review, tool)
    if assessors is not None and assessors != review.protocol.risk_of_bias.assessors_per_study:
        rows = _finals(reviewer_judgements(review, tool), assessors)
    else:
        stored = review.store.judgement_finals(tool.name)
        label = _label_of(review)
        rows = [(label(r.study_id), int(r.study_id), r.domain, r.judgement, r.support, r.status,
                 list(r.assessors), r.decided_by) for r in stored.itertuples(index=False)]
    order = _domain_order(tool)
    rows.sort(key=lambda r: (r[0], order.get(r[2], len(order))))
    out = [(r[0], r[1], r[2], r[3], tool.level(r[3]).label if r[3] else None, r[4], r[5], r[6],
            r[7]) for r in rows]
    return _frame(out, FINAL_COLUMNS)


def differences(review, tool: Tool | str, *, assessors: int | None = None) -> pd.DataFrame:
    """Study domains where the assessors' judgements differ, with each one's judgement and
    support, and whether (and by whom) the difference was resolved."""
    tool = load_tool(tool)
    assessors = assessors or review.protocol.risk_of_bias.assessors_per_study
    standing = reviewer_judgements(review, tool)
    finals = {(r[0], r[2]): r for r in _finals(standing, assessors)}
    rows = []
    for (study_id, domain), group in standing.groupby(["study_id", "domain"], sort=False):
        assessed = group[group["role"] == ASSESSOR]
        if assessed["judgement"].nunique() < 2:
            continue
        final = finals.get((study_id, domain))
        status, decided_by, judgement = (final[5], final[7], final[3]) if final else ("pending", None, None)
        rows.append((study_id, domain, tool.domain(domain).name,
                     dict(zip(assessed["reviewer"], assessed["judgement"])),
                     dict(zip(assessed["reviewer"], assessed["support"])),
                     status, decided_by, judgement))
    return _frame(rows, DIFFERENCE_COLUMNS)


def robvis_table(review, tool: Tool | str, *, assessors: int | None = None,
                 studies: list[str] | None = None,
                 weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The table robvis plots: Study, D1 ... Dn, Overall, Weight, judgements spelled as robvis
    does. Rows are the appraised studies (sorted), or `studies` in their order. A domain without
    a standing judgement (pending, in conflict, not yet appraised) is left empty, and so is
    Overall until every domain has one."""
    tool = load_tool(tool)
    final = judgements(review, tool, final=True, assessors=assessors)
    decided = final[final["status"].isin(("agreed", "resolved"))]
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
