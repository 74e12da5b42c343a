"""Included reports and the studies they belong to.

PRISMA counts reports and studies apart: one study may be published as several reports (a
conference abstract and its article, a follow-up paper). An included report is a work whose final
full-text decision is include; the store makes it a study of its own when it is included, and a
reviewer may link it to another study.

A study's identity is its surrogate id (`study`, a number no later change touches); its label
(`study_id`, "Lugini 2012") is only what reviewers read: the name a reviewer gave, or the first
author's surname and the year of its earliest report, with letters where two would read the same
("Rossi 2016a", "Rossi 2016b"). Labels may change freely: nothing is stored under them.
"""
from __future__ import annotations

import re
import string
from collections.abc import Iterable
from itertools import count, product

import pandas as pd

from ..dedup.merge import merged_records
from ..errors import ReviewError

__all__ = [
    "LINK",
    "REPORT_COLUMNS",
    "STAGE",
    "STUDY_COLUMNS",
    "assign_study_ids",
    "first_surname",
    "label_of",
    "resolve_study",
    "study_labels",
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
LINK = "link_report"
REPORT_COLUMNS = ["record_id", "title", "first_author", "year", "journal", "doi", "pmid"]
STUDY_COLUMNS = ["study_id", "study", "record_id", "title", "first_author", "year"]

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


def first_surname(authors) -> str:
    if isinstance(authors, (list, tuple)) and authors:
        return surname(authors[0])
    return ""


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c in ("record_id", "year", "study") else object)
                         for c in columns})


def included_reports(review) -> pd.DataFrame:
    """One row per included report (record id = its work's id), by record id."""
    store = review.store
    finals = store.screening_finals("full_text")
    keep = set(finals.loc[finals["final"] == "include", "work_id"].astype(int))
    if not keep:
        return _empty(REPORT_COLUMNS)
    members = store.records(with_raw=False, works=keep)
    mapping = store.work_of_records()
    merged = merged_records(members, mapping)
    out = pd.DataFrame({
        "record_id": merged["record_id"].astype("Int64"),
        "title": merged["title"],
        "first_author": merged["authors"].map(first_surname),
        "year": pd.to_numeric(merged["year"], errors="coerce").astype("Int64"),
        "journal": merged["journal"], "doi": merged["doi"], "pmid": merged["pmid"]})
    return out.sort_values("record_id").reset_index(drop=True)


def report_links(store) -> dict[int, str | None]:
    """Each linked report's study label as given (work id -> name, None when unnamed)."""
    links = store.study_reports()
    return {int(w): (n if isinstance(n, str) else None)
            for w, n in zip(links["work_id"], links["name"])}


def _letters():
    """a, b, ..., z, aa, ab, ...: suffixes for studies that would share an id."""
    for size in count(1):
        for letters in product(string.ascii_lowercase, repeat=size):
            yield "".join(letters)


def assign_study_ids(reports: pd.DataFrame, links: dict[int, str | None]) -> pd.Series:
    """Label per report (indexed by record id): its study's given name, else the default
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


def _labels(review, reports: pd.DataFrame, links: pd.DataFrame) -> dict[int, str]:
    """Study surrogate id -> label, for every study with an included report."""
    if reports.empty:
        return {}
    study_of = dict(zip(links["work_id"].astype(int), links["study_id"].astype(int)))
    named = dict(zip(links["study_id"].astype(int), links["name"]))
    ordered = reports.sort_values(["year", "record_id"], na_position="last")
    earliest: dict[int, int] = {}
    for rid in ordered["record_id"].astype(int):
        study = study_of.get(rid)
        if study is not None:
            earliest.setdefault(study, rid)
    heads = reports[reports["record_id"].astype(int).isin(list(earliest.values()))]
    given = {rid: named.get(study) for study, rid in earliest.items()}
    by_report = assign_study_ids(heads, given)
    return {study: by_report[rid] for study, rid in earliest.items()}


def study_table(review, *, reports: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per included report with its study: study_id (the label), study (the surrogate
    id), record_id, title, first_author, year; sorted by label, then year (then record id)."""
    reports = included_reports(review) if reports is None else reports
    if reports.empty:
        return _empty(STUDY_COLUMNS)
    links = review.store.study_reports()
    labels = _labels(review, reports, links)
    study_of = dict(zip(links["work_id"].astype(int), links["study_id"].astype(int)))
    table = reports[reports["record_id"].astype(int).isin(list(study_of))].copy()
    table["study"] = table["record_id"].map(lambda r: study_of[int(r)]).astype(int)
    table["study_id"] = table["study"].map(labels)
    table = table.assign(_key=table["study_id"].str.casefold())
    table = table.sort_values(["_key", "study_id", "year", "record_id"], na_position="last")
    return table[STUDY_COLUMNS].reset_index(drop=True)


def study_labels(review) -> dict[int, str]:
    """Surrogate id -> label of every study with an included report."""
    table = study_table(review)
    return dict(zip(table["study"].astype(int), table["study_id"]))


def label_of(review):
    """A function naming any study (surrogate id -> label): the labels of included studies; a
    study without an included report (its report excluded later) by its given name, else as
    "Study N"."""
    labels = study_labels(review)
    names = review.store.studies(live=False)
    named = {int(s): n for s, n in zip(names["study_id"], names["name"]) if isinstance(n, str)}
    return lambda study: labels.get(int(study)) or named.get(int(study)) or f"Study {int(study)}"


def resolve_study(review, study, *, table: pd.DataFrame | None = None) -> int:
    """The surrogate id of a study given by id or by its current label."""
    if isinstance(study, int) and not isinstance(study, bool):
        return int(study)
    table = study_table(review) if table is None else table
    if isinstance(study, str):
        found = table.loc[table["study_id"] == study.strip(), "study"]
        if len(found):
            return int(found.iloc[0])
    raise ReviewError(f"no study {study!r} in this review (its included studies are "
                      f"{', '.join(sorted(set(table['study_id']))) or 'none yet'})")


def studies(review, *, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per study: study_id (label), study (surrogate id), reports (how many),
    record_ids, and the first author, year and title of its earliest report."""
    table = study_table(review) if table is None else table
    columns = ["study_id", "study", "reports", "record_ids", "first_author", "year", "title"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for study_id, group in table.groupby("study_id", sort=False):
        first = group.iloc[0]  # the table is sorted by year within a study
        rows.append((study_id, int(first["study"]), len(group),
                     [int(r) for r in group["record_id"]],
                     first["first_author"], first["year"], first["title"]))
    out = pd.DataFrame(rows, columns=columns)
    out["year"] = out["year"].astype("Int64")
    return out


def link_reports(review, study_id, record_ids: Iterable[int], *, reviewer: str) -> int:
    """Link reports to one study, given by surrogate id or label (`None`: each back on its
    own). A label that names no study yet names the study of the first report. Returns how many
    reports were linked."""
    if not reviewer or not str(reviewer).strip():
        raise ReviewError("linking reports to a study needs the reviewer's name")
    record_ids = [int(r) for r in record_ids]
    if not record_ids:
        raise ReviewError("no reports given to link")
    store = review.store
    if study_id is None:
        store.link_reports(None, record_ids, reviewer=str(reviewer).strip())
        return len(record_ids)
    if isinstance(study_id, str):
        if not study_id.strip():
            raise ReviewError(f"expected a study id (text such as 'Lugini 2012'), found {study_id!r}")
        table = study_table(review)
        found = table.loc[table["study_id"] == study_id.strip(), "study"]
        if len(found):
            target = int(found.iloc[0])
        else:
            links = store.study_reports()
            first = links.loc[links["work_id"] == record_ids[0], "study_id"]
            if first.empty:
                raise ReviewError(f"record {record_ids[0]} is not an included report (its final "
                                  "full-text decision is not include); no links were recorded")
            target = int(first.iloc[0])
        store.link_reports(target, record_ids, reviewer=str(reviewer).strip(),
                           name=study_id.strip())
        return len(record_ids)
    store.link_reports(int(study_id), record_ids, reviewer=str(reviewer).strip())
    return len(record_ids)


def unlink_reports(review, record_ids: Iterable[int], *, reviewer: str) -> int:
    """Put reports back on their own, each a study named by default."""
    return link_reports(review, None, record_ids, reviewer=reviewer)
