"""Import speed: 100,000-record RIS and MEDLINE files into the store, beside rispy's bare parse.

Builds the files by repeating real exports from ../shared/data/formats with new record ids, then
runs each measurement in its own process so that peak memory (max RSS) belongs to that step alone.

    python benchmarks/import_speed.py [--records 100000] [--json]

Targets (issue 2): 100k RIS records into the store in <= 15 s and <= 1 GB peak memory, and no more
than 3 x rispy's bare `load` time on the same file.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared")) / "data" / "formats"
RIS_SOURCE = SHARED / "asreview_asreview" / "tests" / "demo_data" / "_baseline.ris"
MEDLINE_SOURCE = SHARED / "mjwestgate_revtools" / "examples" / "restoration_pubmed.nbib"

TARGET_SECONDS = 15.0
TARGET_MEMORY_MB = 1024
TARGET_RATIO = 3.0

_STEPS = {
    "rispy_load": """
import rispy, sys
with open(sys.argv[1], encoding="utf-8") as f:
    n = len(rispy.load(f))
print(n)
""",
    "review_parse": """
import sys
from review.io import read_file
print(len(read_file(sys.argv[1]).parsed.records))
""",
    "review_import": """
import sys, tempfile
from pathlib import Path
from review.store import Store
from review.project import Review
from review.protocol import load_protocol
folder = Path(tempfile.mkdtemp())
store = Store(f"sqlite:///{folder / 'review.sqlite'}")
store.upgrade()
protocol = load_protocol(sys.argv[2], check_files=False)
review = Review(folder, {"name": "bench"}, protocol, store)
result = review.import_file(sys.argv[1], database="bench")
print(result.records)
""",
}


def _records_ris(text: str) -> list[str]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    return [chunk.strip("\n") + "\n" for chunk in re.split(r"(?m)^ER  -.*\n?", text) if chunk.strip()]


def build_ris(n: int, out: Path) -> None:
    records = _records_ris(RIS_SOURCE.read_text(encoding="utf-8-sig"))
    with out.open("w", encoding="utf-8") as f:
        for i in range(n):
            body = re.sub(r"(?m)^(ID|AN)  - .*\n", "", records[i % len(records)])
            f.write(body + f"ID  - bench{i}\nER  - \n\n")


def build_medline(n: int, out: Path) -> None:
    text = MEDLINE_SOURCE.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    records = [r.strip("\n") for r in re.split(r"\n\s*\n(?=PMID-)", text) if r.strip()]
    with out.open("w", encoding="utf-8") as f:
        for i in range(n):
            body = re.sub(r"(?m)^PMID- \d+", f"PMID- {90000000 + i}", records[i % len(records)], count=1)
            f.write(body + "\n\n")


def measure(step: str, *args: str) -> dict:
    """Run one step in a fresh interpreter; wall seconds and that process's peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _STEPS[step], *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    if status != 0:
        raise SystemExit(f"{step} failed:\n{err}")
    return {"step": step, "records": int(out.strip().splitlines()[-1]), "seconds": round(seconds, 2),
            "peak_mb": round(usage.ru_maxrss / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    args = parser.parse_args()
    if not RIS_SOURCE.exists():
        raise SystemExit(f"{RIS_SOURCE} not found: the benchmark needs ../shared/data")
    protocol = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        ris, nbib = Path(tmp) / "bench.ris", Path(tmp) / "bench.nbib"
        build_ris(args.records, ris)
        build_medline(args.records, nbib)
        sizes = {"RIS": ris.stat().st_size, "MEDLINE": nbib.stat().st_size}
        results = [
            measure("rispy_load", str(ris)),
            measure("review_parse", str(ris)),
            measure("review_import", str(ris), str(protocol)),
            measure("review_parse", str(nbib)),
            measure("review_import", str(nbib), str(protocol)),
        ]
    labels = ["RIS  rispy.load (floor)", "RIS  review parse", "RIS  review import -> store",
              "MEDLINE review parse", "MEDLINE review import -> store"]
    print(f"{args.records:,} records: RIS {sizes['RIS'] / 2**20:.0f} MB, MEDLINE "
          f"{sizes['MEDLINE'] / 2**20:.0f} MB; each step in a fresh process (wall time, max RSS)")
    print()
    print(f"{'step':<32} {'records':>8} {'seconds':>8} {'records/s':>10} {'peak MB':>8} {'x rispy':>8}")
    floor, imported = results[0], results[2]
    for label, r in zip(labels, results):
        rate = r["records"] / r["seconds"] if r["seconds"] else float("inf")
        print(f"{label:<32} {r['records']:>8} {r['seconds']:>8.2f} {rate:>10.0f} "
              f"{r['peak_mb']:>8.1f} {r['seconds'] / floor['seconds']:>8.2f}")
    ratio = imported["seconds"] / floor["seconds"]
    checks = [
        ("RIS import time", imported["seconds"], TARGET_SECONDS, "s"),
        ("RIS import peak memory", imported["peak_mb"], TARGET_MEMORY_MB, "MB"),
        ("RIS import / rispy.load", ratio, TARGET_RATIO, "x"),
    ]
    print()
    scale = "" if args.records == 100_000 else f" (set for 100,000 records; {args.records:,} run)"
    print(f"Targets{scale}:")
    for name, value, target, unit in checks:
        verdict = "met" if value <= target else f"MISSED by {value - target:.2f} {unit}"
        print(f"  {name:<24} {value:>8.2f} {unit:<2}  target <= {target:>6g} {unit:<2}  {verdict}")
    ok = all(value <= target for _, value, target, _ in checks)
    print("all targets met" if ok else "TARGETS MISSED")
    if args.json:
        print(json.dumps({"records": args.records, "steps": results, "ratio_to_rispy": round(ratio, 2),
                          "targets_met": ok}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
