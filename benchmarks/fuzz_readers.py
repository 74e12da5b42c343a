"""Fuzz figures for issue 20: 5,000 mutated real exports across every reader, and the peak memory
of a failed import of an XLSX shared-string bomb.

    python benchmarks/fuzz_readers.py [--cases-per-format 560] [--imports-every 4] [--json]

Targets (issue 20): 0 tracebacks and 0 hangs (> 10 s) in 5,000 cases; peak memory of a failed
import <= 2 x the file's size + 200 MB. The cases are those of tests/test_fuzz_readers.py (same
machinery, tests/fuzz.py), only more of them.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

BOMB = r'''
import io, resource, sys, zipfile
sys.path.insert(0, sys.argv[1])
from openpyxl import Workbook
book = Workbook(); book.active.append(["Title", "Year"]); book.active.append(["A", 2020])
buffer = io.BytesIO(); book.save(buffer)
source = zipfile.ZipFile(io.BytesIO(buffer.getvalue())); out = io.BytesIO()
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
    for info in source.infolist():
        if info.filename != "xl/sharedStrings.xml":
            archive.writestr(info, source.read(info.filename))
    with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
        part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        block = b"<si><t>x</t></si>" * 100000
        for _ in range(100):
            part.write(block)
        part.write(b"</sst>")
data = out.getvalue()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from review.io import read_bytes
from review.errors import ReviewError
import time
start = time.perf_counter()
try:
    read_bytes(data, "bomb.xlsx"); result = "read"
except ReviewError as exc:
    result = str(exc)
print(len(data), time.perf_counter() - start, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, result)
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases-per-format", type=int, default=560)
    parser.add_argument("--imports-every", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import fuzz
    formats = SHARED / "data" / "formats"
    pool = fuzz.seeds(formats, (SHARED / "seeds", ROOT / "protocols" / "nk-exosomes" / "other-methods"))
    start = time.perf_counter()
    outcomes = fuzz.run_cases(pool, args.cases_per_format, imports_every=args.imports_every)
    seconds = time.perf_counter() - start
    kinds = collections.Counter(o.kind for o in outcomes)
    by_format = {fmt: dict(collections.Counter(o.kind for o in outcomes if o.case.startswith(fmt + " ")))
                 for fmt in sorted(pool)}
    done = subprocess.run([sys.executable, "-c", BOMB, str(ROOT)], capture_output=True, text=True,
                          check=True).stdout.split(" ", 4)
    size, bomb_seconds, before_kb, after_kb, message = done
    result = {"cases": len(outcomes), "seconds": round(seconds), "outcomes": dict(kinds),
              "by_format": by_format,
              "tracebacks": kinds.get("traceback", 0), "hangs": kinds.get("hang", 0),
              "half_stored": kinds.get("half-stored", 0), "mismatches": kinds.get("mismatch", 0),
              "bomb": {"bytes": int(size), "seconds": round(float(bomb_seconds), 2),
                       "peak_mb": round(int(after_kb) / 1024), "message": message.strip(),
                       "limit_mb": round(2 * int(size) / 2**20 + 200)}}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['cases']} fuzz cases in {result['seconds']} s: {dict(kinds)}")
        for fmt, counts in by_format.items():
            print(f"  {fmt:12} {counts}")
        print(f"tracebacks {result['tracebacks']} (target 0), hangs over {fuzz.CASE_LIMIT:.0f} s "
              f"{result['hangs']} (target 0), half-stored imports {result['half_stored']}, "
              f"store/parse mismatches {result['mismatches']}")
        bomb = result["bomb"]
        print(f"XLSX shared-string bomb of {bomb['bytes']:,} bytes: refused in {bomb['seconds']} s, "
              f"peak memory {bomb['peak_mb']} MB (target <= {bomb['limit_mb']} MB): {bomb['message']}")
        for outcome in outcomes:
            if outcome.kind not in ("records", "refused"):
                print(f"--- {outcome.case} [{outcome.kind}]\n{outcome.detail[-1500:]}")
    return 0 if not (kinds.get("traceback") or kinds.get("hang") or kinds.get("half-stored")
                     or kinds.get("mismatch")) else 1


if __name__ == "__main__":
    sys.exit(main())
