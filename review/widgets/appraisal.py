"""A JupyterLab view for risk-of-bias and appraisal judgements: one study at a time.

All state lives in `review.appraisal.session.AppraisalSession`; this module only draws it and
forwards clicks. Per domain: its signalling questions with answer buttons, the judgement the
tool's algorithm suggests from them (pre-selected while none is chosen), the judgement, a
required support text and a Save button that commits at once. The overall judgement is computed
from the domains by the tool's rule. Study names, questions and support texts are data: every
value is HTML-escaped before it reaches the page.
"""
from __future__ import annotations

import html

import ipywidgets as widgets

from ..appraisal.session import AppraisalSession, DomainState
from ..appraisal.tools import Domain
from ..errors import ReviewError
from ._said import failure_html
from .keys import SCROLL_CLASS, KeyboardView

__all__ = ["Appraiser", "DomainPanel"]

_ERROR = '<span style="color:#b00020">{}</span>'
_CELL = "padding:2px 8px;text-align:left;border-bottom:1px solid #ddd;vertical-align:top"
_MUTED = "<span style='color:#666'>{}</span>"
_SAVED = "<span style='color:#2e7d32'>✓ {}</span>"
#: Keys of the appraiser: next and previous study.
KEYS = {"n": "next", "b": "previous"}
_STANDING = {"agreed": "agreed", "resolved": "reconciled", "conflict": "differs",
             "pending": "waiting for the assessors"}


class DomainPanel(widgets.VBox):
    """One domain: questions, suggestion, judgement, support, Save."""

    def __init__(self, appraiser: "Appraiser", domain: Domain):
        super().__init__()
        self.appraiser, self.domain = appraiser, domain
        tool = appraiser.session.tool
        self.heading = widgets.HTML()
        self.questions: dict[str, widgets.ToggleButtons] = {}
        rows = []
        for question in domain.questions:
            codes = tool.answer_codes(question)
            toggle = widgets.ToggleButtons(
                options=[(code, code) for code in codes], value=None,
                tooltips=[tool.answer_label(code) for code in codes],
                style={"button_width": "auto"})
            toggle.observe(lambda change, q=question.id: self._answered(q, change["new"]), "value")
            self.questions[question.id] = toggle
            rows.append(widgets.HTML(f"<b>{html.escape(question.id)}</b> {html.escape(question.text)}"))
            rows.append(toggle)
        self.suggestion = widgets.HTML()
        self.judgement = widgets.ToggleButtons(
            options=[(level.label, level.code) for level in tool.levels], value=None,
            description="Judgement", style={"button_width": "auto"})
        self._suggested = False  # the judgement shown is the suggestion, not the reviewer's pick
        self.judgement.observe(self._picked, "value")
        self.support = widgets.Textarea(
            placeholder="Support for the judgement (required): a quote from the report, or why",
            description="Support", layout=widgets.Layout(width="95%", height="5em"))
        self.save_button = widgets.Button(description="Save judgement", button_style="primary",
                                          icon="check", layout=widgets.Layout(width="auto"))
        self.save_button.on_click(lambda _b: appraiser.save(domain.id))
        #: what became of the last Save, beside the button
        self.message = widgets.HTML()
        self.others = widgets.HTML()
        self.add_class("review-domain")
        self.children = [self.heading, *rows, self.suggestion, self.others, self.judgement,
                         self.support, widgets.HBox([self.save_button, self.message],
                                                    layout=widgets.Layout(align_items="center"))]

    def _picked(self, _change) -> None:
        if not self.appraiser._loading:
            self._suggested = False

    def _answered(self, question: str, answer: str | None) -> None:
        if self.appraiser._loading:
            return
        self.appraiser.session.set_answer(self.domain.id, question, answer)
        self.show(self.appraiser.session.state(self.domain.id), keep_entries=True)

    def show(self, state: DomainState, *, keep_entries: bool = False) -> None:
        """Draw a domain's state; `keep_entries` keeps a judgement and support being typed."""
        tool = self.appraiser.session.tool
        loading, self.appraiser._loading = self.appraiser._loading, True
        try:
            guidance = (f"<div>{_MUTED.format(html.escape(self.domain.guidance))}</div>"
                        if self.domain.guidance else "")
            bias = f" ({html.escape(self.domain.bias)})" if self.domain.bias else ""
            self.heading.value = (f"<h4 style='margin:4px 0'>{html.escape(self.domain.id)} · "
                                  f"{html.escape(self.domain.name)}{bias}</h4>{guidance}")
            for qid, toggle in self.questions.items():
                toggle.value = state.answers.get(qid)
                toggle.disabled = qid not in state.applicable
            if state.suggestion is None:
                has_algorithm = bool(self.domain.algorithm)
                self.suggestion.value = _MUTED.format(
                    "Answer the signalling questions for a suggested judgement." if has_algorithm
                    else f"{html.escape(tool.name)} gives no algorithm for this domain: judge "
                         "from the answers.")
            else:
                label = tool.level(state.suggestion).label
                self.suggestion.value = f"Suggested from the answers: <b>{html.escape(label)}</b>"
            if not keep_entries:
                self.judgement.value = state.judgement
                self.support.value = state.support
                self._suggested = False
            if self.judgement.value is None or self._suggested:
                self.judgement.value = state.suggestion
                self._suggested = state.suggestion is not None
            self.others.value = self._others_html(state)
        finally:
            self.appraiser._loading = loading

    def _others_html(self, state: DomainState) -> str:
        if state.others is None:
            return ""
        tool = self.appraiser.session.tool
        if not state.others:
            return _MUTED.format("No assessor has judged this domain yet.")
        rows = "".join(
            f"<tr><td style='{_CELL}'>{html.escape(str(o['reviewer']))}</td>"
            f"<td style='{_CELL}'><b>{html.escape(tool.level(o['judgement']).label)}</b></td>"
            f"<td style='{_CELL}'>{html.escape(str(o['support']))}</td>"
            f"<td style='{_CELL}'>{html.escape(', '.join(f'{q}: {a}' for q, a in o['answers'].items()))}</td></tr>"
            for o in state.others)
        flag = ("<p style='margin:2px 0;color:#b00020'><b>The assessors differ: your judgement "
                "is final.</b></p>" if state.in_conflict else "")
        return (f"{flag}<table style='border-collapse:collapse'><tr>"
                + "".join(f"<th style='{_CELL}'>{h}</th>"
                          for h in ("Assessor", "Judgement", "Support", "Answers"))
                + f"</tr>{rows}</table>")

    def unsaved(self, state: DomainState) -> bool:
        """Whether the judgement or support on screen differ from what is saved."""
        if self.judgement.value is None and not self.support.value.strip():
            return False
        return (self.judgement.value, self.support.value.strip()) != (state.judgement, state.support)


class Appraiser(KeyboardView):
    """Appraise studies with an `AppraisalSession`: study navigation, one panel per domain,
    the computed overall judgement and a status line that shows what was saved or why not.

    The study bar stays on top and the domains scroll beneath; what a Save did is said beside
    its button. Keys (after a click on the appraiser, outside its text boxes): n next study,
    b previous."""

    keymap = KEYS

    def __init__(self, session: AppraisalSession, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self._loading = False
        auto = widgets.Layout(width="auto", flex="0 0 auto")
        self.header = widgets.HTML()
        self.previous_button = widgets.Button(description="Previous study (b)", icon="arrow-left",
                                              layout=auto)
        self.next_button = widgets.Button(description="Next study (n)", icon="arrow-right", layout=auto)
        self.study = widgets.Dropdown(options=session.studies, value=session.current,
                                      description="Study", layout=widgets.Layout(width="24em"))
        self.previous_button.on_click(lambda _b: self.navigate("previous"))
        self.next_button.on_click(lambda _b: self.navigate("next"))
        self.study.observe(self._chosen, "value")
        self.navigation = widgets.HBox([self.previous_button, self.study, self.next_button],
                                       layout=widgets.Layout(flex_flow="row wrap"))
        self.panels = {d.id: DomainPanel(self, d) for d in session.domains}
        self.accordion = widgets.Accordion(children=list(self.panels.values()), selected_index=None)
        self.overall = widgets.HTML()
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.8em"))
        self.setup_keys("n next study · b previous study")
        self.top = widgets.VBox([self.key_catcher, self.header, self.navigation, self.status])
        self.top.add_class("review-decision-bar")
        self.body = widgets.VBox([self.overall, self.accordion],
                                 layout=widgets.Layout(max_height="62vh", overflow="auto"))
        self.body.add_class(SCROLL_CLASS)

        self.children = [self.top, self.body]
        self.add_class("review-appraiser")
        self.refresh()

    @classmethod
    def for_review(cls, review, reviewer: str, tool: str, studies=None, **options) -> "Appraiser":
        """An appraiser over a new `AppraisalSession(review, reviewer, tool, studies, **options)`."""
        return cls(AppraisalSession(review, reviewer, tool, studies, **options))

    # -- input ----------------------------------------------------------------------------------
    def act(self, action: str) -> None:
        """A key's action: "next" or "previous" study."""
        button = self.next_button if action == "next" else self.previous_button
        if not button.disabled:
            self.navigate(action)

    def _chosen(self, change) -> None:
        if self._loading or change["new"] is None or change["new"] == self.session.current:
            return
        self.navigate(change["new"])

    def navigate(self, where: str) -> None:
        """Go to "next", "previous" or a study id; says which unsaved entries were left behind."""
        left = [d for d, panel in self.panels.items() if panel.unsaved(self.session.state(d))] \
            if self.session.current is not None else []
        before = self.session.current
        try:
            if where == "next":
                self.session.next()
            elif where == "previous":
                self.session.previous()
            else:
                self.session.go(where)
        except Exception as exc:  # noqa: BLE001 - said next to the study list, never raised
            self.status.value = failure_html(exc, "the appraisal form", lead="Could not move on",
                                             after="")
            return
        self.refresh()
        if left and self.session.current != before:
            self.status.value = _ERROR.format(
                f"Not saved (left {html.escape(str(before))}): {html.escape(', '.join(left))}.")

    def save(self, domain: str) -> None:
        """Commit the judgement and support shown for `domain`; errors go to the status line,
        since a callback's exception would vanish into the kernel log."""
        panel = self.panels[domain]
        study = self.session.current
        if panel.judgement.value is None:
            panel.message.value = _ERROR.format("Not saved: choose a judgement first.")
            return
        if not panel.support.value.strip():
            panel.message.value = _ERROR.format(
                "Not saved: write the support for the judgement (a quote from the report, or why).")
            return
        try:
            self.session.set_judgement(domain, panel.judgement.value, panel.support.value)
        except ReviewError as exc:  # the project's words, less the tool and study shown above
            said = str(exc).replace(f"{self.session.tool.name}, study {study!r}, ", "")
            panel.message.value = _ERROR.format(f"Not saved: {html.escape(said)}")
            return
        except Exception as exc:  # noqa: BLE001 - a fault of ours: said plainly, logged in full
            panel.message.value = failure_html(exc, "the appraisal form")
            return
        label = self.session.tool.level(panel.judgement.value).label
        self.refresh()
        panel.message.value = _SAVED.format(html.escape(f"Saved: {label}"))
        self.status.value = html.escape(f"Saved: {domain} {label} for {study}.")

    # -- drawing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw progress, the study on screen, its domains and the overall judgement."""
        session, tool = self.session, self.session.tool
        p = session.progress
        role = "reconciling" if session.role == "resolver" else "appraising"
        done = (f"{p.judged} / {p.total} differences reconciled" if session.role == "resolver"
                else f"{p.judged} / {p.total} domain judgements")
        self.header.value = (
            f"<h3 style='margin:4px 0'>{p.studies_done} / {p.studies} studies complete · "
            f"{html.escape(done)}</h3><span>{html.escape(session.reviewer)}, {role} with "
            f"{html.escape(tool.title)} ({html.escape(tool.version)})</span>")
        self._loading = True
        try:
            if list(self.study.options) != session.studies:
                self.study.options = session.studies
            self.study.value = session.current
        finally:
            self._loading = False
        finished = session.current is None
        self.previous_button.disabled = finished or session.studies.index(session.current) == 0
        self.next_button.disabled = finished or session.current == session.studies[-1]
        self.accordion.layout.display = "none" if finished else None
        if finished:
            self.overall.value = "<p><b>No studies to appraise in this session.</b></p>"
            return
        mine = session.judgements()
        finals = session.final_judgements() if session.role == "resolver" else {}
        conflicts = session.conflicts()
        for i, (domain, panel) in enumerate(self.panels.items()):
            panel.show(session.state(domain))
            panel.message.value = ""
            given = mine.get(domain)
            judgement, standing = finals.get(domain, (None, None))
            if given:
                mark = tool.level(given).label + (" (yours)" if finals else "")
            elif judgement and standing in ("agreed", "resolved"):
                mark = f"{tool.level(judgement).label} ({_STANDING[standing]})"
            else:
                mark = "not judged"
            flag = " · differs" if domain in conflicts else ""
            self.accordion.set_title(i, f"{domain} · {panel.domain.name} — {mark}{flag}")
        self.overall.value = self._overall_html(mine, finals)

    def _overall_html(self, mine: dict[str, str], finals: dict | None = None) -> str:
        tool = self.session.tool
        overall = self.session.overall()
        rule = html.escape(tool.overall.description)
        if overall is None:
            settled = {d for d, (j, status) in (finals or {}).items()
                       if j and status in ("agreed", "resolved")}
            missing = [d for d in tool.domain_ids if d not in (settled if finals else mine)]
            return (f"<p>Overall for <b>{html.escape(str(self.session.current))}</b>: "
                    f"{_MUTED.format('waiting for ' + html.escape(', '.join(missing)))}</p>"
                    f"<small>{rule}</small>")
        label = tool.level(overall, overall=True).label
        return (f"<p>Overall for <b>{html.escape(str(self.session.current))}</b> (computed): "
                f"<b>{html.escape(label)}</b></p><small>{rule}</small>")
