"""Update speed: `review update` of an update search into a large screened review.

    python benchmarks/update_speed.py [--records 100000] [--update 10000] [--found-again 0.3]
                                      [--work DIR] [--json]

A synthetic review of N records (`benchmarks/synthetic_review.py`: four databases, deduplicated, every
work screened by two reviewers with conflicts resolved) is built first (not timed). The update
search is an RIS file of M records: a share of them (--found-again) are the review's own works
exported again the way another database would (title case changed, DOI dropped or written as a
URL, journal abbreviated), the rest are new works. Then `review update FILE --review DIR` runs in
a fresh interpreter, timed as a user sees it (start-up and imports included), with its peak
resident memory (os.wait4). Afterwards the benchmark checks that every decision on a work that
existed before is untouched (same final at both stages) and that `review verify` passes.

Target (issue 19), on a 2-core machine: 10,000 new records into a 100,000-record review in
<= 60 s, with the unchanged works' decisions untouched (`review verify` ok).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

TARGET_SECONDS = 60.0
SEARCH_DATE = "2026-03-01"


def build(folder: Path, n_records: int, echo) -> None:
    from synthetic_review import build_synthetic_review
    start = time.perf_counter()
    review, summary = build_synthetic_review(folder, n_records, with_extraction=False, echo=echo)
    review.store.dispose()
    echo(f"built {n_records} records, {summary.unique_after_dedup} works in "
         f"{time.perf_counter() - start:.1f} s (not timed)")


def _again(row: dict, rng: random.Random) -> str:
    """A record of the review exported again by another database."""
    title = str(row["title"])
    title = title.upper() if rng.random() < 0.3 else title.rstrip(".") + "."
    authors = row["authors"] if isinstance(row["authors"], list) else []
    lines = ["TY  - JOUR", f"TI  - {title}"] + [f"AU  - {a}" for a in authors]
    for tag, name in (("PY", "year"), ("T2", "journal"), ("VL", "volume"), ("IS", "issue"),
                      ("SP", "pages")):
        value = row.get(name)
        if value is not None and value == value and str(value) not in ("", "<NA>"):
            lines.append(f"{tag}  - {value}")
    doi = row.get("doi")
    if isinstance(doi, str) and doi and rng.random() > 0.2:
        lines.append(f"DO  - {'https://doi.org/' + doi if rng.random() < 0.3 else doi}")
    if isinstance(row.get("abstract"), str):
        lines.append(f"AB  - {row['abstract']}")
    return "\n".join(lines + ["ER  - "])


def update_file(folder: Path, n_update: int, found_again: float, seed: int = 7) -> tuple[Path, int]:
    """The update search's RIS export; returns its path and how many records are copies."""
    from review.project import open_review
    from synthetic_review import synthetic_ris
    rng = random.Random(seed)
    review = open_review(folder)
    records = review.store.records(with_raw=False)
    review.store.dispose()
    n_again = int(n_update * found_again)
    picked = records.sample(n=n_again, random_state=seed).to_dict("records")
    blocks = [_again(row, rng) for row in picked]
    texts, _ = synthetic_ris(n_update - n_again, seed=seed + 1000)
    new = "\n\n".join(texts.values())
    # new works: their own DOIs, and a vocabulary of their own (another seed)
    new = re.sub(r"10\.99999/synthetic\.", "10.99999/update.", new)
    blocks += [b.strip() for b in new.split("\n\n") if b.strip()]
    rng.shuffle(blocks)
    path = folder / "update-search.ris"
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path, n_again


def finals(folder: Path) -> dict:
    from review.project import open_review
    review = open_review(folder)
    try:
        out = {}
        for stage in ("title_abstract", "full_text"):
            frame = review.store.screening_finals(stage)
            out[stage] = dict(zip(frame["work_id"].astype(int), frame["final"]))
        return out
    finally:
        review.store.dispose()


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MB) and output of a command in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out[-3000:]}")
    return seconds, usage.ru_maxrss // 1024, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="records in the review")
    parser.add_argument("--update", type=int, default=10_000, help="records in the update search")
    parser.add_argument("--found-again", type=float, default=0.3,
                        help="share of the update's records that are works already in the review")
    parser.add_argument("--work", type=Path, help="folder to build in, kept for later runs "
                                                 "(default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args(argv)
    echo = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="update-speed-") as tmp:
        # with --work, the built review is kept (base-N) and copied for each run
        base = (args.work or Path(tmp)) / f"base-{args.records}"
        if not (base / "review.yaml").exists():
            build(base, args.records, echo)
        folder = (args.work or Path(tmp)) / f"review-{args.records}"
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(base, folder)
        path, n_again = update_file(folder, args.update, args.found_again)
        before = finals(folder)
        review_cli = [sys.executable, "-m", "review"]
        seconds, peak, out = timed(review_cli + ["update", str(path), "--review", str(folder),
                                                 "--database", "Update database",
                                                 "--search-date", SEARCH_DATE, "--json"])
        summary = json.loads(out.strip().splitlines()[-1])
        after = finals(folder)
        from review.project import open_review
        review = open_review(folder)
        live = set(int(w) for w in review.store.works()["work_id"])
        review.store.dispose()
        changed = {stage: sorted(w for w, final in before[stage].items()
                                 if w in live and after[stage].get(w) != final)
                   for stage in before}
        lost = {stage: sorted(w for w in before[stage] if w not in live) for stage in before}
        verify_seconds, _, verify_out = timed(review_cli + ["verify", "--review", str(folder),
                                                            "--json"])
        verified = json.loads(verify_out.strip().splitlines()[-1])
    untouched = not any(changed.values())
    met = seconds <= TARGET_SECONDS and untouched and verified["state_matches_log"] \
        and verified["orphaned"] == 0
    print(f"review update: {args.update} records ({n_again} copies of works in the review) into "
          f"{args.records} records")
    print(f"  {seconds:.1f} s wall, peak {peak} MB  (target <= {TARGET_SECONDS:.0f} s)")
    print(f"  new works {summary['new_works_count']}, found again {summary['duplicates_of_existing']}, "
          f"duplicates within {summary['duplicates_within_update']}, metadata changed "
          f"{summary['changed_works_count']}, merged {len(summary['merged_works'])}, unsure "
          f"{summary['unsure_waiting']}")
    print(f"  decisions on works that existed before: "
          f"{'untouched' if untouched else 'CHANGED ' + str({k: len(v) for k, v in changed.items()})}"
          f"; works merged away (decisions carried to the survivor): "
          f"{ {k: len(v) for k, v in lost.items()} }")
    print(f"  review verify: state matches log {verified['state_matches_log']}, orphaned "
          f"{verified['orphaned']} ({verify_seconds:.1f} s)")
    print(f"  target {'met' if met else 'NOT met'}")
    if args.json:
        print(json.dumps({"records": args.records, "update": args.update, "found_again": n_again,
                          "seconds": round(seconds, 2), "peak_mb": peak,
                          "summary": {k: v for k, v in summary.items() if k != "new_works"},
                          "decisions_untouched": untouched,
                          "verify": {k: verified[k] for k in ("ok", "state_matches_log", "orphaned")},
                          "target_met": met}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
