"""A JupyterLab view for screening records: one record at a time, keys i/e/m/s/n/u/p and 1-9.

All state lives in `review.screening.session.ScreeningSession`; this module only draws it and
forwards clicks and keys, so each decision is committed to the event log by the session before
the view moves on. Record text is data: every value is HTML-escaped before it reaches the page.
A resolver's session (`role="resolver"`) is never blind, so the same view shows the screeners'
decisions and how well they agree.

Layout: the keys cue, the progress bar, the stopping hint, the decision bar (buttons, reason
list, note) and the message line come first and keep their height whatever the record, so the
buttons stay in one place; the record scrolls beneath them in a box of its own.
"""
from __future__ import annotations

import asyncio
import html
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor

import ipywidgets as widgets

from ..screening.fulltext import attach_pdf, full_text
from ..errors import ReviewError
from ..screening.session import DecisionNotSaved, ScreeningItem, ScreeningSession
from ..screening.wording import in_words, stage_name
from ..threads import lower_thread_priority
from .keys import SCROLL_CLASS, KeyboardView
from .pdfview import PdfViewer
from .screener_html import _SAID, _STYLE, RecordHtml, progress_html

__all__ = ["Screener", "KEYS"]

#: Keyboard shortcuts: key -> action. Digits 1-9 choose the exclusion reason.
KEYS = {"i": "include", "e": "exclude", "m": "maybe", "s": "skip", "n": "not_retrieved",
        "u": "undo", "p": "open_pdf"}
_ERROR = '<span style="color:#b00020">{}</span>'
#: Seconds between two computations of the agreement line while the reviewer screens.
_AGREEMENT_EVERY = 2.0
_NOWRAP = widgets.Layout(width="auto", flex="0 0 auto")

log = logging.getLogger(__name__)


class Screener(RecordHtml, KeyboardView):
    """Screen with a `ScreeningSession`: buttons or keys for include / exclude / maybe / skip /
    not retrieved / undo, the exclusion reason from a list or a digit key, a note.

    Keys are live after a click anywhere on the screener until a click elsewhere (see
    `review.widgets.keys`); keys typed in the note are text.
    """

    def __init__(self, session: ScreeningSession, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.full_text = session.stage == "full_text"
        self.keymap = {k: a for k, a in KEYS.items()
                       if self.full_text or a not in ("not_retrieved", "open_pdf")}
        self._reasons = dict(session.reasons)
        self.style_sheet = widgets.HTML(_STYLE, layout=widgets.Layout(display="none"))
        self.header = widgets.HTML()
        self.stopping = widgets.HTML()
        self.model_line = widgets.HTML()  # the AI order's work under way, or its problem
        self._model_ticking = False
        self.agreement = widgets.HTML()
        self._agreement_thread: ThreadPoolExecutor | None = None
        self._agreement_drawn: Future = Future()
        self._agreement_drawn.set_result(None)
        self._agreement_drawn._review_applied = True  # nothing to show from it
        self._agreement_at = 0.0
        self.record = widgets.HTML()
        self.ai_score = widgets.HTML()
        self.others = widgets.HTML()
        self.links = widgets.HTML()
        self.pdf_button = widgets.Button(description="Open PDF (p)", icon="file-pdf-o",
                                         layout=_NOWRAP,
                                         tooltip="Show the PDF kept with the review below the record")
        self.pdf_viewer = PdfViewer(session.keywords.include, session.keywords.exclude)
        self.upload = widgets.FileUpload(accept=".pdf,application/pdf", multiple=False,
                                         description="Attach PDF", layout=_NOWRAP,
                                         tooltip="Keep a PDF of this record with the review")
        self.upload.observe(self._uploaded, names="value")
        self.pdf_row = widgets.HBox([self.links, self.pdf_button, self.upload],
                                    layout=widgets.Layout(align_items="center",
                                                          flex_flow="row wrap"))
        self.criteria = widgets.Accordion(children=[widgets.HTML(self._criteria_html())],
                                          titles=("Eligibility criteria and exclusion reasons",),
                                          selected_index=None)
        self.reason = widgets.Dropdown(
            options=[("Exclusion reason (1-9" + (", required)" if self.full_text else ")"), "")]
            + [(f"{i} · {label}", code) for i, (code, label) in enumerate(session.reasons, 1)],
            value="", layout=widgets.Layout(width="18em", flex="0 0 auto"),
            tooltip="Keys 1-9 choose a reason")
        spec = [("include", "Include (i)", "success", "The record meets the criteria"),
                ("exclude", "Exclude (e)", "danger", "Exclude, with the reason chosen beside"),
                ("maybe", "Maybe (m)", "info", "Unsure: a second look or the full text decides"),
                ("skip", "Skip (s)", "", "Decide later: the record comes round again"),
                ("not_retrieved", "Not retrieved (n)", "", "The full text could not be obtained"),
                ("undo", "Undo (u)", "warning", "Take back this session's last action")]
        self.action_buttons: dict[str, widgets.Button] = {}
        for action, label, style, tip in spec:
            button = widgets.Button(description=label, button_style=style, tooltip=tip,
                                    layout=widgets.Layout(width="auto", flex="0 0 auto"))
            button.on_click(lambda _b, action=action: self.act(action))
            self.action_buttons[action] = button
        self.pdf_button.on_click(lambda _b: self.act("open_pdf"))
        shown = [a for a, *_ in spec if a != "not_retrieved" or self.full_text]
        self.buttons = widgets.HBox([self.action_buttons[a] for a in shown[:2]] + [self.reason]
                                    + [self.action_buttons[a] for a in shown[2:]],
                                    layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        self.buttons.add_class("review-decision-buttons")
        self.note = widgets.Text(placeholder="Note (optional, saved with the next decision)",
                                 description="Note", layout=widgets.Layout(width="95%"))
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.8em"))
        self.setup_keys("i include · e exclude · 1-9 reason · m maybe · s skip"
                        + (" · n not retrieved · p PDF" if self.full_text else "") + " · u undo",
                        extra_keys=[str(d) for d in range(1, 10)])
        self.decision_bar = widgets.VBox([self.key_catcher, self.header, self.stopping,
                                          self.model_line, self.buttons, self.note, self.status, self.style_sheet])
        self.decision_bar.add_class("review-decision-bar")
        self.record_area = widgets.VBox(
            [self.record, self.ai_score, self.others, self.pdf_row, self.pdf_viewer,
             self.criteria, self.agreement],
            layout=widgets.Layout(max_height="62vh", overflow="auto", border="1px solid #e0e0e0",
                                  padding="0 8px"))
        self.record_area.add_class(SCROLL_CLASS)

        self.record_area.add_class("review-record-area")
        self.children = [self.decision_bar, self.record_area]
        self.add_class("review-screener")
        if not self.full_text:
            self.pdf_row.layout.display = "none"
        else:
            self.stopping.layout.display = "none"
        self.refresh()

    @classmethod
    def for_review(cls, review, stage: str, reviewer: str, **session_options) -> "Screener":
        """A screener over a new `ScreeningSession(review, stage, reviewer, **session_options)`."""
        return cls(ScreeningSession(review, stage, reviewer, **session_options))

    def close(self) -> None:
        """Close the view and shut down its agreement thread."""
        if self._agreement_thread is not None:
            self._agreement_thread.shutdown(wait=False, cancel_futures=True)
            self._agreement_thread = None
        super().close()

    # -- input ----------------------------------------------------------------------------------
    def handle_key(self, key: str) -> None:
        if key.isdigit() and key != "0":
            self.choose_reason(int(key))
        else:
            super().handle_key(key)

    def choose_reason(self, number: int) -> None:
        """Choose the `number`-th exclusion reason (1-based), as the digit keys do."""
        reasons = self.session.reasons
        if 1 <= number <= len(reasons):
            self.reason.value = reasons[number - 1][0]
            self.reason.remove_class("review-needs-attention")
            self.status.value = f"Exclusion reason: {html.escape(reasons[number - 1][1])}"

    def act(self, action: str) -> None:
        """Do one action (a decision, "undo" or "open_pdf") and redraw.

        Errors (a full-text exclusion without a reason, a store that cannot be written) are
        shown on the message line under the buttons, since a callback's exception would vanish
        into the kernel log; the session has not moved on then.
        """
        item = self.session.current
        if action == "open_pdf":
            if self.full_text:
                self._say(self.open_pdf)
            return
        if action != "undo" and (item is None or self.action_buttons[action].disabled
                                 or action not in self.keymap.values()):
            return
        if action == "exclude" and self.full_text and not self.reason.value:
            self.reason.add_class("review-needs-attention")
            self.status.value = _ERROR.format(
                "Not saved: choose an exclusion reason first (the list beside Exclude, or keys "
                "1-9); at Full text every exclusion needs one.")
            return
        try:
            if action == "undo":
                undone = self.session.undo()
                if undone is None:
                    message = "Nothing to undo in this session."
                else:
                    self.note.value = undone.note
                    self.reason.value = undone.reason if undone.reason in self._reasons else ""
                    message = f"Undone: {_SAID[undone.decision]} for record {undone.record_id}."
            else:
                reason = (self.reason.value or None) if action == "exclude" else None
                self.session.decide(action, reason=reason, note=self.note.value)
                self.note.value, self.reason.value = "", ""
                why = f" ({self._reasons[reason]})" if reason else ""
                message = f"Saved: {_SAID[action]}{why} for record {item.record_id}."
        except DecisionNotSaved as exc:  # the store is busy: the record stays, a retry follows
            self.status.value = _ERROR.format(html.escape(str(exc)))
            self._retry_later()
            return
        except ReviewError as exc:
            self.status.value = _ERROR.format(
                f"Not saved: {html.escape(in_words(str(exc)))}. Nothing was lost; try again.")
            return
        except Exception:  # noqa: BLE001 - a fault of ours: said plainly, logged in full
            log.exception("screening action %s failed", action)
            self.status.value = _ERROR.format(
                "Not saved: something went wrong in the screener (the details are in the "
                "kernel's log). Nothing was lost; try again.")
            return
        self.reason.remove_class("review-needs-attention")
        self.refresh()
        self.status.value = html.escape(message)

    #: Seconds between automatic tries of a decision the busy store did not take, and how many.
    RETRY_SECONDS, RETRIES = 2.0, 30

    def _retry_later(self, tries_left: int | None = None) -> None:
        """Try the pending decision again on the kernel's own event loop (so widget values are
        set from the kernel's thread); outside a running kernel the reviewer presses again."""
        tries_left = self.RETRIES if tries_left is None else tries_left
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if tries_left > 0:
            loop.call_later(self.RETRY_SECONDS, self.retry_pending, tries_left - 1)

    def retry_pending(self, tries_left: int = 0) -> None:
        """Save the decision the busy store did not take, if its record is still on screen."""
        pending = self.session.pending
        if pending is None:
            return
        try:
            saved = self.session.retry_pending()
        except DecisionNotSaved:
            self._retry_later(tries_left)
            return
        except ReviewError as exc:
            self.status.value = _ERROR.format(f"Not saved: {html.escape(in_words(str(exc)))}.")
            return
        if saved is None:
            return
        self.note.value, self.reason.value = "", ""
        self.refresh()
        self.status.value = html.escape(
            f"Saved once the store was free: {_SAID[pending.decision]} for record "
            f"{pending.record_id}.")

    def _say(self, step) -> None:
        try:
            self.status.value = html.escape(step())
        except ValueError as exc:
            self.status.value = _ERROR.format(html.escape(str(exc)))

    def _uploaded(self, change) -> None:
        """Keep the uploaded PDF as the record's (`pdfs/<work id>.pdf`) and show it."""
        files = change["new"]
        item = self.session.current
        if not files or item is None:
            return
        try:
            path = attach_pdf(self.session.review, item.record_id, bytes(files[0]["content"]))
        except ValueError as exc:
            self.status.value = _ERROR.format(f"Not attached: {html.escape(str(exc))}.")
            return
        finally:
            self.upload.value = ()
        self.pdf_button.layout.display = None
        self.status.value = html.escape(f"Attached {path.name} to record {item.record_id}. "
                                        + self.pdf_viewer.show(path))

    def open_pdf(self) -> str:
        """Show the review's PDF of the record on screen inside the screener."""
        item = self.session.current
        where = None if item is None else full_text(self.session.review, item.record_id, item.record).pdf
        if where is None:
            return "No PDF kept with the review for this record: use a link above."
        return self.pdf_viewer.show(where)

    # -- drawing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw the record on screen, which buttons apply, then the progress.

        The record goes first: each value set is its own message to the page, drawn in turn,
        and the record is what the reviewer waits for. Only values that changed are sent (the
        style sheet sits in a widget of its own and is never sent again)."""
        item = self.session.current
        self._draw_record(item)
        self._draw_progress()
        self._draw_stopping()
        self._draw_model()
        self._draw_agreement()

    def _draw_record(self, item: ScreeningItem | None) -> None:
        session = self.session
        finished = item is None
        for action, button in self.action_buttons.items():
            button.disabled = finished if action != "undo" else not session.history
        self.reason.disabled = self.note.disabled = self.upload.disabled = finished
        self.pdf_viewer.clear()
        if finished:
            p = session.progress
            resolving = session.role == "resolver"
            what = "conflicts resolved" if resolving else "screened"
            done = ("All conflicts at this stage are resolved" if resolving
                    else "All records screened at this stage")
            self.record.value = (f"<p><b>{done}</b>: {p.screened} / {p.total} {what}, "
                                 f"{p.included} included.</p>")
            self.ai_score.value = self.others.value = self.links.value = ""
            self.ai_score.layout.display = "none"
            self.pdf_button.layout.display = "none"
            return
        self.record.value = self.record_html(item)
        self.ai_score.layout.display = None if item.ai_score is not None else "none"
        self.ai_score.value = ("" if item.ai_score is None else
                               f"<p>AI relevance score: <b>{item.ai_score:.2f}</b></p>")
        self.others.value = self._others_html(item)
        if self.full_text:
            found = full_text(session.review, item.record_id, item.record)
            self.links.value = self._links_html(found)
            self.pdf_button.layout.display = None if found.pdf is not None else "none"

    def _draw_progress(self) -> None:
        """The progress bar and the counts line (the one part of the bar that changes)."""
        session, p = self.session, self.session.progress
        resolving = session.role == "resolver"
        what = "conflicts resolved" if resolving else "screened"
        counts = [f"{p.included} included", f"{p.excluded} excluded", f"{p.maybe} maybe"]
        if self.full_text:
            counts.append(f"{p.not_retrieved} not retrieved")
        role = "resolving conflicts" if resolving else "screening"
        words = f"<b>{p.screened} / {p.total} {what}</b> · {p.remaining} to go"
        who = (f"{' · '.join(counts)} — {html.escape(session.reviewer)}, {role} at "
               f"{stage_name(session.stage)}")
        self.header.value = (progress_html(p.screened, p.total, words)
                             + f"<div class='review-line' title='{who}'>{who}</div>")

    def _draw_stopping(self) -> None:
        """The stopping hint at title/abstract, from the session (empty until it has one)."""
        if self.full_text:
            return
        hint = getattr(self.session, "stopping_hint", None)
        text = hint() if callable(hint) else hint
        text = str(text or "")
        self.stopping.value = (f"<div class='review-line' style='color:#555' "
                               f"title='{html.escape(text, quote=True)}'>"
                               f"{html.escape(text) or '&nbsp;'}</div>")

    #: Seconds between two redraws of the AI order's progress line while nothing is clicked.
    MODEL_LINE_SECONDS = 2.0

    def _draw_model(self) -> None:
        """The AI order's line: how far it has read the records' meaning, or what went wrong;
        hidden when there is nothing to say. Redrawn with the screener, and every
        `MODEL_LINE_SECONDS` on the kernel's event loop while the reading goes on (only the
        kernel's thread sets a widget's value)."""
        session = self.session
        problem = getattr(session, "model_problem", None)
        status = getattr(session, "model_status", None)
        if problem:
            self.model_line.value = _ERROR.format(html.escape(problem))
        elif status:
            self.model_line.value = (f"<div class='review-line' style='color:#555'>"
                                     f"{html.escape(status)}</div>")
        else:
            self.model_line.value = ""
        self.model_line.layout.display = None if (problem or status) else "none"
        if status and not problem:
            self._tick_model_line()

    def _tick_model_line(self) -> None:
        if self._model_ticking:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # outside a running kernel: redrawn with the screener only

        def tick():
            self._model_ticking = False
            if getattr(self, "comm", None) is not None and not getattr(self.session, "closed", False):
                self._draw_model()

        self._model_ticking = True
        loop.call_later(self.MODEL_LINE_SECONDS, tick)

    # -- the agreement line -----------------------------------------------------------------------
    def _draw_agreement(self) -> None:
        """Redraw the agreement line. It reads every decision at the stage (half a second at
        50,000 records), so after the first drawing it is computed on a thread of its own, at
        most every `_AGREEMENT_EVERY` seconds, and the line shows the newest result ready at
        each redraw: only the kernel's thread ever sets a widget's value."""
        if self.session.blind:
            self.agreement.value = ""
            return
        if self._agreement_thread is None:  # the first drawing: at once
            self._agreement_thread = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="review-screener-agreement",
                initializer=lower_thread_priority)
            self._agreement_at = time.monotonic()
            self.agreement.value = self._agreement_line(self._agreement_summary)
            return
        self._apply_agreement()
        if self._agreement_drawn.done() and \
                time.monotonic() - self._agreement_at >= _AGREEMENT_EVERY:
            self._agreement_at = time.monotonic()
            self._agreement_drawn = self._agreement_thread.submit(self._agreement_summary)

    def _apply_agreement(self) -> None:
        future = self._agreement_drawn
        if future.done() and not getattr(future, "_review_applied", False):
            future._review_applied = True
            self.agreement.value = self._agreement_line(future.result)

    def wait_for_agreement(self, timeout: float | None = 10) -> None:
        """Compute the agreement line over every decision so far and show it (scripts, tests)."""
        self._agreement_drawn.exception(timeout)
        self._agreement_at = time.monotonic()
        if self._agreement_thread is not None:
            self._agreement_drawn = self._agreement_thread.submit(self._agreement_summary)
            self._agreement_drawn.exception(timeout)
        self._apply_agreement()

    def _agreement_summary(self) -> dict:
        from ..screening.agreement import agreement
        return agreement(self.session.store, self.session.stage,
                         reviewers_per_record=self.session.needed)

    def _agreement_line(self, result) -> str:
        """The agreement line from `result()` (a call that may fail: the line then says why)."""
        try:
            summary = result()
        except Exception as exc:  # noqa: BLE001 - said on the line, logged in full
            log.exception("agreement at %s could not be computed", self.session.stage)
            return _ERROR.format(f"Agreement could not be computed: {html.escape(in_words(str(exc)))}")
        bits = [f"{summary.get('records_compared', 0)} records compared"]
        if summary.get("percent_agreement") is not None:
            bits.append(f"{summary['percent_agreement']:.1f}% agreement")
        for name, label in (("cohen_kappa", "Cohen's κ"), ("fleiss_kappa", "Fleiss' κ")):
            if summary.get(name) is not None:
                bits.append(f"{label} {summary[name]:.2f}")
        if summary.get("cohen_kappa") is None and summary.get("fleiss_kappa") is None \
                and summary.get("kappa_reason"):
            bits.append(f"κ undefined: {in_words(summary['kappa_reason'])}")
        if "conflicts" in summary:
            bits.append(f"{summary['conflicts']} conflicts, {summary.get('resolved', 0)} resolved")
        names = ", ".join(str(n) for n in summary.get("reviewers") or [])
        return (f"<p style='margin:2px 0'>Agreement ({html.escape(names)}): "
                f"{html.escape(' · '.join(bits))}</p>")
