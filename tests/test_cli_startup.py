"""`review --help` and the parser import no heavy library: they are imported by the commands
that use them (the time itself is measured by benchmarks/startup.py, not here)."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "numpy", "sklearn", "scipy", "matplotlib", "papermill", "rapidfuzz",
         "sqlalchemy", "alembic", "pydantic", "statsmodels", "ipywidgets")

_PROBE = """
import json, sys
from review.cli import build_parser
build_parser()
try:
    build_parser().parse_args(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {heavy})))
"""


def test_help_imports_no_heavy_library():
    probe = _PROBE.format(heavy=set(HEAVY))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert {name.split(".")[0] for name in imported} == set()
