"""Exports of the stored records: RIS for reference managers, CSV and XLSX for spreadsheets."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import ReviewError

__all__ = ["EXPORT_FORMATS", "TABLE_EXPORTS", "flat_table", "export_records", "records_for_export",
           "export_review_table"]

EXPORT_FORMATS = ("ris", "csv", "xlsx", "asreview")
#: Exports of what reviewers extracted and judged: CSV, or XLSX when the file name ends in .xlsx.
TABLE_EXPORTS = ("extraction-long", "extraction-wide", "robvis")
_TABLE_COLUMNS = ("record_id", "title", "abstract", "authors", "year", "journal", "volume", "issue",
                  "pages", "doi", "pmid", "pmcid", "keywords", "language", "publication_type", "url",
                  "database", "source_file", "position", "work_id", "cluster_id", "duplicate_of",
                  "merge_rule",
                  "record_ids", "n_records", "databases", "found_in") + tuple(
    f"{stage}_{part}" for stage in ("title_abstract", "full_text")
    for part in ("decision", "reason", "reviewers", "notes"))


def flat_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per record with lists joined by '; ' — what a spreadsheet user expects."""
    table = frame[[c for c in _TABLE_COLUMNS if c in frame.columns]].copy()
    for name in ("authors", "keywords", "record_ids", "databases", "found_in"):
        if name in table.columns:
            table[name] = table[name].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)
    return table


def records_for_export(store, *, deduplicated: bool = False,
                       reviewers_per_record: int | None = None) -> pd.DataFrame:
    """Every record with its work (`work_id`; `duplicate_of` names the work's first record when
    this record is another copy of it), or with `deduplicated` one merged record per work listing
    where it was found; both with the screening decisions of the record's work."""
    from .screening.export import with_decisions
    frame = store.records()
    if store.last_dedup() is None and deduplicated:
        raise ReviewError("the review is not deduplicated yet: run `review dedup --review DIR`")
    work = store.work_of_records()
    if deduplicated:
        from .dedup.merge import merged_records
        if store.records_since_dedup():
            raise ReviewError("records were imported since the last deduplication: "
                              "run `review dedup --review DIR` first")
        frame = merged_records(frame.drop(columns=["raw"]), work)
        return with_decisions(frame, store, reviewers_per_record=reviewers_per_record)
    heads = store.works().set_index("work_id")["head_record_id"]
    clusters = store.clusters()
    rules = dict(zip(clusters["record_id"], clusters["rule"])) if len(clusters) else {}
    frame["work_id"] = frame["record_id"].map(work).astype("Int64")
    frame["cluster_id"] = frame["work_id"]
    head = frame["work_id"].map(heads).astype("Int64")
    frame["duplicate_of"] = head.where(head != frame["record_id"])
    frame["merge_rule"] = frame["record_id"].map(rules)
    return with_decisions(frame, store, reviewers_per_record=reviewers_per_record)


def cluster_notes(frame: pd.DataFrame) -> dict:
    """RIS N1 notes naming each record's duplicate cluster: which records it merges (a merged
    record) or which cluster it belongs to and whose duplicate it is (a single record)."""
    notes: dict = {}
    for row in frame.to_dict("records"):
        ids = row.get("record_ids")
        if isinstance(ids, list):
            notes[row["record_id"]] = [f"Duplicate cluster {row['record_id']}: "
                                       f"{len(ids)} record{'s' if len(ids) != 1 else ''} "
                                       f"({', '.join(map(str, ids))})"]
            continue
        cluster = row.get("cluster_id")
        if cluster is None or pd.isna(cluster):
            continue
        text = f"Duplicate cluster {cluster}"
        head = row.get("duplicate_of")
        if head is not None and not pd.isna(head):
            text += f": duplicate of record {head}"
        notes[row["record_id"]] = [text]
    return notes


def export_records(frame: pd.DataFrame, format: str, out: str | Path, *, protocol=None) -> int:
    """Write records to `out` in `format`; returns how many were written. With the `protocol`,
    RIS notes give exclusion reasons in its words."""
    out = Path(out)
    if format not in EXPORT_FORMATS:
        raise ReviewError(f"export format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    if format == "ris":
        from .io.ris import write_ris
        from .screening.export import decision_notes, reason_wording
        notes = decision_notes(frame, reason_wording(protocol))
        clusters = cluster_notes(frame)
        for row in frame.itertuples():
            found = [f"Found in: {place}" for place in row.found_in] \
                if isinstance(getattr(row, "found_in", None), list) else []
            notes[row.record_id] = found + clusters.get(row.record_id, []) + \
                notes.get(row.record_id, [])
        tmp.write_text(write_ris(frame, notes=notes or None), encoding="utf-8", newline="")
    elif format == "csv":
        from .io.table import write_csv
        write_csv(flat_table(frame), tmp)
    elif format == "asreview":
        from .io.table import write_csv
        from .screening.export import asreview_table
        write_csv(asreview_table(frame), tmp)
    else:
        from .io.xlsx import write_xlsx
        write_xlsx(flat_table(frame), tmp)
    tmp.replace(out)
    return len(frame)


def export_review_table(review, format: str, out: str | Path, *, tool: str | None = None) -> int:
    """`review export --format extraction-long|extraction-wide|robvis`: the final (reconciled)
    extraction in long or wide form, or one appraisal tool's judgements as robvis reads them."""
    if format == "extraction-long":
        from .extraction.values import extraction_long
        frame = extraction_long(review)
    elif format == "extraction-wide":
        from .extraction.values import extraction_wide
        frame = extraction_wide(review)
    elif format == "robvis":
        from .appraisal import robvis_table
        tool = tool or review.protocol.risk_of_bias.tool
        if tool == "none":
            raise ReviewError("the protocol names no risk-of-bias tool; pass --tool")
        frame = robvis_table(review, tool)
    else:
        raise ReviewError(f"table export format must be one of {', '.join(TABLE_EXPORTS)}, "
                          f"not {format!r}")
    from .extraction.values import write_extraction
    write_extraction(frame, out)
    return len(frame)
