"""Included reports and the studies they belong to.

PRISMA counts reports and studies apart: one study may be published as several reports (a
conference abstract and its article, a follow-up paper). An included report is a deduplicated
record (its id is the dedup cluster id) whose final full-text decision is include. Each report is
its own study until a reviewer links it to another study with a `link_report` event; the latest
link of a report wins, and a link to no study (`None`) puts the report back on its own.

A study that nobody named is called after its report: first author's surname, a space and the
year ("Lugini 2012"); when two such studies would share an id they get letters in record-id
order ("Rossi 2016a", "Rossi 2016b").
"""
from __future__ import annotations

import re
import string
from collections.abc import Iterable
from itertools import count, product

import pandas as pd

from ..dedup.merge import merged_records
from ..errors import ReviewError
from ..screening.decisions import final_decisions

__all__ = [
    "LINK",
    "REPORT_COLUMNS",
    "STAGE",
    "STUDY_COLUMNS",
    "assign_study_ids",
    "included_reports",
    "link_reports",
    "report_links",
    "studies",
    "study_table",
    "surname",
    "unlink_reports",
]

#: Event stage of everything extraction records (links, values).
STAGE = "extraction"
#: Event action linking a report to a study; payload {"study_id": ...}.
LINK = "link_report"
REPORT_COLUMNS = ["record_id", "title", "first_author", "year", "journal", "doi", "pmid"]
STUDY_COLUMNS = ["study_id", "record_id", "title", "first_author", "year"]

_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,3}\.?$")


def surname(name) -> str:
    """The surname of one author as written: "Park, So-Yeon" -> "Park", "Ahmadi M.R." -> "Ahmadi",
    "B. Abrahao" -> "Abrahao"."""
    if not isinstance(name, str) or not name.strip(" ,."):
        return ""
    name = re.sub(r"\([^)]*\)", " ", name).strip(" ,.")
    if "," in name:
        return name.split(",", 1)[0].strip()
    words = name.split()
    kept = [w for w in words if not _INITIALS.match(w)]
    return " ".join(kept) if kept else words[0]


def _first_surname(authors) -> str:
    if isinstance(authors, (list, tuple)) and authors:
        return surname(authors[0])
    return ""


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c in ("record_id", "year") else object)
                         for c in columns})


def included_reports(review) -> pd.DataFrame:
    """One row per included report (record id = dedup cluster id), by record id."""
    store = review.store
    needed = review.protocol.screening.reviewers_per_record
    finals = final_decisions(store, "full_text", reviewers_per_record=needed)
    keep = set(finals.loc[finals["final"] == "include", "record_id"].astype(int))
    if not keep:
        return _empty(REPORT_COLUMNS)
    records = store.records(with_raw=False)
    clusters = store.clusters()
    if clusters.empty:
        mapping = pd.Series(records["record_id"].to_numpy(), index=records["record_id"].to_numpy())
    else:
        mapping = clusters.set_index("record_id")["cluster_id"]
    members = records[records["record_id"].map(mapping).isin(keep)]
    merged = merged_records(members, mapping)
    out = pd.DataFrame({
        "record_id": merged["record_id"].astype("Int64"),
        "title": merged["title"],
        "first_author": merged["authors"].map(_first_surname),
        "year": pd.to_numeric(merged["year"], errors="coerce").astype("Int64"),
        "journal": merged["journal"], "doi": merged["doi"], "pmid": merged["pmid"]})
    return out.sort_values("record_id").reset_index(drop=True)


def report_links(store) -> dict[int, str | None]:
    """Each report's latest link: record id -> study id (None: back on its own)."""
    log = store.events(STAGE)
    if log.empty:
        return {}
    links = log[log["action"] == LINK].sort_values("event_id")
    return {int(r): p.get("study_id") for r, p in zip(links["record_id"], links["payload"])}


def _letters():
    """a, b, ..., z, aa, ab, ...: suffixes for studies that would share an id."""
    for size in count(1):
        for letters in product(string.ascii_lowercase, repeat=size):
            yield "".join(letters)


def assign_study_ids(reports: pd.DataFrame, links: dict[int, str | None]) -> pd.Series:
    """Study id per report (indexed by record id): the linked study's id, else the default
    "Surname Year", with letters where defaults collide with each other or a named study."""
    ids: dict[int, str] = {}
    for rid in reports["record_id"]:
        named = links.get(int(rid))
        if isinstance(named, str) and named.strip():
            ids[int(rid)] = named.strip()
    taken = set(ids.values())
    bases: dict[str, list[int]] = {}
    for row in reports.sort_values("record_id").itertuples(index=False):
        rid = int(row.record_id)
        if rid in ids:
            continue
        author = row.first_author if isinstance(row.first_author, str) and row.first_author else "Anonymous"
        year = "n.d." if pd.isna(row.year) else str(int(row.year))
        bases.setdefault(f"{author} {year}", []).append(rid)
    for base, rids in bases.items():
        if len(rids) == 1 and base not in taken:
            ids[rids[0]] = base
            continue
        free = (base + letters for letters in _letters() if base + letters not in taken)
        for rid in rids:
            ids[rid] = next(free)
    return pd.Series(ids, dtype=object).reindex([int(r) for r in reports["record_id"]])


def study_table(review, *, reports: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per included report with its study: study_id, record_id, title, first_author,
    year; sorted by study id, then year (then record id)."""
    reports = included_reports(review) if reports is None else reports
    if reports.empty:
        return _empty(STUDY_COLUMNS)
    ids = assign_study_ids(reports, report_links(review.store))
    table = reports.assign(study_id=reports["record_id"].map(lambda r: ids[int(r)]))
    table = table.assign(_key=table["study_id"].str.casefold())
    table = table.sort_values(["_key", "study_id", "year", "record_id"], na_position="last")
    return table[STUDY_COLUMNS].reset_index(drop=True)


def studies(review, *, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per study: study_id, reports (how many), record_ids, and the first author, year
    and title of its earliest report."""
    table = study_table(review) if table is None else table
    columns = ["study_id", "reports", "record_ids", "first_author", "year", "title"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for study_id, group in table.groupby("study_id", sort=False):
        first = group.iloc[0]  # the table is sorted by year within a study
        rows.append((study_id, len(group), [int(r) for r in group["record_id"]],
                     first["first_author"], first["year"], first["title"]))
    out = pd.DataFrame(rows, columns=columns)
    out["year"] = out["year"].astype("Int64")
    return out


def link_reports(review, study_id: str | None, record_ids: Iterable[int], *, reviewer: str) -> int:
    """Link reports to one study (`None`: each back on its own); returns how many links were
    recorded. Linking into an existing study also pins its current reports to the name, so a
    study named by default keeps its id and reports."""
    if not reviewer or not str(reviewer).strip():
        raise ReviewError("linking reports to a study needs the reviewer's name")
    if study_id is not None:
        if not isinstance(study_id, str) or not study_id.strip():
            raise ReviewError(f"expected a study id (text such as 'Lugini 2012'), found {study_id!r}")
        study_id = study_id.strip()
    record_ids = [int(r) for r in record_ids]
    if not record_ids:
        raise ReviewError("no reports given to link")
    reports = included_reports(review)
    known = set(reports["record_id"].astype(int))
    unknown = [r for r in record_ids if r not in known]
    if unknown:
        raise ReviewError(f"record(s) {', '.join(map(str, unknown))} are not included reports "
                          "(their final full-text decision is not include); no links were recorded")
    targets = list(dict.fromkeys(record_ids))
    if study_id is not None:
        table = study_table(review, reports=reports)
        current = table.loc[table["study_id"] == study_id, "record_id"].astype(int)
        targets += [r for r in current if r not in targets]
    rows = [{"actor": str(reviewer).strip(), "stage": STAGE, "action": LINK, "record_id": r,
             "payload": {"study_id": study_id}} for r in targets]
    return review.store.append_events(rows)


def unlink_reports(review, record_ids: Iterable[int], *, reviewer: str) -> int:
    """Put reports back on their own, each a study named by default."""
    return link_reports(review, None, record_ids, reviewer=reviewer)
