"""A JupyterLab view for deciding unsure duplicate pairs: two records side by side, keys s/d/k/u.

All state lives in `review.dedup.queue.DuplicateQueue`; this module only draws it and forwards
clicks and keys, so a decision is committed to the event log by the queue before the view moves
on. Record text is data: every value is HTML-escaped before it is put in the page.
"""
from __future__ import annotations

import html

import ipywidgets as widgets
from ipyevents import Event

from ..dedup.queue import DuplicateQueue, Pair, highlight_differences

__all__ = ["DuplicateReviewer", "KEYS"]

#: Keyboard shortcuts: key -> what it does.
KEYS = {"s": "same", "d": "different", "k": "skip", "u": "undo"}
#: Elements that take typing: keys pressed in them are text, not shortcuts.
_TYPING_TARGETS = {"INPUT", "TEXTAREA", "SELECT"}
_SAID = {"same": "same record", "different": "different records", "skip": "skipped"}
_CELL = "padding:4px 8px;vertical-align:top;text-align:left;border-bottom:1px solid #ddd"
_DIFFERENT_ROW = "background:#fff8e1"


class DuplicateReviewer(widgets.VBox):
    """Work through a `DuplicateQueue`: buttons or keys for same / different / skip / undo.

    Shortcuts come from an ipyevents `Event` on the whole view. Browsers only send key events
    to it while the pointer is over the view (or it has focus), and keys typed in the note field
    reach it too: ipyevents reports the element typed in (`target.tagName`), and keys from
    INPUT/TEXTAREA elements are ignored, as are held-down repeats and Ctrl/Alt/Meta chords.
    """

    def __init__(self, queue: DuplicateQueue, **kwargs):
        super().__init__(**kwargs)
        self.queue = queue
        self.header = widgets.HTML()
        self.about = widgets.HTML()
        self.table = widgets.HTML()
        self.status = widgets.HTML()
        auto = widgets.Layout(width="auto")
        self.same_button = widgets.Button(description="Same record (s)", button_style="success",
                                          tooltip="These two records are one study report",
                                          layout=auto)
        self.different_button = widgets.Button(description="Different records (d)",
                                               button_style="danger", layout=auto,
                                               tooltip="Keep both records")
        self.skip_button = widgets.Button(description="Skip (k)", layout=auto,
                                          tooltip="Decide later: the pair comes round again")
        self.undo_button = widgets.Button(description="Undo (u)", button_style="warning",
                                          layout=auto, tooltip="Take back the last action")
        self.note = widgets.Text(placeholder="Note (optional, saved with the decision)",
                                 description="Note", layout=widgets.Layout(width="60%"))
        for button, action in ((self.same_button, "same"), (self.different_button, "different"),
                               (self.skip_button, "skip"), (self.undo_button, "undo")):
            button.on_click(lambda _button, action=action: self.act(action))
        self.buttons = widgets.HBox([self.same_button, self.different_button, self.skip_button,
                                     self.undo_button])
        # Keys are watched on everything but the note box: while the pointer is over a watched
        # element ipyevents cancels key presses, so a note inside it could not be typed.
        self.keyboard_area = widgets.VBox([self.header, self.about, self.table, self.buttons])
        self.children = [self.keyboard_area, self.note, self.status]
        self.add_class("review-duplicate-reviewer")
        self.key_events = Event(source=self.keyboard_area, watched_events=["keydown"])
        self.key_events.on_dom_event(self.on_key)
        self.refresh()

    # -- input ----------------------------------------------------------------------------------
    def on_key(self, event: dict) -> None:
        """Handle an ipyevents key-event dict such as {"type": "keydown", "key": "s"}."""
        if (event.get("type") or event.get("event")) != "keydown" or event.get("repeat"):
            return
        target = event.get("target") or {}
        if str(target.get("tagName") or "").upper() in _TYPING_TARGETS:
            return
        if any(event.get(modifier) for modifier in ("ctrlKey", "altKey", "metaKey")):
            return
        action = KEYS.get(str(event.get("key") or "").lower())
        if action:
            self.act(action)

    def act(self, action: str) -> None:
        """Do one action ("same", "different", "skip", "undo") and redraw.

        Errors (a store that cannot be written, say) are shown in the view, since a callback's
        exception would otherwise vanish into the kernel log; the queue has not moved on then.
        """
        try:
            if action == "undo":
                undone = self.queue.undo()
                if undone is None:
                    message = "Nothing to undo in this session."
                else:
                    self.note.value = undone.note
                    message = (f"Undone: {_SAID[undone.decision]} for records "
                               f"{undone.pair.record_a} and {undone.pair.record_b}.")
            else:
                pair = self.queue.current
                if pair is None:
                    return
                event_id = self.queue.decide(action, note=self.note.value)
                self.note.value = ""
                message = (f"Saved: {_SAID[action]} for records {pair.record_a} and "
                           f"{pair.record_b} (event {event_id}).")
        except Exception as exc:  # noqa: BLE001 - shown to the reviewer, who can retry
            self.status.value = (f'<span style="color:#b00020">Not saved: '
                                 f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</span>")
            return
        self.refresh()
        self.status.value = html.escape(message)

    # -- drawing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw progress, the pair on screen and which buttons apply."""
        progress = self.queue.progress
        extra = f", {progress.skipped} skipped" if progress.skipped else ""
        self.header.value = (f"<h3 style='margin:4px 0'>{progress.decided} of {progress.total} "
                             f"pairs decided</h3><span>{progress.remaining} to go{extra}</span>")
        pair = self.queue.current
        finished = pair is None
        for button in (self.same_button, self.different_button, self.skip_button):
            button.disabled = finished
        self.undo_button.disabled = not self.queue.history
        self.note.disabled = finished
        if finished:
            self.about.value = ""
            self.table.value = "<p><b>All pairs decided</b></p>"
            return
        self.about.value = self._about(pair)
        self.table.value = self.comparison_html(pair)

    @staticmethod
    def _about(pair: Pair) -> str:
        score = "no score" if pair.score is None else f"score {pair.score:.3f}"
        reason = f" — unsure because: {html.escape(pair.reason)}" if pair.reason else ""
        return f"<p>Records {pair.record_a} and {pair.record_b}: {score}{reason}</p>"

    def comparison_html(self, pair: Pair) -> str:
        """The two records side by side; differing words in <mark>, everything escaped."""
        head = (f"<tr><th style='{_CELL}'></th><th style='{_CELL}'>Record {pair.record_a}</th>"
                f"<th style='{_CELL}'>Record {pair.record_b}</th></tr>")
        rows = [head]
        for row in self.queue.comparison(pair):
            if row.same:
                a = b = html.escape(row.a)
                style = ""
            else:
                a, b = highlight_differences(row.a, row.b)
                style = f" style='{_DIFFERENT_ROW}'"
            rows.append(f"<tr{style}><th style='{_CELL}'>{html.escape(row.label)}</th>"
                        f"<td style='{_CELL}'>{a}</td><td style='{_CELL}'>{b}</td></tr>")
        return ("<table style='border-collapse:collapse;width:100%;table-layout:fixed'>"
                + "".join(rows) + "</table>")
