"""A JupyterLab view for deciding unsure duplicates: one question per work, keys s/d/k/u.

A record (or a few) is shown against the whole cluster it may duplicate, side by side: fields
equal in every record (once case, author formats, publication-type codes and trailing
punctuation are set aside) fold to one line; in the others the words or authors that really
differ are marked. "Same as these", "Different", "Skip" and "Undo" sit above the comparison and
stay there; the answer is recorded for every member, and the next question takes its place.

All state lives in `review.dedup.queue.DuplicateQueue`; this module only draws it and forwards
clicks and keys. Record text is data: every value is HTML-escaped before it reaches the page.
"""
from __future__ import annotations

import html
import logging

import ipywidgets as widgets

from ..dedup.likeness import marked_against
from ..dedup.queue import DuplicateQueue, Question
from ._said import failure_html
from .keys import SCROLL_CLASS, KeyboardView

__all__ = ["DuplicateReviewer", "KEYS"]

#: Keyboard shortcuts: key -> what it does.
KEYS = {"s": "same", "d": "different", "k": "skip", "u": "undo"}
_SAID = {"same": "same work", "different": "different works", "skip": "skipped"}
_CELL = "padding:4px 8px;vertical-align:top;text-align:left;border-bottom:1px solid #ddd"
_DIFFERENT_ROW = "background:#fff8e1"
_ASKED = "background:#e3f2fd"
_ERROR = '<span style="color:#b00020">{}</span>'
_BUTTON = widgets.Layout(width="auto", flex="0 0 auto")

log = logging.getLogger(__name__)


def _records(ids) -> str:
    ids = [str(i) for i in ids]
    return f"record {ids[0]}" if len(ids) == 1 else "records " + ", ".join(ids[:-1]) + f" and {ids[-1]}"


class DuplicateReviewer(KeyboardView):
    """Work through a `DuplicateQueue`: buttons or keys for same / different / skip / undo.

    Keys are live after a click anywhere on the view until a click elsewhere (see
    `review.widgets.keys`); keys typed in the note are text.
    """

    keymap = KEYS

    def __init__(self, queue: DuplicateQueue, **kwargs):
        super().__init__(**kwargs)
        self.queue = queue
        self.header = widgets.HTML()
        self.about = widgets.HTML()
        self.table = widgets.HTML()
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.8em"))
        self.same_button = widgets.Button(description="Same as these (s)", button_style="success",
                                          tooltip="One work: the record joins the cluster",
                                          layout=_BUTTON)
        self.different_button = widgets.Button(description="Different (d)", button_style="danger",
                                               tooltip="Different works: keep them apart",
                                               layout=_BUTTON)
        self.skip_button = widgets.Button(description="Skip (k)", layout=_BUTTON,
                                          tooltip="Decide later: the question comes round again")
        self.undo_button = widgets.Button(description="Undo (u)", button_style="warning",
                                          layout=_BUTTON, tooltip="Take back the last answer")
        self.note = widgets.Text(placeholder="Note (optional, saved with the answer)",
                                 description="Note", layout=widgets.Layout(width="95%"))
        for button, action in ((self.same_button, "same"), (self.different_button, "different"),
                               (self.skip_button, "skip"), (self.undo_button, "undo")):
            button.on_click(lambda _button, action=action: self.act(action))
        self.buttons = widgets.HBox([self.same_button, self.different_button, self.skip_button,
                                     self.undo_button],
                                    layout=widgets.Layout(flex_flow="row wrap"))
        self.setup_keys("s same · d different · k skip · u undo")
        self.decision_bar = widgets.VBox([self.key_catcher, self.header, self.buttons, self.note,
                                          self.status])
        self.decision_bar.add_class("review-decision-bar")
        self.comparison_area = widgets.VBox(
            [self.about, self.table],
            layout=widgets.Layout(max_height="62vh", overflow="auto", border="1px solid #e0e0e0",
                                  padding="0 8px"))
        self.comparison_area.add_class(SCROLL_CLASS)

        self.comparison_area.add_class("review-comparison-area")
        self.children = [self.decision_bar, self.comparison_area]
        self.add_class("review-duplicate-reviewer")
        self.refresh()

    # -- input ----------------------------------------------------------------------------------
    def act(self, action: str) -> None:
        """Do one action ("same", "different", "skip", "undo") and redraw.

        Errors (a store that cannot be written, say) are shown under the buttons, since a
        callback's exception would otherwise vanish into the kernel log; the queue has not
        moved on then.
        """
        try:
            if action == "undo":
                undone = self.queue.undo()
                if undone is None:
                    message = "Nothing to undo in this session."
                else:
                    self.note.value = undone.note
                    message = (f"Undone: {_SAID[undone.decision]} for "
                               f"{_records(undone.question.members)}.")
            else:
                question = self.queue.current
                if question is None:
                    return
                self.queue.decide(action, note=self.note.value)
                self.note.value = ""
                if action == "skip":
                    message = f"Skipped {_records(question.records)}: it comes round again."
                else:
                    verb = "is" if len(question.records) == 1 else "are"
                    relation = "the same work as" if action == "same" else "a different work from"
                    message = (f"Saved: {_records(question.records)} {verb} {relation} "
                               f"{_records(question.cluster)}.")
        except Exception as exc:  # noqa: BLE001 - said next to the buttons; a fault of ours logged
            self.status.value = failure_html(exc, "the duplicate reviewer")
            return
        self.refresh()
        self.status.value = html.escape(message)

    # -- drawing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw progress, the question on screen and which buttons apply."""
        progress = self.queue.progress
        extra = f" · {progress.skipped} skipped" if progress.skipped else ""
        share = 0 if not progress.total else round(100 * progress.decided / progress.total)
        self.header.value = (
            "<div style='white-space:nowrap;overflow:hidden;line-height:1.6'>"
            "<span style='display:inline-block;vertical-align:middle;width:10em;height:.7em;"
            "background:#e0e0e0;border-radius:3px;margin-right:.6em;overflow:hidden'>"
            f"<span style='display:block;height:100%;width:{share}%;background:#43a047'></span>"
            f"</span><b>{progress.decided} of {progress.total} questions answered</b> · "
            f"{progress.remaining} to go{extra}</div>")
        question = self.queue.current
        finished = question is None
        for button in (self.same_button, self.different_button, self.skip_button):
            button.disabled = finished
        self.undo_button.disabled = not self.queue.history
        self.note.disabled = finished
        if finished:
            self.about.value = ""
            self.table.value = "<p><b>All duplicate questions answered</b></p>"
            return
        self.about.value = self._about(question)
        self.table.value = self.comparison_html(question)

    @staticmethod
    def _about(question: Question) -> str:
        score = "" if question.score is None else f" (similarity {question.score:.2f})"
        reason = f": {html.escape(question.reason)}" if question.reason else ""
        many = len(question.cluster)
        cluster = "a record" if many == 1 else f"a cluster of {many} records of one work"
        return (f"<p style='margin:4px 0'>Is {_records(question.records)} the same work as "
                f"{cluster}?{score}{reason}</p>")

    def comparison_html(self, question: Question) -> str:
        """Every record of the question side by side; equal fields folded to one line; in the
        others, the words or authors of a member that the records asked about lack (and of those
        records, what no member has) are marked. Everything escaped."""
        asked = len(question.records)
        head = "".join(
            f"<th style='{_CELL};{_ASKED if i < asked else ''}'>"
            f"{'Asked about: ' if i < asked else ''}record {r}</th>"
            for i, r in enumerate(question.members))
        rows = [f"<tr><th style='{_CELL};width:9em'></th>{head}</tr>"]
        folded = []
        for row in self.queue.comparison(question):
            if row.same:
                if row.values[0] != "—":
                    folded.append(row)
                continue
            cells = []
            for i, value in enumerate(row.values):
                # the records asked about against the cluster, each member against them
                others = [v for j, v in enumerate(row.values)
                          if (j >= asked if i < asked else j < asked) and v != "—"]
                shown = html.escape(value) if value == "—" else marked_against(row.field, value, others)
                cells.append(f"<td style='{_CELL}'>{shown}</td>")
            rows.append(f"<tr style='{_DIFFERENT_ROW}'><th style='{_CELL}'>"
                        f"{html.escape(row.label)}</th>{''.join(cells)}</tr>")
        span = len(question.members)
        for row in folded:
            rows.append(f"<tr><th style='{_CELL}'>{html.escape(row.label)}</th>"
                        f"<td style='{_CELL};color:#555' colspan='{span}'>"
                        f"{html.escape(row.values[0])} <i>(the same in all)</i></td></tr>")
        return ("<table style='border-collapse:collapse;width:100%;table-layout:fixed'>"
                + "".join(rows) + "</table>")
