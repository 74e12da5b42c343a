"""When to stop title/abstract screening: the stopping hint, the recall curve and the random
validation sample, refreshed as decisions come in (not only when the cell is run again).

A thin view over `ScreeningSession.stopping_hint()`, `stopping_report()` and
`start_validation_sample()`; the sums run on the session's background thread."""
from __future__ import annotations

import html
import time

import ipywidgets as widgets

from ..screening.session import ScreeningSession, stopping_report

__all__ = ["StoppingPanel"]

#: The recall curve is redrawn at most this often (seconds): drawing it takes a tenth of a second.
CURVE_EVERY = 5.0


class StoppingPanel(widgets.VBox):
    """The stopping hint in words, the recall curve, and a button that starts the random
    validation sample; at full text it says that the rule does not apply there."""

    def __init__(self, session: ScreeningSession, **kwargs):
        self.session = session
        self.hint = widgets.HTML()
        self.problem = widgets.HTML()
        self.curve = widgets.Image(format="png", layout=widgets.Layout(max_width="600px"))
        self.sample_button = widgets.Button(
            description="Screen a random sample", icon="random",
            tooltip="Screen a random sample of the records not yet screened, to test the "
                    "recall target exactly (recommended once the stopping rule is met)")
        self.sample_button.on_click(lambda _: self.start_sample())
        self.methods = widgets.HTML()
        self._drawn_at = 0.0
        children = [self.problem, self.hint]
        if session.shows_stopping:
            children += [self.sample_button, self.curve, self.methods]
            session.on_stopping_hint(self._hint_ready)
            session.on_change(lambda _: self._show_problem())
        super().__init__(children=children, **kwargs)
        self.refresh(wait=True)

    def refresh(self, wait: bool = False) -> None:
        """Show the newest hint (waiting for it with `wait`), and redraw the curve."""
        self._show_problem()
        if not self.session.shows_stopping:
            self.hint.value = ("<i>The stopping rule applies to title/abstract screening in the "
                               "AI's order; at this stage every record is screened.</i>")
            return
        self._hint_ready(self.session.stopping_hint(wait=wait), force=True)

    def start_sample(self) -> None:
        try:
            size = self.session.start_validation_sample()
        except ValueError as exc:
            self.hint.value = f"<b>{html.escape(str(exc))}</b>"
            return
        self.sample_button.disabled = True
        self.sample_button.description = f"Random sample of {size:,} started"

    def _show_problem(self) -> None:
        problem = self.session.model_problem
        self.problem.value = "" if problem is None else \
            f'<div style="color:#a00"><b>{html.escape(problem)}</b></div>'

    def _hint_ready(self, text: str | None, force: bool = False) -> None:
        self.hint.value = "" if text is None else f"<div>{html.escape(text)}</div>"
        if force or time.monotonic() - self._drawn_at >= CURVE_EVERY:
            self._drawn_at = time.monotonic()
            estimate, figure = stopping_report(self.session)
            if figure is not None:
                self.curve.value = figure._repr_png_()
                sentence = self.session.methods_sentence()
                self.methods.value = ("<small>For the methods, if screening stopped now: "
                                      f"{html.escape(sentence)}</small>") if sentence else ""
