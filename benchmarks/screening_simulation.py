"""Screening prioritisation against ASReview LAB (ELAS u4), and the speed of one model update.

For every labelled dataset in ../shared/data/screening and every seed, our `simulate` and the
peer `asreview_simulate.sh DATA SEED` start from the SAME priors (ours drawn with the seed, passed
to the peer as PRIOR_IDX) and both retrain after every decision. Figures count the priors as
screened records, as the peer does. Targets: records to 95 % recall, ours/ASReview, mean <= 0.95
and no dataset above 1.05.

    python benchmarks/screening_simulation.py                 # all datasets, seeds 1 2 3
    python benchmarks/screening_simulation.py --quick         # six datasets, about a third of the time
    python benchmarks/screening_simulation.py --no-peer --datasets ADHD Triptans --seeds 1
    python benchmarks/screening_simulation.py --timing-only

Peer results are cached (by dataset, seed and priors) in ~/.cache/review-peers/results, as a
single ASReview run takes minutes on 2,000 records; --no-cache runs it again."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from review.errors import ReviewError  # noqa: E402
from review.screening.prioritise import Prioritiser, record_text  # noqa: E402
from review.screening.simulate import load_labelled_csv, simulate  # noqa: E402

SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data" / "screening"
PEER = SHARED / "peers" / "asreview_simulate.sh"
CACHE = Path.home() / ".cache" / "review-peers" / "results"
QUICK = ("ace", "virus", "ADHD", "CalciumChannelBlockers", "Triptans", "Kitchenham_2010")
FIGURES = ("records_to_95pct_recall", "records_to_100pct_recall", "wss95", "recall_at_10pct")


def find_datasets(names=None) -> list[Path]:
    files = sorted(p for p in DATA.rglob("*.csv") if "metadata" not in p.parts)
    if names:
        files = [p for p in files if p.stem in names or p.name in names]
        missing = set(names) - {p.stem for p in files} - {p.name for p in files}
        if missing:
            sys.exit(f"no dataset named {', '.join(sorted(missing))} under {DATA}")
    return files


def run_peer(path: Path, seed: int, priors: list[int], use_cache: bool) -> dict:
    key = hashlib.sha1(f"{path.resolve()}|{seed}|{priors}".encode()).hexdigest()[:16]
    cached = CACHE / f"{path.stem}_{seed}_{key}.json"
    if use_cache and cached.exists():
        return json.loads(cached.read_text())
    env = dict(os.environ, PRIOR_IDX=" ".join(map(str, priors)))
    done = subprocess.run(["bash", str(PEER), str(path), str(seed)], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"peer failed on {path.name} seed {seed}: {done.stderr[-500:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if sorted(result["prior_idx"]) != sorted(priors):
        raise RuntimeError(f"peer used priors {result['prior_idx']}, not {priors}")
    result["recall_at_10pct"] = result["rrf10"]
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result))
    return result


def compare(files, seeds, with_peer: bool, use_cache: bool) -> list[dict]:
    rows = []
    for path in files:
        try:
            frame = load_labelled_csv(path)
        except ReviewError as exc:
            print(f"skipped {path.relative_to(DATA)}: {exc}", flush=True)
            continue
        for seed in seeds:
            ours = simulate(frame, seed)
            priors = ours.prior_included + ours.prior_excluded
            peer = run_peer(path, seed, priors, use_cache) if with_peer else None
            row = {"dataset": path.stem, "seed": seed, "priors": priors,
                   "n_records": ours.n_records, "n_relevant": ours.n_relevant,
                   "ours": ours.to_dict(),
                   "asreview": None if peer is None else {k: peer[k] for k in FIGURES + ("seconds",)}}
            rows.append(row)
            line = (f"{path.stem:24s} seed {seed}: ours {ours.records_to_95pct_recall:5d} "
                    f"/ {ours.records_to_100pct_recall:5d} ({ours.seconds:.0f} s)")
            if peer:
                line += (f"   ASReview {peer['records_to_95pct_recall']:5d} / "
                         f"{peer['records_to_100pct_recall']:5d} ({peer['seconds']:.0f} s)")
            print(line, flush=True)
    return rows


def summarise(rows: list[dict]) -> dict:
    """Per dataset, means over seeds; the ratio is mean(ours) / mean(ASReview) records to 95 %."""
    table = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == name]
        entry = {"dataset": name, "n_records": mine[0]["n_records"],
                 "n_relevant": mine[0]["n_relevant"], "seeds": [r["seed"] for r in mine]}
        for tool in ("ours", "asreview"):
            if mine[0][tool] is not None:
                entry[tool] = {k: round(statistics.mean(r[tool][k] for r in mine), 4)
                               for k in FIGURES + ("seconds",)}
        if "asreview" in entry:
            entry["ratio95"] = round(entry["ours"]["records_to_95pct_recall"]
                                     / entry["asreview"]["records_to_95pct_recall"], 3)
        table.append(entry)
    ratios = [e["ratio95"] for e in table if "ratio95" in e]
    return {"datasets": table, "mean_ratio95": round(statistics.mean(ratios), 3) if ratios else None,
            "max_ratio95": max(ratios) if ratios else None,
            "targets_met": bool(ratios) and statistics.mean(ratios) <= 0.95 and max(ratios) <= 1.05}


def print_table(summary: dict) -> None:
    head = (f"{'dataset':24s} {'N':>5s} {'R':>4s} | {'ours 95%':>8s} {'100%':>5s} {'WSS95':>6s} "
            f"{'R@10%':>6s} | {'ASR 95%':>8s} {'100%':>5s} {'WSS95':>6s} {'R@10%':>6s} | ratio95")
    print("\n" + head + "\n" + "-" * len(head))
    for e in summary["datasets"]:
        o, a = e["ours"], e.get("asreview")
        line = (f"{e['dataset']:24s} {e['n_records']:5d} {e['n_relevant']:4d} | "
                f"{o['records_to_95pct_recall']:8.1f} {o['records_to_100pct_recall']:5.0f} "
                f"{o['wss95']:6.3f} {o['recall_at_10pct']:6.3f} | ")
        if a:
            line += (f"{a['records_to_95pct_recall']:8.1f} {a['records_to_100pct_recall']:5.0f} "
                     f"{a['wss95']:6.3f} {a['recall_at_10pct']:6.3f} | {e['ratio95']:.3f}")
        print(line)
    if summary["mean_ratio95"] is not None:
        print(f"\nrecords to 95 % recall, ours/ASReview: mean {summary['mean_ratio95']:.3f} "
              f"(target <= 0.95), worst {summary['max_ratio95']:.3f} (target <= 1.05): "
              f"{'met' if summary['targets_met'] else 'NOT met'}")


# -- speed of one model update --------------------------------------------------------------------
def perturbed_corpus(texts: list[str], labels: np.ndarray, n: int, seed: int = 0):
    """`n` records made by repeating real ones, each copy with a few words dropped and swapped,
    so that the vocabulary and the row lengths stay realistic but no two rows are equal."""
    rng = np.random.default_rng(seed)
    out, y = [], []
    for i in range(n):
        j = i % len(texts)
        words = texts[j].split()
        if i >= len(texts) and len(words) > 4:
            keep = rng.random(len(words)) > 0.08
            words = [w for w, k in zip(words, keep) if k]
            a, b = rng.integers(0, len(words), 2)
            words[a], words[b] = words[b], words[a]
            words.append(f"copy{i}")
        out.append(" ".join(words))
        y.append(labels[j])
    return out, np.asarray(y)


def time_updates(texts, labels, n_decided: int, updates: int = 20, seed: int = 0) -> dict:
    """Build features once, make a first update on `n_decided` decisions (timed apart), then
    time `updates` refits, each with one more decision (all includes found so far are among
    them, as in prioritised screening)."""
    t = time.perf_counter()
    p = Prioritiser(texts, seed=seed)
    p.features  # built on first use (in a session on the background thread)
    build = time.perf_counter() - t
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    decided = {int(r): int(labels[r]) for r in order[:n_decided]}
    rest = iter(order[n_decided:])
    # The first update after opening a review also builds what later updates only extend (each
    # record's similarity to its nearest include); in a session it ranks without the character
    # features, which the background thread builds just after. Both are timed apart from the
    # steady state.
    p.defer_char_features = True
    t = time.perf_counter()
    p.rank(decided)
    first = time.perf_counter() - t
    t = time.perf_counter()
    p.char_features
    char_build = time.perf_counter() - t
    times, cpu = [], []
    for _ in range(updates):
        r = int(next(rest))
        decided[r] = int(labels[r])
        t, c = time.perf_counter(), time.process_time()
        p.rank(decided)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    ms, cpu_ms = np.array(times) * 1000, np.array(cpu) * 1000
    # CPU time (all threads) beside wall time: on a shared machine the wall time includes
    # waiting for other processes
    return {"n_records": len(texts), "n_decided": n_decided, "features": p.features.shape[1],
            "build_seconds": round(build, 2), "first_update_seconds": round(first, 2),
            "char_build_seconds": round(char_build, 2),
            "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1), "max_ms": round(float(ms.max()), 1),
            "cpu_p95_ms": round(float(np.percentile(cpu_ms, 95)), 1)}


def timing() -> list[dict]:
    path = DATA / "asreview_systematic-review-datasets" / "Nagtegaal_2019.csv"
    frame = load_labelled_csv(path)
    texts = [record_text(t, a) for t, a in zip(frame["title"], frame["abstract"])]
    labels = frame["label_included"].to_numpy()
    results = []
    for n, decided in ((2_000, 200), (2_000, 1_500), (50_000, 1_000), (50_000, 10_000),
                       (50_000, 40_000)):
        corpus, y = perturbed_corpus(texts, labels, n)
        r = time_updates(corpus, y, decided)
        results.append(r)
        print(f"update at {r['n_records']:6d} records, {r['n_decided']:6d} decided: "
              f"p50 {r['p50_ms']:6.1f} ms, p95 {r['p95_ms']:6.1f} ms, max {r['max_ms']:6.1f} ms, "
              f"CPU p95 {r['cpu_p95_ms']:6.1f} ms "
              f"(TF-IDF once: {r['build_seconds']:.1f} s, first update "
              f"{r['first_update_seconds']:.1f} s, then character features "
              f"{r['char_build_seconds']:.1f} s; {r['features']} features)", flush=True)
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", help="dataset file names without .csv")
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument("--no-peer", action="store_true", help="run ours only")
    ap.add_argument("--no-cache", action="store_true", help="rerun the peer even if cached")
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    ap.add_argument("--timing-only", action="store_true", help="only time model updates")
    ap.add_argument("--no-timing", action="store_true", help="skip timing model updates")
    ap.add_argument("--json", action="store_true", help="end with all results as one JSON line")
    args = ap.parse_args(argv)
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: the shared data sit beside the project")
    result = {}
    if not args.timing_only:
        files = find_datasets(args.datasets or (QUICK if args.quick else None))
        rows = compare(files, args.seeds, not args.no_peer, not args.no_cache)
        result["runs"] = rows
        result["summary"] = summarise(rows)
        print_table(result["summary"])
    if not args.no_timing:
        print()
        result["timing"] = timing()
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
