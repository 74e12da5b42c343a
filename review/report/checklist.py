"""PRISMA 2020, PRISMA-S and PRISMA 2020 for Abstracts, filled from what the review did.

The items are data (`checklists.yaml`); each names a filler here that turns `ChecklistFacts`
(read from the protocol and the log by `review.report.checklist_facts`) into text a methods or
results section can use. An item is `filled` when the workbench knows all of it, `partly filled`
when it knows some (the rest said under "to complete"), and `to complete` when only the authors
can write it (the rationale, the discussion), with what is needed. Pure: facts in, rows out."""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .checklist_facts import ChecklistFacts
from .checklist_text import FILLED, FILLERS, PARTLY, TO_COMPLETE

__all__ = ["CHECKLISTS", "CHECKLIST_FILE", "FILLED", "PARTLY", "TO_COMPLETE", "ChecklistItem",
           "ChecklistRow", "CHECKLIST_FORMATS", "checklist_items", "fill_checklists",
           "checklist_frame", "status_counts", "write_checklists"]

CHECKLIST_FILE = Path(__file__).resolve().parent / "checklists.yaml"
#: The checklists, in the order the report writes them.
CHECKLISTS = ("prisma_2020", "prisma_s", "prisma_abstracts")


@dataclass(frozen=True)
class ChecklistItem:
    checklist: str
    id: str
    section: str
    topic: str
    text: str
    fill: str | None = None
    needs: str | None = None


@dataclass(frozen=True)
class ChecklistRow:
    """One filled item: what the checklist asks, how far the review answers it, the text it can
    use, and what the authors must still write."""

    checklist: str
    checklist_title: str
    section: str
    item: str
    topic: str
    asks: str
    status: str
    text: str
    to_complete: str


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load(CHECKLIST_FILE.read_text(encoding="utf-8"))


def checklist_items(checklist: str) -> tuple[str, list[ChecklistItem]]:
    """A checklist's title and items."""
    data = _data()[checklist]
    return data["title"], [ChecklistItem(checklist=checklist, **item) for item in data["items"]]


# -- the checklists --------------------------------------------------------------------------------
def fill_checklists(facts: ChecklistFacts, checklists=CHECKLISTS) -> list[ChecklistRow]:
    """Every item of `checklists`, filled from `facts` where the review knows it."""
    from . import (checklist_prisma, checklist_search,  # noqa: F401 - importing registers
                   checklist_synthesis)                 # the fillers
    rows = []
    for name in checklists:
        title, items = checklist_items(name)
        for item in items:
            if item.fill is None:
                status, text, needs = TO_COMPLETE, "", item.needs or "the authors' text"
            else:
                status, text, needs = FILLERS[item.fill](facts)
                if status == TO_COMPLETE and item.needs:
                    needs = item.needs
            rows.append(ChecklistRow(name, title, item.section, item.id, item.topic, item.text,
                                     status, text, needs))
    return rows


# -- files -----------------------------------------------------------------------------------------
#: The files `write_checklists` writes, as prisma_checklist.<suffix>.
CHECKLIST_FORMATS = ("docx", "md", "csv")
_HEADERS = {"item": "Item", "topic": "Topic", "asks": "Checklist item", "status": "Status",
            "text": "Reported (from the protocol and the log)", "to_complete": "To complete"}


def checklist_frame(rows: list[ChecklistRow]) -> pd.DataFrame:
    """One row per item, with the checklist and section as columns (the CSV's layout)."""
    return pd.DataFrame([{"checklist": r.checklist_title, "section": r.section, "item": r.item,
                          "topic": r.topic, "checklist_item": r.asks, "status": r.status,
                          "reported": r.text, "to_complete": r.to_complete} for r in rows],
                        columns=["checklist", "section", "item", "topic", "checklist_item",
                                 "status", "reported", "to_complete"])


def status_counts(rows: list[ChecklistRow]) -> dict[str, dict[str, int]]:
    """Per checklist title, how many items are filled, partly filled and to complete."""
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = out.setdefault(row.checklist_title, {FILLED: 0, PARTLY: 0, TO_COMPLETE: 0})
        counts[row.status] += 1
    return out


def write_checklists(review, out_dir: str | Path, *, formats=CHECKLIST_FORMATS,
                     echo: Callable[[str], None] = print) -> list[Path]:
    """Write prisma_checklist.docx, .md and .csv: PRISMA 2020, PRISMA-S and PRISMA 2020 for
    Abstracts filled from the review's protocol and log (read only); returns the paths."""
    from .checklist_facts import checklist_facts
    from .tables import write_table
    rows = fill_checklists(checklist_facts(review))
    frame = checklist_frame(rows)
    shown = frame.assign(group=frame["checklist"] + ": " + frame["section"]).rename(
        columns={"checklist_item": "asks", "reported": "text"})
    shown = shown[["group", *_HEADERS]].rename(columns=_HEADERS)
    counts = status_counts(rows)
    notes = ["Filled from the review's protocol and log by the workbench; every item marked "
             "'to complete' or 'partly filled' needs the authors' text. "
             + " ".join(f"{title}: {c[FILLED]} filled, {c[PARTLY]} partly filled, "
                        f"{c[TO_COMPLETE]} to complete." for title, c in counts.items()),
             "Checklists: PRISMA 2020 and PRISMA 2020 for Abstracts (Page MJ et al. BMJ "
             "2021;372:n71), PRISMA-S (Rethlefsen ML et al. Syst Rev 2021;10:39), CC BY 4.0."]
    written = []
    for suffix in formats:
        path = Path(out_dir) / f"prisma_checklist.{suffix}"
        if suffix == "csv":
            written.append(write_table(frame, path))
        else:
            written.append(write_table(shown, path, caption="PRISMA checklists",
                                       footnotes=notes, group_by="group"))
    for title, c in counts.items():
        echo(f"{title}: {c[FILLED]} filled, {c[PARTLY]} partly filled, "
             f"{c[TO_COMPLETE]} to complete")
    return written
