"""A JupyterLab view for reconciling two extractors' values, on the widgets' shared keyboard base.

All state lives in `review.extraction.reconcile`; the view draws the differences still open and
records each decision (with the reconciler's name) as soon as it is made. The decision bar (the
keys cue, the count, the study list, the difference in hand with its two "take" buttons and the
message line) stays on top; the list of differences scrolls beneath it. Values are data: every
value reaches the page HTML-escaped.

Keys (after a click on the view, outside its inputs): a takes the first extractor's value of
the difference in hand, b the second's, s passes to the next difference, n to the next study.
"""
from __future__ import annotations

import html

import ipywidgets as widgets

from ..errors import ReviewError
from ..extraction.reconcile import differences, reconcile, take_value
from ._said import failure_html
from .keys import SCROLL_CLASS, KeyboardView

__all__ = ["ReconciliationView", "KEYS"]

#: Keys of the reconciliation view: key -> action.
KEYS = {"a": "take_a", "b": "take_b", "s": "skip", "n": "next_study"}
_AUTO = widgets.Layout(width="auto", flex="0 0 auto")
_ROW = "1px solid #ddd"
_IN_HAND = "2px solid #1976d2"


class ReconciliationView(KeyboardView):
    """Every field where two extractors differ, with buttons to take A's or B's value or type
    another; each decision is recorded with the reconciler's name."""

    keymap = KEYS

    def __init__(self, review, reviewer: str, *, reviewer_a: str | None = None,
                 reviewer_b: str | None = None):
        super().__init__()
        if not reviewer or not str(reviewer).strip():
            raise ReviewError("reconciling needs the reconciler's name")
        self.review, self.reviewer = review, str(reviewer).strip()
        self.pair = (reviewer_a, reviewer_b)
        self._drawing = False
        self.open = None
        self.shown: list[int] = []  # indexes (in self.open) of the differences listed
        self.in_hand = 0  # position in self.shown of the difference the keys act on
        self.header = widgets.HTML()
        self.study = widgets.Dropdown(description="Study", layout=widgets.Layout(width="30em"))
        self.study.observe(self._on_study, names="value")
        self.next_study_button = widgets.Button(description="Next study (n)", icon="arrow-right",
                                                layout=_AUTO)
        self.next_study_button.on_click(lambda _b: self.act("next_study"))
        self.current = widgets.HTML()
        self.take_a_button = widgets.Button(description="Take A's (a)", button_style="success",
                                            layout=_AUTO)
        self.take_b_button = widgets.Button(description="Take B's (b)", button_style="success",
                                            layout=_AUTO)
        self.skip_button = widgets.Button(description="Next difference (s)", layout=_AUTO)
        self.take_a_button.on_click(lambda _b: self.act("take_a"))
        self.take_b_button.on_click(lambda _b: self.act("take_b"))
        self.skip_button.on_click(lambda _b: self.act("skip"))
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.8em"))
        self.setup_keys("a take the first value · b take the second · s next difference · "
                        "n next study")
        self.decision_bar = widgets.VBox([
            self.key_catcher, self.header,
            widgets.HBox([self.study, self.next_study_button],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            self.current,
            widgets.HBox([self.take_a_button, self.take_b_button, self.skip_button],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            self.status])
        self.decision_bar.add_class("review-decision-bar")
        self.rows = widgets.VBox()
        self.list_area = widgets.VBox([self.rows], layout=widgets.Layout(
            max_height="62vh", overflow="auto", border="1px solid #e0e0e0", padding="0 8px"))
        self.list_area.add_class(SCROLL_CLASS)
        self.children = [self.decision_bar, self.list_area]
        self.add_class("review-reconciliation")
        self.refresh()

    # -- input ----------------------------------------------------------------------------------
    def act(self, action: str) -> None:
        """A key's or a bar button's action on the difference in hand."""
        if action == "next_study":
            studies = [value for _label, value in self.study.options if value]
            if studies:
                at = studies.index(self.study.value) if self.study.value in studies else -1
                self.study.value = studies[(at + 1) % len(studies)]
            return
        if not self.shown:
            return
        if action == "skip":
            self.in_hand = (self.in_hand + 1) % len(self.shown)
            self._draw_in_hand()
        elif action in ("take_a", "take_b"):
            self.take(self.shown[self.in_hand], action[-1])

    def _on_study(self, _change) -> None:
        if not self._drawing:
            self.in_hand = 0
            self.refresh()

    def take(self, index: int, side: str) -> None:
        """Record reviewer A's (`"a"`) or B's (`"b"`) value as the agreed one."""
        d = self.open.loc[index]
        try:
            take_value(self.review, d, side, reviewer=self.reviewer)
        except Exception as exc:  # noqa: BLE001 - the project's words, or a plain line (logged)
            self.status.value = failure_html(exc, "the reconciliation view")
            return
        self.refresh()
        self.status.value = html.escape(
            f"Agreed {d['label']} for {d['study_id']}: {d['shown_' + side] or 'no value'} "
            f"({d['reviewer_' + side]}'s), decided by {self.reviewer}.")

    def decide(self, index: int, value, unit=None, message: widgets.HTML | None = None) -> None:
        """Record a typed value as the agreed one; a refused value is shown beside it."""
        d = self.open.loc[index]
        try:
            reconcile(self.review, study_id=d["study_id"], group=d["group"],
                      instance=int(d["instance"]), field=d["field"], value=value, unit=unit,
                      reviewer=self.reviewer)
        except Exception as exc:  # noqa: BLE001 - the project's words, or a plain line (logged)
            said = failure_html(exc, "the reconciliation view")
            if message is not None:
                message.value = said
            self.status.value = said
            return
        self.refresh()
        self.status.value = html.escape(f"Agreed {d['label']} for {d['study_id']}: "
                                        f"{value if value not in (None, '') else 'no value'}, "
                                        f"decided by {self.reviewer}.")

    # -- drawing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the differences still open and redraw them."""
        every = differences(self.review, *self.pair, include_decided=True)
        decided = int(every["decided_by"].notna().sum()) if not every.empty else 0
        self.open = (every[every["decided_by"].isna()].reset_index(drop=True)
                     if not every.empty else every)
        studies = sorted(set(self.open["study_id"]), key=str.casefold) if not every.empty else []
        self._drawing = True
        try:
            keep = self.study.value if self.study.value in studies else ""
            self.study.options = [("all studies", "")] + [(s, s) for s in studies]
            self.study.value = keep
        finally:
            self._drawing = False
        many = "difference" if len(self.open) == 1 else "differences"
        self.header.value = (f"<h3 style='margin:4px 0'>{len(self.open)} {many} to reconcile"
                             f"</h3><span>{decided} decided · {html.escape(self.reviewer)} "
                             "reconciling</span>")
        shown = self.open if not self.study.value or self.open.empty \
            else self.open[self.open["study_id"] == self.study.value]
        self.shown = list(shown.index)
        self.rows.children = [self._row(i, d) for i, d in shown.iterrows()]
        self.next_study_button.disabled = not studies
        self.in_hand = min(self.in_hand, max(len(self.shown) - 1, 0))
        self._draw_in_hand()

    def _draw_in_hand(self) -> None:
        """The difference the keys act on: named in the bar, outlined in the list."""
        for position, row in enumerate(self.rows.children):
            row.layout.border = _IN_HAND if position == self.in_hand else _ROW
        if not self.shown:
            self.current.value = "<p><b>Nothing left to reconcile here.</b></p>"
            for button in (self.take_a_button, self.take_b_button, self.skip_button):
                button.disabled = True
            return
        d = self.open.loc[self.shown[self.in_hand]]
        where = f"{d['study_id']} · {d['group']} {d['instance']} · {d['label']}"
        self.current.value = (
            f"<div class='review-line' style='white-space:normal'>"
            f"<b>{self.in_hand + 1} / {len(self.shown)}: {html.escape(where)}</b> — "
            f"{html.escape(d['reviewer_a'])}: <code>{html.escape(d['shown_a'] or 'no value')}"
            f"</code> · {html.escape(d['reviewer_b'])}: "
            f"<code>{html.escape(d['shown_b'] or 'no value')}</code></div>")
        self.take_a_button.description = f"Take {d['reviewer_a']}'s (a)"
        self.take_b_button.description = f"Take {d['reviewer_b']}'s (b)"
        self.take_a_button.disabled = self.take_b_button.disabled = False
        self.skip_button.disabled = len(self.shown) < 2

    def _row(self, index: int, d) -> widgets.Widget:
        spec = self._spec(d["field"])
        where = f"{d['study_id']} · {d['group']} {d['instance']} · {d['label']}"
        title = widgets.HTML(f"<b>{html.escape(where)}</b> <span style='color:#666'>"
                             f"({html.escape(d['issue'])})</span>")
        take_a = widgets.Button(description=f"Take {d['reviewer_a']}'s", layout=_AUTO,
                                tooltip=d["shown_a"] or "no value")
        take_b = widgets.Button(description=f"Take {d['reviewer_b']}'s", layout=_AUTO,
                                tooltip=d["shown_b"] or "no value")
        take_a.on_click(lambda _b: self.take(index, "a"))
        take_b.on_click(lambda _b: self.take(index, "b"))
        values = widgets.HTML(
            f"{html.escape(d['reviewer_a'])}: <code>{html.escape(d['shown_a'] or 'no value')}</code> · "
            f"{html.escape(d['reviewer_b'])}: <code>{html.escape(d['shown_b'] or 'no value')}</code>")
        other = widgets.Text(placeholder="or type the agreed value",
                             layout=widgets.Layout(width="20em"))
        unit = widgets.Dropdown(options=list(spec.units), layout=widgets.Layout(width="9em")) \
            if spec is not None and spec.units else None
        save = widgets.Button(description="Save typed value", layout=_AUTO)
        message = widgets.HTML()
        save.on_click(lambda _b: self.decide(index, other.value, unit.value if unit else None,
                                             message))
        controls = [take_a, take_b, other] + ([unit] if unit else []) + [save, message]
        return widgets.VBox([title, values, widgets.HBox(controls)],
                            layout=widgets.Layout(border=_ROW, padding="4px", margin="4px 0"))

    def _spec(self, field: str):
        from ..extraction.form import form_for
        try:
            return form_for(self.review).field(field)
        except ReviewError:
            return None
