"""The screening widget on real reviews: buttons and keys write to the store, the page shows the
record escaped and highlighted, full text needs a reason, a resolver sees the screeners."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import copy_review
from review.cli import main
from review.project import open_review
from review.screening.decisions import record_decision, reviewer_decisions
from review.screening.session import ScreeningSession
from review.widgets import Screener

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "protocols" / "nk-exosomes"
PROTOCOL = EXAMPLE / "protocol.yaml"

RIS = """TY  - JOUR
TI  - NK cell exosomes <script>alert("x")</script> kill tumour cells
AU  - O'Brien, <b>Ann</b>
PY  - 2022
T2  - Journal of <i>Things</i>
KW  - perforin
KW  - biomarker & <stuff>
AB  - Exosome therapy with perforin; a review of biomarker use <img src=x onerror=alert(1)>.
ER  - 
"""


@pytest.fixture(scope="module")
def fresh_example(worked_example_undecided, tmp_path_factory) -> Path:
    """The worked example without its loaded screening decisions: 156 works to screen (152 from the first searches, 4 new in its update)."""
    return copy_review(worked_example_undecided, tmp_path_factory.mktemp("screener") / "ex")


@pytest.fixture(scope="module")
def screened_example(worked_example, tmp_path_factory) -> Path:
    """The worked example as built, every record already decided by two reviewers."""
    return copy_review(worked_example, tmp_path_factory.mktemp("screened") / "ex")


@pytest.fixture
def review(fresh_example, tmp_path):
    folder = tmp_path / "rev"
    shutil.copytree(fresh_example, folder)
    review = open_review(folder)
    yield review
    review.store.dispose()


@pytest.fixture
def screener(review):
    return Screener(ScreeningSession(review, "title_abstract", "tester"))


def _pdf(text: str) -> bytes:
    """A real one-page PDF holding `text` (drawn by matplotlib, fonts embedded as text)."""
    import io

    import matplotlib
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4, 2))
    figure.text(0.1, 0.5, text)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        figure.savefig(buffer, format="pdf")
    return buffer.getvalue()


def _key(key: str, **extra) -> dict:
    return {"type": "keydown", "event": "keydown", "key": key, "target": {"tagName": "DIV"},
            **extra}


def _decisions(review, stage="title_abstract", reviewer="tester") -> list[tuple]:
    events = review.store.events(stage)
    mine = events[events["actor"] == reviewer]
    return [(a, p.get("reason"), p.get("note")) if a != "undo" else (a, int(u), None)
            for a, p, u in zip(mine["action"], mine["payload"], mine["undoes"])]


def _to_full_text(review, record_id: int) -> None:
    for name in ("a", "b"):
        record_decision(review.store, stage="title_abstract", record_id=record_id,
                        reviewer=name, decision="include")


class FixedRanker:
    def __init__(self, scores):
        self._scores = scores

    def submit(self, labels):
        pass

    def scores(self):
        return self._scores


def test_shows_the_record_highlighted_with_progress_and_criteria(screener):
    assert "<b>0 / 156 screened</b> · 156 to go</div>" in screener.header.value and ">0 included · " in screener.header.value
    assert "tester, screening at Title/abstract" in screener.header.value
    assert "title_abstract" not in screener.header.value
    assert "mark.review-include" in screener.style_sheet.value  # the two colours' style, sent once
    item = screener.session.current
    page = screener.record.value
    assert f"record {item.record_id}" in page and "Found in: " in page
    assert "mark" not in page or '<mark class="review-' in page
    shown = screener.record_html(replace(item, record={**item.record, "abstract":
                                                       "NK cell exosome, not a biomarker"}))
    assert ('<mark class="review-include">NK cell</mark> <mark class="review-include">exosome'
            '</mark>, not a <mark class="review-exclude">biomarker</mark>') in shown
    assert "Blind screening" in screener.others.value
    assert screener.ai_score.layout.display == "none" and screener.ai_score.value == ""
    assert screener.pdf_row.layout.display == "none"
    assert [b.description for b in screener.buttons.children if hasattr(b, "description")
            and b is not screener.reason] == [
        "Include (i)", "Exclude (e)", "Maybe (m)", "Skip (s)", "Undo (u)"]
    assert screener.action_buttons["not_retrieved"] not in screener.buttons.children
    assert len(screener.reason.options) == 1 + 6 and screener.reason.value == ""
    criteria = screener.criteria.children[0].value
    assert "Primary research that isolates exosomes" in criteria and "Conference abstract" in criteria
    assert screener.action_buttons["undo"].disabled
    assert screener.agreement.value == ""  # blind: no agreement summary


def test_buttons_write_decisions_and_move_on(screener, review):
    first = screener.session.current.record_id
    screener.note.value = "clear yes"
    screener.action_buttons["include"].click()
    assert _decisions(review) == [("include", None, "clear yes")]
    assert review.store.events("title_abstract").iloc[-1]["work_id"] == first
    assert screener.note.value == ""
    assert "<b>1 / 156 screened</b> · 155 to go</div>" in screener.header.value and ">1 included · " in screener.header.value
    assert screener.status.value == f"Saved: included for record {first}."
    assert screener.session.current.record_id != first
    screener.reason.value = "not_cancer"
    screener.action_buttons["exclude"].click()
    screener.action_buttons["exclude"].click()  # no reason: allowed at title/abstract
    screener.action_buttons["maybe"].click()
    screener.action_buttons["skip"].click()
    screener.action_buttons["not_retrieved"].click()  # not a title/abstract decision: ignored
    assert _decisions(review) == [("include", None, "clear yes"), ("exclude", "not_cancer", ""),
                                  ("exclude", None, ""), ("maybe", None, ""), ("skip", None, "")]
    assert screener.reason.value == ""
    assert "<b>4 / 156 screened</b> · 152 to go</div>" in screener.header.value and ">1 included · " in screener.header.value
    assert ">1 included · 2 excluded · 1 maybe — " in screener.header.value


def test_keys_decide_choose_reasons_and_undo(screener, review):
    screener.on_key(_key("i"))
    screener.on_key(_key("2"))
    assert screener.reason.value == "wrong_intervention" and "No exosome" in screener.status.value
    screener.on_key(_key("E"))
    screener.on_key(_key("9"))  # only six reasons at title/abstract
    screener.on_key(_key("0"))
    assert screener.reason.value == ""
    screener.on_key(_key("m"))
    screener.on_key(_key("s"))
    screener.on_key(_key("n"))  # full text only
    screener.on_key(_key("p"))
    screener.on_key(_key("u"))  # undoes the skip
    screener.on_key(_key("u"))  # undoes the maybe
    assert [d[0] for d in _decisions(review)] == ["include", "exclude", "maybe", "skip", "undo"]
    assert _decisions(review)[1] == ("exclude", "wrong_intervention", "")
    standing = reviewer_decisions(review.store, "title_abstract")
    assert sorted(standing["decision"]) == ["exclude", "include"]
    assert "<b>2 / 156 screened</b> · 154 to go</div>" in screener.header.value and ">1 included · " in screener.header.value


def test_keys_typed_in_fields_or_with_modifiers_are_ignored(screener, review):
    screener.on_key(_key("i", target={"tagName": "INPUT"}))
    screener.on_key(_key("i", target={"tagName": "textarea"}))
    screener.on_key(_key("1", target={"tagName": "SELECT"}))
    screener.on_key(_key("i", ctrlKey=True))
    screener.on_key(_key("i", metaKey=True))
    screener.on_key(_key("i", repeat=True))
    screener.on_key({"type": "keyup", "key": "i"})
    screener.on_key(_key("x"))
    assert review.store.events("title_abstract").empty and screener.reason.value == ""
    screener.on_key({"type": "keydown", "key": "i"})  # no target reported: still a shortcut
    assert _decisions(review) == [("include", None, "")]


def test_undo_shows_the_record_again_with_its_note_and_reason(screener, review):
    screener.on_key(_key("u"))
    assert "Nothing to undo" in screener.status.value
    first = screener.session.current.record_id
    screener.note.value = "animal study only"
    screener.choose_reason(6)
    screener.action_buttons["exclude"].click()
    assert not screener.action_buttons["undo"].disabled
    screener.action_buttons["undo"].click()
    assert screener.session.current.record_id == first
    assert screener.note.value == "animal study only" and screener.reason.value == "wrong_outcome"
    assert "Undone: excluded" in screener.status.value
    assert "0 / 156 screened" in screener.header.value
    assert reviewer_decisions(review.store, "title_abstract").empty
    assert screener.action_buttons["undo"].disabled


def test_record_text_is_escaped(tmp_path):
    folder, ris = tmp_path / "rev", tmp_path / "odd.ris"
    ris.write_text(RIS, encoding="utf-8")
    assert main(["init", str(folder), "--protocol", str(PROTOCOL)]) == 0
    assert main(["import", str(ris), "--review", str(folder), "--database", "Embase"]) == 0
    review = open_review(folder)
    try:
        view = Screener(ScreeningSession(review, "title_abstract", "tester"))
        page = view.record.value
        for raw in ("<script>", "<b>Ann</b>", "<i>Things</i>", "<img", "<stuff>"):
            assert raw not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        assert "O&#x27;Brien, &lt;b&gt;Ann&lt;/b&gt;" in page and "2022" in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert '<mark class="review-include">NK cell</mark>' in page
        assert '<mark class="review-exclude">review</mark>' in page
        assert '<mark class="review-exclude">biomarker</mark> &amp; &lt;stuff&gt;' in page
        assert "Found in: Embase" in page
    finally:
        review.store.dispose()


def test_full_text_needs_a_reason_and_offers_not_retrieved(review, monkeypatch):
    ids = list(ScreeningSession(review, "title_abstract", "x").records.index[:3])
    for record_id in ids:
        _to_full_text(review, record_id)
    (review.path / "pdfs").mkdir()
    for record_id in ids:
        (review.path / "pdfs" / f"{record_id}.pdf").write_bytes(_pdf("NK cell exosomes page"))
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    view = Screener(ScreeningSession(review, "full_text", "c"))
    assert "0 / 3 screened" in view.header.value and "0 not retrieved" in view.header.value
    assert "at Full text" in view.header.value
    assert view.action_buttons["not_retrieved"] in view.buttons.children
    assert view.pdf_row.layout.display is None and view.pdf_button.layout.display is None
    record_id = view.session.current.record_id
    doi = view.session.current.record.get("doi")
    if isinstance(doi, str) and doi:  # the DOI link comes first
        assert view.links.value.index("https://doi.org/") < view.links.value.index("</a>")
    view.on_key(_key("p"))  # the PDF is drawn inside the screener, no browser is asked
    assert opened == [] and view.pdf_viewer.layout.display is None
    assert "data:image/png;base64," in view.pdf_viewer.pages.value
    assert "Showing" in view.status.value and f"{record_id}.pdf" in view.pdf_viewer.title.value
    assert '<mark style=\'background:#c8e6c9\'>NK cell</mark>' in view.pdf_viewer.text.value
    view.pdf_viewer.search.value = "page"
    assert "1 match for" in view.pdf_viewer.found.value

    view.on_key(_key("e"))  # no reason: the view says so, at the reason list
    assert "Not saved" in view.status.value and "choose an exclusion reason" in view.status.value
    assert "Error" not in view.status.value
    assert "review-needs-attention" in view.reason._dom_classes
    assert view.session.current.record_id == record_id and _decisions(review, "full_text", "c") == []
    view.on_key(_key("7"))
    view.on_key(_key("e"))
    view.on_key(_key("n"))
    assert _decisions(review, "full_text", "c") == [("exclude", "duplicate_publication", ""),
                                                    ("not_retrieved", None, "")]
    assert "<b>2 / 3 screened</b> · 1 to go</div>" in view.header.value and ">0 included · " in view.header.value
    assert "1 excluded · 0 maybe · 1 not retrieved — c, screening at Full text" in view.header.value
    view.action_buttons["include"].click()
    assert "All records screened at this stage" in view.record.value
    assert "3 / 3 screened, 1 included" in view.record.value
    assert view.action_buttons["include"].disabled and view.pdf_button.layout.display == "none"


def test_resolver_sees_the_screeners_decisions_and_their_agreement(review):
    records = list(ScreeningSession(review, "title_abstract", "x").records.index[:3])
    for record_id, (a, b) in zip(records, [("include", "exclude"), ("include", "include"),
                                           ("maybe", "exclude")]):
        record_decision(review.store, stage="title_abstract", record_id=record_id, reviewer="a",
                        decision=a, note="<looks fine>")
        record_decision(review.store, stage="title_abstract", record_id=record_id, reviewer="b",
                        decision=b, reason="not_cancer" if b == "exclude" else None)
    session = ScreeningSession(review, "title_abstract", "arbiter", role="resolver",
                               ranker=FixedRanker({records[0]: 0.8731, records[2]: 0.1}))
    view = Screener(session)
    assert "0 / 2 conflicts resolved" in view.header.value and "resolving conflicts" in view.header.value
    assert "Agreement (a, b)" in view.agreement.value and "3 records compared" in view.agreement.value
    assert "2 conflicts, 0 resolved" in view.agreement.value
    others = view.others.value
    assert "<b>included</b>" in others or "<b>maybe</b>" in others
    assert "Not a cancer indication" in others and "&lt;looks fine&gt;" in others
    assert view.ai_score.layout.display is None and "0.87" in view.ai_score.value
    view.on_key(_key("i"))
    view.on_key(_key("e"))
    assert "All conflicts at this stage are resolved" in view.record.value
    view.wait_for_agreement()  # drawn on its own thread after a click
    assert "2 conflicts, 2 resolved" in view.agreement.value
    assert [d[0] for d in _decisions(review, reviewer="arbiter")] == ["include", "exclude"]
    roles = review.store.events("title_abstract")["role"]
    assert (roles == "resolver").sum() == 2


def test_a_screener_with_a_ranker_is_blind_to_the_score(review):
    first = ScreeningSession(review, "title_abstract", "x").records.index[0]
    view = Screener(ScreeningSession(review, "title_abstract", "tester",
                                     ranker=FixedRanker({first: 0.99})))
    assert view.session.current.record_id == first  # ranked first...
    assert view.ai_score.layout.display == "none"  # ...but the score stays hidden when blind


def test_a_reviewer_with_nothing_left_sees_that_all_is_screened(screened_example):
    review = open_review(screened_example)
    try:
        view = Screener.for_review(review, "title_abstract", "latecomer")
        assert "All records screened at this stage" in view.record.value
        assert "0 / 156 screened, 0 included" in view.record.value
        assert all(b.disabled for b in view.action_buttons.values())
        view.on_key(_key("i"))
        assert "Nothing" not in view.status.value
        assert (review.store.events("title_abstract")["actor"] != "latecomer").all()
    finally:
        review.store.dispose()


def test_a_failed_write_is_shown_and_the_record_stays(screener, review, monkeypatch):
    from review.errors import StoreError
    first = screener.session.current.record_id

    def refuse(*_args, **_kwargs):
        raise StoreError("the review store <now> cannot be written")
    monkeypatch.setattr(review.store, "record_decisions", refuse)
    screener.action_buttons["include"].click()
    assert "Not saved" in screener.status.value and "&lt;now&gt;" in screener.status.value
    assert "RuntimeError" not in screener.status.value
    assert screener.session.current.record_id == first and screener.session.progress.screened == 0


def test_keys_come_from_the_key_catcher_at_the_top_of_the_decision_bar(screener, review):
    catcher = screener.key_catcher
    assert "review-keys-scope" in screener._dom_classes
    assert screener.decision_bar.children[0] is catcher and screener.children[0] is screener.decision_bar
    assert set(catcher.shortcuts) == {"i", "e", "m", "s", "u", *"123456789"}
    assert "i include" in catcher.hint and "u undo" in catcher.hint
    first = screener.session.current.record_id
    catcher._message(catcher, {"type": "key", "key": "i"}, [])  # as the page sends it
    assert _decisions(review) == [("include", None, "")] and screener.session.current.record_id != first
    # the record scrolls beneath the decision bar, which holds the buttons
    assert screener.buttons in screener.decision_bar.children
    assert screener.record in screener.record_area.children and screener.record_area.layout.overflow == "auto"


def test_long_keyword_lists_fold(screener):
    item = screener.session.current
    many = [f"keyword number {i}" for i in range(30)]
    page = screener.record_html(replace(item, record={**item.record, "keywords": many}))
    assert "<details><summary><b>Keywords</b> (30, click to show)" in page
    few = screener.record_html(replace(item, record={**item.record, "keywords": ["NK"]}))
    assert "<details>" not in few and "<b>Keywords:</b>" in few


def test_closing_the_screener_shuts_its_thread_down(review):
    view = Screener(ScreeningSession(review, "title_abstract", "ana", ranker=None))
    view.session.blind = False
    view.refresh()
    thread = view._agreement_thread
    assert thread is not None
    view.close()
    assert view._agreement_thread is None and thread._shutdown


def test_an_agreement_failure_is_said_not_blanked(review, monkeypatch):
    view = Screener(ScreeningSession(review, "title_abstract", "ana", ranker=None))
    view.session.blind = False

    def broken():
        raise ValueError("no decisions at title_abstract <yet>")
    view._agreement_summary = broken
    view._agreement_thread = None
    view.refresh()
    assert "Agreement could not be computed: no decisions at Title/abstract &lt;yet&gt;" \
        in view.agreement.value


@pytest.mark.slow
def test_screening_notebook_runs_under_papermill(fresh_example, tmp_path):
    """notebooks/02_screen.ipynb opens the review and displays the screener."""
    import papermill
    folder = tmp_path / "rev"
    shutil.copytree(fresh_example, folder)
    out = tmp_path / "02_screen.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "02_screen.ipynb"), str(out),
                               parameters={"review_dir": str(folder), "reviewer": "nb"},
                               progress_bar=False, kernel_name="python3")
    notebook = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert any("0 / 156 screened at Title/abstract · 156 to go" in "".join(o.get("text", ""))
               for o in outputs)
    assert not any("Progress(" in json.dumps(o) for o in outputs)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert not any("def " in "".join(c["source"]) for c in notebook["cells"]
                   if c["cell_type"] == "code")


def test_a_click_does_not_wait_for_the_agreement_line(review, monkeypatch):
    """The agreement line reads every decision at the stage: after the first drawing it is
    redrawn on its own thread, so the next record shows while it is still being computed."""
    import threading

    from review.widgets import screener as module

    monkeypatch.setattr(module, "_AGREEMENT_EVERY", 0.0)
    view = Screener(ScreeningSession(review, "title_abstract", "ana", ranker=None))
    view.session.blind = False  # the example's protocol screens blind
    view.refresh()  # the first drawing, at once
    assert "Agreement ()" in view.agreement.value  # nobody has decided yet
    gate, computing = threading.Event(), threading.Event()
    real = view._agreement_summary

    def slow() -> dict:
        computing.set()
        assert gate.wait(10)
        return real()

    view._agreement_summary = slow
    first = view.session.current.record_id
    view.act("include")
    assert view.session.current.record_id != first and "Saved" in view.status.value
    assert computing.wait(10) and "Agreement ()" in view.agreement.value  # still computing
    view.act("include")  # another click while it computes: no wait either
    assert "Agreement ()" in view.agreement.value
    gate.set()
    view.wait_for_agreement()
    assert "Agreement (ana)" in view.agreement.value


def test_a_pdf_uploaded_in_the_screener_is_kept_and_shown(review):
    ids = list(ScreeningSession(review, "title_abstract", "x").records.index[:2])
    for record_id in ids:
        _to_full_text(review, record_id)
    view = Screener(ScreeningSession(review, "full_text", "c"))
    record_id = view.session.current.record_id
    assert view.pdf_button.layout.display == "none"  # no PDF yet: no "Open PDF"
    view.upload.value = ({"name": "paper.pdf", "type": "application/pdf", "size": 1,
                          "content": memoryview(_pdf("uploaded text")), "last_modified": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)},)
    assert (review.path / "pdfs" / f"{record_id}.pdf").read_bytes().startswith(b"%PDF-")
    assert f"Attached {record_id}.pdf" in view.status.value and view.pdf_button.layout.display is None
    assert "uploaded text" in view.pdf_viewer.text.value and view.upload.value == ()
    view.upload.value = ({"name": "notes.txt", "type": "text/plain", "size": 1,
                          "content": memoryview(b"hello"), "last_modified": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)},)
    assert "Not attached: this file is not a PDF" in view.status.value


def test_a_busy_store_keeps_the_decision_on_screen_and_the_retry_saves_it(screener, review,
                                                                           monkeypatch):
    """The store's write lock held elsewhere: the record stays, the message says so in plain
    words (no exception name), and the retry saves the very decision once the store is free."""
    from review.store.faults import StoreBusy
    first = screener.session.current.record_id
    real = type(review.store).record_decisions

    def busy(self, rows):
        raise StoreBusy("the review store is busy")

    monkeypatch.setattr(type(review.store), "record_decisions", busy)
    screener.note.value = "kept"
    screener.action_buttons["include"].click()
    assert screener.session.current.record_id == first
    assert "review store is busy" in screener.status.value and "Error" not in screener.status.value
    assert [] == _decisions(review)
    monkeypatch.setattr(type(review.store), "record_decisions", real)
    screener.retry_pending()
    assert [("include", None, "kept")] == _decisions(review)
    assert screener.session.current.record_id != first
    assert f"Saved once the store was free: included for record {first}." in screener.status.value


def test_a_fault_of_ours_is_said_plainly_not_as_a_python_message(screener, review, monkeypatch):
    def broken(self, rows):
        raise AttributeError("'NoneType' object has no attribute 'x'")

    monkeypatch.setattr(type(review.store), "record_decisions", broken)
    screener.action_buttons["include"].click()
    assert "something went wrong in the screener" in screener.status.value
    assert "NoneType" not in screener.status.value and "AttributeError" not in screener.status.value


def test_the_decision_bar_says_how_far_the_records_meaning_is_read(review, monkeypatch):
    """With the protocol's model fused+meaning, a line of the decision bar counts the records
    embedded while the background thread reads them (refreshed with the screener), goes once
    they are read, and says plainly when they could not be, the order going on from words."""
    import html
    import threading

    from conftest import use_embedding
    from review.screening.embeddings import embed
    permits = threading.Semaphore(0)

    def gated(texts, progress=None):
        assert permits.acquire(timeout=20)
        return embed(texts, progress)

    use_embedding(monkeypatch, gated)
    review.protocol.screening.model = "fused+meaning"
    screener = Screener(ScreeningSession(review, "title_abstract", "tester"))
    n = len(screener.session.records)
    assert screener.model_line.layout.display is None
    assert (f"Reading the records' meaning for the AI order: 0 / {n:,} records"
            in html.unescape(screener.model_line.value))
    assert screener.model_line in screener.decision_bar.children
    permits.release(n)
    assert screener.session.ranker.wait_for_meaning(60)
    screener.action_buttons["include"].click()  # any redraw
    assert "none" == screener.model_line.layout.display and "" == screener.model_line.value
    screener.session.ranker.meaning_error = OSError("no <weights> file")
    screener.refresh()
    assert screener.model_line.layout.display is None
    assert "no &lt;weights&gt; file" in screener.model_line.value  # escaped
    assert ("The AI order could not read the records' meaning (no <weights> file); it goes on "
            "from their words alone") in html.unescape(screener.model_line.value)
    screener.session.close()


def test_a_model_that_does_not_read_meaning_shows_no_such_line(screener):
    assert "none" == screener.model_line.layout.display and screener.session.model_status is None


def test_the_meaning_line_is_redrawn_on_the_event_loop_without_a_click(review, monkeypatch):
    """In a kernel (a running asyncio loop) the line is redrawn every MODEL_LINE_SECONDS while
    the meaning is read, from the loop's own thread, and stops once it is read."""
    import asyncio
    import html
    import threading

    from conftest import use_embedding
    from review.screening.embeddings import embed
    permits = threading.Semaphore(0)

    def gated(texts, progress=None):
        assert permits.acquire(timeout=20)
        return embed(texts, progress)

    use_embedding(monkeypatch, gated)
    monkeypatch.setattr(Screener, "MODEL_LINE_SECONDS", 0.05)
    review.protocol.screening.model = "fused+meaning"

    async def screen():
        screener = Screener(ScreeningSession(review, "title_abstract", "tester"))
        assert "Reading the records' meaning" in html.unescape(screener.model_line.value)
        permits.release(10_000)
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, screener.session.ranker.wait_for_meaning, 60)
        for _ in range(100):
            if screener.model_line.layout.display == "none":
                break
            await asyncio.sleep(0.05)
        assert "none" == screener.model_line.layout.display and not screener._model_ticking
        screener.session.close()

    asyncio.run(screen())
