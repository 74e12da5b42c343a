"""The extraction widgets on a real store: each input type writes its value, refused values
show a message beside the field, repeating groups grow and shrink, record text is escaped, and
the reconciliation view records agreed values with the reconciler's name."""
from __future__ import annotations

import datetime as dt

import pytest
from test_extraction_values import tiny_review

from review.extraction.reconcile import differences
from review.extraction.values import record_values, reviewer_values
from review.widgets.extraction import ExtractionForm, ReconciliationView


@pytest.fixture
def review(tmp_path):
    review = tiny_review(tmp_path)
    yield review
    review.store.dispose()


@pytest.fixture
def form(review):
    return ExtractionForm.for_review(review, "Amara")


def _stored(review, reviewer="Amara"):
    values = reviewer_values(review)
    mine = values[values["reviewer"] == reviewer]
    return {(r.group, r.instance, r.field): (r.value, r.unit) for r in mine.itertuples()}


def test_draws_the_study_its_reports_and_every_section(form):
    """Header, study list, escaped report titles, one input per field, required fields listed."""
    assert "0 / 4 studies complete" in form.header.value and "Amara, extracting" in form.header.value
    assert [("Kim 2018 · not started", "Kim 2018"), ("Kim 2020 · not started", "Kim 2020")] == \
        list(form.study.options)[:2]
    form.go("Rossi 2016b")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in form.reports.value
    assert "<script>" not in form.reports.value
    assert 31 == len(form.inputs)
    assert ["Study characteristics", "Vesicle source and characterisation"] == \
        [s.children[0].value.split(">")[1].split("<")[0] for s in form.sections.children][:2]
    assert ">Strategy *</div>" in form.inputs[("study", 1, "strategy")].label.value
    assert "e.g. every 3 days x 5" == form.inputs[("experiment", 1, "schedule")].widget.tooltip
    assert "Still required" in form.missing.value and "<li>Strategy: required, no value</li>" in form.missing.value
    assert "field &#x27;" not in form.missing.value
    markers = form.inputs[("vesicle", 1, "positive_markers")]
    assert "Ctrl-click" in markers.help.value  # a multi-select list says how to choose several
    assert "at least 0" in form.inputs[("vesicle", 1, "mean_size")].help.value
    assert form.next_button.disabled and not form.previous_button.disabled


def test_each_input_type_writes_its_value(form, review):
    """Text, number with unit, single and multiple choice, yes/no and date reach the store."""
    inputs = form.inputs
    inputs[("study", 1, "cargo")].widget.value = "paclitaxel"
    inputs[("vesicle", 1, "mean_size")].widget.value = "128"
    inputs[("study", 1, "strategy")].widget.value = "drug-loaded"
    inputs[("vesicle", 1, "positive_markers")].widget.value = ("CD81", "CD63")
    inputs[("vesicle", 1, "tem_imaging")].widget.value = "yes"
    inputs[("study", 1, "checked_on")].widget.value = dt.date(2025, 3, 1)
    dose = inputs[("experiment", 1, "dose")]
    dose.unit.value = "particles"  # no value yet: nothing to store
    dose.widget.value = "2e9"
    assert {("study", 1, "cargo"): ("paclitaxel", None), ("vesicle", 1, "mean_size"): (128.0, "nm"),
            ("study", 1, "strategy"): ("drug-loaded", None),
            ("vesicle", 1, "positive_markers"): (["CD63", "CD81"], None),
            ("vesicle", 1, "tem_imaging"): (True, None), ("study", 1, "checked_on"): ("2025-03-01", None),
            ("experiment", 1, "dose"): (2e9, "particles")} == _stored(review)
    assert "Saved Dose (experiment 1) = 2000000000 particles for Kim 2018" in form.status.value
    inputs[("vesicle", 1, "tem_imaging")].widget.value = "not reported"
    inputs[("study", 1, "strategy")].widget.value = ""
    assert ("vesicle", 1, "tem_imaging") not in _stored(review)
    assert ("study", 1, "strategy") not in _stored(review)


def test_a_refused_value_shows_beside_its_field(form, review):
    """The message names the field; nothing is stored until the value is fixed."""
    size = form.inputs[("vesicle", 1, "mean_size")]
    size.widget.value = "big"
    assert "Expected a number, not big." in size.message.value
    assert "Not saved: Mean or modal size: expected a number, not big." in form.status.value
    assert review.store.events("extraction", action="value").empty
    size.widget.value = "-5"  # the protocol gives sizes a minimum of 0
    assert "Expected a number of at least 0, not -5." in size.message.value
    assert review.store.events("extraction", action="value").empty
    dose = form.inputs[("experiment", 1, "dose")]
    dose.widget.value = "-1"
    assert "Not saved: Dose (experiment 1): expected a number of at least 0" in form.status.value
    size.widget.value = "131"
    assert "saved" in size.message.value and (131.0, "nm") == _stored(review)[("vesicle", 1, "mean_size")]
    assert "event" not in form.status.value and "Saved Mean or modal size = 131 nm" in form.status.value


def test_repeating_groups_have_add_and_remove_buttons(form, review):
    """"add experiment" opens a second instance; removing the first moves it up."""
    section = form.sections.children[2]
    add = section.children[-1]
    assert "add experiment" == add.description
    form.inputs[("experiment", 1, "cell_line")].widget.value = "A375"
    add.click()
    assert ("experiment", 2, "cell_line") in form.inputs and "Added experiment 2." == form.status.value
    form.inputs[("experiment", 2, "cell_line")].widget.value = "B16"
    remove_first = form.sections.children[2].children[1].children[0].children[1]
    assert "remove experiment 1" == remove_first.description
    remove_first.click()
    assert {("experiment", 1, "cell_line"): ("B16", None)} == _stored(review)
    assert "B16" == form.inputs[("experiment", 1, "cell_line")].widget.value
    assert ("experiment", 2, "cell_line") not in form.inputs


def test_moving_between_studies_shows_each_studys_values(form, review):
    """Values typed for one study are not shown for the next, and come back on return."""
    form.inputs[("study", 1, "cargo")].widget.value = "doxorubicin"
    form.next_button.click()
    assert "Kim 2020" == form.session.current and "" == form.inputs[("study", 1, "cargo")].widget.value
    form.study.value = "Kim 2018"
    assert "doxorubicin" == form.inputs[("study", 1, "cargo")].widget.value
    assert [("Kim 2018", "study", 1, "cargo", "doxorubicin")] == [
        (r.study_id, r.group, r.instance, r.field, r.value)
        for r in reviewer_values(review).itertuples()]


def _extract_twice(review):
    rows = []
    for reviewer, size, route in (("Amara", "128", "intravenous"), ("Bruno", "182", "intratumoural")):
        rows += [{"reviewer": reviewer, "study_id": "Kim 2018", "field": "mean_size", "value": size},
                 {"reviewer": reviewer, "study_id": "Kim 2018", "field": "route", "group": "experiment",
                  "value": route},
                 {"reviewer": reviewer, "study_id": "Kim 2018", "field": "strategy", "value": "native"}]
    rows.append({"reviewer": "Bruno", "study_id": "Kim 2020", "field": "strategy", "value": "native"})
    rows.append({"reviewer": "Amara", "study_id": "Kim 2020", "field": "strategy", "value": "drug-loaded"})
    record_values(review, rows)


def test_reconciliation_view_takes_a_side_or_a_typed_value(review):
    """Each difference has buttons for both values and a box for another; decisions are
    recorded with the reconciler's name and leave the list."""
    _extract_twice(review)
    view = ReconciliationView(review, "Chen")
    assert "3 differences to reconcile" in view.header.value and "0 decided" in view.header.value
    rows = view.rows.children
    assert 3 == len(rows)
    assert "Kim 2018 · vesicle 1 · Mean or modal size" in rows[0].children[0].value
    assert "Amara: <code>128 nm</code> · Bruno: <code>182 nm</code>" == rows[0].children[1].value
    buttons = rows[0].children[2].children
    assert ["Take Amara's", "Take Bruno's"] == [b.description for b in buttons[:2]]
    buttons[0].click()
    assert "2 differences to reconcile" in view.header.value and "1 decided" in view.header.value
    assert "decided by Chen" in view.status.value
    other, save, message = view.rows.children[0].children[2].children[2:5]
    other.value = "by tail vein"
    save.click()
    assert "found 'by tail vein'" in message.value and "Not saved" in message.value
    other.value = "Intravenous"
    save.click()
    view.study.value = "Kim 2020"
    assert 1 == len(view.rows.children)
    decided = differences(review, include_decided=True)
    assert [("mean_size", "Chen", 128.0), ("route", "Chen", "intravenous"), ("strategy", None, None)] == \
        list(zip(decided["field"], decided["decided_by"], decided["agreed_value"]))


def test_keys_move_between_studies_and_the_pdf_shows_inside_the_form(form, review):
    from test_widgets_screener import _pdf

    first = form.session.current
    form.on_key({"type": "keydown", "key": "n"})
    second = form.session.current
    assert second != first
    form.on_key({"type": "keydown", "key": "b"})
    assert form.session.current == first
    assert form.pdf_button.layout.display == "none"  # no PDF kept for it yet
    record_id = int(form.session.study_reports()["record_id"].iloc[0])
    (review.path / "pdfs").mkdir()
    (review.path / "pdfs" / f"{record_id}.pdf").write_bytes(_pdf("Methods: NK cell exosomes"))
    form.draw()
    assert form.pdf_button.layout.display is None and "PDF kept with the review (p)" in form.reports.value
    form.on_key({"type": "keydown", "key": "p"})
    assert "data:image/png;base64," in form.pdf_viewer.pages.value and "Showing" in form.status.value
    assert form.top.children[0] is form.key_catcher and form.sections in form.body.children


def test_faults_are_said_plainly_beside_the_field_and_on_the_bars(form, review, monkeypatch,
                                                                  caplog):
    """A fault of ours (not a refused value) is a plain line beside the field, never Python's
    message; moving between studies or adding a group says so on the study bar."""
    def broken(*_a, **_k):
        raise TypeError("unsupported operand type(s) <internal>")
    monkeypatch.setattr(form.session, "set_value", broken)
    size = form.inputs[("vesicle", 1, "mean_size")]
    size.widget.value = "131"
    assert "something went wrong in the extraction form" in size.message.value
    assert "internal" not in size.message.value and "TypeError" not in form.status.value
    assert review.store.events("extraction", action="value").empty
    monkeypatch.setattr(form.session, "add_instance", broken)
    assert form.add_instance("experiment") is None
    assert "Not added: something went wrong" in form.status.value
    monkeypatch.setattr(form.session, "next", broken)
    form.move(1)
    assert "Could not open the study: something went wrong" in form.status.value
    assert "internal" not in form.status.value and "internal" in caplog.text


def test_reconciliation_faults_are_said_plainly(review, monkeypatch, caplog):
    import review.widgets.reconciliation as module

    _extract_twice(review)
    view = ReconciliationView(review, "Chen")

    def broken(*_a, **_k):
        raise IndexError("single positional indexer is out-of-bounds")
    monkeypatch.setattr(module, "take_value", broken)
    view.take(0, "a")
    assert "Not saved: something went wrong in the reconciliation view" in view.status.value
    assert "indexer" not in view.status.value and "indexer" in caplog.text
    assert "3 differences to reconcile" in view.header.value


def test_a_pdf_uploaded_in_the_form_is_kept_with_the_first_report_and_shown(form, review):
    import datetime as dt

    from test_widgets_screener import _pdf

    record_id = int(form.session.study_reports()["record_id"].iloc[0])
    assert form.pdf_button.layout.display == "none" and not form.upload.disabled
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    form.upload.value = ({"name": "kim.pdf", "type": "application/pdf", "size": 1,
                          "content": memoryview(_pdf("NK cell exosomes in mice")),
                          "last_modified": stamp},)
    assert (review.path / "pdfs" / f"{record_id}.pdf").read_bytes().startswith(b"%PDF-")
    assert f"Attached {record_id}.pdf to {form.session.current}" in form.status.value
    assert form.pdf_button.layout.display is None and form.upload.value == ()
    assert "s in mice" in form.pdf_viewer.text.value and "<mark" in form.pdf_viewer.text.value
    assert "PDF kept with the review (p)" in form.reports.value
    form.upload.value = ({"name": "notes.txt", "type": "text/plain", "size": 1,
                          "content": memoryview(b"hello"), "last_modified": stamp},)
    assert "Not attached: this file is not a PDF" in form.status.value
    assert form.upload in form.top.children[2].children


def test_reconciliation_keys_act_on_the_difference_in_hand_named_in_the_bar_on_top(review):
    """The shared keyboard base: a/b take a side of the difference in hand, s passes to the
    next, n to the next study; the bar (keys cue, count, study, difference in hand, message)
    stays on top and the list scrolls beneath."""
    from review.widgets.keys import SCROLL_CLASS

    _extract_twice(review)
    view = ReconciliationView(review, "Chen")
    assert view.children[0] is view.decision_bar and view.decision_bar.children[0] is view.key_catcher
    assert SCROLL_CLASS in view.list_area._dom_classes and view.rows in view.list_area.children
    assert set(view.key_catcher.shortcuts) == {"a", "b", "s", "n"}
    assert "1 / 3: Kim 2018 · vesicle 1 · Mean or modal size" in view.current.value
    assert view.take_a_button.description == "Take Amara's (a)"
    assert view.rows.children[0].layout.border.startswith("2px")  # outlined in the list
    view.on_key({"type": "keydown", "key": "s"})
    assert "2 / 3: Kim 2018 · experiment 1" in view.current.value
    assert view.rows.children[1].layout.border.startswith("2px")
    view.on_key({"type": "keydown", "key": "b"})  # Bruno's route
    assert "2 differences to reconcile" in view.header.value
    assert "intratumoural (Bruno&#x27;s), decided by Chen" in view.status.value
    view.on_key({"type": "keydown", "key": "i", "target": {"tagName": "INPUT"}})  # typing: text
    view.on_key({"type": "keydown", "key": "n"})
    assert view.study.value == "Kim 2018" and len(view.rows.children) == 1
    view.on_key({"type": "keydown", "key": "n"})
    assert view.study.value == "Kim 2020"
    view.on_key({"type": "keydown", "key": "a"})  # the study is done: back to all studies
    assert "1 difference to reconcile" in view.header.value and view.study.value == ""
    assert "1 / 1: Kim 2018 · vesicle 1" in view.current.value
    view.on_key({"type": "keydown", "key": "a"})
    assert "0 differences" in view.header.value and "Nothing left" in view.current.value
    assert view.take_a_button.disabled
    decided = differences(review, include_decided=True)
    assert [("mean_size", "Chen", 128.0), ("route", "Chen", "intratumoural"),
            ("strategy", "Chen", "native")] == [
        (f, who, v) for f, who, v in zip(decided["field"], decided["decided_by"],
                                         decided["agreed_value"]) if who is not None]
