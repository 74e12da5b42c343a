"""Living reviews: an update search imported in one step, deduplicated against the works already
in the review, and a "what changed" summary.

An update's copy of a work already screened joins that work (the work identities of the store),
so it keeps every decision made on it; only works made of new records wait for screening, and
the screening session ranks them with a model trained on every earlier decision. The search
round (update number, search date, files) travels in the payload of the deduplication run that
completes the update, so the log alone tells which studies the previous version held."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from .errors import ReviewError
from .io import iter_bytes

__all__ = ["UpdateSummary", "update_review", "search_rounds", "work_rounds", "latest_round",
           "format_update", "write_update_files", "COMPARED_FIELDS"]

#: Fields whose change in a work's merged view the summary reports, as a reviewer names them.
COMPARED_FIELDS = {"title": "title", "authors": "authors", "year": "year", "journal": "journal",
                   "volume": "volume", "issue": "issue", "pages": "pages", "doi": "DOI",
                   "pmid": "PMID", "pmcid": "PMCID", "abstract": "abstract"}


@dataclass
class UpdateSummary:
    """What an update search changed in the review."""

    round: int
    search_date: str | None
    files: list[dict] = field(default_factory=list)
    new_records: int = 0
    #: New records that joined works already in the review (they keep those works' decisions).
    duplicates_of_existing: int = 0
    #: New records that are copies of another new record.
    duplicates_within_update: int = 0
    new_works: list[int] = field(default_factory=list)
    #: Works already in the review whose merged record changed: {"work_id", "title", "fields"}.
    changed_works: list[dict] = field(default_factory=list)
    #: Works already in the review that the new records showed to be one (merged away).
    merged_works: list[int] = field(default_factory=list)
    #: Works already screened that the update found again (their decisions stand).
    screened_found_again: int = 0
    unsure_waiting: int = 0
    dedup_event_id: int | None = None
    written: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["new_works_count"] = len(self.new_works)
        out["changed_works_count"] = len(self.changed_works)
        return out


# -- rounds ------------------------------------------------------------------------------------------
def _update_runs(store) -> list[dict]:
    runs = store.events("dedup", action="run")
    out = []
    for event_id, payload in zip(runs["event_id"], runs["payload"]):
        data = json.loads(payload) if isinstance(payload, str) else (payload or {})
        if data.get("update"):
            out.append({**data["update"], "event_id": int(event_id)})
    return sorted(out, key=lambda u: u["round"])


def search_rounds(store) -> pd.DataFrame:
    """Each source's search round: 0 for the review's first searches, k for the k-th update
    (`review update`), with the source's search date."""
    sources = store.sources()[["source_id", "database", "file_name", "search_date"]].copy()
    round_of = {int(s): int(u["round"]) for u in _update_runs(store) for s in u["source_ids"]}
    sources["round"] = [round_of.get(int(s), 0) for s in sources["source_id"]]
    return sources


def latest_round(store) -> int:
    runs = _update_runs(store)
    return int(runs[-1]["round"]) if runs else 0


def work_rounds(store) -> pd.Series:
    """Each live work's round: the earliest search round that found one of its records."""
    rounds = search_rounds(store).set_index("source_id")["round"]
    records = store.records(with_raw=False)[["record_id", "source_id"]]
    work = store.work_of_records()
    frame = pd.DataFrame({"work": records["record_id"].map(work).to_numpy(),
                          "round": records["source_id"].map(rounds).fillna(0).astype(int).to_numpy()})
    return frame.groupby("work")["round"].min().rename("round")


# -- the update ----------------------------------------------------------------------------------
def _check_files(paths: list[Path]) -> None:
    """Parse every file before storing any, so a bad file leaves the review as it was."""
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ReviewError(f"{path}: cannot read the file ({exc.strerror or exc}); "
                              f"nothing was imported") from None
        try:
            for _ in iter_bytes(data, str(path)).records:
                pass
        except ReviewError as exc:
            raise ReviewError(f"{exc}; nothing from this update was imported") from None


def _compared(frame: pd.DataFrame) -> pd.DataFrame:
    def norm(value):
        if isinstance(value, list):
            return tuple(value)
        if value is None or (not isinstance(value, (tuple, dict)) and pd.isna(value)):
            return None
        text = str(value).strip()
        return text or None
    return frame.set_index("record_id")[list(COMPARED_FIELDS)].map(norm)


def _same(a, b) -> bool:
    """Equal values, with any two missing values (None, NaN) equal."""
    missing_a = a is None or (isinstance(a, float) and a != a)
    missing_b = b is None or (isinstance(b, float) and b != b)
    return (missing_a and missing_b) or (not missing_a and not missing_b and a == b)


def _changed_works(store, old_records: set[int], after: pd.Series, touched: set[int]) -> list[dict]:
    """Works that held records before the update and gained some: the fields of their merged
    record that the new records changed."""
    if not touched:
        return []
    from .dedup.merge import merged_records
    records = store.records(with_raw=False, works=touched)
    mapping = records["record_id"].map(after)
    now = _compared(merged_records(records, pd.Series(mapping.to_numpy(), index=records["record_id"])))
    old = records[records["record_id"].isin(old_records)]
    before = _compared(merged_records(old, pd.Series(old["record_id"].map(after).to_numpy(),
                                                     index=old["record_id"])))
    works = sorted(set(now.index) & set(before.index) & touched)
    now, before = now.loc[works], before.loc[works]
    differs = {label: [not _same(a, b) for a, b in zip(now[name], before[name])]
               for name, label in COMPARED_FIELDS.items()}
    changed = []
    for position, work in enumerate(works):
        fields = [label for label, flags in differs.items() if flags[position]]
        if fields:
            changed.append({"work_id": int(work), "title": now["title"].iloc[position],
                            "fields": fields})
    return changed


def update_review(review, files: Iterable[str | Path], *, database: str | None = None,
                  search_date: str | None = None, actor: str | None = None,
                  echo: Callable[[str], None] = lambda _: None) -> UpdateSummary:
    """Import an update search's exports, deduplicate them against the review's works and
    summarise what changed (also written to `updates/` in the review folder)."""
    from .dedup.run import deduplicate_review
    from .store import current_user
    actor = actor or current_user()
    paths = [Path(f) for f in files]
    if not paths:
        raise ReviewError("an update needs at least one exported search file")
    if search_date is not None:
        try:
            date.fromisoformat(search_date)
        except ValueError:
            raise ReviewError(f"--search-date: expected a date as YYYY-MM-DD, found "
                              f"{search_date!r}") from None
    # the first file is checked by its own import (a bad file stores nothing), the others before
    # anything is stored, so a bad file anywhere leaves the review as it was
    _check_files(paths[1:])
    store = review.store
    before = store.work_of_records()
    old_records = set(int(r) for r in before.index)
    live_before = set(int(w) for w in store.works()["work_id"])
    round_number = latest_round(store) + 1
    summary = UpdateSummary(round=round_number, search_date=search_date)
    source_ids: list[int] = []
    for path in paths:
        result = review.import_file(path, database=database, search_date=search_date, actor=actor)
        if result.already_imported:
            prior = result.already_imported
            summary.files.append({"file": str(path), "database": prior["database"], "records": 0,
                                  "already_imported": f"source #{prior['source_id']} on "
                                                      f"{str(prior['imported_at'])[:10]}"})
            echo(f"{path}: already imported as source #{prior['source_id']}; skipped")
            continue
        source_ids.append(int(result.source_id))
        summary.files.append({"file": str(path), "database": result.database,
                              "records": int(result.records), "source_id": int(result.source_id)})
        echo(f"{path}: {result.records} records from {result.database} ({result.format})")
    if not source_ids:
        raise ReviewError("every file of this update was imported before; nothing is new")
    note = {"round": round_number, "search_date": search_date, "source_ids": source_ids}
    dedup, _ = deduplicate_review(review, actor=actor, update=note)
    summary.unsure_waiting = dedup.unsure_waiting
    summary.dedup_event_id = dedup.changes.get("event_id")
    summary.merged_works = sorted(int(w) for w in dedup.changes.get("merged", []) if w in live_before)

    after = store.work_of_records()
    new_ids = after.index[~after.index.isin(list(old_records))]
    summary.new_records = int(len(new_ids))
    old_works_now = set(int(w) for w in after[after.index.isin(list(old_records))])
    new_work_of = after[new_ids]
    joined = new_work_of[new_work_of.isin(list(old_works_now))]
    summary.duplicates_of_existing = int(len(joined))
    fresh = new_work_of[~new_work_of.isin(list(old_works_now))]
    summary.new_works = sorted(int(w) for w in fresh.unique())
    summary.duplicates_within_update = int(len(fresh) - len(summary.new_works))
    touched = set(int(w) for w in joined.unique())
    summary.changed_works = _changed_works(store, old_records, after, touched)
    finals = store.screening_finals("title_abstract")
    decided = set(int(w) for w in finals["work_id"]) if len(finals) else set()
    summary.screened_found_again = len(touched & decided)
    summary.written = [str(p) for p in write_update_files(review, summary)]
    return summary


# -- the summary -----------------------------------------------------------------------------------
def format_update(summary: UpdateSummary, *, markdown: bool = False) -> str:
    """The "what changed" summary as terminal text, or as Markdown for the review folder."""
    from .report.tables import escape_markdown
    esc = escape_markdown if markdown else (lambda text: text)
    when = f"search of {summary.search_date}" if summary.search_date else "search date not given"
    lines = [f"# Update {summary.round} ({when})" if markdown
             else f"Update {summary.round} ({when})", ""]
    for f in summary.files:
        name = esc(Path(f["file"]).name)
        if f.get("already_imported"):
            lines.append(f"- {name}: already imported ({f['already_imported']}); skipped")
        else:
            lines.append(f"- {name}: {f['records']} records from {esc(str(f['database']))}")
    lines += [
        "",
        f"- New records: {summary.new_records}",
        f"- New duplicates of works already in the review: {summary.duplicates_of_existing} "
        f"({summary.screened_found_again} of those works already screened keep their decisions)",
        f"- Duplicates within the update: {summary.duplicates_within_update}",
        f"- New works (waiting for title/abstract screening): {len(summary.new_works)}",
        f"- Works whose metadata changed: {len(summary.changed_works)}",
    ]
    for work in summary.changed_works[:50]:
        title = esc(str(work["title"] or "[no title]")[:90])
        lines.append(f"  - work {work['work_id']} ({title}): {', '.join(work['fields'])}")
    if len(summary.changed_works) > 50:
        lines.append(f"  - ... and {len(summary.changed_works) - 50} more (see the JSON file)")
    if summary.merged_works:
        lines.append(f"- Works found to be one and merged: {len(summary.merged_works)} "
                     f"(work ids {', '.join(map(str, summary.merged_works[:20]))})")
    if summary.unsure_waiting:
        lines.append(f"- Unsure pairs waiting for a reviewer: {summary.unsure_waiting}")
    return "\n".join(lines) + "\n"


def write_update_files(review, summary: UpdateSummary) -> list[Path]:
    """updates/<search date>.md and .json in the review folder (a second update of the same
    date gets the round number appended); each written whole or not at all."""
    import os
    folder = Path(review.path) / "updates"
    folder.mkdir(parents=True, exist_ok=True)
    stem = summary.search_date or date.today().isoformat()
    if (folder / f"{stem}.json").exists():
        stem = f"{stem}-update-{summary.round}"
    paths = [folder / f"{stem}.md", folder / f"{stem}.json"]
    summary.written = [str(p) for p in paths]
    texts = [format_update(summary, markdown=True),
             json.dumps(summary.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"]
    for path, text in zip(paths, texts):
        part = path.with_name(f".{path.name}.part")
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    return paths
