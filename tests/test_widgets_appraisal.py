"""The appraisal widget without a kernel: answer buttons suggest a judgement, Save commits it to
a real store with its support, the overall is computed, navigation warns about unsaved entries,
and text from reviewers and studies is escaped."""
from __future__ import annotations

import pytest

from review.appraisal import AppraisalSession, record_judgement
from review.extraction.studies import resolve_study
from review.widgets.appraisal import Appraiser
from studies import review_with_studies

AMARA, BRUNO, CHEN = "Amara Okafor", "Bruno Lindqvist", "Chen Wei"
STUDIES = ["Rossi 2016", "Kim 2018"]
#: An included study whose label is hostile HTML (labels are data too).
HOSTILE = "<img src=x onerror=alert(1)> 2020"


@pytest.fixture
def review(tmp_path):
    review = review_with_studies(tmp_path / "r", [*STUDIES, HOSTILE])
    yield review
    review.store.dispose()


def _payloads(review) -> list[dict]:
    return list(review.store.events("risk_of_bias")["payload"])


def test_shows_the_study_its_domains_and_progress(review):
    """Header, navigation, one panel per domain with its questions, nothing judged yet."""
    view = Appraiser(AppraisalSession(review, AMARA, "RoB2", STUDIES))
    assert "0 / 2 studies complete · 0 / 10 domain judgements" in view.header.value
    assert "Amara Okafor, appraising with Revised Cochrane risk-of-bias tool" in view.header.value
    assert (["Rossi 2016", "Kim 2018"], "Rossi 2016") == (list(view.study.options), view.study.value)
    assert (True, False) == (view.previous_button.disabled, view.next_button.disabled)
    assert ["D1", "D2", "D3", "D4", "D5"] == list(view.panels)
    assert "D1 · Bias arising from the randomisation process — not judged" == view.accordion.get_title(0)
    panel = view.panels["D1"]
    assert ["1.1", "1.2", "1.3"] == list(panel.questions)
    assert ("Y", "PY", "PN", "N", "NI") == tuple(v for _l, v in panel.questions["1.1"].options)
    assert (None, None, "") == (panel.questions["1.1"].value, panel.judgement.value, panel.support.value)
    assert "Answer the signalling questions for a suggested judgement." in panel.suggestion.value
    assert "waiting for D1, D2, D3, D4, D5" in view.overall.value


def test_answers_preselect_the_suggestion_and_save_commits_it(review):
    """Clicking answers suggests a judgement; Save stores it with answers and support."""
    view = Appraiser(AppraisalSession(review, AMARA, "RoB2", STUDIES))
    panel = view.panels["D1"]
    panel.questions["1.1"].value = "Y"
    panel.questions["1.2"].value = "PY"
    assert None is panel.judgement.value
    panel.questions["1.3"].value = "N"
    assert "Suggested from the answers: <b>Low risk</b>" == panel.suggestion.value
    assert "low" == panel.judgement.value
    panel.questions["1.3"].value = "Y"  # the suggestion moves while the reviewer has not chosen
    assert "some_concerns" == panel.judgement.value
    panel.judgement.value = "high"  # the reviewer's own pick stays
    panel.questions["1.3"].value = "N"
    assert "high" == panel.judgement.value
    panel.support.value = "Sealed envelopes, but opened by the enrolling surgeon."
    panel.save_button.click()
    assert [{"judgement": "high",
             "support": "Sealed envelopes, but opened by the enrolling surgeon.",
             "answers": {"1.1": "Y", "1.2": "PY", "1.3": "N"}}] == _payloads(review)
    log = review.store.events("risk_of_bias")
    assert [(resolve_study(review, "Rossi 2016"), "RoB2", "D1", "assessor")] == list(zip(
        log["study_id"].astype(int), log["tool"], log["domain"], log["role"]))
    assert "Saved: D1 High risk for Rossi 2016." == view.status.value
    assert "Saved: High risk" in view.panels["D1"].message.value  # beside its Save button
    assert "D1 · Bias arising from the randomisation process — High risk" == view.accordion.get_title(0)
    assert "0 / 2 studies complete · 1 / 10 domain judgements" in view.header.value


def test_save_without_support_or_judgement_says_why_and_stores_nothing(review):
    """Errors go to the status line; the store is untouched."""
    view = Appraiser(AppraisalSession(review, AMARA, "SYRCLE", STUDIES))
    view.panels["D3"].save_button.click()
    assert "Not saved: choose a judgement first." in view.panels["D3"].message.value
    view.panels["D3"].judgement.value = "unclear"
    view.panels["D3"].save_button.click()
    assert "Not saved: write the support for the judgement" in view.panels["D3"].message.value
    assert "Error" not in view.panels["D3"].message.value
    assert [] == _payloads(review)


def test_conditional_questions_are_disabled_until_they_apply(review):
    """RoB 2's follow-up questions stay disabled while earlier answers make them moot."""
    view = Appraiser(AppraisalSession(review, AMARA, "RoB2", STUDIES))
    panel = view.panels["D2"]
    panel.questions["2.1"].value = "N"
    panel.questions["2.2"].value = "N"
    assert {"2.3": True, "2.4": True, "2.5": True, "2.6": False, "2.7": True} == {
        q: panel.questions[q].disabled for q in ("2.3", "2.4", "2.5", "2.6", "2.7")}
    panel.questions["2.2"].value = "Y"
    panel.questions["2.6"].value = "PN"
    assert {"2.3": False, "2.4": True, "2.5": True, "2.6": False, "2.7": False} == {
        q: panel.questions[q].disabled for q in ("2.3", "2.4", "2.5", "2.6", "2.7")}


def test_overall_is_computed_once_every_domain_is_saved(review):
    """After the last domain the overall judgement is shown, by the tool's rule."""
    view = Appraiser(AppraisalSession(review, AMARA, "RoB2", STUDIES))
    for domain, judgement in (("D1", "low"), ("D2", "some_concerns"), ("D3", "low"),
                              ("D4", "some_concerns"), ("D5", "some_concerns")):
        panel = view.panels[domain]
        panel.judgement.value = judgement
        panel.support.value = f"Support for {domain}."
        panel.save_button.click()
    assert "Overall for <b>Rossi 2016</b> (computed): <b>High risk</b>" in view.overall.value
    assert "1 / 2 studies complete · 5 / 10 domain judgements" in view.header.value
    assert 5 == len(_payloads(review))


def test_navigation_moves_studies_and_warns_about_unsaved_entries(review):
    """Next, previous and the dropdown change study; entries left unsaved are named."""
    view = Appraiser(AppraisalSession(review, AMARA, "MISEV", STUDIES))
    view.panels["D4"].judgement.value = "reported"
    view.panels["D4"].support.value = "CD9 blot."
    view.next_button.click()
    assert ("Kim 2018", True, False) == (view.study.value, view.next_button.disabled,
                                         view.previous_button.disabled)
    assert "Not saved (left Rossi 2016): D4." in view.status.value
    assert (None, "") == (view.panels["D4"].judgement.value, view.panels["D4"].support.value)
    view.panels["D5"].judgement.value = "not_reported"
    view.panels["D5"].support.value = "No cytosolic marker."
    view.panels["D5"].save_button.click()
    view.study.value = "Rossi 2016"
    assert "Rossi 2016" == view.session.current
    view.previous_button.click()
    assert "Rossi 2016" == view.session.current
    view.next_button.click()
    assert ("not_reported", "No cytosolic marker.") == (view.panels["D5"].judgement.value,
                                                         view.panels["D5"].support.value)


def test_tools_without_algorithm_say_so(review):
    """ROBINS-I suggests nothing: the panel says the reviewer judges from the answers."""
    view = Appraiser(AppraisalSession(review, AMARA, "ROBINS-I", STUDIES))
    panel = view.panels["D1"]
    panel.questions["1.1"].value = "Y"
    assert "ROBINS-I gives no algorithm for this domain: judge from the answers." in panel.suggestion.value
    assert None is panel.judgement.value
    assert ("Low risk", "Moderate risk", "Serious risk", "Critical risk", "No information") == tuple(
        label for label, _v in panel.judgement.options)


def test_the_reconciler_sees_the_assessors_escaped(review):
    """Study names and support texts are data: they reach the page escaped."""
    study = HOSTILE
    for reviewer, judgement in ((AMARA, "low"), (BRUNO, "high")):
        record_judgement(review, reviewer=reviewer, tool="SYRCLE", study_id=study, domain="D7",
                         judgement=judgement, support=f"<b>{reviewer}</b> & co said so")
    view = Appraiser(AppraisalSession(review, CHEN, "SYRCLE", role="resolver"))
    assert [study] == view.session.studies
    others = view.panels["D7"].others.value
    assert "The assessors differ: your judgement is final." in others
    assert "&lt;b&gt;Amara Okafor&lt;/b&gt; &amp; co said so" in others and "<b>Amara" not in others
    assert "&lt;img src=x onerror=alert(1)&gt; 2020" in view.overall.value
    assert "<img" not in view.overall.value + view.header.value + others
    assert "D7 · Blinding of outcome assessment — not judged · differs" == view.accordion.get_title(6)
    assert "0 / 1 differences reconciled" in view.header.value
    panel = view.panels["D7"]
    panel.judgement.value = "high"
    panel.support.value = "Calipers by the treating author."
    panel.save_button.click()
    assert "1 / 1 differences reconciled" in view.header.value
    assert "resolver" == review.store.events("risk_of_bias")["role"].iloc[-1]


def test_the_reconciler_sees_agreed_domains_and_the_overall_they_give(review):
    """Domains the assessors agree on show their agreed judgement, not "not judged", and the
    overall is computed from the judgements in force once the difference is reconciled."""
    study = STUDIES[0]
    domains = [d.id for d in AppraisalSession(review, AMARA, "SYRCLE", STUDIES).domains]
    for reviewer in (AMARA, BRUNO):
        for domain in domains:
            judgement = ("high" if reviewer == BRUNO else "low") if domain == "D7" else "low"
            record_judgement(review, reviewer=reviewer, tool="SYRCLE", study_id=study,
                             domain=domain, judgement=judgement, support="as reported")
    view = Appraiser(AppraisalSession(review, CHEN, "SYRCLE", role="resolver"))
    assert view.session.studies == [study]
    assert view.accordion.get_title(0).endswith("— Low risk (agreed)")
    assert view.accordion.get_title(6).endswith("— not judged · differs")
    assert "waiting for D7" in view.overall.value and "D1" not in view.overall.value
    panel = view.panels["D7"]
    panel.judgement.value = "low"
    panel.support.value = "Blinded per methods."
    panel.save_button.click()
    assert view.accordion.get_title(6).endswith("— Low risk (yours)")
    assert "(computed): <b>Low risk</b>" in view.overall.value
    view.on_key({"type": "keydown", "key": "n"})  # one study: the key does nothing
    assert view.session.current == study


def test_a_store_error_is_said_in_its_words_and_a_fault_of_ours_plainly(review, monkeypatch,
                                                                       caplog):
    """Beside the domain's Save: the project's error as it words it; any other exception as a
    plain line (details in the kernel's log), never Python's message or class."""
    from review.errors import StoreError

    view = Appraiser(AppraisalSession(review, AMARA, "SYRCLE", STUDIES))
    panel = view.panels["D3"]
    panel.judgement.value = "unclear"
    panel.support.value = "Not reported."

    def busy(*_a, **_k):
        raise StoreError("the review store is busy <now>; try again in a moment")
    monkeypatch.setattr(view.session, "set_judgement", busy)
    panel.save_button.click()
    assert "Not saved: the review store is busy &lt;now&gt;" in panel.message.value
    assert "StoreError" not in panel.message.value

    def broken(*_a, **_k):
        raise KeyError("D3 <internal>")
    monkeypatch.setattr(view.session, "set_judgement", broken)
    panel.save_button.click()
    said = panel.message.value
    assert "something went wrong in the appraisal form" in said and "kernel's log" in said
    assert "internal" not in said and "KeyError" not in said and "internal" in caplog.text
    assert [] == _payloads(review)
