"""One record per cluster for screening and reports, listing every source it was found in.
The originals stay untouched in the store; this is a view over them."""
from __future__ import annotations

import pandas as pd

from ..records import LIST_FIELDS, RECORD_FIELDS, has_value

__all__ = ["merged_records", "PROVENANCE_COLUMNS"]

PROVENANCE_COLUMNS = ["record_ids", "n_records", "databases", "found_in"]


def _blank_to_none(series: pd.Series) -> pd.Series:
    return series.map(lambda v: v if has_value(v) else None)


def merged_records(records: pd.DataFrame, clusters: pd.Series) -> pd.DataFrame:
    """Each cluster as one row: the most complete member's values, gaps filled from the other
    members (earliest first), the longest abstract, all keywords; plus where it was found.

    `record_id` of a merged row is its cluster id (the smallest member id)."""
    frame = records.copy()
    frame["cluster_id"] = frame["record_id"].map(clusters)
    if frame["cluster_id"].isna().any():
        missing = frame.loc[frame["cluster_id"].isna(), "record_id"].tolist()[:5]
        raise ValueError(f"records {missing} are not in any cluster; run deduplication again")
    fields = [f for f in RECORD_FIELDS if f in frame.columns]
    for name in fields:
        frame[name] = _blank_to_none(frame[name])
    frame["_filled"] = frame[fields].notna().sum(axis=1)
    frame = frame.sort_values(["cluster_id", "_filled", "record_id"], ascending=[True, False, True],
                              kind="stable")
    grouped = frame.groupby("cluster_id", sort=True)
    merged = grouped[[f for f in fields if f not in LIST_FIELDS and f != "abstract"]].first()
    if "authors" in fields:
        merged["authors"] = grouped["authors"].first().map(lambda v: v if isinstance(v, list) else [])
    if "abstract" in fields:
        lengths = frame["abstract"].map(lambda v: len(v) if isinstance(v, str) else -1)
        longest = lengths.groupby(frame["cluster_id"]).idxmax()
        merged["abstract"] = frame.loc[longest.to_numpy(), "abstract"].to_numpy()
    in_order = frame.sort_values("record_id", kind="stable")
    if "keywords" in fields:
        merged["keywords"] = in_order.groupby("cluster_id", sort=True)["keywords"].agg(
            lambda lists: list(dict.fromkeys(k for v in lists if isinstance(v, list) for k in v)))
    by_id = in_order.groupby("cluster_id", sort=True)
    merged["record_ids"] = by_id["record_id"].agg(list)
    merged["n_records"] = merged["record_ids"].map(len)
    if "database" in frame.columns:
        merged["databases"] = by_id["database"].agg(lambda v: sorted({str(x) for x in v if has_value(x)}))
        place = in_order["database"].astype(str)
        if "source_file" in in_order.columns:
            place = place + ": " + in_order["source_file"].astype(str)
        if "position" in in_order.columns:
            place = place + " #" + in_order["position"].astype(str)
        merged["found_in"] = place.groupby(in_order["cluster_id"]).agg(list).reindex(merged.index)
    merged.index.name = "record_id"
    ordered = [f for f in RECORD_FIELDS if f in merged.columns] + \
        [c for c in PROVENANCE_COLUMNS if c in merged.columns]
    return merged[ordered].reset_index()
