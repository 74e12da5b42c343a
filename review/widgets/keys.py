"""Keys for the review widgets: live after a click on the widget, until a click elsewhere.

One base for the screener, the duplicate reviewer, the extraction form and the appraiser.
`KeyCatcher` is a small anywidget whose JavaScript (`keys.js`, shipped in the package) holds
the focus on the widget after a click, shows whether the keys are live, stops every plain key
pressed in the widget before JupyterLab's notebook shortcuts see it, and sends the keys the
widget uses to Python. `KeyboardView` routes them, as plain dicts, to the same method a button
calls, so tests can pass dicts without a browser.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import anywidget
import ipywidgets as widgets
import traitlets

__all__ = ["KeyCatcher", "KeyboardView", "SCOPE_CLASS", "SCROLL_CLASS", "TYPING_TARGETS"]

#: The class that marks the element whose keys a `KeyCatcher` inside it takes.
SCOPE_CLASS = "review-keys-scope"
#: The class of a box that scrolls beneath a widget's fixed bar.
SCROLL_CLASS = "review-scroll"
#: Elements that take typing: keys pressed in them are text, not shortcuts.
TYPING_TARGETS = {"INPUT", "TEXTAREA", "SELECT"}

_CSS = """
.review-keys-scope { outline: none; }
.review-keys-scope.review-keys-live { box-shadow: 0 0 0 2px #1976d2; border-radius: 3px; }
.review-keys-cue-line { font-size: 90%; color: #555; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; padding: 1px 6px; border-radius: 3px; background: #f1f1f1;
  line-height: 1.6; }
.review-keys-cue-line.review-keys-cue-live { background: #e3f2fd; color: #0d47a1; }
.review-keys-light { font-weight: bold; }
/* A box that scrolls beneath a fixed bar: its parts keep their height instead of shrinking. */
.review-scroll > * { flex-shrink: 0 !important; }
"""


class KeyCatcher(anywidget.AnyWidget):
    """The keyboard of one widget; `handler` gets {"type": "keydown", "key": ...} dicts."""

    _esm = Path(__file__).with_name("keys.js")
    _css = _CSS
    shortcuts = traitlets.List(traitlets.Unicode()).tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)
    #: Whether the page reports the keys as live (set by the browser, read by tests).
    live = traitlets.Bool(False).tag(sync=True)

    def __init__(self, handler: Callable[[dict], None], keys, hint: str = "", **kwargs):
        super().__init__(shortcuts=sorted(set(keys)), hint=hint, **kwargs)
        self._handler = handler
        self.layout.width = "100%"
        self.on_msg(self._message)

    def _message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("type") == "key":
            self._handler({"type": "keydown", "key": str(content.get("key") or ""),
                           "shiftKey": bool(content.get("shiftKey"))})


class KeyboardView(widgets.VBox):
    """A widget with keys: subclasses set `keymap` (key -> action) and define `act(action)`.

    Call `setup_keys(hint)` once the children are known; put `self.key_catcher` where the
    "keys live" cue should show (the top of the widget).
    """

    keymap: dict[str, str] = {}

    def setup_keys(self, hint: str, extra_keys=()) -> None:
        self.add_class(SCOPE_CLASS)
        self.key_catcher = KeyCatcher(self.on_key, [*self.keymap, *extra_keys], hint)

    def on_key(self, event: dict) -> None:
        """Handle a key-event dict such as {"type": "keydown", "key": "i"}."""
        if (event.get("type") or event.get("event")) != "keydown" or event.get("repeat"):
            return
        target = event.get("target") or {}
        if str(target.get("tagName") or "").upper() in TYPING_TARGETS:
            return
        if any(event.get(modifier) for modifier in ("ctrlKey", "altKey", "metaKey")):
            return
        key = str(event.get("key") or "")
        self.handle_key(key.lower() if len(key) == 1 else key)

    def handle_key(self, key: str) -> None:
        action = self.keymap.get(key)
        if action:
            self.act(action)

    def act(self, action: str) -> None:  # pragma: no cover - every view defines it
        raise NotImplementedError
