"""Screening prioritisation against ASReview LAB (ELAS u4), measured out of sample, the
stopping rule in simulation, and the speed of one model update.

For every labelled dataset in ../shared/data/screening and every seed, each candidate model of
`review.screening.models.MODELS` and the peer `asreview_simulate.sh DATA SEED` start from the
SAME priors (ours drawn with the seed, passed to the peer as PRIOR_IDX) and all retrain after
every decision. Figures count the priors as screened records, as the peer does.

Honest evaluation: which model the project uses is itself a choice made on these datasets, so
the headline is cross-validated. Leave one review out: on the other reviews choose the candidate
with the lowest mean ratio (records to 95 % recall, ours / ASReview), then measure that choice
on the review left out. With --weight-grid the weights of the fused model's opinions are among
the choices (every pair of CHAR_WEIGHTS and NEAREST_WEIGHTS is a candidate), so that they too are
chosen without the review they are measured on. The out-of-sample figure (each review measured
with a model chosen without it) is printed first; the in-sample figure (the one model best on
all reviews) beside it.
Targets: out of sample, mean ratio <= 0.92 and no dataset above 1.05.

Stopping: on every simulated screening order the hypergeometric stopping rule (recall target
95 %, alpha 0.05; `review.screening.stopping`) is applied after each record; it should stop with
recall >= 95 % in at least 95 % of runs of each dataset, and before the last record.

    python benchmarks/screening_simulation.py                 # all datasets, seeds 1 2 3
    python benchmarks/screening_simulation.py --quick         # six datasets
    python benchmarks/screening_simulation.py --no-peer --datasets ADHD Triptans --seeds 1
    python benchmarks/screening_simulation.py --models elas-u4 fused --no-timing
    python benchmarks/screening_simulation.py --weight-grid --until-95 --no-timing
    python benchmarks/screening_simulation.py --timing-only
    python benchmarks/screening_simulation.py --timing-meaning     # embeddings, fused+meaning

Results are cached by model settings, dataset, seed and priors: ours in
~/.cache/review-bench/ours (delete it after changing the model's code), the peer's in
~/.cache/review-peers/results, as a single ASReview run takes up to a minute; --no-cache runs
both again. Where the peer's result is missing and --no-peer is given, the ratio is taken
against our `elas-u4` (which orders records exactly as ASReview does; checked where both ran),
and the table marks it with *."""
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
from review.screening.models import MODELS, make_prioritiser, settings_read_meaning  # noqa: E402
from review.screening.prioritise import Prioritiser, record_text  # noqa: E402
from review.screening.simulate import load_labelled_csv, simulate  # noqa: E402
from review.screening.stopping import (random_sample_test, stopping_point,  # noqa: E402
                                       validation_sample_size)

SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data" / "screening"
PEER = SHARED / "peers" / "asreview_simulate.sh"
CACHE = Path.home() / ".cache" / "review-peers" / "results"
OURS_CACHE = Path.home() / ".cache" / "review-bench" / "ours"
EMBEDDINGS_CACHE = Path.home() / ".cache" / "review-bench" / "embeddings"
QUICK = ("ace", "virus", "ADHD", "CalciumChannelBlockers", "Triptans", "Kitchenham_2010")
FIGURES = ("records_to_95pct_recall", "records_to_100pct_recall", "wss95", "recall_at_10pct")
REFERENCE = "elas-u4"  # our reproduction of the peer's model
TARGET_MEAN, TARGET_MAX = 0.92, 1.05
#: With --weight-grid the weights of the fused opinions are chosen by the cross-validation too:
#: every pair (character SVM, nearest include) of these is a candidate, the word SVM weighing 1.
CHAR_WEIGHTS = (0.0, 0.45, 0.9, 1.35, 2.0, 3.0)
NEAREST_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def weight_grid() -> dict[str, dict]:
    """Candidate name -> `Prioritiser` settings for every pair of weights; a pair that is one of
    the named models keeps its name (and its cached runs)."""
    grid = {}
    for char in CHAR_WEIGHTS:
        for nearest in NEAREST_WEIGHTS:
            settings = {"char_weight": char, "nearest_weight": nearest}
            name = next((m for m, s in MODELS.items() if s == settings),
                        f"c{char:g}+n{nearest:g}")
            grid[name] = settings
    return grid


def find_datasets(names=None) -> list[Path]:
    files = sorted(p for p in DATA.rglob("*.csv") if "metadata" not in p.parts
                   and p.name != "index.csv")
    if names:  # in the order named
        rank = {n: i for i, n in enumerate(names)}
        files = sorted((p for p in files if p.stem in names or p.name in names),
                       key=lambda p: rank.get(p.stem, rank.get(p.name)))
        missing = set(names) - {p.stem for p in files} - {p.name for p in files}
        if missing:
            sys.exit(f"no dataset named {', '.join(sorted(missing))} under {DATA}")
    return files


def _key(*parts) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def run_peer(path: Path, seed: int, priors: list[int], use_cache: bool, cached_only: bool) -> dict | None:
    cached = CACHE / f"{path.stem}_{seed}_{_key(path.resolve(), seed, priors)}.json"
    if use_cache and cached.exists():
        return json.loads(cached.read_text())
    if cached_only:
        return None
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


def run_ours(model: str, path: Path, frame, seed: int, use_cache: bool,
             until_95: bool = False, cached_only: bool = False,
             settings: dict | None = None) -> dict | None:
    """One simulation, with the labels in screening order (for the stopping rule). With
    `until_95` (when CPU time is short) it stops at 95 % recall: records to 95 % recall is the
    same, the later figures and the stopping rule are then left out for this run. `settings`
    (`Prioritiser` keywords) stand in for a candidate that is not one of the named models."""
    settings = MODELS[model] if settings is None else settings
    key = _key(path.resolve(), seed, settings)
    cached = OURS_CACHE / f"{model}_{path.stem}_{seed}_{key}.json"
    partial = OURS_CACHE / f"{model}_{path.stem}_{seed}_{key}_until95.json"
    if use_cache and cached.exists():
        return json.loads(cached.read_text())
    if use_cache and until_95 and partial.exists():
        return json.loads(partial.read_text())
    if cached_only:
        return None
    texts = [record_text(t, a) for t, a in zip(frame["title"], frame["abstract"])]
    embeddings = embeddings_of(texts, settings.get("embedder", "wordllama")) \
        if settings_read_meaning(settings) else None
    prioritiser = Prioritiser(texts, seed=seed, embeddings=embeddings, **settings)
    if until_95:
        out = _until_95(frame, seed, prioritiser)
        target = partial
    else:
        result = simulate(frame, seed, prioritiser=prioritiser)
        out = result.to_dict() | {"priors": result.prior_included + result.prior_excluded,
                                  "labels": result.labels}
        target = cached
    OURS_CACHE.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(out))
    return out


def embeddings_of(texts: list[str], model: str = "wordllama") -> np.ndarray:
    """Sentence embeddings of a dataset's records by the named model, computed once and kept in
    ~/.cache/review-bench/embeddings (by the texts and the embedding model's name)."""
    from review.screening.embeddings import embedder
    model = embedder(model)
    cached = EMBEDDINGS_CACHE / f"{_key(model.model_name, *texts)}.npy"
    if cached.exists():
        return np.load(cached)
    vectors = model.embed(texts)
    EMBEDDINGS_CACHE.mkdir(parents=True, exist_ok=True)
    np.save(cached, vectors)
    return vectors


def _until_95(frame, seed: int, prioritiser) -> dict:
    """`simulate`'s loop (same priors, same choice of the next record), ended at 95 % recall."""
    import math
    from review.screening.simulate import draw_priors, screening_order
    started = time.perf_counter()
    labels = frame["label_included"].to_numpy(dtype=np.int64)
    prior_in, prior_out = draw_priors(labels, seed)
    relevant = int(labels.sum())
    order = screening_order(prioritiser, labels, prior_in + prior_out, math.ceil(0.95 * relevant))
    n = len(labels)
    tenth = math.ceil(0.1 * n)
    return {"n_records": n, "n_relevant": relevant, "records_to_95pct_recall": len(order),
            "records_to_100pct_recall": None, "wss95": round((n - len(order)) / n - 0.05, 4),
            "recall_at_10pct": (round(float(labels[order[:tenth]].sum()) / relevant, 4)
                                if len(order) >= tenth else None),
            "seconds": round(time.perf_counter() - started, 2), "priors": prior_in + prior_out,
            "labels": None}


def compare(files, seeds, models, with_peer: bool, use_cache: bool,
            until_95: bool = False, cached_only: bool = False,
            settings: dict[str, dict] | None = None) -> list[dict]:
    """Every candidate (a named model, or a name in `settings`) and the peer on every dataset
    and seed."""
    settings = settings or {}
    rows = []
    for path in files:
        try:
            frame = load_labelled_csv(path)
        except ReviewError as exc:
            print(f"skipped {path.relative_to(DATA)}: {exc}", flush=True)
            continue
        for seed in seeds:
            ours = {m: run_ours(m, path, frame, seed, use_cache, until_95 and m != REFERENCE,
                                cached_only, settings.get(m)) for m in models}
            if any(o is None for o in ours.values()):
                print(f"{path.stem:24s} seed {seed}: not in the cache for "
                      f"{', '.join(m for m, o in ours.items() if o is None)}; left out", flush=True)
                continue
            priors = next(iter(ours.values()))["priors"]
            peer = run_peer(path, seed, priors, use_cache, cached_only=not with_peer)
            first = next(iter(ours.values()))
            row = {"dataset": path.stem, "seed": seed, "priors": priors,
                   "n_records": first["n_records"], "n_relevant": first["n_relevant"],
                   "ours": ours,
                   "asreview": None if peer is None else {k: peer[k] for k in FIGURES + ("seconds",)}}
            rows.append(row)
            line = f"{path.stem:24s} seed {seed}: " + "  ".join(
                f"{m} {o['records_to_95pct_recall']:5d}" for m, o in ours.items())
            if peer:
                line += f"   ASReview {peer['records_to_95pct_recall']:5d} ({peer['seconds']:.0f} s)"
            print(line, flush=True)
    return rows


# -- out-of-sample summary ------------------------------------------------------------------------
def per_dataset(rows: list[dict], models) -> list[dict]:
    """Per dataset, means over seeds of every figure, for every model and the peer; the ratio of
    each model is mean(records to 95 %) / the peer's mean (or our elas-u4's, marked, without it)."""
    table = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == name]
        entry = {"dataset": name, "n_records": mine[0]["n_records"],
                 "n_relevant": mine[0]["n_relevant"], "seeds": [r["seed"] for r in mine],
                 "models": {m: {k: _mean(r["ours"][m][k] for r in mine) for k in FIGURES}
                            for m in models}}
        peer_complete = all(r["asreview"] is not None for r in mine)
        if peer_complete:
            entry["asreview"] = {k: round(statistics.mean(r["asreview"][k] for r in mine), 4)
                                 for k in FIGURES + ("seconds",)}
            base = entry["asreview"]["records_to_95pct_recall"]
        elif REFERENCE in models:
            base = entry["models"][REFERENCE]["records_to_95pct_recall"]
        else:
            base = None
        entry["baseline"] = "asreview" if peer_complete else (REFERENCE if base else None)
        entry["ratio95"] = {m: round(v["records_to_95pct_recall"] / base, 4)
                            for m, v in entry["models"].items()} if base else None
        table.append(entry)
    return table


def _mean(values) -> float | None:
    """Mean over seeds, or None when a run stopped before the figure (see `until_95`)."""
    values = list(values)
    return None if any(v is None for v in values) else round(statistics.mean(values), 4)


def choose(table: list[dict], models) -> str:
    """The model with the lowest mean ratio over these datasets (ties: the earlier listed)."""
    return min(models, key=lambda m: statistics.mean(e["ratio95"][m] for e in table))


def cross_validate(table: list[dict], models) -> dict:
    """Leave one review out: each dataset is measured with the model chosen on the others."""
    rated = [e for e in table if e["ratio95"]]
    if len(rated) < 2:
        return {}
    in_sample = choose(rated, models)
    folds = []
    for held in rated:
        chosen = choose([e for e in rated if e is not held], models)
        folds.append({"dataset": held["dataset"], "chosen": chosen,
                      "out_of_sample": held["ratio95"][chosen],
                      "in_sample": held["ratio95"][in_sample]})
    oos = [f["out_of_sample"] for f in folds]
    ins = [f["in_sample"] for f in folds]
    return {"folds": folds, "in_sample_model": in_sample,
            "out_of_sample_mean": round(statistics.mean(oos), 4), "out_of_sample_max": max(oos),
            "in_sample_mean": round(statistics.mean(ins), 4), "in_sample_max": max(ins),
            "model_means": {m: round(statistics.mean(e["ratio95"][m] for e in rated), 4)
                            for m in models},
            "targets_met": statistics.mean(oos) <= TARGET_MEAN and max(oos) <= TARGET_MAX}


def stopping_summary(rows: list[dict], models, recall_target: float = 0.95) -> list[dict]:
    """The hypergeometric stopping rule applied to every simulated order: where it stops, the
    recall then, and the share of the records it leaves unscreened."""
    out = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        runs = []
        for r in (r for r in rows if r["dataset"] == name):
            for m in models:
                labels = r["ours"][m]["labels"]
                if labels is None:  # stopped at 95 % recall
                    continue
                n = r["n_records"]
                stop = stopping_point(labels, n, recall_target=recall_target)
                found = sum(labels[:stop])
                # then the random validation sample of the rest, and its exact test
                rest = np.r_[labels, np.zeros(max(0, n - len(labels)), dtype=int)][stop:]
                size = validation_sample_size(found, len(rest), recall_target)
                sample = np.random.default_rng(r["seed"]).choice(rest, size, replace=False)
                test = random_sample_test(found, len(rest), sample, n, recall_target)
                runs.append({"model": m, "seed": r["seed"], "stopped_at": stop,
                             "recall": found / r["n_relevant"], "saved": 1 - stop / n,
                             "sample": size, "sample_passed": test.passed,
                             "saved_after_sample": 1 - (stop + size) / n})
        if not runs:
            continue
        ok = [x["recall"] >= recall_target for x in runs]
        out.append({"dataset": name, "runs": len(runs), "share_reaching_target": sum(ok) / len(ok),
                    "mean_recall": round(statistics.mean(x["recall"] for x in runs), 4),
                    "min_recall": round(min(x["recall"] for x in runs), 4),
                    "mean_saved": round(statistics.mean(x["saved"] for x in runs), 4),
                    "mean_saved_after_sample": round(statistics.mean(x["saved_after_sample"]
                                                                     for x in runs), 4),
                    "sample_passed": sum(x["sample_passed"] for x in runs) / len(runs),
                    "detail": runs})
    return out


def print_table(table: list[dict], cv: dict, models) -> None:
    folds = {f["dataset"]: f for f in cv.get("folds", [])}
    head = (f"{'dataset':24s} {'N':>5s} {'R':>4s} | {'ASR 95%':>8s} | "
            + " ".join(f"{m[:11]:>11s}" for m in models)
            + f" | {'out-of-sample (model)':>28s} | in-sample")
    print("\nrecords to 95 % recall, mean over seeds, and ratio to ASReview\n" + head
          + "\n" + "-" * len(head))
    for e in table:
        a = e.get("asreview")
        asr = f"{a['records_to_95pct_recall']:8.1f}" if a else f"{'-':>8s}"
        cells = " ".join(f"{e['models'][m]['records_to_95pct_recall']:11.1f}" for m in models)
        f = folds.get(e["dataset"])
        mark = "" if e["baseline"] == "asreview" else "*"
        tail = (f" | {f['out_of_sample']:7.3f}{mark:1s} ({f['chosen']:>17s}) | {f['in_sample']:.3f}"
                if f else "")
        print(f"{e['dataset']:24s} {e['n_records']:5d} {e['n_relevant']:4d} | {asr} | {cells}{tail}")
    if cv:
        print(f"\nOUT OF SAMPLE (leave one review out): mean ratio {cv['out_of_sample_mean']:.3f} "
              f"(target <= {TARGET_MEAN}), worst {cv['out_of_sample_max']:.3f} "
              f"(target <= {TARGET_MAX}): {'met' if cv['targets_met'] else 'NOT met'}")
        print(f"in sample ({cv['in_sample_model']}, chosen on all datasets): mean "
              f"{cv['in_sample_mean']:.3f}, worst {cv['in_sample_max']:.3f}")
        print("mean ratio by model: " + ", ".join(f"{m} {v:.3f}" for m, v in cv["model_means"].items()))
        if any(e["baseline"] != "asreview" for e in table):
            print("* ASReview not run on every seed of this dataset: ratio to our elas-u4")


def markdown_table(table: list[dict], cv: dict, stopping: list[dict], models) -> str:
    """The per-dataset table for the README: out of sample first, in sample beside it."""
    folds = {f["dataset"]: f for f in cv.get("folds", [])}
    stops = {s["dataset"]: s for s in stopping}
    lines = ["| dataset | records | relevant | ASReview: records to 95 % | "
             + " | ".join(models) + " | out of sample (model chosen without it) | in sample "
             "| stopping rule: runs reaching 95 % / work saved |",
             "|---|---|---|---|" + "---|" * len(models) + "---|---|---|"]
    for e in table:
        a, f, st = e.get("asreview"), folds.get(e["dataset"]), stops.get(e["dataset"])
        mark = "" if e["baseline"] == "asreview" else "*"
        lines.append(
            f"| {e['dataset']} | {e['n_records']} | {e['n_relevant']} | "
            + (f"{a['records_to_95pct_recall']:.1f}" if a else "-") + " | "
            + " | ".join(f"{e['models'][m]['records_to_95pct_recall']:.1f}" for m in models)
            + (f" | **{f['out_of_sample']:.3f}**{mark} ({f['chosen']}) | {f['in_sample']:.3f}"
               if f else " | - | -")
            + (f" | {st['share_reaching_target']:.0%} / {st['mean_saved']:.1%} |" if st else " | - |"))
    return "\n".join(lines)


def grid_table(cv: dict, grid: dict[str, dict]) -> str:
    """Mean ratio over all datasets (in sample) of every pair of weights, and how often the
    cross-validation chose it, as a Markdown table: rows the character SVM's weight, columns the
    nearest include's."""
    chosen = {}
    for f in cv["folds"]:
        chosen[f["chosen"]] = chosen.get(f["chosen"], 0) + 1
    by_pair = {(s["char_weight"], s["nearest_weight"]): m for m, s in grid.items()}
    head = " | ".join(f"{n:g}" for n in NEAREST_WEIGHTS)
    lines = [f"| character SVM \\ nearest include | {head} |",
             "|---|" + "---|" * len(NEAREST_WEIGHTS)]
    for c in CHAR_WEIGHTS:
        cells = []
        for n in NEAREST_WEIGHTS:
            m = by_pair[(c, n)]
            mean = cv["model_means"].get(m)
            cell = "-" if mean is None else f"{mean:.3f}"
            if chosen.get(m):
                cell += f" (chosen {chosen[m]}x)"
            cells.append(cell)
        lines.append(f"| {c:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_stopping(summary: list[dict], recall_target: float) -> None:
    print(f"\nstopping rule at recall target {recall_target:.0%} (alpha 0.05), every simulated order")
    head = (f"{'dataset':24s} {'runs':>4s} {'recall>=target':>14s} {'min recall':>10s} "
            f"{'work saved':>10s} | {'sample passes':>13s} {'saved after it':>14s}")
    print(head + "\n" + "-" * len(head))
    for s in summary:
        print(f"{s['dataset']:24s} {s['runs']:4d} {s['share_reaching_target']:14.0%} "
              f"{s['min_recall']:10.3f} {s['mean_saved']:10.1%} | {s['sample_passed']:13.0%} "
              f"{s['mean_saved_after_sample']:14.1%}")
    shares = [s["share_reaching_target"] for s in summary]
    if shares:
        ok = min(shares) >= 0.95 and all(s["mean_saved"] > 0 for s in summary)
        print(f"target (recall >= {recall_target:.0%} in >= 95 % of runs of every dataset, saving "
              f"work): {'met' if ok else 'NOT met'}; work saved on average "
              f"{statistics.mean(s['mean_saved'] for s in summary):.1%}")


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


def time_updates(texts, labels, n_decided: int, updates: int = 20, seed: int = 0,
                 model: str = "fused", embeddings=None) -> dict:
    """Build features once, make a first update on `n_decided` decisions (timed apart), then
    time `updates` refits of `model` (given its `embeddings` if it reads meaning), each with
    one more decision (all includes found so far are among them, as in prioritised screening)."""
    t = time.perf_counter()
    p = make_prioritiser(texts, model=model, seed=seed, embeddings=embeddings)
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
    return {"model": model, "n_records": len(texts), "n_decided": n_decided,
            "features": p.features.shape[1],
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
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS),
                    help="candidate models (default: all)")
    ap.add_argument("--weight-grid", action="store_true",
                    help="also choose the weights of the fused opinions by cross-validation: "
                         "every pair of CHAR_WEIGHTS and NEAREST_WEIGHTS is a candidate")
    ap.add_argument("--no-peer", action="store_true",
                    help="do not run ASReview (its cached results are still used)")
    ap.add_argument("--no-cache", action="store_true", help="rerun everything even if cached")
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    ap.add_argument("--timing-only", action="store_true", help="only time model updates")
    ap.add_argument("--no-timing", action="store_true", help="skip timing model updates")
    ap.add_argument("--timing-meaning", action="store_true",
                    help="only time embedding 50,000 records and updates of fused+meaning, with "
                         "peak memory (benchmarks/meaning_timing.py)")
    ap.add_argument("--json", action="store_true", help="end with all results as one JSON line")
    ap.add_argument("--markdown", action="store_true", help="also print the README's table")
    ap.add_argument("--cached-only", action="store_true",
                    help="summarise the cached runs only; a dataset and seed some model has not "
                         "run yet is left out (and named)")
    ap.add_argument("--until-95", action="store_true",
                    help="simulate models other than elas-u4 only to 95 %% recall (faster; no "
                         "100 %% figures or stopping rule for them)")
    args = ap.parse_args(argv)
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: the shared data sit beside the project")
    result = {}
    if args.timing_meaning:
        from meaning_timing import meaning_timing
        result["timing_meaning"] = meaning_timing()
        if args.json:
            print(json.dumps(result))
        return 0
    if not args.timing_only:
        files = find_datasets(args.datasets or (QUICK if args.quick else None))
        grid = weight_grid() if args.weight_grid else {}
        candidates = list(dict.fromkeys([*args.models, *grid]))
        rows = compare(files, args.seeds, candidates, not args.no_peer, not args.no_cache,
                       args.until_95, args.cached_only, grid)
        table = per_dataset(rows, candidates)
        cv = cross_validate(table, candidates)
        print_table(table, cv, args.models)
        if grid and cv:
            print("\n" + grid_table(cv, grid))
        check = [(r["dataset"], r["seed"], r["ours"][REFERENCE]["records_to_95pct_recall"],
                  r["asreview"]["records_to_95pct_recall"]) for r in rows
                 if r["asreview"] is not None and REFERENCE in r["ours"]]
        if check:
            same = sum(ours == peer for _, _, ours, peer in check)
            print(f"ASReview ran on {len(check)} dataset-seed(s) of these; our {REFERENCE} needed "
                  f"the same records to 95 % recall on {same}: "
                  + ", ".join(f"{d} seed {s} {o}/{p}" for d, s, o, p in check))
            result["elas_u4_reproduces_asreview"] = {"runs": len(check), "same": same}
        stopping = stopping_summary(rows, candidates)
        print_stopping(stopping, 0.95)
        if args.markdown:
            print("\n" + markdown_table(table, cv, stopping, args.models))
        for r in rows:  # the orders are in the cache; the JSON keeps the figures
            for o in r["ours"].values():
                o.pop("labels", None)
        result.update(runs=rows, datasets=table, cross_validation=cv,
                      stopping=[{k: v for k, v in s.items() if k != "detail"} for s in stopping])
    if not args.no_timing:
        print()
        result["timing"] = timing()
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
