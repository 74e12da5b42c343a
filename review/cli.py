"""The `review` command: every stage of a systematic review from the shell.

The commands live in `review.commands`, one module per stage, and the parser in
`review.commands.parser`; this module keeps the entry point and turns errors into messages."""
from __future__ import annotations

import sys

from .commands.parser import build_parser
from .errors import ReviewError

__all__ = ["main", "build_parser"]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ReviewError as exc:
        print(f"review: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file or folder named on the command line: unreadable, unwritable
        if isinstance(exc, BrokenPipeError):
            return 0
        where = exc.filename or "a file"
        print(f"review: error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        from sqlalchemy.exc import DBAPIError
        if not isinstance(exc, DBAPIError):
            raise
        from .store.faults import store_failure
        print(f"review: error: {store_failure(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("review: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
