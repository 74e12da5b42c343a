"""Random sequences of ordinary review work keep the store consistent.

A hypothesis state machine imports small RIS exports drawn from a pool of eight records (so the
same work arrives again in later files), deduplicates, records reviewers' pair verdicts, screens
with two screeners, a third person and a resolver at both stages, undoes earlier decisions,
extracts values, links reports to studies and judges risk of bias. After every step:

- `review verify` is ok: nothing orphaned, the current state equals the log's replay, PRISMA adds up;
- every screening decision and every record sits on a live work, each record in exactly one;
- as many decisions stand in the state as the log's replay gives;
- PRISMA counts of the unfinished review add up (checked by `review verify` at every step, and
  once more as reports check them when every import has been deduplicated);
- no decision is lost (a model): each decision recorded and not undone still stands on the live
  work its work now is, unless the same reviewer decided again on that (merged) work since (and
  that later decision was not undone).

Not marked `slow`: it runs with the normal test command (about a minute and a half for its 200
examples on two cores).
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition,
                                 rule)

from review.appraisal import record_judgement
from review.dedup.decisions import record_pair_decision
from review.dedup.run import deduplicate_review
from review.errors import ReviewError
from review.extraction.studies import link_reports, study_table
from review.extraction.values import record_value
from review.policy import panel
from review.project import init_review
from review.report.prisma import check_counts, prisma_counts
from review.screening.decisions import record_decision, undo_decision
from review.verify import verify_review
from studies import PROTOCOL, SCREENERS, ris_record

STAGES = ("title_abstract", "full_text")
#: Two screeners and a third person, who may act as a screener (refused once two have screened
#: a work) or as the resolver.
PEOPLE = (*SCREENERS, "Chen Wei")
VERDICTS = ("include", "exclude", "maybe", "not_retrieved")
#: The protocol's full-text exclusion reasons (protocols/nk-exosomes/protocol.yaml).
FULL_TEXT_REASONS = ("wrong_population", "wrong_intervention", "wrong_outcome",
                     "not_primary_research", "conference_abstract", "not_cancer",
                     "duplicate_publication")
#: (title, first author, year, DOI): exact repeats, a repeat without its DOI, near-duplicate titles
#: (grey band, left apart) and a same-title pair with different DOIs.
POOL = (
    ("Natural killer cell exosomes kill melanoma cells", "Zhu, L.", 2017, "10.5555/nk.1"),
    ("Natural killer cell exosomes kill melanoma cells", "Zhu, L.", 2017, None),
    ("Tumour exosomes as vaccines", "Rossi, M.", 2016, "10.5555/nk.2"),
    ("Tumor-derived exosomes: vaccines against cancer", "Rossi, M.", 2016, None),
    ("Cancer stem cell vesicles deliver miR-186", "Kim, H.", 2018, "10.5555/nk.3"),
    ("Engineered NK vesicles carry siRNA", "Ahmadi, R.", 2020, "10.5555/nk.4"),
    ("Engineered NK vesicles carry siRNA", "Ahmadi, R.", 2020, "10.5555/nk.5"),
    ("Dendritic cell exosomes in glioma", "Rossi, P.", 2016, "10.5555/nk.6"),
)
EXTRACTED = {"strategy": ("native", "drug-loaded", "surface-modified"),
             "cargo": ("miR-186", "paclitaxel", "Bcl-2 siRNA")}


@dataclass
class Decision:
    """One screening decision the machine recorded (the model of what must stand)."""

    event_id: int
    stage: str
    work: int  # the live work it was recorded on
    reviewer: str
    decision: str
    group: frozenset  # every work id that was one with `work` when it was recorded
    undone: bool = False

    @property
    def counts(self) -> bool:
        return self.decision in VERDICTS and not self.undone


class ReviewMachine(RuleBasedStateMachine):
    """Records and works are picked by position (`pick`, modulo how many there are), so that
    every rule can run from the first step; each step notes the ids it used."""

    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="review-state-"))
        self.review = None
        self.files = 0
        self.decisions: list[Decision] = []
        self.included_once = False  # a full-text include was recorded: studies may exist

    @initialize(picks=st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=3))
    def create_review(self, picks):
        self.review = init_review(self.folder / "r", PROTOCOL)
        self.import_export(picks)

    def teardown(self):
        if self.review is not None:
            self.review.store.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def store(self):
        return self.review.store

    def _record(self, pick: int) -> int:
        ids = self.store.work_of_records().index
        return int(ids[pick % len(ids)])

    def _work(self, pick: int) -> int:
        """Any work, merged ones too (a decision on one is recorded on the work it is in)."""
        ids = self.store.works(live=False)["work_id"]
        return int(ids.iloc[pick % len(ids)])

    def _live_group(self, work: int) -> tuple[int, frozenset]:
        everything = self.store.works(live=False)
        live = int(everything.loc[everything["work_id"] == work, "current_work_id"].iloc[0])
        group = frozenset(int(w) for w in everything.loc[everything["current_work_id"] == live,
                                                        "work_id"])
        return live, group

    def _screen(self, stage: str, work: int, reviewer: str, decision: str, role: str,
                reason: str | None) -> None:
        live, group = self._live_group(work)
        standing = self.store.screening_decisions(stage)
        mine = standing[(standing["work_id"] == live) & (standing["role"] == "screener")]
        members = panel(zip(mine["event_id"].astype(int), mine["reviewer"]), 2)
        outsider = (role == "screener" and decision in VERDICTS and reviewer not in members
                    and len(members) >= 2)
        try:
            event_id = record_decision(self.store, stage=stage, record_id=work, reviewer=reviewer,
                                       decision=decision, role=role,
                                       reason=reason if decision == "exclude" else None)
        except ReviewError as exc:
            assert outsider, f"{reviewer} ({role}) refused on work {live} at {stage}: {exc}"
            assert "already has its 2 screeners" in str(exc)
            note(f"refused: {exc}")
            event("screening: a third screener refused")
            return
        assert not outsider, f"{reviewer} screened work {live} beside its panel {members}"
        event(f"screening: {decision} recorded by a {role}")
        note(f"event {event_id}: {reviewer} ({role}) {decision} work {work} (live {live}) "
             f"at {stage}")
        self.decisions.append(Decision(event_id, stage, live, reviewer, decision, group))
        if stage == "full_text" and decision == "include":
            self.included_once = True

    def _study(self, pick: int) -> tuple[int | None, pd.DataFrame]:
        table = study_table(self.review)
        if table.empty:
            return None, table
        ids = sorted(set(int(s) for s in table["study"]))
        return ids[pick % len(ids)], table

    # -- identification and deduplication ---------------------------------------------------------
    @rule(picks=st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=3))
    def import_export(self, picks):
        self.files += 1
        texts = [ris_record(*POOL[i]) for i in picks]
        # The store refuses the same bytes twice: a note makes every file new.
        texts[0] = texts[0].replace("ER  - ", f"N1  - export {self.files}\nER  - ", 1)
        path = self.folder / f"export-{self.files}.ris"
        path.write_text("".join(texts), encoding="utf-8")
        result = self.review.import_file(path, database="Embase", actor="t")
        assert result.already_imported is None and result.records == len(picks)
        note(f"import {self.files}: source {result.source_id}, pool {picks}")

    @rule()
    def dedup(self):
        summary, _ = deduplicate_review(self.review, actor="t")
        note(f"dedup: {summary.changes}")
        for kind in ("merged", "moved", "split"):
            if summary.changes[kind]:
                event(f"dedup: works {kind}")

    @rule(a=st.integers(0, 30), b=st.integers(0, 30), verdict=st.sampled_from(("same", "different")),
          reviewer=st.sampled_from(PEOPLE), then_dedup=st.booleans())
    def pair_verdict(self, a, b, verdict, reviewer, then_dedup):
        """A reviewer's verdict on two records, and at times the dedup run that applies it."""
        a, b = self._record(a), self._record(b)
        try:
            record_pair_decision(self.store, a, b, verdict, reviewer)
        except ValueError:
            assert a == b
            return
        assert a != b
        note(f"pair {a}, {b}: {verdict}")
        if then_dedup:
            self.dedup()

    # -- screening ----------------------------------------------------------------------------------
    @rule(work=st.integers(0, 30), stage=st.sampled_from(STAGES), reviewer=st.sampled_from(PEOPLE),
          decision=st.sampled_from((*VERDICTS, "skip")),
          role=st.sampled_from(("screener", "screener", "resolver")),
          reason=st.sampled_from(FULL_TEXT_REASONS))
    def screen(self, work, stage, reviewer, decision, role, reason):
        if decision == "not_retrieved" and stage != "full_text":
            decision = "exclude"
        self._screen(stage, self._work(work), reviewer, decision, role, reason)

    @rule(work=st.integers(0, 30), stages=st.sampled_from((("full_text",), STAGES)))
    def both_screeners_include(self, work, stages):
        """What a review mostly does, so that studies exist to extract and appraise."""
        work = self._work(work)
        for stage in stages:
            for reviewer in SCREENERS:
                self._screen(stage, work, reviewer, "include", "screener", None)

    @precondition(lambda self: self.decisions)
    @rule(pick=st.integers(0, 50), someone_else=st.booleans())
    def undo(self, pick, someone_else):
        target = self.decisions[pick % len(self.decisions)]
        reviewer = target.reviewer
        if someone_else:
            reviewer = PEOPLE[(PEOPLE.index(reviewer) + 1) % len(PEOPLE)]
        try:
            undo_decision(self.store, stage=target.stage, event_id=target.event_id,
                          reviewer=reviewer)
        except ValueError as exc:
            assert target.undone or someone_else, f"undo of {target} refused: {exc}"
            return
        assert not target.undone and not someone_else, f"undo of {target} by {reviewer} allowed"
        target.undone = True
        event("undo: done")
        note(f"undo event {target.event_id}")

    # -- extraction and appraisal ---------------------------------------------------------------------
    @precondition(lambda self: self.included_once)
    @rule(pick=st.integers(0, 20), reviewers=st.lists(st.sampled_from(PEOPLE), min_size=1,
                                                      max_size=3, unique=True),
          field=st.sampled_from(sorted(EXTRACTED)), choice=st.integers(0, 2))
    def extract(self, pick, reviewers, field, choice):
        """Each reviewer in turn enters a value (the third of three is refused)."""
        study, _ = self._study(pick)
        if study is None:
            return
        for i, reviewer in enumerate(reviewers):
            value = EXTRACTED[field][(choice + i // 2) % 3]  # the second agrees, the third not
            try:
                record_value(self.review, reviewer=reviewer, study_id=study, field=field,
                             value=value)
            except ReviewError as exc:
                assert "already has its 2 extractors" in str(exc), str(exc)
                note(f"refused: {exc}")
                event("extraction: a third extractor refused")
                continue
            event("extraction: value recorded")
            note(f"{reviewer} extracted {field} = {value!r} of study {study}")

    @precondition(lambda self: self.included_once)
    @rule(pick=st.integers(0, 20), report=st.integers(0, 20), reviewer=st.sampled_from(PEOPLE),
          on_its_own=st.booleans())
    def link(self, pick, report, reviewer, on_its_own):
        """An included report linked to a study, or put back on its own (a study of its own)."""
        study, table = self._study(pick)
        if study is None:
            return
        work = int(table["record_id"].iloc[report % len(table)])
        link_reports(self.review, None if on_its_own else study, [work], reviewer=reviewer)
        if on_its_own:
            note(f"{reviewer} put work {work} on its own")
            event("studies: report unlinked")
        else:
            note(f"{reviewer} linked work {work} to study {study}")
            event("studies: report linked")

    @precondition(lambda self: self.included_once)
    @rule(pick=st.integers(0, 20), reviewers=st.lists(st.sampled_from(PEOPLE), min_size=1,
                                                      max_size=3, unique=True),
          judgement=st.sampled_from(("Low risk", "High risk")))
    def judge(self, pick, reviewers, judgement):
        """Each reviewer in turn judges domain D1 (the third of three is refused)."""
        study, _ = self._study(pick)
        if study is None:
            return
        for reviewer in reviewers:
            try:
                record_judgement(self.review, reviewer=reviewer, tool="SYRCLE", study_id=study,
                                 domain="D1", judgement=judgement, support="x")
            except ReviewError as exc:
                assert "already has its 2 assessors" in str(exc), str(exc)
                note(f"refused: {exc}")
                event("appraisal: a third assessor refused")
                continue
            event("appraisal: judgement recorded")
            note(f"{reviewer} judged study {study} D1 {judgement}")

    # -- after every step -------------------------------------------------------------------------------
    @invariant()
    def store_is_consistent(self):
        if self.review is None:
            return
        store = self.store
        result = verify_review(self.review)
        assert result["orphaned"] == 0, result["problems"]
        assert result["state_matches_log"], result["problems"]
        assert result["ok"], result["problems"]

        works = store.works(live=False)
        live = set(works.loc[works["work_id"] == works["current_work_id"], "work_id"].astype(int))
        current = dict(zip(works["work_id"].astype(int), works["current_work_id"].astype(int)))
        placed = store.work_of_records()
        records = store.records(with_raw=False)["record_id"].astype(int)
        assert placed.index.is_unique
        assert sorted(placed.index.astype(int)) == sorted(records)
        assert set(placed.astype(int)) <= live, "a record in a work that is not live"

        standing = {stage: store.screening_decisions(stage) for stage in STAGES}
        for stage, frame in standing.items():
            assert set(frame["work_id"].astype(int)) <= live, f"{stage} decision on a dead work"
        rebuilt = store.replay()
        assert len(rebuilt["screening_decisions"]) == sum(len(f) for f in standing.values())

        # `verify_review` above already checks the PRISMA arithmetic at every step, imports not
        # yet deduplicated included: an import makes each record a work at once, so the counts
        # add up before a dedup run too (with no duplicates removed). Reports refuse to run
        # until the last dedup has seen every import; this is the check they make.
        if store.records_since_dedup() == 0:
            check_counts(prisma_counts(self.review), unfinished=True)

        expected = self._expected_standing()
        for d in expected:
            frame = standing[d.stage]
            row = frame[frame["event_id"].astype(int) == d.event_id]
            assert len(row) == 1, f"decision {d} no longer stands"
            assert int(row["work_id"].iloc[0]) == current[d.work], \
                f"decision {d} stands on work {int(row['work_id'].iloc[0])}, not {current[d.work]}"
        assert sorted(d.event_id for d in expected) == \
            sorted(int(e) for f in standing.values() for e in f["event_id"])

    def _expected_standing(self) -> list[Decision]:
        """Decisions not undone and not superseded: a later decision (not undone) by the same
        reviewer at the same stage on a work that was then one with this decision's work."""
        counted = [d for d in self.decisions if d.counts]
        return [d for d in counted
                if not any(later.event_id > d.event_id and later.stage == d.stage
                           and later.reviewer == d.reviewer and d.work in later.group
                           for later in counted)]


ReviewMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestReviewState = ReviewMachine.TestCase
