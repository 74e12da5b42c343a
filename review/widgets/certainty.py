"""A JupyterLab view for rating the certainty of evidence (GRADE) of each outcome.

All state lives in `review.appraisal.certainty.CertaintySession`; this module only draws it and
forwards clicks. Per domain: the judgement the data suggest with its reason, the judgement that
stands (the reviewer's when one is stored), three buttons, a required reason and Save, which
commits at once; "Use the data's judgement" withdraws the reviewer's. Errors appear next to the
domain they concern. Reasons and outcome names are data: every value is HTML-escaped."""
from __future__ import annotations

import html

import ipywidgets as widgets

from ..appraisal.certainty import CertaintySession, DomainView
from ..store.certainty import GRADE_JUDGEMENTS
from ._said import failure_html

__all__ = ["CertaintyRater"]



class _DomainRow(widgets.VBox):
    def __init__(self, rater: "CertaintyRater", domain: str):
        super().__init__()
        self.rater, self.domain = rater, domain
        self.heading = widgets.HTML()
        self.judgement = widgets.ToggleButtons(options=list(GRADE_JUDGEMENTS), value=None,
                                               description="Judgement",
                                               style={"button_width": "auto"})
        self.reason = widgets.Textarea(placeholder="Reason (required): it becomes the footnote",
                                       description="Reason",
                                       layout=widgets.Layout(width="95%", height="4em"))
        self.save_button = widgets.Button(description="Save judgement", button_style="primary",
                                          icon="check")
        self.reset_button = widgets.Button(description="Use the data's judgement")
        self.message = widgets.HTML()
        self.save_button.on_click(lambda _b: rater.save(domain))
        self.reset_button.on_click(lambda _b: rater.withdraw(domain))
        self.children = [self.heading, self.judgement, self.reason,
                         widgets.HBox([self.save_button, self.reset_button]), self.message]

    def show(self, view: DomainView) -> None:
        who = (f"judged <b>{html.escape(view.judgement)}</b> by {html.escape(view.reviewer)}: "
               f"{html.escape(view.reason)}" if view.overridden else "no reviewer's judgement")
        self.heading.value = (f"<h4>{html.escape(view.name)}</h4>"
                              f"<div>Data: <b>{html.escape(view.data_judgement)}</b> \u2014 "
                              f"{html.escape(view.data_reason)}</div><div>Reviewer: {who}</div>")
        self.judgement.value = view.judgement if view.judgement in GRADE_JUDGEMENTS else None
        self.reason.value = view.reason if view.overridden else ""
        self.reset_button.disabled = not view.overridden
        self.message.value = ""


class CertaintyRater(widgets.VBox):
    """Outcome chooser, the certainty that stands, and one row per GRADE domain."""

    def __init__(self, session: CertaintySession):
        super().__init__()
        self.session = session
        self.chooser = widgets.Dropdown(options=session.outcomes, value=session.outcome,
                                        description="Outcome")
        self.chooser.observe(lambda change: self.go(change["new"]), "value")
        self.summary = widgets.HTML()
        self.rows = {v.domain: _DomainRow(self, v.domain) for v in session.domains()}
        self.children = [self.chooser, self.summary, *self.rows.values()]
        self.refresh()

    def go(self, outcome: str) -> None:
        self.session.go(outcome)
        self.refresh()

    def refresh(self) -> None:
        certainty = self.session.certainty()
        self.summary.value = (f"<div style='font-size:1.2em'>Certainty: "
                              f"{html.escape(certainty.label())}</div>")
        for view in self.session.domains():
            self.rows[view.domain].show(view)

    def save(self, domain: str) -> None:
        row = self.rows[domain]
        try:
            self.session.save(domain, row.judgement.value or "", row.reason.value)
        except Exception as exc:  # noqa: BLE001 - the project's words, or a plain line (logged)
            row.message.value = failure_html(exc, "the certainty form", after="")
            return
        self.refresh()
        self.rows[domain].message.value = "Saved."

    def withdraw(self, domain: str) -> None:
        try:
            self.session.withdraw(domain)
        except Exception as exc:  # noqa: BLE001 - the project's words, or a plain line (logged)
            self.rows[domain].message.value = failure_html(exc, "the certainty form",
                                                           lead="Not withdrawn", after="")
            return
        self.refresh()
