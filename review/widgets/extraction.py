"""JupyterLab views for data extraction: a form per study, and reconciliation of two extractors.

All state lives in `review.extraction.session.ExtractionSession` and `review.extraction.reconcile`;
these views draw it and forward edits, each committed to the event log as soon as it is made.
Record text and reviewers' values are data: everything reaches the page HTML-escaped.

Numbers are typed into text boxes, not FloatText: a FloatText cannot be empty, and "not
reported" must never be stored as 0.
"""
from __future__ import annotations

import datetime as dt
import html

import ipywidgets as widgets

from ..errors import ReviewError
from ..extraction.form import NOT_REPORTED, ExtractionValueError, FormField, display_value
from ..extraction.session import ExtractionSession
from ..screening.fulltext import attach_pdf, full_text
from ._said import failure_html
from ._values import shown as _text
from .keys import SCROLL_CLASS, KeyboardView
from .pdfview import PdfViewer

__all__ = ["ExtractionForm", "FieldInput", "ReconciliationView"]

_ERROR = '<span style="color:#b00020">{}</span>'
_HELP = '<span style="color:#666;font-size:90%">{}</span>'
_LABEL = ("<div style='width:15em;padding-right:.5em;white-space:normal;line-height:1.3;"
          "text-align:right'>{}</div>")
_SAVED = '<span style="color:#2e7d32">✓ saved</span>'
#: Keys of the extraction form (and the reconciliation view's neighbours).
KEYS = {"n": "next", "b": "previous", "p": "open_pdf"}
_WIDE = widgets.Layout(width="34em", max_width="100%")
_AUTO = widgets.Layout(width="auto", flex="0 0 auto")
_EMPTY = "—"




class FieldInput:
    """The widget(s) of one field of one instance: input, unit choice, help and message."""

    def __init__(self, spec: FormField):
        self.spec = spec
        label = spec.label + (" *" if spec.required else "")
        # The label is an HTML line of its own that wraps, never a description cut to "Singl…"
        self.label = widgets.HTML(_LABEL.format(html.escape(label)))
        common = {"tooltip": spec.help or spec.label}
        self.unit = None
        if spec.type in ("number", "integer"):
            self.widget = widgets.Text(placeholder="whole number" if spec.type == "integer" else "number",
                                       continuous_update=False, layout=widgets.Layout(width="28em"),
                                       **common)
            if spec.units:
                self.unit = widgets.Dropdown(options=list(spec.units), value=spec.default_unit or spec.units[0],
                                             layout=widgets.Layout(width="10em"))
        elif spec.type == "single_choice":
            self.widget = widgets.Dropdown(options=[(_EMPTY, "")] + [(a, a) for a in spec.allowed],
                                           value="", layout=_WIDE, **common)
        elif spec.type == "multiple_choice":
            self.widget = widgets.SelectMultiple(options=list(spec.allowed), value=(),
                                                 rows=min(len(spec.allowed), 7), layout=_WIDE, **common)
        elif spec.type == "yes_no":
            self.widget = widgets.ToggleButtons(options=["yes", "no", NOT_REPORTED], value=NOT_REPORTED,
                                                **common)
        elif spec.type == "date":
            self.widget = widgets.DatePicker(value=None, **common)
        else:
            self.widget = widgets.Text(placeholder=spec.help or "", continuous_update=False,
                                       layout=_WIDE, **common)
        self.widget.add_class(f"review-field-{spec.name}")
        hints = [spec.help] if spec.help else []
        if spec.type == "multiple_choice":
            hints.append("Ctrl-click (⌘-click on a Mac) chooses several; Shift-click a range")
        low, high = spec.minimum, spec.maximum
        if low is not None or high is not None:
            hints.append(f"{low:g} to {high:g}" if low is not None and high is not None
                         else f"at least {low:g}" if low is not None else f"at most {high:g}")
        self.help = widgets.HTML(_HELP.format(html.escape("; ".join(hints))) if hints else "")
        self.message = widgets.HTML()
        parts = [self.label, self.widget] + ([self.unit] if self.unit is not None else []) \
            + [widgets.VBox([self.message, self.help])]
        self.box = widgets.HBox(parts, layout=widgets.Layout(align_items="center"))

    def get(self) -> tuple[object, object]:
        """What is entered: (raw value, unit) for `ExtractionSession.set_value`."""
        value = self.widget.value
        if self.spec.type == "single_choice" and value == "":
            value = None
        return value, (self.unit.value if self.unit is not None else None)

    def show(self, value, unit) -> None:
        """Show a stored value (None: empty)."""
        kind = self.spec.type
        if kind in ("number", "integer", "text"):
            self.widget.value = _text(value)
        elif kind == "single_choice":
            self.widget.value = value if value in self.spec.allowed else ""
        elif kind == "multiple_choice":
            self.widget.value = tuple(v for v in (value or []) if v in self.spec.allowed)
        elif kind == "yes_no":
            self.widget.value = "yes" if value is True else "no" if value is False else NOT_REPORTED
        elif kind == "date":
            self.widget.value = dt.date.fromisoformat(value) if value else None
        if self.unit is not None and unit in self.spec.units:
            self.unit.value = unit
        self.message.value = ""

    def observe(self, callback) -> None:
        self.widget.observe(lambda _change: callback(), names="value")
        if self.unit is not None:
            self.unit.observe(lambda _change: callback(), names="value")


def _field_words(form, text: str) -> str:
    """`text` with the form's code names ("field 'mean_size' (Mean or modal size)") replaced
    by the labels the form shows ("Mean or modal size")."""
    for group in form.groups:
        for spec in group.fields:
            text = text.replace(spec.describe(), spec.label)
        text = text.replace(group.describe(), group.label)
    return text


class ExtractionForm(KeyboardView):
    """Extract one study at a time with an `ExtractionSession`: the protocol's groups as
    sections, repeating groups with add/remove buttons, a message beside any value refused.

    The study bar (progress, study list, what was saved) stays on top; the form scrolls beneath.
    Keys (after a click on the form, outside its inputs): n next study, b previous, p the PDF.
    """

    keymap = KEYS

    def __init__(self, session: ExtractionSession):
        super().__init__()
        self.session = session
        self.inputs: dict[tuple[str, int, str], FieldInput] = {}
        self._drawing = False
        self.header = widgets.HTML()
        self.study = widgets.Dropdown(description="Study", layout=widgets.Layout(width="36em"))
        self.previous_button = widgets.Button(description="Previous study (b)", icon="arrow-left", layout=_AUTO)
        self.next_button = widgets.Button(description="Next study (n)", icon="arrow-right", layout=_AUTO)
        self.previous_button.on_click(lambda _b: self.move(-1))
        self.next_button.on_click(lambda _b: self.move(1))
        self.study.observe(self._on_study, names="value")
        self.reports = widgets.HTML()
        self.pdf_button = widgets.Button(description="Open PDF (p)", icon="file-pdf-o",
                                         layout=widgets.Layout(width="auto", flex="0 0 auto"))
        self.pdf_button.on_click(lambda _b: self.act("open_pdf"))
        self.upload = widgets.FileUpload(accept=".pdf,application/pdf", multiple=False,
                                         description="Attach PDF", layout=_AUTO,
                                         tooltip="Keep a PDF of this study's first report with the review")
        self.upload.observe(self._uploaded, names="value")
        self.pdf_viewer = PdfViewer(session.review.protocol.keywords.include,
                                    session.review.protocol.keywords.exclude)
        self.sections = widgets.VBox()
        self.missing = widgets.HTML()
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.8em"))
        self.setup_keys("n next study · b previous study · p PDF")
        self.top = widgets.VBox([
            self.key_catcher, self.header,
            widgets.HBox([self.previous_button, self.study, self.next_button, self.pdf_button,
                          self.upload],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.status])
        self.top.add_class("review-decision-bar")
        self.body = widgets.VBox([self.reports, self.pdf_viewer, self.sections, self.missing],
                                 layout=widgets.Layout(max_height="62vh", overflow="auto",
                                                       border="1px solid #e0e0e0", padding="0 8px"))
        self.body.add_class(SCROLL_CLASS)

        self.children = [self.top, self.body]
        self.add_class("review-extraction")
        self.draw()

    @classmethod
    def for_review(cls, review, reviewer: str, **options) -> ExtractionForm:
        """A form over a new `ExtractionSession(review, reviewer, **options)`."""
        return cls(ExtractionSession(review, reviewer, **options))

    # -- navigation -----------------------------------------------------------------------------
    def _on_study(self, change) -> None:
        if self._drawing or not change["new"]:
            return
        self.go(change["new"])

    def act(self, action: str) -> None:
        """A key's action: "next", "previous" or "open_pdf"."""
        if action == "next" and not self.next_button.disabled:
            self.move(1)
        elif action == "previous" and not self.previous_button.disabled:
            self.move(-1)
        elif action == "open_pdf":
            self.status.value = html.escape(self.open_pdf())

    def _pdf_path(self):
        for report in self.session.study_reports().to_dict("records"):
            record_id = report.get("record_id")
            if record_id is None or _text(record_id) == "":
                continue
            found = full_text(self.session.review, int(record_id), self._identifiers(int(record_id)))
            if found.pdf is not None:
                return found.pdf
        return None

    def open_pdf(self) -> str:
        """Show the PDF of the study's first report that has one, inside the form."""
        path = self._pdf_path() if self.session.current else None
        if path is None:
            return "No PDF kept with the review for this study's reports."
        try:
            return self.pdf_viewer.show(path)
        except ValueError as exc:
            return str(exc)

    def _report_ids(self) -> list[int]:
        """The work ids of the study's reports, in the order they are listed."""
        ids = []
        for report in self.session.study_reports().to_dict("records"):
            record_id = report.get("record_id")
            if record_id is not None and _text(record_id) != "":
                ids.append(int(record_id))
        return ids

    def _uploaded(self, change) -> None:
        """Keep the uploaded PDF as the study's first report's (`pdfs/<work id>.pdf`), as the
        screener does, and show it inside the form."""
        files = change["new"]
        if not files:
            return
        try:
            reports = self._report_ids() if self.session.current else []
            if not reports:
                self.status.value = _ERROR.format(
                    "Not attached: this study has no report to keep a PDF for.")
                return
            path = attach_pdf(self.session.review, reports[0], bytes(files[0]["content"]))
            shown = self.pdf_viewer.show(path)
        except ValueError as exc:  # not a PDF: said in attach_pdf's words
            self.status.value = _ERROR.format(f"Not attached: {html.escape(str(exc))}.")
            return
        except Exception as exc:  # noqa: BLE001 - a fault of ours: said plainly, logged in full
            self.status.value = failure_html(exc, "the extraction form", lead="Not attached",
                                             after="")
            return
        finally:
            self.upload.value = ()
        self.pdf_button.layout.display = None
        self.reports.value = self._reports_html()
        self.status.value = html.escape(f"Attached {path.name} to {self.session.current} "
                                        f"(record {reports[0]}). {shown}")

    def move(self, step: int) -> None:
        """Go to the previous (-1) or next (+1) study."""
        self.go(None, step)

    def go(self, study_id: str | None, step: int = 0) -> None:
        """Go to a study (or `step` studies on); a failure is said on the study bar."""
        try:
            if study_id is None:
                (self.session.next if step > 0 else self.session.previous)()
            else:
                self.session.go(study_id)
        except Exception as exc:  # noqa: BLE001 - said on the study bar, never raised
            self.status.value = self._failed(exc, "Could not open the study", after="")
            return
        self.draw()

    def _failed(self, exc: BaseException, lead: str, after: str = "Nothing was lost; try again.") -> str:
        """A failure in the project's words (field labels, not keys), or a plain line."""
        if isinstance(exc, ReviewError):
            said = _field_words(self.session.form, str(exc)).rstrip(".")
            return _ERROR.format(html.escape(" ".join(x for x in (f"{lead}: {said}.", after) if x)))
        return failure_html(exc, "the extraction form", lead=lead, after=after)

    # -- editing --------------------------------------------------------------------------------
    def save(self, group: str, instance: int, field: str) -> None:
        """Commit what one input holds; a refused value is shown beside the field, not stored."""
        if self._drawing:
            return
        entry = self.inputs[(group, instance, field)]
        raw, unit = entry.get()
        where = f" ({self.session.form.group(group).noun} {instance})" \
            if self.session.form.group(group).repeating else ""
        try:
            event_id = self.session.set_value(field, raw, unit, instance=instance)
        except ExtractionValueError as exc:
            found = "" if exc.found in (None, "") else f", not {display_value(exc.found, None)}"
            said = f"Expected {exc.expected}{found}."
            entry.message.value = _ERROR.format(html.escape(said))
            self.status.value = _ERROR.format(html.escape(
                f"Not saved: {entry.spec.label}{where}: {said[0].lower()}{said[1:]}"))
            return
        except ReviewError as exc:
            said = _field_words(self.session.form, str(exc))
            entry.message.value = _ERROR.format(html.escape(said))
            self.status.value = _ERROR.format(f"Not saved: {html.escape(said)}")
            return
        except Exception as exc:  # noqa: BLE001 - a fault of ours: said plainly, logged in full
            entry.message.value = self.status.value = failure_html(exc, "the extraction form")
            return
        value, unit = self.session.value(field, instance)
        if event_id is not None:
            for other in self.inputs.values():
                if other is not entry and other.message.value == _SAVED:
                    other.message.value = ""
            entry.message.value = _SAVED
            shown = display_value(value, unit) or "no value"
            self.status.value = html.escape(f"Saved {entry.spec.label}{where} = {shown} "
                                            f"for {self.session.current}.")
        else:
            entry.message.value = ""
        self._draw_progress()

    def add_instance(self, group: str) -> int | None:
        try:
            number = self.session.add_instance(group)
        except Exception as exc:  # noqa: BLE001 - said on the study bar, never raised
            self.status.value = self._failed(exc, "Not added")
            return None
        self.draw()
        self.status.value = html.escape(f"Added {self.session.form.group(group).noun} {number}.")
        return number

    def remove_instance(self, group: str, instance: int) -> None:
        try:
            written = self.session.remove_instance(group, instance)
        except Exception as exc:  # noqa: BLE001 - said on the study bar, never raised
            self.status.value = self._failed(exc, "Not removed")
            return
        self.draw()
        self.status.value = html.escape(f"Removed {self.session.form.group(group).noun} {instance} "
                                        f"({written} values written).")

    # -- drawing --------------------------------------------------------------------------------
    def draw(self) -> None:
        """Redraw the study list, the study's reports and every section with stored values."""
        session = self.session
        self._drawing = True
        try:
            labels = []
            for p in session.progress:
                state = "complete" if p.complete else (f"{len(p.missing)} missing" if p.started
                                                        else "not started")
                labels.append((f"{p.study_id} · {state}", p.study_id))
            self.study.options = labels
            self.study.value = session.current
            self.reports.value = self._reports_html()
            self.inputs = {}
            self.sections.children = [self._section(g) for g in session.form.groups] \
                if session.current else []
        finally:
            self._drawing = False
        self.previous_button.disabled = not session.study_ids or session.current == session.study_ids[0]
        self.next_button.disabled = not session.study_ids or session.current == session.study_ids[-1]
        self.pdf_viewer.clear()
        self.pdf_button.layout.display = None if session.current and self._pdf_path() else "none"
        self.upload.disabled = not session.current
        self._draw_progress()

    def _draw_progress(self) -> None:
        session = self.session
        summary = session.summary()
        self.header.value = (f"<h3 style='margin:4px 0'>{summary['complete']} / {summary['studies']} "
                             f"studies complete</h3><span>{html.escape(session.reviewer)}, extracting "
                             f"({summary['started']} started)</span>")
        if session.current is None:
            self.missing.value = "<p><b>No included studies to extract yet.</b></p>"
            return
        outsider = session.outsider()
        if outsider:
            self.missing.value = _ERROR.format(html.escape(outsider))
            return
        missing = session.missing()
        self.missing.value = ("<p style='color:#2e7d32'>All required fields are filled.</p>" if not missing
                              else "<p><b>Still required:</b></p><ul>" + "".join(
                                  f"<li>{html.escape(_field_words(session.form, m))}</li>"
                                  for m in missing) + "</ul>")

    def _reports_html(self) -> str:
        reports = self.session.study_reports()
        if reports.empty:
            return ""
        rows = "".join(
            f"<li>{html.escape(_text(r.get('first_author')))} {html.escape(_text(r.get('year')))}: "
            f"<i>{html.escape(_text(r.get('title')))}</i> (record {html.escape(_text(r.get('record_id')))})"
            f"{self._report_links(r)}</li>"
            for r in reports.to_dict("records"))
        many = "reports" if len(reports) > 1 else "report"
        return f"<div><b>{len(reports)} {many}</b><ul style='margin:2px 0'>{rows}</ul></div>"

    def _identifiers(self, work_id: int) -> dict:
        """The DOI, PMCID and URL of a report (the first of its work's records that has each)."""
        records = self.session.review.store.records(with_raw=False, works=[work_id])
        found = {}
        for name in ("doi", "pmcid", "url"):
            if name in records.columns:
                values = [v for v in records[name] if _text(v)]
                if values:
                    found[name] = values[0]
        return found

    def _report_links(self, report) -> str:
        """The report's full-text links, DOI first (opened by the reviewer's own browser)."""
        record_id = report.get("record_id")
        if record_id is None or _text(record_id) == "":
            return ""
        found = full_text(self.session.review, int(record_id), self._identifiers(int(record_id)))
        links = " · ".join(f"<a href='{html.escape(url, quote=True)}' target='_blank' "
                           f"rel='noopener noreferrer'>{html.escape(label)}</a>"
                           for label, url in found.links)
        pdf = " · PDF kept with the review (p)" if found.pdf is not None else ""
        return f" — {links}{pdf}" if links or pdf else ""

    def _inputs(self, group, instance: int) -> list[widgets.Widget]:
        boxes = []
        for spec in group.fields:
            entry = FieldInput(spec)
            entry.show(*self.session.value(spec.name, instance))
            entry.observe(lambda g=group.name, i=instance, f=spec.name: self.save(g, i, f))
            self.inputs[(group.name, instance, spec.name)] = entry
            boxes.append(entry.box)
        return boxes

    def _section(self, group) -> widgets.Widget:
        title = widgets.HTML(f"<h4 style='margin:10px 0 4px'>{html.escape(group.label)}</h4>")
        if not group.repeating:
            return widgets.VBox([title, *self._inputs(group, 1)])
        parts: list[widgets.Widget] = [title]
        for instance in self.session.instances(group.name):
            remove = widgets.Button(description=f"remove {group.noun} {instance}", icon="trash",
                                    button_style="warning", layout=_AUTO)
            remove.on_click(lambda _b, g=group.name, i=instance: self.remove_instance(g, i))
            head = widgets.HBox([widgets.HTML(f"<b>{html.escape(group.noun.capitalize())} {instance}</b>"),
                                 remove])
            box = widgets.VBox([head, *self._inputs(group, instance)],
                               layout=widgets.Layout(border="1px solid #ddd", padding="4px", margin="4px 0"))
            parts.append(box)
        add = widgets.Button(description=f"add {group.noun}", icon="plus", layout=_AUTO)
        add.on_click(lambda _b, g=group.name: self.add_instance(g))
        parts.append(add)
        return widgets.VBox(parts)


from .reconciliation import ReconciliationView  # noqa: E402 - its own module, named here too
