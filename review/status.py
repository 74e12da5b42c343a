"""What a review holds: sources and records per database, for `review status`."""
from __future__ import annotations

from .project import Review

__all__ = ["review_status", "format_status"]


def review_status(review: Review) -> dict:
    store = review.store
    by_database = store.count_by_database()
    sources = store.sources()
    return {
        "review": review.settings.get("name"),
        "title": review.protocol.title,
        "schema_version": store.schema_version(),
        "store": store.engine.dialect.name,
        "records": int(by_database["records"].sum()) if len(by_database) else 0,
        "sources": int(len(sources)),
        "databases": [
            {"database": row.database, "method": row.method, "files": int(row.files),
             "records": int(row.records)}
            for row in by_database.itertuples()
        ],
        "files": [
            {"file": row.file_name, "database": row.database, "format": row.format,
             "records": int(row.record_count), "warnings": len(row.warnings),
             "search_date": row.search_date, "sha256": row.sha256}
            for row in sources.itertuples()
        ],
        "events": store.event_count(),
        "event_actions": store.event_counts(),
        "deduplication": _deduplication(store, by_database),
        "screening": _screening(review),
        "attention": store.attention(),
        "extraction": _extraction(review),
        "risk_of_bias": _risk_of_bias(review),
    }


def _extraction(review) -> dict | None:
    """Included studies and reports, and how many extracted values are final or still open."""
    studies, reports = review.store.study_counts()
    if not reports:
        return None
    _, values = review.store.status_counts("extraction")
    return {"studies": studies, "reports": reports, "values": dict(sorted(values.items()))}


def _risk_of_bias(review) -> dict:
    """Per appraisal tool the protocol names: studies judged, and domain judgements by status."""
    from .appraisal.tools import load_tool
    rob = review.protocol.risk_of_bias
    out = {}
    for tool in (rob.tool, rob.second_tool):
        if tool and tool != "none":
            studies, counts = review.store.status_counts("appraisal", load_tool(tool).name)
            if counts:
                out[tool] = {"studies": studies, "judgements": dict(sorted(counts.items()))}
    return out


def _screening(review) -> dict:
    """Final decisions per stage: what PRISMA's screening boxes will count."""
    from .protocol import STAGES
    return {stage: dict(sorted(review.store.final_counts(stage).items())) for stage in STAGES}


def _deduplication(store, by_database) -> dict | None:
    """The latest dedup run's counts, and whether records were imported after it."""
    last = store.last_dedup()
    if last is None:
        return None
    summary = last["summary"]
    return {"at": last["at"], "by": last["by"], "records": summary.get("records"),
            "unique": summary.get("unique"), "duplicates_removed": summary.get("duplicates_removed"),
            "unsure_waiting": summary.get("unsure_waiting"),
            "reviewer_decisions": summary.get("reviewer_decisions"),
            "merged": summary.get("merged"), "split": summary.get("split"),
            "imported_since": store.records_since_dedup(),
            "out_of_date": store.records_since_dedup() > 0}


def format_status(status: dict) -> str:
    lines = [f"Review: {status['review']} — {status['title']}",
             f"Store: {status['store']} (schema {status['schema_version']}), "
             f"{status['sources']} files, {status['records']} records, {status['events']} events", ""]
    if not status["databases"]:
        lines.append("No records yet: add search exports with `review import FILE --review DIR`.")
        return "\n".join(lines)
    width = max(len("Database / source"), *(len(d["database"]) for d in status["databases"]))
    lines.append(f"{'Database / source':<{width}}  {'method':<18} {'files':>5} {'records':>8}")
    for entry in status["databases"]:
        lines.append(f"{entry['database']:<{width}}  {entry['method']:<18} {entry['files']:>5} "
                     f"{entry['records']:>8}")
    lines.append(f"{'Total':<{width}}  {'':<18} {status['sources']:>5} {status['records']:>8}")
    dedup = status.get("deduplication")
    lines.append("")
    if dedup is None:
        lines.append("Not deduplicated yet: run `review dedup --review DIR`.")
    else:
        lines.append(f"Deduplicated {dedup['at'][:19]}: {dedup['unique']} unique records, "
                     f"{dedup['duplicates_removed']} duplicates removed, "
                     f"{dedup['unsure_waiting']} unsure pairs waiting for a reviewer")
        if dedup["out_of_date"]:
            lines.append("  Records were imported since: run `review dedup --review DIR` again.")
    for stage, counts in (status.get("screening") or {}).items():
        if counts:
            lines.append(f"Screening, {stage.replace('title_abstract', 'title/abstract').replace('_', ' ')}: " + ", ".join(
                f"{n} {name.replace('_', ' ')}" for name, n in counts.items()))
    attention = status.get("attention") or []
    if attention:
        lines.append(f"{len(attention)} work(s) need a reviewer after a merge, split or new "
                     f"import: `review verify --review DIR` lists them")
    extraction = status.get("extraction")
    if extraction:
        lines.append(f"Extraction: {extraction['studies']} studies in {extraction['reports']} "
                     "included reports; values " + (", ".join(
                         f"{n} {name}" for name, n in extraction["values"].items()) or "none yet"))
    for tool, counts in (status.get("risk_of_bias") or {}).items():
        lines.append(f"Risk of bias, {tool}: {counts['studies']} studies; domain judgements "
                     + ", ".join(f"{n} {name}" for name, n in counts["judgements"].items()))
    warned = [f for f in status["files"] if f["warnings"]]
    if warned:
        lines.append("")
        lines.append("Files imported with warnings: " + ", ".join(
            f"{f['file']} ({f['warnings']})" for f in warned))
    return "\n".join(lines)
