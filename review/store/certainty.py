"""Certainty of evidence (GRADE): a reviewer's judgement of one domain of one outcome, recorded
as an event and applied to `certainty_judgements` in the same transaction. The report pre-judges
every domain from the data (review.report.grade); a judgement stored here overrides it and
carries the reviewer's reason into the summary-of-findings footnotes."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..errors import ReviewError
from ._log import insert_event, now
from .schema import certainty_judgements

__all__ = ["CertaintyMixin", "GRADE_DOMAINS", "GRADE_JUDGEMENTS"]

#: GRADE's five reasons to rate down, by their names in the store.
GRADE_DOMAINS = ("risk_of_bias", "indirectness", "inconsistency", "imprecision",
                 "publication_bias")
#: What a reviewer may judge a domain; "" withdraws their judgement.
GRADE_JUDGEMENTS = ("not serious", "serious", "very serious")


class CertaintyMixin:
    def record_certainty(self, outcome: str, domain: str, judgement: str, *, reason: str,
                         reviewer: str) -> int:
        """Store a reviewer's judgement of `domain` for `outcome` (or withdraw it with
        judgement ""); a judgement needs its reason in words. Returns the event id."""
        outcome, reason = (outcome or "").strip(), (reason or "").strip()
        if not outcome:
            raise ReviewError("Outcome: choose the outcome the judgement is about")
        if domain not in GRADE_DOMAINS:
            raise ReviewError(f"Domain: expected one of {', '.join(GRADE_DOMAINS)}, "
                              f"found {domain!r}")
        if judgement and judgement not in GRADE_JUDGEMENTS:
            raise ReviewError(f"Judgement: expected one of {', '.join(GRADE_JUDGEMENTS)}, "
                              f"found {judgement!r}")
        if judgement and not reason:
            raise ReviewError("Reason: say why, in words; it becomes the table's footnote")
        if not (reviewer or "").strip():
            raise ReviewError("Reviewer: give your name")
        at = now()
        with self._write() as connection:
            event_id = insert_event(connection, actor=reviewer, stage="certainty",
                                    action="certainty", role="assessor", tool="GRADE",
                                    domain=domain, field=outcome, at=at,
                                    payload={"judgement": judgement, "reason": reason})
            key = sa.and_(certainty_judgements.c.outcome == outcome,
                          certainty_judgements.c.domain == domain)
            connection.execute(certainty_judgements.delete().where(key))
            if judgement:
                connection.execute(certainty_judgements.insert().values(
                    outcome=outcome, domain=domain, judgement=judgement, reason=reason,
                    reviewer=reviewer, at=at, event_id=event_id))
        return int(event_id)

    def certainty_judgements(self) -> pd.DataFrame:
        """The standing reviewer judgements: outcome, domain, judgement, reason, reviewer, at."""
        query = sa.select(certainty_judgements).order_by(certainty_judgements.c.outcome,
                                                         certainty_judgements.c.domain)
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        return frame.reindex(columns=["outcome", "domain", "judgement", "reason", "reviewer",
                                      "at", "event_id"])
