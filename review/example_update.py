"""The worked example's update search: imported with `review update` after the first searches
were screened, then the reviewers' decisions on the works it found first (see
protocols/nk-exosomes/generate_update.py), so the example's report is an updated review's."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import yaml

from .errors import ReviewError

__all__ = ["load_example_update", "UPDATE_FOLDER"]

UPDATE_FOLDER = "update"


def load_example_update(review, protocol_dir: Path, *, with_decisions: bool = True,
                        echo: Callable[[str], None] = lambda _: None):
    """Run the update described by `<protocol_dir>/update/update.yaml`, if there is one;
    returns its `UpdateSummary` (None without an update)."""
    folder = Path(protocol_dir) / UPDATE_FOLDER
    spec_path = folder / "update.yaml"
    if not spec_path.is_file():
        return None
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}
        files = [folder / name for name in spec["files"]]
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise ReviewError(f"{spec_path}: expected 'database', 'search_date' and a list of "
                          f"'files' ({exc})") from None
    from .update import update_review
    summary = update_review(review, files, database=spec.get("database"),
                            search_date=str(spec.get("search_date") or "") or None,
                            actor="example")
    echo(f"  update {summary.round} (search of {summary.search_date}): {summary.new_records} "
         f"records, {summary.duplicates_of_existing} found before, {len(summary.new_works)} new "
         f"works, {len(summary.changed_works)} with changed metadata")
    decisions = folder / str(spec.get("decisions") or "decisions.csv")
    if with_decisions and decisions.is_file():
        from .screening.load import load_decisions
        echo(f"  update's screening decisions: {load_decisions(review, decisions)} loaded from "
             f"{UPDATE_FOLDER}/{decisions.name}")
    return summary
