"""A reviewer's appraisal session: one study at a time, its domains, answers and judgements.

Plain Python over the store, so the widget is a thin view and every behaviour is testable without
a kernel. A judgement is committed to the log the moment it is set; signalling answers are a
draft until then (they travel with the judgement). Assessors work blind to each other; a
reconciler sees the assessors' judgements and works through the differences.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .judgements import (ASSESSOR, RECONCILER, differences, record_judgement,
                         reviewer_judgements)
from .judgements import judgements as judgements_in_force
from .tools import Domain, Tool, applicable_questions, load_tool, overall_judgement, \
    suggest_judgement

__all__ = ["AppraisalSession", "DomainState", "AppraisalProgress"]


@dataclass
class DomainState:
    """What the reviewer has for one domain of the study on screen."""

    domain: Domain
    judgement: str | None
    support: str
    answers: dict[str, str]
    suggestion: str | None
    applicable: list[str]
    event_id: int | None = None
    others: list[dict[str, Any]] | None = None  # None when blind
    in_conflict: bool = False


@dataclass
class AppraisalProgress:
    studies_done: int
    studies: int
    judged: int
    total: int
    remaining: list[str] = field(default_factory=list)


class AppraisalSession:
    """Appraise `studies` with `tool` as `reviewer`; `role="resolver"` settles differences."""

    def __init__(self, review, reviewer: str, tool: Tool | str, studies: list[str] | None = None,
                 *, role: str = ASSESSOR, assessors: int | None = None):
        if not reviewer or not str(reviewer).strip():
            raise ValueError("an appraisal session needs the reviewer's name")
        role = RECONCILER if role == "reconciler" else role
        assessors = assessors or review.protocol.risk_of_bias.assessors_per_study
        if role not in (ASSESSOR, RECONCILER):
            raise ValueError(f"role must be {ASSESSOR!r} or {RECONCILER!r}, not {role!r}")
        self.review, self.reviewer, self.role = review, str(reviewer).strip(), role
        self.tool = load_tool(tool)
        self.assessors = assessors
        self._given_studies = None if studies is None else [str(s) for s in studies]
        self._drafts: dict[tuple[str, str], dict[str, str]] = {}
        self._index = 0
        self.reload()

    # -- studies ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read the log (other kernels, other machines) and the study list."""
        from ..extraction.studies import study_table
        table = study_table(self.review)
        #: label -> surrogate id: judgements are written under the study's id, never its label
        self._study_of = dict(zip(table["study_id"], table["study"].astype(int)))
        standing = reviewer_judgements(self.review, self.tool)
        self._standing = standing
        self._conflicts = differences(self.review, self.tool, assessors=self.assessors)
        #: the judgement in force per study and domain (agreed, resolved, ...): what a
        #: reconciler sees for the domains the assessors agree on
        self._finals = judgements_in_force(self.review, self.tool, final=True, assessors=self.assessors) \
            if self.role == RECONCILER else None
        if self._given_studies is not None:
            studies = list(self._given_studies)
        elif self.role == RECONCILER:
            studies = sorted(set(self._conflicts["study_id"]))
        else:
            studies = list(dict.fromkeys(table["study_id"]))
        current = self.current if getattr(self, "studies", None) else None
        self.studies = studies
        self._index = studies.index(current) if current in studies else min(self._index, max(len(studies) - 1, 0))

    @property
    def current(self) -> str | None:
        return self.studies[self._index] if self.studies else None

    def go(self, study_id: str) -> str:
        if study_id not in self.studies:
            raise ValueError(f"study {study_id!r} is not in this session's list")
        self._index = self.studies.index(study_id)
        return study_id

    def next(self) -> str | None:
        if self._index < len(self.studies) - 1:
            self._index += 1
        return self.current

    def previous(self) -> str | None:
        if self._index > 0:
            self._index -= 1
        return self.current

    @property
    def domains(self) -> list[Domain]:
        return list(self.tool.domains)

    # -- what is on screen ------------------------------------------------------------------------
    def _mine(self, study_id: str) -> dict[str, dict]:
        s = self._standing
        rows = s[(s["study_id"] == study_id) & (s["reviewer"] == self.reviewer) & (s["role"] == self.role)]
        return {r["domain"]: r for r in rows.to_dict("records")}

    def _others(self, study_id: str, domain: str) -> list[dict[str, Any]] | None:
        if self.role != RECONCILER:
            return None
        s = self._standing
        rows = s[(s["study_id"] == study_id) & (s["domain"] == domain) & (s["role"] == ASSESSOR)]
        return rows[["reviewer", "judgement", "support", "answers"]].to_dict("records")

    def answers(self, domain: str, study_id: str | None = None) -> dict[str, str]:
        """The draft answers, else those saved with this reviewer's judgement."""
        study_id = study_id or self.current
        target = self.tool.domain(domain)
        key = (study_id, target.id)
        if key in self._drafts:
            return dict(self._drafts[key])
        saved = self._mine(study_id).get(target.id)
        return dict(saved["answers"]) if saved else {}

    def state(self, domain: str) -> DomainState:
        """One domain of the study on screen."""
        study_id = self.current
        if study_id is None:
            raise ValueError("no study to appraise in this session")
        target = self.tool.domain(domain)
        saved = self._mine(study_id).get(target.id)
        answers = self.answers(target.id)
        conflicts = self._conflicts
        in_conflict = bool(((conflicts["study_id"] == study_id) & (conflicts["domain"] == target.id)
                            & (conflicts["status"] == "conflict")).any()) if not conflicts.empty else False
        return DomainState(
            target, saved["judgement"] if saved else None, saved["support"] if saved else "",
            answers, suggest_judgement(self.tool, target.id, answers),
            applicable_questions(self.tool, target.id, answers),
            int(saved["event_id"]) if saved else None, self._others(study_id, target.id),
            in_conflict)

    def set_answer(self, domain: str, question: str, answer: str | None) -> str | None:
        """Note a signalling answer (None clears it); returns the judgement now suggested."""
        target = self.tool.domain(domain)
        if question not in {q.id for q in target.questions}:
            raise ValueError(f"{self.tool.name} {target.id}: no signalling question {question!r}")
        draft = self.answers(target.id)
        if answer in (None, ""):
            draft.pop(question, None)
        else:
            draft[question] = answer
        self._drafts[(self.current, target.id)] = draft
        return suggest_judgement(self.tool, target.id, draft)

    def suggestion(self, domain: str) -> str | None:
        return suggest_judgement(self.tool, domain, self.answers(domain))

    def set_judgement(self, domain: str, judgement: str, support: str,
                      answers: dict[str, str] | None = None) -> int:
        """Commit a judgement with its support text (required) and the domain's answers."""
        study_id = self.current
        if study_id is None:
            raise ValueError("no study to appraise in this session")
        target = self.tool.domain(domain)
        answers = self.answers(target.id) if answers is None else dict(answers)
        event_id = record_judgement(self.review, reviewer=self.reviewer, tool=self.tool,
                                    study_id=self._study_of.get(study_id, study_id),
                                    label=study_id, domain=target.id, judgement=judgement,
                                    support=support, answers=answers, role=self.role)
        self._drafts.pop((study_id, target.id), None)
        self.reload()
        return event_id

    def judgements(self, study_id: str | None = None) -> dict[str, str]:
        """This reviewer's judgement per domain (codes) for a study."""
        return {d: r["judgement"] for d, r in self._mine(study_id or self.current).items()}

    def final_judgements(self, study_id: str | None = None) -> dict[str, tuple[str | None, str]]:
        """Per domain, the judgement in force and how it stands ("agreed", "resolved",
        "conflict", "pending"): the reconciler's view of a study."""
        if self._finals is None or self._finals.empty:
            return {}
        rows = self._finals[self._finals["study_id"] == (study_id or self.current)]
        return {r["domain"]: (r["judgement"] if isinstance(r["judgement"], str) else None,
                              r["status"]) for r in rows.to_dict("records")}

    def overall(self, study_id: str | None = None) -> str | None:
        """The overall judgement from this reviewer's domain judgements, once all are given;
        for a reconciler, from the judgements in force (agreed or reconciled)."""
        if self.role == RECONCILER:
            finals = {d: j for d, (j, status) in self.final_judgements(study_id).items()
                      if j and status in ("agreed", "resolved")}
            if len(finals) < len(self.tool.domains):
                return None
            return overall_judgement(self.tool, finals)
        mine = self.judgements(study_id)
        if len(mine) < len(self.tool.domains):
            return None
        return overall_judgement(self.tool, mine)

    def conflicts(self, study_id: str | None = None) -> list[str]:
        """Domains of a study where the assessors differ and nobody has reconciled yet."""
        c = self._conflicts
        if c.empty:
            return []
        rows = c[(c["study_id"] == (study_id or self.current)) & (c["status"] == "conflict")]
        return list(rows["domain"])

    @property
    def progress(self) -> AppraisalProgress:
        """Assessor: studies with every domain judged. Reconciler: differences settled."""
        if self.role == RECONCILER:
            c = self._conflicts[self._conflicts["study_id"].isin(self.studies)]
            settled = int((c["status"] == "resolved").sum())
            open_studies = sorted(set(c.loc[c["status"] == "conflict", "study_id"]))
            done = len(self.studies) - len(open_studies)
            return AppraisalProgress(done, len(self.studies), settled, len(c), open_studies)
        counts = {s: len(self._mine(s)) for s in self.studies}
        need = len(self.tool.domains)
        remaining = [s for s in self.studies if counts[s] < need]
        return AppraisalProgress(len(self.studies) - len(remaining), len(self.studies),
                                 sum(counts.values()), need * len(self.studies), remaining)
