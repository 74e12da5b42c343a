"""State at scale: final decisions, one click, one undo, `review status` and `review verify` on a
review of 100,000 records, with the current-state store (schema 0003) beside the old code that
rebuilt the state by decoding the whole event log (commit 0335125, schema 0002), in the same run.

    python benchmarks/state_scale.py [--records 100000 | --quick] [--json] [--old-commit 0335125]
                                     [--keep DIR] [--profile]

Each side builds its own review through the package's API (not through the CLI), in a process of
its own whose `review` package is that side's code (`PYTHONPATH`; checked with `review.__file__`):
the old code is taken from git (`git archive`) into a temporary folder. The build, per side:

- `init_review` with the worked example's protocol (protocols/nk-exosomes of that side's tree);
- one `Store.add_source` per database (PubMed, Embase, Web of Science, Scopus: a quarter of the
  records each) of synthetic canonical rows (`normalise_record`): generated words, one RIS `raw`
  text per record; 10 % of the records are copies of a record of the first database;
- a deduplication run given as clusters (each copy with its original, every other record on its
  own; no pairs): `Store.apply_deduplication` (new) or `Store.replace_clusters` (old);
- two reviewers' title/abstract decisions on every work (one reviewer after the other, batches
  of 20,000: `Store.record_decisions`, old `Store.append_events`); 5 % of the works are included
  by both and go to full text, where both decide too (one in five included, the rest excluded).

Then each operation runs in a fresh process opened on that review (`open_review`), so its peak
RSS (`resource` ru_maxrss) belongs to it alone: timed first, then run again under `tracemalloc`
for its peak of Python allocations (tracing slows it, so the seconds come from the first run).
One decision is a reviewer changing their title/abstract include to an exclude on a work, one
undo takes such a decision back: each is timed 5 times (median and worst shown; the first call
of a process pays for compiling its statements).

Targets (issue tracker): final decisions <= 0.5 s, one decision or undo <= 20 ms, review status
<= 1 s, review verify <= 30 s, peak memory <= 1 GB; the build should take minutes, not more.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_COMMIT = "0335125"
PROTOCOL = Path("protocols") / "nk-exosomes" / "protocol.yaml"
DATABASES = ("PubMed", "Embase", "Web of Science", "Scopus")
REVIEWERS = ("Amara Okafor", "Bruno Lindqvist")
DUPLICATE_SHARE = 0.10
INCLUDED_SHARE = 0.05
FULL_TEXT_INCLUDE_EVERY = 5
BATCH = 20_000
CLICKS = 5
SEED = 0

TARGETS = {"final_decisions": 0.5, "decision": 0.020, "undo": 0.020, "status": 1.0,
           "verify_state": 30.0, "verify_review": 30.0}
TARGET_MEMORY_MB = 1024
OPERATIONS = ("final_decisions", "click", "status", "verify_state", "verify_review")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


# -- synthetic records -----------------------------------------------------------------------------
_ONSETS = ("b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "br", "cl", "dr",
           "gr", "pl", "pr", "st", "tr", "sh", "ch", "th", "k", "z")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "io", "ou")
_CODAS = ("", "n", "r", "s", "l", "m", "t", "x", "nd", "st", "rk", "ng")
_JOURNALS = ("Journal of Synthetic Oncology", "Extracellular Vesicle Research",
             "Cancer Immunotherapy Reports", "Frontiers in Made-up Medicine",
             "International Journal of Invented Biology", "Nanomedicine Letters")


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS)
                       for _ in range(rng.randint(1, 3))) + rng.choice(_CODAS)
        if len(word) > 3:
            words.add(word)
    return sorted(words)


class Layout:
    """Which work each record slot holds (slots in import order, a quarter per database): the
    first `n - duplicates` slots' works are all different; each of the `duplicates` slots, drawn
    from the last three databases, repeats a work of the first database."""

    def __init__(self, n_records: int, seed: int = SEED):
        rng = random.Random(seed)
        self.n = n_records
        quarter = n_records // len(DATABASES)
        self.bounds = [i * quarter for i in range(len(DATABASES))] + [n_records]
        self.duplicates = int(n_records * DUPLICATE_SHARE)
        if self.duplicates > quarter:
            raise SystemExit("too few records to place the duplicates in the first database")
        copies = set(rng.sample(range(quarter, n_records), self.duplicates))
        originals = rng.sample(range(quarter), self.duplicates)  # works of the first database
        self.work_of_slot: list[int] = []
        self.original_slot: dict[int, int] = {}  # duplicate slot -> slot of its original
        next_work = 0
        drawn = iter(originals)
        for slot in range(n_records):
            if slot in copies:
                original = next(drawn)  # the first database's works are its slots
                self.work_of_slot.append(original)
                self.original_slot[slot] = original
            else:
                self.work_of_slot.append(next_work)
                next_work += 1
        self.unique = next_work
        words_rng = random.Random(seed + 7)
        self.words = _vocabulary(words_rng, 4000)
        self.surnames = [w.capitalize() for w in _vocabulary(words_rng, 3000)]

    def record(self, slot: int) -> dict:
        """A reader-style record (as `review.io` yields it) for a slot: the work's fields and
        its RIS text as `raw`."""
        work = self.work_of_slot[slot]
        rng = random.Random(work * 1_000_003 + 17)
        title = " ".join(rng.choices(self.words, k=rng.randint(9, 15))).capitalize()
        authors = []
        for _ in range(rng.randint(1, 6)):
            initials = rng.choices("ABCDEFGHJKLMNPRSTVW", k=rng.randint(1, 2))
            authors.append(f"{rng.choice(self.surnames)}, {'. '.join(initials)}.")
        year = str(rng.randint(2000, 2025))
        journal = _JOURNALS[rng.randrange(len(_JOURNALS))]
        volume, issue = str(rng.randint(1, 60)), str(rng.randint(1, 12))
        first = rng.randint(1, 2000)
        pages = f"{first}-{first + rng.randint(5, 19)}"
        doi = f"10.99999/synthetic.{work + 1:07d}"
        abstract = " ".join(rng.choices(self.words, k=rng.randint(40, 80))).capitalize() + "."
        raw = "\n".join(["TY  - JOUR", f"TI  - {title}", *(f"AU  - {a}" for a in authors),
                         f"PY  - {year}", f"T2  - {journal}", f"VL  - {volume}", f"IS  - {issue}",
                         f"SP  - {first}", f"EP  - {pages.split('-')[1]}", f"DO  - {doi}",
                         f"AB  - {abstract}", "ER  - "])
        return {"title": title, "authors": authors, "year": year, "journal": journal,
                "volume": volume, "issue": issue, "pages": pages, "doi": doi,
                "abstract": abstract, "raw": raw, "line": 1 + 14 * (slot - self.bounds[
                    self._source(slot)])}

    def _source(self, slot: int) -> int:
        for index in range(len(DATABASES)):
            if self.bounds[index] <= slot < self.bounds[index + 1]:
                return index
        raise IndexError(slot)


# -- worker: one side's build ----------------------------------------------------------------------
def _only_from(root: Path) -> None:
    """Import `review` from `root` alone. The editable install's finder sits after PYTHONPATH on
    sys.meta_path, but it would still serve a module the old tree lacks (review.verify) from
    the work tree: take it out."""
    sys.meta_path[:] = [f for f in sys.meta_path
                        if not getattr(f, "__module__", "").startswith("__editable___review")]


def _check_package(root: Path) -> str:
    """review.__file__, once every review module loaded is known to come from `root`."""
    import review
    where = Path(review.__file__).resolve()
    foreign = sorted(name for name, module in list(sys.modules.items())
                     if (name == "review" or name.startswith("review."))
                     and getattr(module, "__file__", None)
                     and root.resolve() not in Path(module.__file__).resolve().parents)
    if foreign:
        raise SystemExit(f"review modules loaded from outside {root}: {', '.join(foreign)}")
    return str(where)


def worker_build(side: str, code: Path, folder: Path, n_records: int) -> dict:
    import pandas as pd

    from review.project import init_review
    from review.records import normalise_record
    from review.screening.decisions import decision_event

    out: dict = {"side": side, "package": _check_package(code)}
    t_all = time.perf_counter()
    t = time.perf_counter()
    layout = Layout(n_records)
    out["generate_layout_seconds"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    review = init_review(folder, code / PROTOCOL, name=f"state-scale-{n_records}")
    store = review.store
    out["init_seconds"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    for index, database in enumerate(DATABASES):
        start, end = layout.bounds[index], layout.bounds[index + 1]
        file_name = f"{database.lower().replace(' ', '-')}.ris"
        rows = (normalise_record(layout.record(slot), slot - start + 1, source_file=file_name,
                                 database=database, raw_format="ris")
                for slot in range(start, end))
        store.add_source(rows, file_name=file_name, file_path=None,
                         sha256=f"{n_records:016x}{index:048x}", format="ris", encoding="utf-8",
                         database=database, method="database", search_date="2025-08-12",
                         actor="benchmark")
    out["import_seconds"] = round(time.perf_counter() - t, 3)

    # Record ids by (database, position), however the store numbered them.
    t = time.perf_counter()
    frame = store.records(with_raw=False)[["record_id", "database", "position"]]
    id_of = {(db, int(pos)): int(rid) for rid, db, pos in frame.itertuples(index=False)}
    record_of_slot = []
    for index, database in enumerate(DATABASES):
        start, end = layout.bounds[index], layout.bounds[index + 1]
        record_of_slot += [id_of[(database, slot - start + 1)] for slot in range(start, end)]
    del frame, id_of
    label = {record_of_slot[s]: record_of_slot[layout.original_slot.get(s, s)]
             for s in range(n_records)}
    clusters = pd.Series(label, name="cluster_id").sort_index()
    clusters.index.name = "record_id"
    pairs = pd.DataFrame(columns=["record_a", "record_b", "decision", "rule", "score", "details"])
    summary = {"records": n_records, "unique": layout.unique,
               "duplicates_removed": layout.duplicates, "unsure_waiting": 0,
               "reviewer_decisions": 0}
    if side == "new":
        store.apply_deduplication(clusters, rules={}, pairs=pairs, actor="benchmark",
                                  summary=summary)
        units = sorted(int(w) for w in store.works(live=True)["work_id"])
    else:
        store.replace_clusters(clusters, {}, pairs, actor="benchmark", summary=summary)
        units = sorted(set(int(c) for c in clusters))
    out["dedup_seconds"] = round(time.perf_counter() - t, 3)
    if len(units) != layout.unique:
        raise SystemExit(f"{side}: {len(units)} works after deduplication, "
                         f"expected {layout.unique}")

    rng = random.Random(SEED + 1)
    included = sorted(rng.sample(units, round(len(units) * INCLUDED_SHARE)))
    included_set = set(included)
    reasons = {stage: [r.code for r in getattr(review.protocol.exclusion_reasons, stage)]
               for stage in ("title_abstract", "full_text")}

    def rows_for(stage: str, reviewer: str, works: list[int], include) -> list[dict]:
        rows = []
        for position, work in enumerate(works):
            yes = include(position, work)
            rows.append(decision_event(
                stage=stage, record_id=work, reviewer=reviewer,
                decision="include" if yes else "exclude",
                reason=None if yes else reasons[stage][work % len(reasons[stage])]))
        return rows

    def store_rows(rows: list[dict]) -> list[float]:
        times = []
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            t_batch = time.perf_counter()
            if side == "new":
                store.record_decisions(batch)
            else:
                store.append_events(batch)
            times.append(round(time.perf_counter() - t_batch, 3))
        return times

    counted = 0
    for stage, works, include in (
            ("title_abstract", units, lambda _, work: work in included_set),
            ("full_text", included, lambda position, _: position % FULL_TEXT_INCLUDE_EVERY == 0)):
        t = time.perf_counter()
        batches = []
        for reviewer in REVIEWERS:
            rows = rows_for(stage, reviewer, works, include)
            counted += len(rows)
            times = store_rows(rows)
            batches += times
            log(f"  {side}: {len(rows):,} {stage} decisions by {reviewer} stored in "
                f"{sum(times):.1f} s")
        out[f"{stage}_seconds"] = round(time.perf_counter() - t, 3)
        out[f"{stage}_batch_seconds"] = batches
    out["build_seconds"] = round(time.perf_counter() - t_all, 3)
    out.update({"records": n_records, "works": len(units), "duplicates": layout.duplicates,
                "included_title_abstract": len(included),
                "included_full_text": len(included[::FULL_TEXT_INCLUDE_EVERY]),
                "decisions": counted, "events": int(len(store.events())) if side == "old"
                else store.event_count(), "build_max_rss_mb": round(max_rss_mb(), 1)})
    _check_package(code)
    (folder / "state_scale.json").write_text(json.dumps(
        {"included": included, "reasons": reasons}), encoding="utf-8")
    store.dispose()
    return out


# -- worker: one operation -------------------------------------------------------------------------
def _traced(function):
    """Run `function` under tracemalloc; (its result, peak MB of Python allocations)."""
    import gc
    import tracemalloc
    gc.collect()
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _timed(function):
    t = time.perf_counter()
    result = function()
    return result, time.perf_counter() - t


def _profile(label: str, function) -> None:
    import cProfile
    import io
    import pstats
    profiler = cProfile.Profile()
    profiler.runcall(function)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    log(f"--- profile of {label} ---\n{text.getvalue()}")


def _status_parts(review, status_module) -> dict[str, float]:
    """`review_status` run once more with its parts timed: every call it makes to a helper of
    `review.status` or to a method of the store, outermost calls only (a helper's own store
    calls count in the helper); `other` is the rest."""
    import inspect
    spent: dict[str, float] = {}
    depth = [0]

    def timed(name: str, function):
        def call(*args, **kwargs):
            depth[0] += 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
        return call

    helpers = {name: value for name, value in vars(status_module).items()
               if inspect.isfunction(value) and value.__module__ == status_module.__name__
               and name not in ("review_status", "format_status")}
    store = review.store
    methods = [name for name in dir(type(store)) if not name.startswith("__")
               and inspect.isfunction(inspect.getattr_static(type(store), name, None))]
    for name, function in helpers.items():
        setattr(status_module, name, timed(name, function))
    for name in methods:
        setattr(store, name, timed(f"store.{name}", getattr(store, name)))
    try:
        _, total = _timed(lambda: status_module.review_status(review))
    finally:
        for name, function in helpers.items():
            setattr(status_module, name, function)
        for name in methods:
            delattr(store, name)
    parts = dict(sorted(spent.items(), key=lambda item: -item[1]))
    parts["other"] = max(0.0, total - sum(spent.values()))
    return {name: round(seconds, 4) for name, seconds in parts.items()}


def worker_measure(side: str, code: Path, folder: Path, operation: str, profile: bool) -> dict:
    from review.project import open_review
    from review.screening import decisions as screening

    package = _check_package(code)
    t = time.perf_counter()
    review = open_review(folder)
    store = review.store
    out: dict = {"side": side, "operation": operation, "package": package,
                 "open_seconds": round(time.perf_counter() - t, 3)}
    plan = json.loads((folder / "state_scale.json").read_text(encoding="utf-8"))

    if operation == "final_decisions":
        def run():
            if side == "new":
                return screening.final_decisions(store, "title_abstract")
            return screening.final_decisions(store, "title_abstract", reviewers_per_record=2)
        finals, seconds = _timed(run)
        out["seconds"] = round(seconds, 4)
        out["rows"] = int(len(finals))
        out["finals"] = {str(k): int(v) for k, v in finals["final"].value_counts().items()}
        out["rss_mb"] = round(max_rss_mb(), 1)
        out["traced_mb"] = round(_traced(run)[1], 1)
        if profile:
            _profile(f"{side} final decisions", run)

    elif operation == "click":
        reviewer = REVIEWERS[0]
        reason = plan["reasons"]["title_abstract"][0]
        targets = plan["included"][:CLICKS + 1]

        def decide(work: int) -> int:
            return screening.record_decision(store, stage="title_abstract", record_id=work,
                                             reviewer=reviewer, decision="exclude", reason=reason)

        def undo(event_id: int) -> int:
            return screening.undo_decision(store, stage="title_abstract", event_id=event_id,
                                           reviewer=reviewer)
        made, decide_times, undo_times = [], [], []
        for work in targets[:CLICKS]:
            event_id, seconds = _timed(lambda: decide(work))
            made.append(event_id)
            decide_times.append(seconds)
        for event_id in made:
            undo_times.append(_timed(lambda: undo(event_id))[1])
        out["rss_mb"] = round(max_rss_mb(), 1)
        last, out["decision_traced_mb"] = _traced(lambda: decide(targets[CLICKS]))
        out["undo_traced_mb"] = round(_traced(lambda: undo(last))[1], 1)
        out["decision_traced_mb"] = round(out["decision_traced_mb"], 1)
        out["decision_seconds"] = round(statistics.median(decide_times), 4)
        out["decision_worst_seconds"] = round(max(decide_times), 4)
        out["decision_all_seconds"] = [round(s, 4) for s in decide_times]
        out["undo_seconds"] = round(statistics.median(undo_times), 4)
        out["undo_worst_seconds"] = round(max(undo_times), 4)
        out["undo_all_seconds"] = [round(s, 4) for s in undo_times]
        # Every work clicked is back where it was: both reviewers include it.
        finals = screening.final_decisions(store, "title_abstract", reviewers_per_record=2) \
            if side == "old" else screening.final_decisions(store, "title_abstract")
        final = finals.set_index("record_id")["final"]
        out["restored"] = all(final.get(w) == "include" for w in targets)
        if profile:
            event_id = decide(targets[0])
            _profile(f"{side} one decision", lambda: decide(targets[1]))
            _profile(f"{side} one undo", lambda: undo(event_id))

    elif operation == "status":
        from review import status as status_module
        result, seconds = _timed(lambda: status_module.review_status(review))
        out["seconds"] = round(seconds, 4)
        out["rss_mb"] = round(max_rss_mb(), 1)
        out["screening"] = result["screening"]
        out["events"] = result["events"]
        out["parts_seconds"] = _status_parts(review, status_module)
        out["traced_mb"] = round(_traced(lambda: status_module.review_status(review))[1], 1)
        if profile:
            _profile(f"{side} review status", lambda: status_module.review_status(review))

    elif operation == "verify_state":
        if not hasattr(store, "verify_state"):
            return {**out, "seconds": None, "note": "n/a: this code has no verify"}
        result, seconds = _timed(store.verify_state)
        out["seconds"] = round(seconds, 4)
        out["rss_mb"] = round(max_rss_mb(), 1)
        out["result"] = {"events": result["events"], "orphaned": result["orphaned"],
                         "state_matches_log": result["state_matches_log"],
                         "attention": len(result["attention"]),
                         "problems": result["problems"][:10]}
        out["traced_mb"] = round(_traced(store.verify_state)[1], 1)
        if profile:
            _profile(f"{side} verify_state", store.verify_state)

    elif operation == "verify_review":
        import importlib.util
        if importlib.util.find_spec("review.verify") is None:
            return {**out, "seconds": None, "note": "n/a: no review.verify in this code"}
        from review.verify import verify_review
        result, seconds = _timed(lambda: verify_review(review))
        out["seconds"] = round(seconds, 4)
        out["rss_mb"] = round(max_rss_mb(), 1)
        out["result"] = {"ok": result["ok"], "events": result["events"],
                         "orphaned": result["orphaned"],
                         "state_matches_log": result["state_matches_log"],
                         "attention": len(result["attention"]),
                         "problems": result["problems"][:10]}
        out["traced_mb"] = round(_traced(lambda: verify_review(review))[1], 1)
        if profile:
            _profile(f"{side} verify_review", lambda: verify_review(review))
    else:
        raise SystemExit(f"unknown operation {operation!r}")
    _check_package(code)
    store.dispose()
    return out


# -- the driver ------------------------------------------------------------------------------------
def run_worker(code: Path, args: list[str]) -> dict:
    """Run this file as a worker whose `review` is the package in `code`; its JSON answer."""
    env = {k: v for k, v in os.environ.items() if k not in ("REVIEW_DATABASE_URL", "PYTHONPATH")}
    env["PYTHONPATH"] = str(code)
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as handle:
        answer = Path(handle.name)
    try:
        completed = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args,
                                    "--out", str(answer)], env=env, cwd=str(code))
        if completed.returncode != 0:
            return {"error": f"worker {' '.join(args)} failed with exit code "
                             f"{completed.returncode} (traceback above)"}
        return json.loads(answer.read_text(encoding="utf-8"))
    finally:
        answer.unlink(missing_ok=True)


def old_tree(commit: str, target: Path) -> Path:
    """The package as it was at `commit`, extracted from git (the work tree is not touched)."""
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def code_state() -> str:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "review"],
                           capture_output=True, text=True).stdout.strip()
    return head + (" + uncommitted changes under review/" if dirty else "")


def _seconds(value) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.1f} ms" if value < 0.1 else f"{value:.2f} s"


def _memory(entry: dict, traced: str = "traced_mb") -> str:
    if not entry or entry.get(traced) is None:
        return "n/a"
    return f"{entry[traced]:.0f} / {entry['rss_mb']:.0f}"


def table(results: dict) -> str:
    new, old = results["new"], results["old"]
    nb, ob = new["build"], old["build"]
    lines = [f"State at scale: {nb.get('records', '?'):,} records, {nb.get('works', '?'):,} works "
             f"({nb.get('duplicates', '?'):,} duplicates merged), "
             f"{nb.get('decisions', '?'):,} screening decisions "
             f"({nb.get('included_title_abstract', '?'):,} works to full text, "
             f"{nb.get('included_full_text', '?'):,} included)",
             f"new: {results['new_code']}; old: {results['old_code']}", ""]
    head = (f"{'operation':<36} {'new':>10} {'old':>10}  {'target':<16} "
            f"{'new MB traced/RSS':>18} {'old MB traced/RSS':>18}")
    lines += [head, "-" * len(head)]

    def row(label, new_s, old_s, target="", new_mem="", old_mem=""):
        lines.append(f"{label:<36} {new_s:>10} {old_s:>10}  {target:<16} {new_mem:>18} "
                     f"{old_mem:>18}")

    for key, label in (("import_seconds", "build: init + import"),
                       ("dedup_seconds", "build: deduplication"),
                       ("title_abstract_seconds", "build: title/abstract decisions"),
                       ("full_text_seconds", "build: full-text decisions"),
                       ("build_seconds", "build: total")):
        extra = [nb.get("init_seconds", 0), ob.get("init_seconds", 0)] \
            if key == "import_seconds" else [0, 0]
        n = nb.get(key)
        o = ob.get(key)
        total = key == "build_seconds"
        row(label, _seconds(None if n is None else n + extra[0]),
            _seconds(None if o is None else o + extra[1]), "minutes",
            f"- / {nb['build_max_rss_mb']:.0f}" if total and "build_max_rss_mb" in nb else "",
            f"- / {ob['build_max_rss_mb']:.0f}" if total and "build_max_rss_mb" in ob else "")

    def verdict(seconds, target):
        if seconds is None:
            return f"<= {_seconds(target)}"
        return f"<= {_seconds(target)} {'met' if seconds <= target else 'NOT met'}"

    ops_new, ops_old = new["operations"], old["operations"]
    fd_n, fd_o = ops_new.get("final_decisions", {}), ops_old.get("final_decisions", {})
    row("final decisions (title/abstract)", _seconds(fd_n.get("seconds")),
        _seconds(fd_o.get("seconds")), verdict(fd_n.get("seconds"), TARGETS["final_decisions"]),
        _memory(fd_n), _memory(fd_o))
    ck_n, ck_o = ops_new.get("click", {}), ops_old.get("click", {})
    for what in ("decision", "undo"):
        row(f"one {what} (median of {CLICKS})", _seconds(ck_n.get(f"{what}_seconds")),
            _seconds(ck_o.get(f"{what}_seconds")),
            verdict(ck_n.get(f"{what}_seconds"), TARGETS[what]),
            _memory(ck_n, f"{what}_traced_mb"), _memory(ck_o, f"{what}_traced_mb"))
        row(f"  worst of {CLICKS}", _seconds(ck_n.get(f"{what}_worst_seconds")),
            _seconds(ck_o.get(f"{what}_worst_seconds")))
    st_n, st_o = ops_new.get("status", {}), ops_old.get("status", {})
    row("review status", _seconds(st_n.get("seconds")), _seconds(st_o.get("seconds")),
        verdict(st_n.get("seconds"), TARGETS["status"]), _memory(st_n), _memory(st_o))
    for key, label in (("verify_state", "review verify: store.verify_state"),
                       ("verify_review", "review verify: verify_review")):
        vn, vo = ops_new.get(key, {}), ops_old.get(key, {})
        row(label, _seconds(vn.get("seconds")), _seconds(vo.get("seconds")),
            verdict(vn.get("seconds"), TARGETS[key]), _memory(vn), _memory(vo))
    peaks = [e.get("rss_mb") for e in ops_new.values() if isinstance(e, dict) and e.get("rss_mb")]
    traced = [v for e in ops_new.values() if isinstance(e, dict)
              for k, v in e.items() if k.endswith("traced_mb") and v is not None]
    if peaks:
        worst = max(peaks + traced)
        lines.append(f"peak memory of the new code's operations: {max(traced or [0]):.0f} MB "
                     f"traced, {max(peaks):.0f} MB RSS (target <= {TARGET_MEMORY_MB} MB: "
                     f"{'met' if worst <= TARGET_MEMORY_MB else 'NOT met'})")
    lines.append("")
    for side, status in (("new", st_n), ("old", st_o)):
        if status.get("parts_seconds"):
            lines.append(f"review status, by part ({side}): " + ", ".join(
                f"{k} {_seconds(v)}" for k, v in status["parts_seconds"].items()))
    for side, build in (("new", nb), ("old", ob)):
        for stage in ("title_abstract", "full_text"):
            batches = build.get(f"{stage}_batch_seconds")
            if batches:
                lines.append(f"{stage} batches of {BATCH:,} ({side}): "
                             + " ".join(f"{b:.1f}" for b in batches) + " s")
    for side in ("new", "old"):
        verify = results[side]["operations"].get("verify_review") or \
            results[side]["operations"].get("verify_state") or {}
        if verify.get("result"):
            r = verify["result"]
            lines.append(f"verify ({side}): state matches log {r['state_matches_log']}, "
                         f"orphaned {r['orphaned']}, {r['attention']} works need attention, "
                         f"problems {r['problems'] or 'none'}")
    fn, fo = fd_n.get("finals"), fd_o.get("finals")
    if fn is not None and fo is not None:
        lines.append("final title/abstract decisions: " + (
            f"the same on both sides {fn}" if fn == fo else f"DIFFER: new {fn}, old {fo}"))
    for side in ("new", "old"):
        click = results[side]["operations"].get("click", {})
        if click and not click.get("restored", True):
            lines.append(f"{side}: the works clicked did not come back to 'include' after "
                         "the undos")
    for side in ("new", "old"):
        for key, entry in [("build", results[side]["build"]),
                           *results[side]["operations"].items()]:
            if isinstance(entry, dict) and entry.get("error"):
                lines.append(f"{side} {key}: {entry['error']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="5,000 records")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as one JSON object (the table goes to stderr)")
    parser.add_argument("--old-commit", default=OLD_COMMIT)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the reviews in this folder and leave them there")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of each operation (both sides) to stderr")
    parser.add_argument("--only", choices=("new", "old"), default=None,
                        help="build and measure one side only")
    # Worker mode (internal): one side's build or one operation, answer in --out.
    parser.add_argument("--worker", choices=("build", *OPERATIONS), help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=("new", "old"), help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n_records = 5_000 if args.quick else args.records

    if args.worker:
        _only_from(args.code)
        if args.worker == "build":
            answer = worker_build(args.side, args.code, args.folder, n_records)
        else:
            answer = worker_measure(args.side, args.code, args.folder, args.worker, args.profile)
        args.out.write_text(json.dumps(answer), encoding="utf-8")
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="state-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        old_code = old_tree(args.old_commit, work / "old-code")
        codes = {"new": ROOT, "old": old_code}
        results: dict = {"records": n_records, "new_code": code_state(),
                         "old_code": f"{args.old_commit} (git archive into {old_code})"}
        sides = ("new", "old") if args.only is None else (args.only,)
        for side in ("new", "old"):
            results[side] = {"build": {}, "operations": {}}
        for side in sides:
            folder = work / f"{side}-review"
            if folder.exists():
                shutil.rmtree(folder)
            log(f"{side}: building a review of {n_records:,} records in {folder}")
            build = run_worker(codes[side], ["--worker", "build", "--side", side, "--code",
                                             str(codes[side]), "--folder", str(folder),
                                             "--records", str(n_records)])
            results[side]["build"] = build
            if "error" in build:
                continue
            log(f"{side}: built in {build['build_seconds']:.1f} s")
            for operation in OPERATIONS:
                log(f"{side}: {operation}")
                extra = ["--profile"] if args.profile else []
                results[side]["operations"][operation] = run_worker(
                    codes[side], ["--worker", operation, "--side", side, "--code",
                                  str(codes[side]), "--folder", str(folder), *extra])
        text = table(results)
        if args.json:
            print(text, file=sys.stderr)
            print(json.dumps(results))
        else:
            print(text)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
