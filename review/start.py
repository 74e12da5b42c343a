"""Starting a review of your own: a protocol template to fill in, and the notebooks to work in.

`review init DIR` (without --protocol) lays out DIR with `protocol.yaml` (every section commented,
the worked example's values as hints) and `notebooks/` whose `review_dir` parameter points at
DIR; `review init DIR --protocol DIR/protocol.yaml` then validates the protocol and creates the
store."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from .errors import ReviewError
from .resources import notebooks_dir

__all__ = ["TEMPLATE", "copy_notebooks", "start_review"]

TEMPLATE = Path(__file__).resolve().parent / "templates" / "protocol.yaml"
#: The notebooks' review_dir, as seen from DIR/notebooks/ (Jupyter runs a notebook in its folder).
NOTEBOOK_REVIEW_DIR = ".."
_PARAMETER_LINE = 'review_dir: str = "{value}"  # this review folder (the notebooks\' parent folder)'


def _point_at_review(notebook: dict, value: str) -> bool:
    """Set the `review_dir` line of the notebook's parameters cell; False if it has none."""
    for cell in notebook.get("cells", []):
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell["source"]
        lines = "".join(source).splitlines(keepends=True) if isinstance(source, list) else \
            source.splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.startswith("review_dir"):
                ending = "\n" if line.endswith("\n") else ""
                lines[i] = _PARAMETER_LINE.format(value=value) + ending
                cell["source"] = lines if isinstance(source, list) else "".join(lines)
                return True
    return False


def copy_notebooks(folder: str | Path) -> list[Path]:
    """Copy the reviewer and report notebooks into FOLDER/notebooks/, their `review_dir`
    parameter pointing at FOLDER. A notebook already there is left as it is (it may hold the
    reviewer's own changes). Returns the notebooks written."""
    target = Path(folder) / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(notebooks_dir().glob("*.ipynb")):
        destination = target / source.name
        if destination.exists():
            continue
        notebook = json.loads(source.read_text(encoding="utf-8"))
        _point_at_review(notebook, NOTEBOOK_REVIEW_DIR)
        destination.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                               encoding="utf-8")
        written.append(destination)
    return written


def start_review(folder: str | Path) -> dict[str, object]:
    """Lay out a new review folder: the protocol template and the notebooks. Refuses a folder
    that already holds a review or a protocol (nothing of the reviewer's is overwritten)."""
    from .project import PROTOCOL_FILE, SETTINGS_FILE
    folder = Path(folder)
    if (folder / SETTINGS_FILE).exists():
        raise ReviewError(f"{folder} already holds a review ({SETTINGS_FILE} exists)")
    protocol = folder / PROTOCOL_FILE
    if protocol.exists():
        raise ReviewError(f"{protocol} already exists; once it is filled in, create the review "
                          f"with `review init {folder} --protocol {protocol}`")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATE, protocol)
    for name in ("searches", "other-methods"):
        (folder / name).mkdir(exist_ok=True)
    return {"protocol": protocol, "notebooks": copy_notebooks(folder)}
