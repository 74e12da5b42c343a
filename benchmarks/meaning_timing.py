"""The records' meaning at scale (issue 15's targets): embedding 50,000 records on a background
thread, as a screening session does (`review.screening.meaning.EmbeddingJob`, a block at a time,
progress reported, the vectors written to a SQLite review store), reading them back from the
store as the next session does, then one model update of fused+meaning at 50,000 records with
1,000, 10,000 and 40,000 decided, with the project's default `fused` timed beside it in turn
(on a shared machine only figures taken under the same load compare); and the process's peak
memory (ru_maxrss).

Targets: embeddings for 50,000 records <= 5 minutes on 2 cores on the background thread, with
progress shown; model update p95 <= 200 ms; peak memory <= 2 GB at 50,000 records.

The records are the benchmark's update-timing corpus (`perturbed_corpus`): Nagtegaal_2019's
real titles and abstracts repeated to 50,000 with words dropped and swapped, so that lengths and
vocabulary stay realistic. Run through `screening_simulation.py --timing-meaning` (or alone)."""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from screening_simulation import DATA, perturbed_corpus, time_updates  # noqa: E402

from review.screening.meaning import EmbeddingJob  # noqa: E402
from review.screening.prioritise import record_text  # noqa: E402
from review.screening.simulate import load_labelled_csv  # noqa: E402
from review.store import Store  # noqa: E402
from review.threads import lower_thread_priority  # noqa: E402

N_RECORDS = 50_000
DECIDED = (1_000, 10_000, 40_000)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def embed_on_a_thread(texts: list[str], store: Store | None) -> dict:
    """Embed `texts` as the session's background thread does (lower priority, a block per
    step, each block kept in `store`), timing wall and CPU and counting progress reports."""
    reports: list[tuple[float, int]] = []
    out: dict = {}

    def work():
        lower_thread_priority()
        c = time.thread_time()
        job = EmbeddingJob(range(1, len(texts) + 1), texts, cache=store)
        t = time.perf_counter()
        while not job.step():
            reports.append((time.perf_counter() - t, job.done))
        out.update(seconds=time.perf_counter() - t, cpu_seconds=time.thread_time() - c,
                   from_cache=job.from_cache, vectors=job.vectors)

    thread = threading.Thread(target=work, name="review-prioritiser")
    thread.start()
    thread.join()
    gaps = np.diff([0.0] + [at for at, _ in reports]) if reports else np.array([0.0])
    return {"records": len(texts), "seconds": round(out["seconds"], 1),
            "cpu_seconds": round(out["cpu_seconds"], 1), "from_cache": out["from_cache"],
            "progress_reports": len(reports), "longest_between_reports_s": round(float(gaps.max()), 2),
            "vectors": out["vectors"]}


def meaning_timing() -> dict:
    path = DATA / "asreview_systematic-review-datasets" / "Nagtegaal_2019.csv"
    frame = load_labelled_csv(path)
    texts = [record_text(t, a) for t, a in zip(frame["title"], frame["abstract"])]
    corpus, labels = perturbed_corpus(texts, frame["label_included"].to_numpy(), N_RECORDS)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"peak memory before: {peak_mb():.0f} MB", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'review.sqlite'}")
        store.upgrade()
        first = embed_on_a_thread(corpus, store)
        print(f"embedding {first['records']:,} records on the background thread: "
              f"{first['seconds']:.1f} s ({first['cpu_seconds']:.1f} s CPU), "
              f"{first['progress_reports']} progress reports, at most "
              f"{first['longest_between_reports_s']:.1f} s apart, vectors kept in the store; "
              f"peak memory {peak_mb():.0f} MB", flush=True)
        again = embed_on_a_thread(corpus, store)
        print(f"the next session reads them from the store: {again['seconds']:.1f} s "
              f"({again['from_cache']:,} from the store)", flush=True)
        size_mb = sum(f.stat().st_size for f in Path(folder).glob("review.sqlite*")) / 1e6
        store.dispose()
    assert np.array_equal(first["vectors"], again["vectors"])
    vectors = first.pop("vectors")
    again.pop("vectors")
    updates = []
    for decided in DECIDED:  # fused beside it, in turn, so that both meet the same load
        for model in ("fused+meaning", "fused"):
            r = time_updates(corpus, labels, decided, model=model,
                             embeddings=vectors if model == "fused+meaning" else None)
            r["peak_mb"] = round(peak_mb())
            updates.append(r)
            print(f"{model:>13} update at {r['n_records']:,} records, {r['n_decided']:6,} "
                  f"decided: p50 {r['p50_ms']:6.1f} ms, p95 {r['p95_ms']:6.1f} ms, max "
                  f"{r['max_ms']:6.1f} ms, CPU p95 {r['cpu_p95_ms']:6.1f} ms (first update "
                  f"{r['first_update_seconds']:.1f} s, character features "
                  f"{r['char_build_seconds']:.1f} s); peak memory {r['peak_mb']} MB; load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    peak = peak_mb()
    worst = max(r["p95_ms"] for r in updates if r["model"] == "fused+meaning")
    print(f"targets (fused+meaning): embeddings {first['seconds'] / 60:.1f} min (<= 5: "
          f"{'met' if first['seconds'] <= 300 else 'NOT met'}); update p95 {worst:.0f} ms "
          f"(<= 200: {'met' if worst <= 200 else 'NOT met'}); peak memory {peak:.0f} MB "
          f"(<= 2048: {'met' if peak <= 2048 else 'NOT met'}); store file with the vectors "
          f"{size_mb:.0f} MB")
    return {"embedding": first, "from_store": again, "store_mb": round(size_mb),
            "updates": updates, "peak_mb": round(peak), "load_average": os.getloadavg()[0]}


if __name__ == "__main__":
    meaning_timing()
