"""Fillers of PRISMA-S (the searches) and PRISMA 2020 for Abstracts (see
`review.report.checklist`)."""
from __future__ import annotations

from .checklist_facts import ChecklistFacts
from .checklist_text import (
    FILLED,
    PARTLY,
    TO_COMPLETE,
    plural,
    iso,
    joined,
    in_words,
    source_line,
    filler,
)


# -- PRISMA-S --------------------------------------------------------------------------------------
@filler("s_databases")
def _s_databases(f: ChecklistFacts):
    lines = [f"{s.name}: {s.platform}" if s.platform else s.name
             for s in f.protocol.searches if s.kind == "database"]
    missing = [s.name for s in f.protocol.searches if s.kind == "database" and not s.platform]
    return (PARTLY if missing else FILLED), "; ".join(lines) + ".", \
        (f"the platform of {joined(missing)} (protocol: searches[].platform)" if missing else "")


@filler("s_multi_database")
def _s_multi_database(f: ChecklistFacts):
    return PARTLY, ("Each database was searched and exported on its own (one export file per "
                    "database in the log)."), \
        "whether any platform searched several databases at once, and which"


def _other_kind(f: ChecklistFacts, kinds: tuple[str, ...], none: str):
    sources = [s for s in f.protocol.other_methods if s.kind in kinds]
    if not sources:
        return FILLED, none, ""
    text = " ".join(f"{s.name}" + (f" ({iso(s.date)})" if s.date else "") + ": "
                    + (s.description or "").strip().rstrip(".")
                    + f". {plural(len(s.files), 'item')} saved."
                    for s in sources)
    return FILLED, text, ""


@filler("s_registries")
def _s_registries(f: ChecklistFacts):
    registers = [s for s in f.protocol.searches if s.kind == "register"]
    if not registers:
        return FILLED, "No study register was searched.", ""
    return FILLED, "; ".join(source_line(s) for s in registers) + ".", ""


@filler("s_online")
def _s_online(f: ChecklistFacts):
    return _other_kind(f, ("website", "organisation"), "No website or organisation was searched.")


@filler("s_citations")
def _s_citations(f: ChecklistFacts):
    return _other_kind(f, ("citation_searching",), "No citation searching was done.")


@filler("s_other")
def _s_other(f: ChecklistFacts):
    return _other_kind(f, ("other",), "No other search method was used.")


@filler("s_updates")
def _s_updates(f: ChecklistFacts):
    dates = sorted({s.date for s in f.protocol.searches})
    if len(f.protocol.searches) == len({s.name for s in f.protocol.searches}):
        return PARTLY, ("Each database was searched once (" + joined(iso(d) for d in dates)
                        + ")."), "whether and how searches were updated before publication"
    return FILLED, "", ""


@filler("s_dates")
def _s_dates(f: ChecklistFacts):
    return FILLED, "; ".join(f"{s.name}: {iso(s.date)}" for s in f.protocol.searches) + ".", ""


@filler("s_total_records")
def _s_total_records(f: ChecklistFacts):
    if not f.records_by_source:
        return TO_COMPLETE, "", "the number of records from each source (none imported yet)"
    total = sum(f.records_by_source.values())
    return FILLED, ("; ".join(f"{name}: {n}" for name, n in f.records_by_source.items())
                    + f" (total {total} records, as imported into the review's log)."), ""


_KINDS = {"erratum": "errata", "retraction": "retractions", "comment": "comments",
          "preprint": "preprints", "conference_abstract": "conference abstracts"}


@filler("s_deduplication")
def _s_deduplication(f: ChecklistFacts):
    d = f.protocol.deduplication
    text = (f"Records were deduplicated with {f.software}: records sharing a DOI, PubMed ID or PMCID, "
            f"or with titles at least {d.title_same:.0%} alike and agreeing authors and year, were "
            f"merged; pairs from {d.title_unsure:.0%} to {d.title_same:.0%} title similarity went "
            "to a reviewer"
            + (f" ({f.dedup_pairs.get('same', 0)} judged the same work, "
               f"{f.dedup_pairs.get('different', 0)} different)" if f.dedup_pairs else "")
            + ". " + ("Never merged with another kind of record: "
                      f"{joined(_KINDS[k] for k in d.keep_apart)}. " if d.keep_apart else ""))
    if f.dedup:
        s = f.dedup.get("summary", {})
        text += (f"Last run {str(f.dedup['at'])[:10]}: {s.get('records')} records, "
                 f"{s.get('unique')} unique, {s.get('duplicates_removed')} duplicates removed.")
    return FILLED, text.strip(), ""


# -- PRISMA 2020 for Abstracts ---------------------------------------------------------------------
@filler("a_eligibility")
def _a_eligibility(f: ChecklistFacts):
    p = f.protocol
    designs = getattr(p.framework, "study_designs", None)
    text = "Included: " + "; ".join(p.eligibility.include) + "."
    if designs:
        text += " Designs: " + joined(designs) + "."
    return FILLED, text, ""


@filler("a_sources")
def _a_sources(f: ChecklistFacts):
    latest = max(s.date for s in f.protocol.searches)
    return FILLED, (joined(s.name for s in f.protocol.searches)
                    + (" and " + joined(o.name.lower() for o in f.protocol.other_methods)
                       if f.protocol.other_methods else "")
                    + f", last searched {iso(latest)}."), ""


@filler("a_risk_of_bias")
def _a_risk_of_bias(f: ChecklistFacts):
    rob = f.protocol.risk_of_bias
    tools = [t for t in (rob.tool, rob.second_tool) if t and t != "none"]
    if not tools:
        return TO_COMPLETE, "", "how risk of bias was assessed"
    return FILLED, joined(tools) + ", each study by "+ in_words(rob.assessors_per_study) \
        + " reviewers independently.", ""


@filler("a_synthesis_methods")
def _a_synthesis_methods(f: ChecklistFacts):
    meta = f.protocol.report.meta_analysis
    text = "Results were tabulated by study"
    outcomes = f.protocol.report.outcomes
    if outcomes:
        measures = joined(sorted({o.measure for o in outcomes}))
        return FILLED, (f"{text}; {joined(o.name for o in outcomes)} were pooled by random-effects "
                        f"meta-analysis ({measures}; a three-level model where studies had several "
                        "experiments), or, with too few studies, synthesised by direction of "
                        "effect (SWiM). Certainty of evidence: GRADE for preclinical studies."), ""
    if meta:
        text += (f"; {meta.outcome} was pooled by random-effects meta-analysis "
                 f"({meta.measure}, {meta.method})")
    return FILLED, text + ".", ""


@filler("a_included")
def _a_included(f: ChecklistFacts):
    if not f.studies:
        return TO_COMPLETE, "", "the number of included studies and their characteristics"
    return PARTLY, (f"{plural(f.studies, 'study', 'studies').capitalize()} "
                    f"({plural(f.reports, 'report')}) were included."), \
        "the number of animals or participants and a summary of the studies' characteristics"


