"""The appraisal session over a real store: one study at a time, answers suggest, a judgement is
committed at once with its support, the overall follows the tool's rule, a reconciler sees the
assessors and settles their differences."""
from __future__ import annotations

import re

import pytest

from review.appraisal import AppraisalSession, judgements, record_judgement
from review.errors import ReviewError
from review.extraction.studies import resolve_study
from studies import review_with_studies

AMARA, BRUNO, CHEN = "Amara Okafor", "Bruno Lindqvist", "Chen Wei"
STUDIES = ["Rossi 2016", "Kim 2018", "Sun 2019"]


@pytest.fixture
def review(tmp_path):
    review = review_with_studies(tmp_path / "r", STUDIES)
    yield review
    review.store.dispose()


def test_navigates_the_given_studies(review):
    """The session starts at the first study and moves within the list, not past its ends."""
    session = AppraisalSession(review, AMARA, "SYRCLE", STUDIES)
    assert "Rossi 2016" == session.current
    assert [f"D{i}" for i in range(1, 11)] == [d.id for d in session.domains]
    assert "Rossi 2016" == session.previous()
    assert ["Kim 2018", "Sun 2019", "Sun 2019"] == [session.next(), session.next(), session.next()]
    assert "Rossi 2016" == session.go("Rossi 2016")
    with pytest.raises(ValueError, match=re.escape("study 'Lugini 2012' is not in this session's list")):
        session.go("Lugini 2012")


def test_answers_suggest_and_a_judgement_is_committed_at_once(review):
    """Answers are a draft that suggests; setting the judgement stores it with those answers."""
    session = AppraisalSession(review, AMARA, "RoB2", STUDIES)
    assert None is session.set_answer("D1", "1.2", "Y")
    assert None is session.set_answer("D1", "1.3", "N")  # 1.1 still decides between low and some
    assert "low" == session.set_answer("D1", "1.1", "Y")
    assert None is session.set_answer("D1", "1.3", None)
    assert "some_concerns" == session.set_answer("D1", "1.3", "PY")
    assert review.store.events("risk_of_bias").empty  # answers alone are not stored
    event_id = session.set_judgement("D1", "Some concerns", "Baseline imbalance in Table 1.")
    log = review.store.events("risk_of_bias")
    assert [event_id] == list(log["event_id"])
    assert (resolve_study(review, "Rossi 2016"), "RoB2", "D1", "assessor") == (
        int(log["study_id"][0]), log["tool"][0], log["domain"][0], log["role"][0])
    assert {"judgement": "some_concerns", "support": "Baseline imbalance in Table 1.",
            "answers": {"1.1": "Y", "1.2": "Y", "1.3": "PY"}} == log["payload"][0]
    state = session.state("D1")
    assert ("some_concerns", "Baseline imbalance in Table 1.", {"1.1": "Y", "1.2": "Y", "1.3": "PY"},
            "some_concerns", event_id, None) == (state.judgement, state.support, state.answers,
                                                 state.suggestion, state.event_id, state.others)
    assert ["2.1", "2.2", "2.6"] == session.state("D2").applicable


def test_a_judgement_without_support_is_refused_and_not_stored(review):
    """The support text is required; the message names tool, study and domain."""
    session = AppraisalSession(review, AMARA, "SYRCLE", STUDIES)
    session.next()
    with pytest.raises(ReviewError, match=re.escape(
            "SYRCLE, study 'Kim 2018', D4 (Random housing): a judgement needs a support text")):
        session.set_judgement("D4", "low", "   ")
    assert review.store.events("risk_of_bias").empty
    assert None is session.state("D4").judgement


def test_overall_and_progress_follow_the_judgements(review):
    """Overall appears once every domain is judged; progress counts studies and domains."""
    session = AppraisalSession(review, AMARA, "SYRCLE", STUDIES)
    for i in range(1, 10):
        session.set_judgement(f"D{i}", "low", "Reported in the methods.")
    assert None is session.overall()
    p = session.progress
    assert (0, 3, 9, 30, STUDIES) == (p.studies_done, p.studies, p.judged, p.total, p.remaining)
    session.set_judgement("D10", "unclear", "Funding not stated.")
    assert "unclear" == session.overall()
    session.set_judgement("D10", "low", "Public funding, stated.")  # latest wins
    assert "low" == session.overall()
    p = session.progress
    assert (1, 3, 10, 30, ["Kim 2018", "Sun 2019"]) == (p.studies_done, p.studies, p.judged,
                                                        p.total, p.remaining)
    assert 11 == len(review.store.events("risk_of_bias"))


def test_assessors_are_blind_and_the_reconciler_settles_differences(review):
    """An assessor sees no one else; the reconciler gets the studies with differences and the
    assessors' judgements, and their judgement is final."""
    for reviewer, judgement in ((AMARA, "low"), (BRUNO, "high")):
        record_judgement(review, reviewer=reviewer, tool="SYRCLE", study_id="Kim 2018",
                         domain="D7", judgement=judgement, support=f"{reviewer}'s reading.",
                         answers={"7.1": "Y" if judgement == "low" else "N"})
        record_judgement(review, reviewer=reviewer, tool="SYRCLE", study_id="Sun 2019",
                         domain="D1", judgement="unclear", support="Not described.")
    assessor = AppraisalSession(review, AMARA, "SYRCLE", STUDIES)
    assessor.go("Kim 2018")
    assert None is assessor.state("D7").others
    reconciler = AppraisalSession(review, CHEN, "SYRCLE", role="resolver")
    assert ["Kim 2018"] == reconciler.studies
    state = reconciler.state("D7")
    assert (True, None) == (state.in_conflict, state.judgement)
    assert [(AMARA, "low", "Amara Okafor's reading.", {"7.1": "Y"}),
            (BRUNO, "high", "Bruno Lindqvist's reading.", {"7.1": "N"})] == [
        (o["reviewer"], o["judgement"], o["support"], o["answers"]) for o in state.others]
    assert ["D7"] == reconciler.conflicts()
    p = reconciler.progress
    assert (0, 1, 0, 1, ["Kim 2018"]) == (p.studies_done, p.studies, p.judged, p.total, p.remaining)
    reconciler.set_judgement("D7", "high", "Methods: the treating author measured the tumours.")
    assert [] == reconciler.conflicts()
    p = reconciler.progress
    assert (1, 1, 1, 1, []) == (p.studies_done, p.studies, p.judged, p.total, p.remaining)
    final = judgements(review, "SYRCLE").set_index(["study_id", "domain"])
    assert ("high", "resolved", CHEN) == tuple(final.loc[("Kim 2018", "D7"),
                                                           ["judgement", "status", "decided_by"]])


def test_reload_sees_judgements_made_elsewhere(review):
    """Another kernel's judgement shows after reload; my own draft answers survive it."""
    session = AppraisalSession(review, AMARA, "MISEV", STUDIES)
    session.set_answer("D8", "8.1", "Y")
    record_judgement(review, reviewer=AMARA, tool="MISEV", study_id="Rossi 2016", domain="D4",
                     judgement="reported", support="CD9 and CD81 blots (figure 1).")
    assert None is session.state("D4").judgement
    session.reload()
    assert ("reported", {"8.1": "Y"}) == (session.state("D4").judgement, session.answers("D8"))


def test_a_session_needs_a_reviewer_and_a_known_role(review):
    """No name or an unknown role is refused before anything happens."""
    with pytest.raises(ValueError, match=re.escape("an appraisal session needs the reviewer's name")):
        AppraisalSession(review, " ", "SYRCLE", STUDIES)
    with pytest.raises(ValueError, match=re.escape(
            "role must be 'assessor' or 'resolver', not 'boss'")):
        AppraisalSession(review, AMARA, "SYRCLE", STUDIES, role="boss")
    # The old name of the resolver is still understood.
    assert "resolver" == AppraisalSession(review, CHEN, "SYRCLE", STUDIES, role="reconciler").role


@pytest.mark.slow
def test_without_a_list_the_studies_come_from_the_study_table(example_copy):
    """On the built example, the session appraises the review's studies."""
    from review.extraction.studies import study_table
    from review.project import open_review
    review = open_review(example_copy)
    try:
        session = AppraisalSession(review, AMARA, "MISEV")
        assert list(dict.fromkeys(study_table(review)["study_id"])) == session.studies
        assert 15 <= len(session.studies) <= 16  # 15 once the Kim reports are linked
    finally:
        review.store.dispose()
