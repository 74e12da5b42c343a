"""Rating the certainty of evidence (GRADE) per outcome: the state behind the certainty widget.

The report pre-judges four domains from the data (review.report.grade); a reviewer judges
indirectness, and may override any domain with a reason. Each Save is one event in the store
(`Store.record_certainty`) before anything else is shown, and the session re-reads the standing
judgements, so the widget always shows what the store holds."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ReviewError
from ..report.grade import DOMAIN_NAMES, Certainty, certainty_for
from ..report.outcome_report import _risk_of_bias
from ..report.synthesis import OutcomeSynthesis, synthesise
from ..store.certainty import GRADE_JUDGEMENTS

__all__ = ["CertaintySession", "DomainView", "load_certainty"]


@dataclass(frozen=True)
class DomainView:
    """One domain as the widget shows it: the data's judgement, the reviewer's (if any), and
    what stands."""
    domain: str
    name: str
    data_judgement: str
    data_reason: str
    judgement: str
    reason: str
    reviewer: str

    @property
    def overridden(self) -> bool:
        return bool(self.reviewer)


class CertaintySession:
    """The outcomes of the protocol, one at a time, with their domains."""

    def __init__(self, review, reviewer: str):
        if not (reviewer or "").strip():
            raise ReviewError("Reviewer: give your name before rating certainty")
        self.review, self.reviewer = review, reviewer.strip()
        self.specs = list(review.protocol.report.outcomes)
        if not self.specs:
            raise ReviewError("The protocol names no outcomes to rate (report.outcomes)")
        self._syntheses: dict[str, OutcomeSynthesis] = {}
        self._rob = _risk_of_bias(review)
        self.outcome = self.specs[0].outcome

    @property
    def outcomes(self) -> list[tuple[str, str]]:
        """(label, outcome) pairs for a chooser."""
        return [(spec.name, spec.outcome) for spec in self.specs]

    def go(self, outcome: str) -> None:
        if outcome not in {s.outcome for s in self.specs}:
            raise ReviewError(f"Outcome: {outcome!r} is not one the protocol names")
        self.outcome = outcome

    def synthesis(self) -> OutcomeSynthesis:
        if self.outcome not in self._syntheses:
            spec = next(s for s in self.specs if s.outcome == self.outcome)
            self._syntheses[self.outcome] = synthesise(self.review, spec)
        return self._syntheses[self.outcome]

    def certainty(self) -> Certainty:
        rob, tool = self._rob
        return certainty_for(self.synthesis(), rob=rob, tool=tool,
                             overrides=self.review.store.certainty_judgements())

    def domains(self) -> list[DomainView]:
        rob, tool = self._rob
        data = {d.domain: d for d in certainty_for(self.synthesis(), rob=rob, tool=tool).domains}
        standing = self.certainty()
        return [DomainView(d.domain, DOMAIN_NAMES[d.domain], data[d.domain].judgement,
                           data[d.domain].reason, d.judgement, d.reason,
                           d.reviewer if d.source == "reviewer" else "")
                for d in standing.domains]

    def save(self, domain: str, judgement: str, reason: str) -> int:
        """Store this reviewer's judgement of `domain` for the current outcome."""
        if judgement not in GRADE_JUDGEMENTS:
            raise ReviewError("Judgement: choose not serious, serious or very serious")
        return self.review.store.record_certainty(self.outcome, domain, judgement,
                                                  reason=reason, reviewer=self.reviewer)

    def withdraw(self, domain: str) -> int:
        """Go back to the data's judgement of `domain` (stored as an event too)."""
        return self.review.store.record_certainty(self.outcome, domain, "", reason="",
                                                  reviewer=self.reviewer)


_CERTAINTY_COLUMNS = ("reviewer", "outcome", "domain", "judgement", "reason")


def load_certainty(review, path) -> int:
    """Store every row of a judgements CSV (reviewer, outcome, domain, judgement, reason) as a
    certainty event. Every row is checked first: a bad one is refused with its line number and
    nothing is stored. Returns the number of judgements stored."""
    import csv
    from pathlib import Path

    from ..store.certainty import GRADE_DOMAINS
    path = Path(path)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _CERTAINTY_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ReviewError(f"{path.name}: missing column(s) {', '.join(missing)}; expected "
                              f"{', '.join(_CERTAINTY_COLUMNS)}")
        rows = [(number, row) for number, row in enumerate(reader, start=2)]
    outcomes = {spec.outcome for spec in review.protocol.report.outcomes}
    for number, row in rows:
        where = f"{path.name}, line {number}"
        if row["outcome"] not in outcomes:
            raise ReviewError(f"{where}: outcome {row['outcome']!r} is not one of the protocol's "
                              f"outcomes ({', '.join(sorted(outcomes)) or 'none'})")
        if row["domain"] not in GRADE_DOMAINS:
            raise ReviewError(f"{where}: domain {row['domain']!r}; expected one of "
                              f"{', '.join(GRADE_DOMAINS)}")
        if row["judgement"] not in GRADE_JUDGEMENTS:
            raise ReviewError(f"{where}: judgement {row['judgement']!r}; expected one of "
                              f"{', '.join(GRADE_JUDGEMENTS)}")
        if not (row["reason"] or "").strip() or not (row["reviewer"] or "").strip():
            raise ReviewError(f"{where}: the reviewer and the reason are required")
    for _, row in rows:
        review.store.record_certainty(row["outcome"], row["domain"], row["judgement"],
                                      reason=row["reason"], reviewer=row["reviewer"])
    return len(rows)
