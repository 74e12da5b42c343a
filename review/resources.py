"""Files the package ships besides code: the reviewer notebooks and the worked example.

In a checkout (or an editable install) they are the top-level `notebooks/` and `protocols/`
folders; an installed wheel carries a copy of them under `review/_data/` (setup.py puts it there).
Either way the reviewer gets the same files, whatever folder they run `review` from."""
from __future__ import annotations

from pathlib import Path

from .errors import ReviewError

__all__ = ["notebooks_dir", "example_protocol_dir", "EXAMPLE_NAME"]

EXAMPLE_NAME = "nk-exosomes"
_PACKAGE = Path(__file__).resolve().parent
_INSTALLED = _PACKAGE / "_data"
_CHECKOUT = _PACKAGE.parent


def _shipped(relative: str, marker: str, what: str) -> Path:
    for root in (_INSTALLED, _CHECKOUT):
        candidate = root / relative
        if (candidate / marker).is_file():
            return candidate
    raise ReviewError(f"{what} ({relative}/{marker}) is missing from this installation of review "
                      f"({_PACKAGE}); reinstall the package (pip install review) or run from a "
                      f"checkout of the project")


def notebooks_dir() -> Path:
    """The reviewer and report notebooks (01_identify.ipynb ... 13_meta_analysis.ipynb)."""
    return _shipped("notebooks", "10_prisma.ipynb", "the notebooks")


def example_protocol_dir() -> Path:
    """The worked example's protocol folder: protocol.yaml, searches, decisions, extraction."""
    return _shipped(f"protocols/{EXAMPLE_NAME}", "protocol.yaml", "the worked example")
