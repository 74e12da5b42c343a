"""Report speed: `review report` on the worked example and on a synthetic review of 100k records.

    python benchmarks/report_speed.py [--sizes example,100000] [--work DIR] [--json]

Each review is built first (not timed: `review example`, or `benchmarks/synthetic_review.py` with
N records from four databases, deduplicated and screened by two reviewers), then the report runs
in a fresh interpreter, exactly as `review report --review DIR --out DIR` does (the same
`run_report`). Per notebook: seconds and the kernel's peak resident memory (its own process,
/proc VmHWM); in total: the process's wall time, interpreter start-up and imports included, and
the peak RSS of the runner and its kernels (os.wait4 ru_maxrss), their CPU seconds (user and
system, which a loaded machine does not stretch as it does wall time) and the load average.

Targets (issue 17, after issue 6's 30 s and 120 s), on a 2-core machine: the full report on the
worked example <= 10 s, on 100k records <= 60 s. The notebooks run side by side, one kernel per
core, so the total is the process's wall time, less than the notebooks' seconds added up.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = {"example": 10.0, 100_000: 60.0}
DEFAULT_SIZES = "example,100000"

#: The report in a fresh interpreter: prints its ReportResult as one JSON line.
_RUN = """
import json, sys
from review.report.runner import run_report
result = run_report(sys.argv[1], sys.argv[2], log=lambda line: print(line, file=sys.stderr, flush=True))
print(json.dumps([{"notebook": r.name, "seconds": r.seconds, "peak_memory": r.peak_memory}
                  for r in result.notebooks]))
"""


def build(size: str, folder: Path) -> str:
    """Build the review to report on; returns a one-line description."""
    start = time.perf_counter()
    if size == "example":
        from review.example import build_example
        build_example(folder, force=True)
        what = "the worked example"
    else:
        from synthetic_review import build_synthetic_review
        _, summary = build_synthetic_review(folder, int(size))
        what = (f"{summary.records:,} synthetic records ({summary.unique_after_dedup:,} after "
                f"deduplication, {summary.included_full_text} reports included)")
    return f"{what}, built in {time.perf_counter() - start:.0f} s"


def measure(review_dir: Path, out_dir: Path) -> dict:
    """Run the report in a fresh interpreter; wall seconds, per-notebook figures, and the peak
    RSS of that process and its kernels (os.wait4: the largest of them)."""
    env = dict(os.environ, MPLBACKEND=os.environ.get("MPLBACKEND", "agg"))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _RUN, str(review_dir), str(out_dir)],
                                stdout=out, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if status != 0:
        raise SystemExit(f"the report on {review_dir} failed:\n{stderr}")
    return {"seconds": round(seconds, 2), "notebooks": json.loads(stdout.strip().splitlines()[-1]),
            "peak_mb": round(usage.ru_maxrss / 1024, 1),
            # the process's and its reaped kernels' CPU time: what the load cannot stretch
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def _mb(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help="comma-separated: 'example' and/or numbers of synthetic records "
                             f"(default {DEFAULT_SIZES})")
    parser.add_argument("--work", type=Path, help="folder to build the reviews in (default: a "
                        "temporary folder, removed afterwards)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size != "example" and not size.isdigit():
            parser.error(f"--sizes: expected 'example' or a number of records, found {size!r}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        for size in sizes:
            folder = work / (size if size == "example" else f"synthetic-{size}")
            print(f"{size}: building {folder} ...", flush=True)
            print(f"  {build(size, folder)}", flush=True)
            measured = measure(folder, folder / "report")
            results.append({"size": size, **measured})
            print(f"  report: {measured['seconds']:.1f} s wall, {measured['cpu_seconds']:.1f} s CPU "
                  f"(process and kernels); load average {measured['load_before']:.1f} before, "
                  f"{measured['load_after']:.1f} after", flush=True)

    print()
    print(f"{'review':<10} {'notebook':<20} {'seconds':>8} {'peak MB':>8}")
    checks = []
    for result in results:
        for run in result["notebooks"]:
            print(f"{result['size']:<10} {run['notebook']:<20} {run['seconds']:>8.1f} "
                  f"{_mb(run['peak_memory']):>8}")
        print(f"{result['size']:<10} {'total (process)':<20} {result['seconds']:>8.1f} "
              f"{result['peak_mb']:>8.0f}")
        print(f"{result['size']:<10} {'CPU (all processes)':<20} {result['cpu_seconds']:>8.1f}")
        key = "example" if result["size"] == "example" else int(result["size"])
        if key in TARGET_SECONDS:
            checks.append((result["size"], result["seconds"], TARGET_SECONDS[key]))
    print()
    print("Targets (total wall time of the report process):")
    for size, value, target in checks:
        verdict = "met" if value <= target else f"MISSED by {value - target:.1f} s"
        print(f"  {size:<10} {value:>8.1f} s  target <= {target:>5.0f} s  {verdict}")
    ok = all(value <= target for _, value, target in checks)
    print("all targets met" if ok else "TARGETS MISSED")
    if args.json:
        print(json.dumps({"results": results, "targets_met": ok}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
