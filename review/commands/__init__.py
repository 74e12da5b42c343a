"""The `review` subcommands, one module per stage; `parser` names them for argparse.

Each module imports only the standard library at the top, so `review --help` stays fast: heavy
libraries are imported inside the command that needs them (tests/test_cli_startup.py)."""
from __future__ import annotations

import json


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str))
