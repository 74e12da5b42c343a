"""Fuzz suite: mutated real exports give records or the project's own error, never a traceback,
a hang or a half-stored import (machinery and mutations in tests/fuzz.py).

Each run reads `FUZZ_CASES` cases per format (REVIEW_FUZZ_CASES overrides; a fixed seed, so a
failure is reproducible from the case named), in process through `read_bytes`, `review parse`,
`review parse --json` and, for every fourth case, `review import`; then a small sample through
the installed `review` command in a subprocess. `benchmarks/fuzz_readers.py` runs 5,000.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz import make_case, run_cases, seeds

pytestmark = [pytest.mark.shared, pytest.mark.slow]

FUZZ_CASES = int(os.environ.get("REVIEW_FUZZ_CASES", "200"))
ROOT = Path(__file__).resolve().parents[1]
#: Every reader the issue names must have seeds (webpage seeds come from ../shared/seeds).
READERS = {"ris", "medline", "wos", "bibtex", "table", "xlsx", "webpage", "endnote_xml",
           "pubmed_xml"}


_POOL: dict = {}


@pytest.fixture
def pool(formats_dir, seeds_dir):
    if not _POOL:
        _POOL.update(seeds(formats_dir, (seeds_dir, ROOT / "protocols" / "nk-exosomes"
                                         / "other-methods")))
    assert READERS <= set(_POOL), f"no seed file for {READERS - set(_POOL)}"
    return _POOL


def test_mutated_exports_give_records_or_a_clear_error(pool):
    outcomes = run_cases(pool, FUZZ_CASES, imports_every=4)
    assert len(outcomes) == FUZZ_CASES * len(pool)
    failures = [o for o in outcomes if o.kind not in ("records", "refused")]
    assert not failures, "\n\n".join(f"{o.case} [{o.kind}]\n{o.detail[-2000:]}"
                                     for o in failures[:5])
    # The suite is not trivially refusing everything: many mutated files still give records.
    assert sum(o.kind == "records" for o in outcomes) > 0.3 * len(outcomes)


@pytest.mark.parametrize("fmt, number, argv", [
    ("medline", 1, ["parse"]), ("bibtex", 2, ["parse", "--json"]), ("table", 3, ["import"]),
])
def test_installed_command_on_mutated_files(pool, tmp_path, fmt, number, argv):
    """A sample through the real `review` command in a subprocess: exit 0 or 1, no traceback."""
    _, data, name = make_case(number, fmt, pool)
    path = tmp_path / name
    path.write_bytes(data)
    command = [sys.executable, "-m", "review"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if argv[0] == "import":
        folder = tmp_path / "rev"
        protocol = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"
        subprocess.run(command + ["init", str(folder), "--protocol", str(protocol)], env=env,
                       check=True, capture_output=True)
        argv = ["import", str(path), "--review", str(folder)]
    else:
        argv = [argv[0], str(path)] + argv[1:]
    done = subprocess.run(command + argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    if done.returncode == 1:
        assert done.stderr.startswith("review: error: ")
