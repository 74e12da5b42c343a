"""Start-up time of the `review` command: `review --help` and `review parse` against a bare
Python start, best of N runs each (each a fresh interpreter).

    python benchmarks/startup.py [--runs 5] [--json]

Target (issue 17), on the 2-core machine: `review --help` <= 0.5 s, best of 5."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_HELP_SECONDS = 0.5
EXAMPLE_RIS = ROOT / "protocols" / "nk-exosomes" / "searches" / "embase.ris"

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "review --help": [sys.executable, "-m", "review", "--help"],
    "review parse embase.ris": [sys.executable, "-m", "review", "parse", str(EXAMPLE_RIS)],
}


def best_of(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = {name: best_of(command, args.runs) for name, command in COMMANDS.items()}
    for name, seconds in figures.items():
        print(f"{name:28s} {seconds:6.3f} s (best of {args.runs})")
    met = figures["review --help"] <= TARGET_HELP_SECONDS
    print(f"target review --help <= {TARGET_HELP_SECONDS} s: {'met' if met else 'NOT met'}")
    if args.json:
        print(json.dumps({name: round(seconds, 3) for name, seconds in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
