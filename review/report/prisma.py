"""PRISMA 2020 counts computed from the store, never typed in, and checked before they are drawn.

Every count comes from the review's store: records per source (the import log), dedup clusters
(duplicates), final screening decisions per record (`review.screening.decisions.final_decisions`)
and the study table (`review.extraction.studies.study_table`). `record_flow` lists each
deduplicated record with the PRISMA box it ends in, so every number can be traced to records.

Two columns, as in PRISMA 2020:

- *databases and registers*: clusters holding at least one record from a database or register
  search. A cluster holding both a database record and a web page counts here (the web page is
  then a duplicate), because the database search found the work anyway.
- *other methods* (websites, organisations, citation searching, other): clusters made only of
  records found that way. PRISMA 2020 draws no screening box in this column, so the records it
  removes before retrieval (duplicates, exclusions on title and abstract) are counted apart
  (`other_duplicates`, `other_excluded_records`); the PRISMA2020 R template has no key for them.

Duplicates per column: a column's records minus its clusters, so each column adds up on its own
and both together give records − clusters. "Records removed for other reasons" is always 0: the
store has no such removal.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import ReviewError
from ..screening.decisions import final_decisions

__all__ = ["PrismaCounts", "DATABASE_METHODS", "OTHER_METHOD_LABELS", "NO_REASON", "ROUTES",
           "record_flow", "flow_table", "counts_from_flow", "prisma_counts", "updated_counts", "check_counts",
           "counts_to_json", "prisma2020_template", "template_list", "TEMPLATE_CSV", "R_MISSING"]

#: Source methods of PRISMA's "databases and registers" column.
DATABASE_METHODS = ("database", "register")
#: PRISMA's line for each "other methods" kind (source method -> label), in PRISMA's order.
OTHER_METHOD_LABELS = {"website": "Websites", "organisation": "Organisations",
                       "citation_searching": "Citation searching", "other": "Other sources"}
#: Label of full-text exclusions stored without a reason.
NO_REASON = "Reason not recorded"
#: The two identification routes, as `record_flow` names them.
ROUTES = ("databases_registers", "other_methods")
#: Boxes a deduplicated record can end in (the `box` column of `record_flow`).
BOXES = ("excluded_automatic", "screened_out", "awaiting_screening", "not_retrieved",
         "excluded", "included", "awaiting_full_text")
FLOW_COLUMNS = ["record_id", "records", "route", "title_abstract", "full_text", "reason", "box"]


@dataclass(frozen=True)
class PrismaCounts:
    """The numbers of a PRISMA 2020 flow diagram. Dicts are ordered as the diagram lists them:
    sources in the protocol's order, exclusion reasons in the protocol's order."""

    databases: dict[str, int]
    registers: dict[str, int]
    other_methods: dict[str, int]
    duplicates: int
    excluded_automatic: int
    excluded_other: int
    records_screened: int
    records_excluded: int
    dbr_sought_reports: int
    dbr_notretrieved_reports: int
    dbr_assessed: int
    dbr_excluded: dict[str, int]
    dbr_included_reports: int
    other_duplicates: int
    other_excluded_records: int
    other_sought_reports: int
    other_notretrieved_reports: int
    other_assessed: int
    other_excluded: dict[str, int]
    other_included_reports: int
    new_studies: int
    new_reports: int
    awaiting_screening: int = 0
    awaiting_full_text: int = 0
    previous_studies: int | None = None
    previous_reports: int | None = None
    #: Open work per column, for checking an unfinished review's arithmetic.
    dbr_awaiting_screening: int = 0
    other_awaiting_screening: int = 0
    dbr_awaiting_full_text: int = 0
    other_awaiting_full_text: int = 0

    @property
    def database_results(self) -> int:
        return sum(self.databases.values())

    @property
    def register_results(self) -> int:
        return sum(self.registers.values())

    @property
    def other_results(self) -> int:
        """Records identified by every other method together."""
        return sum(self.other_methods.values())

    @property
    def has_other_methods(self) -> bool:
        """Whether the review used other methods at all (their column is drawn)."""
        return bool(self.other_methods)

    @property
    def has_previous(self) -> bool:
        return self.previous_studies is not None or self.previous_reports is not None

    @property
    def total_studies(self) -> int:
        return self.new_studies + (self.previous_studies or 0)

    @property
    def total_reports(self) -> int:
        return self.new_reports + (self.previous_reports or 0)


# -- from the store --------------------------------------------------------------------------------
def flow_table(records: pd.DataFrame, sources: pd.DataFrame, clusters: pd.DataFrame,
               title_abstract: pd.DataFrame, full_text: pd.DataFrame) -> pd.DataFrame:
    """One row per deduplicated record (record id = cluster id): how many records it holds, its
    route, its final decisions and the box it ends in. Records without a cluster (no dedup run)
    stand alone."""
    method = records["source_id"].map(sources.set_index("source_id")["method"])
    mapping = (clusters.set_index("record_id")["cluster_id"] if len(clusters)
               else pd.Series(dtype=int))
    cluster = records["record_id"].map(mapping).fillna(records["record_id"]).astype(int)
    members = pd.DataFrame({"cluster": cluster, "database": method.isin(DATABASE_METHODS)})
    grouped = members.groupby("cluster", sort=True)["database"].agg(["size", "any"])
    ta = title_abstract.set_index("record_id")["final"] if len(title_abstract) else {}
    ft = full_text.set_index("record_id") if len(full_text) else pd.DataFrame(
        columns=["final", "reason"])
    rows = []
    for cluster_id, size, any_database in grouped.itertuples(name=None):
        first = ta.get(cluster_id) if len(ta) else None
        second = ft["final"].get(cluster_id) if len(ft) else None
        reason = ft["reason"].get(cluster_id) if second == "exclude" else None
        rows.append((int(cluster_id), int(size), ROUTES[0] if any_database else ROUTES[1],
                     first, second, reason if isinstance(reason, str) and reason else None,
                     _box(first, second)))
    return pd.DataFrame(rows, columns=FLOW_COLUMNS)


def _box(title_abstract: str | None, full_text: str | None) -> str:
    """The PRISMA box a record ends in, from its final decisions at each stage."""
    if title_abstract == "ineligible_by_automation":
        return "excluded_automatic"
    if title_abstract == "exclude":
        return "screened_out"
    if title_abstract != "include" and not (title_abstract is None and full_text is not None):
        return "awaiting_screening"  # no decision yet, pending or conflict
    if full_text in ("not_retrieved", "include", "exclude"):
        return {"include": "included", "exclude": "excluded"}.get(full_text, full_text)
    return "awaiting_full_text"


def record_flow(review) -> pd.DataFrame:
    """Each work of the review with its route and PRISMA box (see `flow_table`)."""
    store = review.store
    work = store.work_of_records()
    works = pd.DataFrame({"record_id": work.index.to_numpy(), "cluster_id": work.to_numpy()})
    return flow_table(store.records(with_raw=False)[["record_id", "source_id"]],
                      store.sources()[["source_id", "method"]], works,
                      final_decisions(store, "title_abstract"),
                      final_decisions(store, "full_text"))


def _ordered(counts: dict[str, int], order: list[str]) -> dict[str, int]:
    """`counts` with the names in `order` first (in that order), then the rest by name."""
    first = [name for name in order if name in counts]
    return {name: int(counts[name]) for name in first + sorted(set(counts) - set(first))}


def _reasons(flow: pd.DataFrame, labels: dict[str, str]) -> dict[str, int]:
    """Full-text exclusions per reason label, in the protocol's order of reasons."""
    codes = flow.loc[flow["box"] == "excluded", "reason"].fillna("").tolist()
    counted: dict[str, int] = {}
    for code in [c for c in labels if c in codes] + sorted(set(codes) - set(labels)):
        counted[labels.get(code) or code or NO_REASON] = codes.count(code)
    return counted


def counts_from_flow(flow: pd.DataFrame, identified: pd.DataFrame, studies: pd.DataFrame, *,
                     reason_labels: dict[str, str] | None = None,
                     source_order: list[str] | None = None, previous_studies: int | None = None,
                     previous_reports: int | None = None) -> PrismaCounts:
    """The PRISMA counts from `record_flow`, records per source (`Store.count_by_database`:
    database, method, records) and the study table (study_id per included report)."""
    labels, order = reason_labels or {}, source_order or []
    by_method = {m: dict(zip(g["database"], g["records"])) for m, g in identified.groupby("method")}
    other_methods = {}
    for method, label in OTHER_METHOD_LABELS.items():
        if method in by_method:
            other_methods[label] = int(sum(by_method[method].values()))
    unknown = sorted(set(by_method) - set(DATABASE_METHODS) - set(OTHER_METHOD_LABELS))
    if unknown:
        raise ReviewError(f"sources table: method(s) {', '.join(unknown)} unknown; expected one of "
                          f"{', '.join(DATABASE_METHODS + tuple(OTHER_METHOD_LABELS))}")
    in_databases = identified["method"].isin(DATABASE_METHODS)
    database_records = int(identified.loc[in_databases, "records"].sum())
    other_records = int(identified["records"].sum()) - database_records
    column = {route: flow[flow["route"] == route] for route in ROUTES}
    box = {route: column[route]["box"].value_counts().to_dict() for route in ROUTES}
    dbr, other = box[ROUTES[0]], box[ROUTES[1]]
    reported = ("screened_out", "not_retrieved", "excluded", "included", "awaiting_full_text")
    return PrismaCounts(
        databases=_ordered(by_method.get("database", {}), order),
        registers=_ordered(by_method.get("register", {}), order),
        other_methods=other_methods,
        duplicates=database_records - len(column[ROUTES[0]]),
        excluded_automatic=dbr.get("excluded_automatic", 0),
        excluded_other=0,
        records_screened=sum(dbr.get(b, 0) for b in reported),
        records_excluded=dbr.get("screened_out", 0),
        dbr_sought_reports=sum(dbr.get(b, 0) for b in reported[1:]),
        dbr_notretrieved_reports=dbr.get("not_retrieved", 0),
        dbr_assessed=dbr.get("excluded", 0) + dbr.get("included", 0),
        dbr_excluded=_reasons(column[ROUTES[0]], labels),
        dbr_included_reports=dbr.get("included", 0),
        other_duplicates=other_records - len(column[ROUTES[1]]),
        other_excluded_records=other.get("screened_out", 0) + other.get("excluded_automatic", 0),
        other_sought_reports=sum(other.get(b, 0) for b in reported[1:]),
        other_notretrieved_reports=other.get("not_retrieved", 0),
        other_assessed=other.get("excluded", 0) + other.get("included", 0),
        other_excluded=_reasons(column[ROUTES[1]], labels),
        other_included_reports=other.get("included", 0),
        new_studies=int(studies["study" if "study" in studies.columns else "study_id"].nunique())
        if len(studies) else 0,
        new_reports=len(studies),
        awaiting_screening=int((flow["box"] == "awaiting_screening").sum()),
        awaiting_full_text=int((flow["box"] == "awaiting_full_text").sum()),
        dbr_awaiting_screening=dbr.get("awaiting_screening", 0),
        other_awaiting_screening=other.get("awaiting_screening", 0),
        dbr_awaiting_full_text=dbr.get("awaiting_full_text", 0),
        other_awaiting_full_text=other.get("awaiting_full_text", 0),
        previous_studies=_count_or_none(previous_studies, "previous_studies"),
        previous_reports=_count_or_none(previous_reports, "previous_reports"))


def _count_or_none(value, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReviewError(f"{name}: expected a whole number of at least 0, found {value!r}")
    return value


def prisma_counts(review, *, previous_studies: int | None = None,
                  previous_reports: int | None = None) -> PrismaCounts:
    """The review's PRISMA 2020 counts, from its store. `previous_studies`/`previous_reports`
    (an updated review's earlier version) add the "previous studies" box; None leaves it out,
    unless the review was updated with `review update`: then the diagram follows PRISMA 2020's
    template for updated reviews, from the store's search rounds (see `updated_counts`)."""
    from ..extraction.studies import study_table
    from ..update import latest_round
    protocol = review.protocol
    order = [s.name for s in protocol.searches] + [o.name for o in protocol.other_methods]
    flow = record_flow(review)
    studies = study_table(review)
    # A report counts as included where the flow ends it there (not while its title and
    # abstract decision is still open, say after a merge or an undo).
    studies = studies[studies["record_id"].isin(flow.loc[flow["box"] == "included", "record_id"])]
    labels = {r.code: r.label for r in protocol.exclusion_reasons.full_text}
    if previous_studies is None and previous_reports is None and latest_round(review.store):
        return updated_counts(review, flow, studies, reason_labels=labels, source_order=order)
    return counts_from_flow(
        flow, review.store.count_by_database(), studies, reason_labels=labels,
        source_order=order, previous_studies=previous_studies, previous_reports=previous_reports)


def updated_counts(review, flow: pd.DataFrame, studies: pd.DataFrame, *,
                   reason_labels: dict[str, str], source_order: list[str]) -> PrismaCounts:
    """PRISMA 2020 for an updated review: the new-studies columns count only the latest
    update's records (its copies of works found before are its duplicates) and the works it
    found first; the studies included from works found by earlier searches are the previous
    version's; the total is both."""
    from dataclasses import replace

    from ..update import latest_round, search_rounds, work_rounds
    store = review.store
    last = latest_round(store)
    rounds = work_rounds(store)
    flow_round = flow["record_id"].map(rounds).fillna(0).astype(int)
    new_flow = flow[flow_round == last]
    sources = search_rounds(store)
    latest = store.sources()
    latest = latest[latest["source_id"].isin(sources.loc[sources["round"] == last, "source_id"])]
    identified = (latest.groupby(["database", "method"], sort=True)["record_count"].sum()
                  .rename("records").reset_index())
    study_round = studies["record_id"].map(rounds).fillna(0).astype(int)
    previous, new = studies[study_round < last], studies[study_round == last]
    key = "study" if "study" in studies.columns else "study_id"
    counts = counts_from_flow(new_flow, identified, new, reason_labels=reason_labels,
                              source_order=source_order,
                              previous_studies=int(previous[key].nunique()) if len(previous) else 0,
                              previous_reports=len(previous))
    fresh = set(new[key]) - set(previous[key]) if len(new) else set()
    return replace(counts, new_studies=len(fresh))


# -- the arithmetic check --------------------------------------------------------------------------
def _equation(terms: list[tuple[str, int]], result: tuple[str, int]) -> str | None:
    """'a (1) - b (2) = -1, but c = 3' when the signed terms do not add up to the result; the
    first term is added, every further term subtracted unless its name starts with '+'."""
    total = terms[0][1]
    text = f"{terms[0][0]} ({terms[0][1]})"
    for name, value in terms[1:]:
        if name.startswith("+"):
            total += value
            text += f" + {name[1:]} ({value})"
        else:
            total -= value
            text += f" - {name} ({value})"
    if total == result[1]:
        return None
    return f"{text} = {total}, but {result[0]} = {result[1]}"


def _checks(c: PrismaCounts, unfinished: bool = False) -> list[str | None]:
    """Every equation the diagram must satisfy. `unfinished`: open work (records and reports
    still awaiting a decision) is counted as such rather than reported."""
    excluded_db, excluded_other = sum(c.dbr_excluded.values()), sum(c.other_excluded.values())

    def open_(name: str, value: int) -> list[tuple[str, int]]:
        return [(name, value)] if unfinished else []
    checks = [
        _equation([("records identified from databases and registers",
                    c.database_results + c.register_results),
                   ("duplicate records removed", c.duplicates),
                   ("records marked as ineligible by automation tools", c.excluded_automatic),
                   ("records removed for other reasons", c.excluded_other),
                   *open_("records awaiting screening", c.dbr_awaiting_screening)],
                  ("records screened", c.records_screened)),
        _equation([("records screened", c.records_screened),
                   ("records excluded", c.records_excluded)],
                  ("reports sought for retrieval (databases and registers)", c.dbr_sought_reports)),
        _equation([("reports sought for retrieval (databases and registers)", c.dbr_sought_reports),
                   ("reports not retrieved", c.dbr_notretrieved_reports),
                   *open_("reports awaiting a full-text decision", c.dbr_awaiting_full_text)],
                  ("reports assessed for eligibility (databases and registers)", c.dbr_assessed)),
        _equation([("reports assessed for eligibility (databases and registers)", c.dbr_assessed),
                   ("reports excluded", excluded_db)],
                  ("reports included (databases and registers)", c.dbr_included_reports)),
        _equation([("records identified from other methods", c.other_results),
                   ("duplicate records", c.other_duplicates),
                   ("records excluded", c.other_excluded_records),
                   *open_("records awaiting screening", c.other_awaiting_screening)],
                  ("reports sought for retrieval (other methods)", c.other_sought_reports)),
        _equation([("reports sought for retrieval (other methods)", c.other_sought_reports),
                   ("reports not retrieved", c.other_notretrieved_reports),
                   *open_("reports awaiting a full-text decision", c.other_awaiting_full_text)],
                  ("reports assessed for eligibility (other methods)", c.other_assessed)),
        _equation([("reports assessed for eligibility (other methods)", c.other_assessed),
                   ("reports excluded", excluded_other)],
                  ("reports included (other methods)", c.other_included_reports)),
        _equation([("reports included (databases and registers)", c.dbr_included_reports),
                   ("+reports included (other methods)", c.other_included_reports)],
                  ("reports of included studies", c.new_reports)),
    ]
    if c.new_studies > c.new_reports or (c.new_reports and not c.new_studies):
        checks.append(f"studies included ({c.new_studies}) must be at least 1 and at most the "
                      f"reports of included studies ({c.new_reports})")
    if c.awaiting_screening and not unfinished:
        checks.append(f"{c.awaiting_screening} record(s) still await a title/abstract decision "
                      "(not screened yet, pending a second reviewer, or in conflict)")
    if c.awaiting_full_text and not unfinished:
        checks.append(f"{c.awaiting_full_text} report(s) still await a full-text decision "
                      "(not assessed yet, pending a second reviewer, or in conflict)")
    for name, value in counts_to_json(c).items():
        values = value.items() if isinstance(value, dict) else [(None, value)]
        for key, n in values:
            if n is not None and n < 0:
                checks.append(f"{name}{f' ({key})' if key else ''} is negative ({n})")
    return checks


def check_counts(counts: PrismaCounts, *, unfinished: bool = False) -> PrismaCounts:
    """Raise ReviewError listing every equation the counts break, with its numbers; returns the
    counts when they add up. `unfinished` accepts open work (counted, not a problem)."""
    problems = [p for p in _checks(counts, unfinished) if p]
    if problems:
        raise ReviewError("PRISMA counts do not add up:\n  - " + "\n  - ".join(problems))
    return counts


# -- JSON (the R package's template: `review.report.prisma_template`) ------------------------------
def counts_to_json(counts: PrismaCounts) -> dict:
    """The counts as a JSON object with stable keys (the R template's names where it has one):
    integers, {name: n} objects for breakdowns, null for an absent previous version."""
    c = counts
    return {
        "databases": dict(c.databases), "database_results": c.database_results,
        "registers": dict(c.registers), "register_results": c.register_results,
        "other_methods": dict(c.other_methods),
        "website_results": c.other_methods.get("Websites", 0),
        "organisation_results": c.other_methods.get("Organisations", 0),
        "citations_results": c.other_methods.get("Citation searching", 0),
        "other_sources_results": c.other_methods.get("Other sources", 0),
        "duplicates": c.duplicates, "excluded_automatic": c.excluded_automatic,
        "excluded_other": c.excluded_other, "records_screened": c.records_screened,
        "records_excluded": c.records_excluded, "dbr_sought_reports": c.dbr_sought_reports,
        "dbr_notretrieved_reports": c.dbr_notretrieved_reports, "dbr_assessed": c.dbr_assessed,
        "dbr_excluded": dict(c.dbr_excluded), "dbr_included_reports": c.dbr_included_reports,
        "other_duplicates": c.other_duplicates, "other_excluded_records": c.other_excluded_records,
        "other_sought_reports": c.other_sought_reports,
        "other_notretrieved_reports": c.other_notretrieved_reports,
        "other_assessed": c.other_assessed, "other_excluded": dict(c.other_excluded),
        "other_included_reports": c.other_included_reports,
        "new_studies": c.new_studies, "new_reports": c.new_reports,
        "previous_studies": c.previous_studies, "previous_reports": c.previous_reports,
        "total_studies": c.total_studies, "total_reports": c.total_reports,
        "awaiting_screening": c.awaiting_screening, "awaiting_full_text": c.awaiting_full_text,
    }


# The R package's template lives in its own module; imported back for callers of this one.
from .prisma_template import (R_MISSING, TEMPLATE_CSV, prisma2020_template,  # noqa: E402
                              template_list)
