"""A JupyterLab view for screening records: one record at a time, keys i/e/m/s/n/u and 1-9.

All state lives in `review.screening.session.ScreeningSession`; this module only draws it and
forwards clicks and keys, so each decision is committed to the event log by the session before
the view moves on. Record text is data: every value is HTML-escaped before it reaches the page.
A resolver's session (`role="resolver"`) is never blind, so the same view shows the screeners'
decisions and how well they agree.
"""
from __future__ import annotations

import html
import os
import time
import webbrowser
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import ipywidgets as widgets
from ipyevents import Event

from ..screening.records import highlight_keywords
from ..screening.session import ScreeningItem, ScreeningSession
from ._values import shown as _text

__all__ = ["Screener", "KEYS"]

#: Keyboard shortcuts: key -> action. Digits 1-9 choose the exclusion reason.
KEYS = {"i": "include", "e": "exclude", "m": "maybe", "s": "skip", "n": "not_retrieved",
        "u": "undo", "p": "open_pdf"}
#: Elements that take typing: keys pressed in them are text, not shortcuts.
_TYPING_TARGETS = {"INPUT", "TEXTAREA", "SELECT"}
_SAID = {"include": "included", "exclude": "excluded", "maybe": "maybe",
         "skip": "skipped", "not_retrieved": "not retrieved"}
_STAGE = {"title_abstract": "title/abstract", "full_text": "full text"}
_STYLE = ("<style>.review-screener mark.review-include{background:#c8e6c9;padding:0 1px}"
          ".review-screener mark.review-exclude{background:#ffcdd2;padding:0 1px}"
          ".review-screener .review-abstract{line-height:1.5;max-width:60em}</style>")
_CELL = "padding:2px 8px;text-align:left;border-bottom:1px solid #ddd"
_ERROR = '<span style="color:#b00020">{}</span>'
#: Seconds between two computations of the agreement line while the reviewer screens.
_AGREEMENT_EVERY = 2.0




def _items(value) -> list[str]:
    return [_text(v) for v in value if _text(v)] if isinstance(value, (list, tuple)) else []


class Screener(widgets.VBox):
    """Screen with a `ScreeningSession`: buttons or keys for include / exclude / maybe / skip /
    not retrieved / undo, the exclusion reason from a dropdown or a digit key, a note.

    Shortcuts come from an ipyevents `Event` on `keyboard_area` (everything but the note box).
    While the pointer is over the watched element, ipyevents takes every key press in the page
    and cancels its default action, so a text box inside it could not be typed in: the note
    therefore sits below it. Keys from INPUT/TEXTAREA/SELECT targets, held-down repeats and
    Ctrl/Alt/Meta chords are ignored.
    """

    def __init__(self, session: ScreeningSession, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.full_text = session.stage == "full_text"
        self._reasons = dict(session.reasons)
        self.header = widgets.HTML()
        self.agreement = widgets.HTML()
        self._agreement_asked = 0
        self._agreement_thread: ThreadPoolExecutor | None = None
        self._agreement_drawn: Future = Future()
        self._agreement_drawn.set_result(None)
        self.record = widgets.HTML()
        self.ai_score = widgets.HTML()
        self.others = widgets.HTML()
        self.pdf_link = widgets.Output()  # rendered by JupyterLab: relative links open in the lab
        auto = widgets.Layout(width="auto")
        self.pdf_button = widgets.Button(description="Open PDF (p)", icon="file-pdf-o", layout=auto,
                                         tooltip="Open the full text in a browser on this machine")
        self.pdf_row = widgets.HBox([self.pdf_link, self.pdf_button])
        self.criteria = widgets.Accordion(children=[widgets.HTML(self._criteria_html())],
                                          titles=("Eligibility criteria and exclusion reasons",),
                                          selected_index=None)
        self.reason = widgets.Dropdown(
            options=[("Exclusion reason" + (" (required)" if self.full_text else " (optional)"), "")]
            + [(f"{i} · {label}", code) for i, (code, label) in enumerate(session.reasons, 1)],
            value="", layout=widgets.Layout(width="24em"))
        spec = [("include", "Include (i)", "success", "The record meets the criteria"),
                ("exclude", "Exclude (e)", "danger", "Exclude, with the reason chosen beside"),
                ("maybe", "Maybe (m)", "info", "Unsure: a second look or the full text decides"),
                ("skip", "Skip (s)", "", "Decide later: the record comes round again"),
                ("not_retrieved", "Not retrieved (n)", "", "The full text could not be obtained"),
                ("undo", "Undo (u)", "warning", "Take back this session's last action")]
        self.action_buttons: dict[str, widgets.Button] = {}
        for action, label, style, tip in spec:
            button = widgets.Button(description=label, button_style=style, tooltip=tip, layout=auto)
            button.on_click(lambda _b, action=action: self.act(action))
            self.action_buttons[action] = button
        self.pdf_button.on_click(lambda _b: self.act("open_pdf"))
        shown = [a for a, *_ in spec if a != "not_retrieved" or self.full_text]
        self.buttons = widgets.HBox([self.action_buttons[a] for a in shown[:2]] + [self.reason]
                                    + [self.action_buttons[a] for a in shown[2:]])
        self.keyboard_area = widgets.VBox([self.header, self.agreement, self.record, self.ai_score,
                                           self.others, self.pdf_row, self.criteria, self.buttons])
        self.note = widgets.Text(placeholder="Note (optional, saved with the next decision)",
                                 description="Note", layout=widgets.Layout(width="60%"))
        self.status = widgets.HTML()
        self.children = [self.keyboard_area, self.note, self.status]
        self.add_class("review-screener")
        self.keyboard_area.add_class("review-screener-keys")
        if not self.full_text:
            self.pdf_row.layout.display = "none"
        self.key_events = Event(source=self.keyboard_area, watched_events=["keydown"],
                                prevent_default_action=True)
        self.key_events.on_dom_event(self.on_key)
        self.refresh()

    @classmethod
    def for_review(cls, review, stage: str, reviewer: str, **session_options) -> "Screener":
        """A screener over a new `ScreeningSession(review, stage, reviewer, **session_options)`."""
        return cls(ScreeningSession(review, stage, reviewer, **session_options))

    # -- input ----------------------------------------------------------------------------------
    def on_key(self, event: dict) -> None:
        """Handle an ipyevents key-event dict such as {"type": "keydown", "key": "i"}."""
        if (event.get("type") or event.get("event")) != "keydown" or event.get("repeat"):
            return
        target = event.get("target") or {}
        if str(target.get("tagName") or "").upper() in _TYPING_TARGETS:
            return
        if any(event.get(modifier) for modifier in ("ctrlKey", "altKey", "metaKey")):
            return
        key = str(event.get("key") or "").lower()
        if key.isdigit() and key != "0":
            self.choose_reason(int(key))
        elif key in KEYS:
            self.act(KEYS[key])

    def choose_reason(self, number: int) -> None:
        """Choose the `number`-th exclusion reason (1-based), as the digit keys do."""
        reasons = self.session.reasons
        if 1 <= number <= len(reasons):
            self.reason.value = reasons[number - 1][0]
            self.status.value = f"Exclusion reason: {html.escape(reasons[number - 1][1])}"

    def act(self, action: str) -> None:
        """Do one action (a decision, "undo" or "open_pdf") and redraw.

        Errors (a full-text exclusion without a reason, a store that cannot be written) are
        shown in the status line, since a callback's exception would vanish into the kernel
        log; the session has not moved on then.
        """
        item = self.session.current
        try:
            if action == "open_pdf":
                if not self.full_text:
                    return
                message = self.open_pdf()
            elif action == "undo":
                undone = self.session.undo()
                if undone is None:
                    message = "Nothing to undo in this session."
                else:
                    self.note.value = undone.note
                    self.reason.value = undone.reason if undone.reason in self._reasons else ""
                    message = f"Undone: {_SAID[undone.decision]} for record {undone.record_id}."
            else:
                if item is None or self.action_buttons[action].disabled:
                    return
                if action == "not_retrieved" and not self.full_text:
                    return
                reason = (self.reason.value or None) if action == "exclude" else None
                event_id = self.session.decide(action, reason=reason, note=self.note.value)
                self.note.value, self.reason.value = "", ""
                why = f" ({self._reasons[reason]})" if reason else ""
                message = (f"Saved: {_SAID[action]}{why} for record {item.record_id} "
                           f"(event {event_id}).")
        except Exception as exc:  # noqa: BLE001 - shown to the reviewer, who can retry
            self.status.value = _ERROR.format(
                f"Not saved: {html.escape(type(exc).__name__)}: {html.escape(str(exc))}")
            return
        self.refresh()
        self.status.value = html.escape(message)

    def open_pdf(self) -> str:
        """Ask the system's browser to open the full text (a local file or a URL)."""
        item = self.session.current
        if item is None or not item.pdf:
            return "No PDF or link for this record."
        target = item.pdf if "://" in item.pdf else Path(item.pdf).resolve().as_uri()
        opened = webbrowser.open(target)
        return f"Opened {target}" if opened else f"Could not open {target}: use the link."

    # -- drawing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw progress, the record on screen and which buttons apply."""
        session, item = self.session, self.session.current
        p = session.progress
        what = "conflicts resolved" if session.role == "resolver" else "screened"
        line = f"{p.screened} / {p.total} {what} · {p.included} included"
        extra = [f"{p.excluded} excluded", f"{p.maybe} maybe"]
        if self.full_text:
            extra.append(f"{p.not_retrieved} not retrieved")
        extra.append(f"{p.remaining} to go")
        role = "resolving conflicts" if session.role == "resolver" else "screening"
        self.header.value = (f"{_STYLE}<h3 style='margin:4px 0'>{line}</h3><span>"
                             f"{html.escape(session.reviewer)}, {role} at "
                             f"{_STAGE.get(session.stage, session.stage)} · {' · '.join(extra)}"
                             "</span>")
        self._draw_agreement()
        finished = item is None
        for action, button in self.action_buttons.items():
            button.disabled = finished if action != "undo" else not session.history
        self.reason.disabled = self.note.disabled = self.pdf_button.disabled = finished
        if finished:
            done = ("All conflicts at this stage are resolved" if session.role == "resolver"
                    else "All records screened at this stage")
            self.record.value = f"<p><b>{done}</b>: {html.escape(line)}</p>"
            self.ai_score.value = self.others.value = ""
            self.ai_score.layout.display = "none"
            self.pdf_link.outputs = ()
            return
        self.record.value = self.record_html(item)
        self.ai_score.layout.display = None if item.ai_score is not None else "none"
        self.ai_score.value = ("" if item.ai_score is None else
                               f"<p>AI relevance score: <b>{item.ai_score:.2f}</b></p>")
        self.others.value = self._others_html(item)
        self.pdf_button.disabled = not item.pdf
        self.pdf_link.outputs = ({"output_type": "display_data", "metadata": {},
                                  "data": {"text/html": self._pdf_html(item.pdf),
                                           "text/plain": item.pdf or "no full text"}},)

    def record_html(self, item: ScreeningItem) -> str:
        """The record: title, authors, source, keywords and abstract, keywords highlighted."""
        r, words = item.record, self.session.keywords

        def mark(text: str) -> str:
            return highlight_keywords(text, words.include, words.exclude)

        authors = _items(r.get("authors"))
        if len(authors) > 12:
            authors = authors[:10] + [f"et al. ({len(authors)} authors)"]
        source = ", ".join(x for x in (_text(r.get("journal")), _text(r.get("year"))) if x)
        doi = _text(r.get("doi"))
        parts = [f"<h3 style='margin:8px 0 4px'>{mark(_text(r.get('title'))) or '<i>No title</i>'}</h3>",
                 f"<div>{html.escape('; '.join(authors)) or '<i>No authors</i>'}</div>",
                 f"<div><i>{html.escape(source)}</i>"
                 + (f" · doi:{html.escape(doi)}" if doi else "")
                 + f" · record {item.record_id}</div>"]
        databases = _items(r.get("databases"))
        if databases:
            places = html.escape("; ".join(_items(r.get("found_in"))), quote=True)
            parts.append(f"<div title='{places}'>Found in: {html.escape(', '.join(databases))}</div>")
        keywords = _items(r.get("keywords"))
        if keywords:
            parts.append("<div><b>Keywords:</b> " + "; ".join(mark(k) for k in keywords) + "</div>")
        abstract = mark(_text(r.get("abstract"))) or "<i>No abstract</i>"
        parts.append(f"<p class='review-abstract'>{abstract}</p>")
        return "".join(parts)

    def _others_html(self, item: ScreeningItem) -> str:
        if item.others is None:
            return "<p style='color:#666'>Blind screening: other reviewers' decisions are hidden.</p>"
        if not item.others:
            return "<p style='color:#666'>No other reviewer has decided on this record.</p>"
        rows = "".join(
            f"<tr><td style='{_CELL}'>{html.escape(_text(o.get('reviewer')))}"
            + (" (resolver)" if o.get("role") == "resolver" else "") + "</td>"
            f"<td style='{_CELL}'><b>{html.escape(_text(o.get('decision')))}</b></td>"
            f"<td style='{_CELL}'>{html.escape(self._reasons.get(o.get('reason'), _text(o.get('reason'))))}</td>"
            f"<td style='{_CELL}'>{html.escape(_text(o.get('note')))}</td></tr>" for o in item.others)
        return ("<table style='border-collapse:collapse'><tr>"
                + "".join(f"<th style='{_CELL}'>{h}</th>" for h in ("Reviewer", "Decision", "Reason", "Note"))
                + f"</tr>{rows}</table>")

    def _pdf_html(self, pdf: str | None) -> str:
        if not pdf:
            return ("<span>No full text found: put it in the review folder as "
                    "<code>pdfs/&lt;record id&gt;.pdf</code>.</span>")
        if "://" in pdf:
            href = pdf
        else:
            try:
                href = os.path.relpath(pdf)  # JupyterLab resolves it from the notebook's folder
            except ValueError:  # another drive
                href = Path(pdf).resolve().as_uri()
        return (f"Full text: <a href='{html.escape(href, quote=True)}' target='_blank' "
                f"rel='noopener'>{html.escape(href)}</a>")

    def _criteria_html(self) -> str:
        eligibility = self.session.eligibility

        def listed(items) -> str:
            return "<ul>" + "".join(f"<li>{html.escape(str(x))}</li>" for x in items) + "</ul>"

        reasons = "".join(f"<li>{i} · {html.escape(label)} <code>{html.escape(code)}</code></li>"
                          for i, (code, label) in enumerate(self.session.reasons, 1))
        return (f"<b>Include</b>{listed(eligibility.include)}<b>Exclude</b>"
                f"{listed(eligibility.exclude)}<b>Exclusion reasons at "
                f"{_STAGE.get(self.session.stage, self.session.stage)}</b> (keys 1-9)<ul>{reasons}</ul>"
                "<small>Keys work while the pointer is over the record: i include, e exclude, "
                "m maybe, s skip" + (", n not retrieved, p open PDF" if self.full_text else "")
                + ", u undo.</small>")

    def _draw_agreement(self) -> None:
        """Redraw the agreement line. It reads every decision at the stage (half a second at
        50,000 records), so after the first drawing it is computed on a thread of its own and
        the next record shows at once: at most every `_AGREEMENT_EVERY` seconds, of several
        requests waiting only the newest, so that it neither holds the interpreter nor the
        store for long while the reviewer clicks on."""
        if self.session.blind:
            self.agreement.value = ""
            return
        self._agreement_asked += 1  # only the kernel's main thread asks
        asked = self._agreement_asked

        def draw() -> None:
            if asked != self._agreement_asked:  # a newer request is queued behind
                return
            time.sleep(max(0.0, self._agreement_at + _AGREEMENT_EVERY - time.monotonic()))
            if asked == self._agreement_asked:
                self._agreement_at = time.monotonic()
                self.agreement.value = self._agreement_html()

        if self._agreement_thread is None:  # the first drawing: at once
            self._agreement_at = time.monotonic()
            self._agreement_thread = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="review-screener-agreement")
            draw()
            return
        self._agreement_drawn = self._agreement_thread.submit(draw)

    def wait_for_agreement(self, timeout: float | None = 10) -> None:
        """Block until the agreement line shows every decision so far (for scripts and tests)."""
        self._agreement_drawn.result(timeout)

    def _agreement_html(self) -> str:
        """The stage's agreement summary, if `review.screening.agreement` provides one."""
        try:
            from ..screening import agreement as module
            summary = module.agreement(self.session.store, self.session.stage,
                                       reviewers_per_record=self.session.needed)
        except Exception:  # noqa: BLE001 - optional: no summary rather than no screener
            return ""
        if not isinstance(summary, dict):
            return ""
        bits = [f"{summary.get('records_compared', 0)} records compared"]
        if summary.get("percent_agreement") is not None:
            bits.append(f"{summary['percent_agreement']:.1f}% agreement")
        for name, label in (("cohen_kappa", "Cohen's κ"), ("fleiss_kappa", "Fleiss' κ")):
            if summary.get(name) is not None:
                bits.append(f"{label} {summary[name]:.2f}")
        if summary.get("cohen_kappa") is None and summary.get("fleiss_kappa") is None \
                and summary.get("kappa_reason"):
            bits.append(f"κ undefined: {summary['kappa_reason']}")
        if "conflicts" in summary:
            bits.append(f"{summary['conflicts']} conflicts, {summary.get('resolved', 0)} resolved")
        names = ", ".join(str(n) for n in summary.get("reviewers") or [])
        return (f"<p style='margin:2px 0'>Agreement ({html.escape(names)}): "
                f"{html.escape(' · '.join(bits))}</p>")
