"""In a notebook, a project error reads as one plain line under the cell, not a traceback.

The command line already turns every `ReviewError` (a bad file, a wrong protocol field, a busy
or damaged store) into one `review: error:` line; a notebook cell showed the same error as a
screenful of Python. `install()` asks IPython to show these errors as their message alone. The
cell still fails (its output is an error, papermill still stops a report there), and every
other exception, a fault of ours, keeps its full traceback for the bug report."""
from __future__ import annotations

from .errors import ReviewError

__all__ = ["install", "error_lines"]

_RED, _PLAIN = "\x1b[31m", "\x1b[0m"


def error_lines(error: BaseException) -> list[str]:
    """What the reviewer reads under the cell: the message, and where to look if it is unclear."""
    message = str(error).strip() or "the review could not do this"
    return [f"{_RED}{message}{_PLAIN}",
            "Correct what this line says, then run the cell again."]


def _show(shell, etype, value, tb, tb_offset=None) -> None:
    """IPython's handler for project errors. IPython leaves the display to the handler; the
    kernel's `_showtraceback` sends the lines to the notebook as the cell's error (and keeps
    them for the execution's reply, so the cell still counts as failed)."""
    shell._showtraceback(etype, value, error_lines(value))


def install() -> bool:
    """Show `ReviewError`s in the running IPython kernel as plain lines (once per kernel);
    False outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return False
    shell = get_ipython()
    if shell is None:
        return False
    if ReviewError not in getattr(shell, "custom_exceptions", ()):
        shell.set_custom_exc((ReviewError,), _show)
    return True
