"""Fillers of the PRISMA 2020 checklist's items (see `review.report.checklist`): each turns the
review's facts into text for the manuscript and says what the authors must still write."""
from __future__ import annotations

from ..screening.models import methods_words
from .checklist_facts import ChecklistFacts, StageFacts
from .checklist_text import (
    FILLED,
    PARTLY,
    TO_COMPLETE,
    plural,
    iso,
    joined,
    source_line,
    stage_text,
    filler,
)


# -- PRISMA 2020 -----------------------------------------------------------------------------------
@filler("title")
def _title(f: ChecklistFacts):
    title = f.protocol.title
    if "systematic review" in title.casefold():
        return FILLED, title, ""
    return PARTLY, title, "a title that names the report a systematic review"


@filler("abstract")
def _abstract(f: ChecklistFacts):
    return PARTLY, "See the PRISMA 2020 for Abstracts checklist below.", \
        "the abstract, following that checklist"


@filler("objectives")
def _objectives(f: ChecklistFacts):
    p = f.protocol
    frame = p.framework
    parts = [f"{label}: {value}" for label, value in (
        ("Population", frame.population), ("Intervention", getattr(frame, "intervention", None)),
        ("Exposure", getattr(frame, "exposure", None)),
        ("Comparator", getattr(frame, "comparator", None)),
        ("Outcomes", "; ".join(frame.outcomes) if getattr(frame, "outcomes", None) else None))
        if value]
    return FILLED, f"{p.review_question} ({frame.type}) " + " ".join(
        part.rstrip(".") + "." for part in parts), ""


@filler("eligibility")
def _eligibility(f: ChecklistFacts):
    p = f.protocol
    text = ("Studies were included if they met all of: " + "; ".join(p.eligibility.include) + ".")
    if p.eligibility.exclude:
        text += " They were excluded if any of: " + "; ".join(p.eligibility.exclude) + "."
    designs = getattr(p.framework, "study_designs", None)
    if designs:
        text += " Study designs: " + joined(designs) + "."
    table = p.report.evidence_table
    if table and table.group_by:
        field = {x.name: x for x in p.extraction.fields}.get(table.group_by)
        label = (field.label or field.name) if field else table.group_by
        text += f" Studies were grouped for presentation and synthesis by {label.lower()}"
        if field and field.allowed:
            text += f" ({joined(field.allowed)})"
        text += "."
    return FILLED, text, ""


@filler("sources")
def _sources(f: ChecklistFacts):
    p = f.protocol
    databases = [s for s in p.searches if s.kind == "database"]
    registers = [s for s in p.searches if s.kind == "register"]
    text = "We searched " + joined(source_line(s) for s in databases) + "."
    text += (" Registers searched: " + joined(source_line(s) for s in registers) + "."
             if registers else " No trial or study register was searched.")
    for source in p.other_methods:
        when = f" on {iso(source.date)}" if source.date else ""
        kind = source.kind.replace("_", " ")
        name = source.name if source.name.casefold().rstrip("s") == kind else f"{source.name} ({kind})"
        text += (f" {name}{when}: {(source.description or '').strip()}").rstrip(": .") + "."
    needs = "" if all(s.date for s in p.other_methods) else \
        "the date each other source was last consulted"
    return (FILLED if not needs else PARTLY), text, needs


@filler("search_strategy")
def _search_strategy(f: ChecklistFacts):
    lines = [f"{s.name} ({s.platform or 'platform not named'}, {iso(s.date)}): {s.query}"
             for s in f.protocol.searches]
    return FILLED, "\n".join(lines), ""


@filler("selection")
def _selection(f: ChecklistFacts):
    p = f.protocol
    screening = p.screening
    ta, ft = f.screening.get("title_abstract"), f.screening.get("full_text")
    text = ("Titles and abstracts: " + stage_text("screened", ta, "record") +
            " Full texts: " + stage_text("assessed", ft, "report"))
    if screening.blind:
        text += " Screeners did not see each other's decisions until both had decided"
        text += (", nor the prioritiser's relevance score." if screening.hide_ai_score_when_blind
                 else ".")
    text += (" Records were offered for screening in the order of an active-learning prioritiser "
             f"({f.software}: {methods_words(screening.model)}, refitted after each decision); "
             "it only ordered the records.")
    if screening.automation_may_exclude or f.automation_excluded:
        text += (f" The protocol allowed the prioritiser's stopping rule to exclude unscreened "
                 f"records; it excluded {plural(f.automation_excluded, 'record')}.")
    else:
        text += " No record was excluded by automation: every record was screened by people."
    text += f" Screening was done in {f.software}, which logs every decision."
    return FILLED, text, ""


@filler("data_collection")
def _data_collection(f: ChecklistFacts):
    stage = f.extraction
    text = (stage_text("extracted data from", stage, "study")
            + " Values were entered in forms built from the protocol's extraction schema; "
            "differing values were reconciled by a third reviewer. No automation tool extracted "
            "data.")
    return PARTLY, text, "whether study investigators were contacted to obtain or confirm data"


def _fields(f: ChecklistFacts, outcome: bool) -> list:
    schema = f.protocol.extraction
    outcome_groups = {g.name for g in schema.groups if g.name == "outcome"} or \
        {g.name for g in schema.groups if g.repeating and "outcome" in (g.label or g.name).lower()}
    return [x for x in schema.fields if (x.group in outcome_groups) == outcome]


def _field_text(field) -> str:
    label = field.label or field.name
    extra = f": {joined(field.allowed)}" if field.allowed and len(field.allowed) <= 8 else ""
    unit = f" ({field.unit})" if field.unit else ""
    return f"{label}{unit}{extra}"


@filler("outcomes")
def _outcomes(f: ChecklistFacts):
    frame = f.protocol.framework
    outcomes = getattr(frame, "outcomes", None) or []
    fields = _fields(f, outcome=True)
    text = "Outcomes sought: " + "; ".join(outcomes) + "." if outcomes else ""
    if fields:
        text += " For each outcome, per measure and time point: " + \
            "; ".join(_field_text(x) for x in fields) + "."
    return PARTLY, text.strip(), ("whether all results compatible with each outcome were "
                                  "sought, or how results were chosen (measures, time points)")


@filler("other_variables")
def _other_variables(f: ChecklistFacts):
    fields = _fields(f, outcome=False)
    text = "Other variables: " + "; ".join(_field_text(x) for x in fields) + "."
    missing = f.protocol.report.evidence_table.missing if f.protocol.report.evidence_table else "NR"
    text += (f" A value a study did not report was recorded as missing and shown as {missing} "
             "(not reported); no value was imputed.")
    return FILLED, text, ""


def _tool_line(name: str, f: ChecklistFacts) -> str:
    from ..appraisal.tools import load_tool
    tool = load_tool(name)
    stage = f.appraisal.get(name) or StageFacts(per_item=f.protocol.risk_of_bias.assessors_per_study)
    return (f"{tool.title} ({tool.name} {tool.version}; {tool.citation.strip()}), for "
            f"{tool.applies_to[:1].lower() + tool.applies_to[1:]}: "
            + stage_text("appraised", stage, "study") + " Overall judgement: "
            + tool.overall.description.strip())


@filler("risk_of_bias_methods")
def _risk_of_bias_methods(f: ChecklistFacts):
    rob = f.protocol.risk_of_bias
    tools = [t for t in (rob.tool, rob.second_tool) if t and t != "none"]
    if not tools:
        return TO_COMPLETE, "", "how risk of bias was assessed, or why it was not"
    text = " ".join(_tool_line(t, f) for t in tools)
    if rob.note:
        text += f" {rob.note.strip()}"
    return FILLED, text + " No automation tool judged risk of bias.", ""


_MEASURES = {"SMD": "standardised mean difference (Hedges' g)", "MD": "mean difference",
             "ROM": "ratio of means (log scale)", "RR": "risk ratio", "OR": "odds ratio"}
_METHODS = {"REML": "restricted maximum likelihood", "DL": "DerSimonian and Laird's method"}


def synthesis_eligibility_pooled_outcome(f: ChecklistFacts):
    meta = f.protocol.report.meta_analysis
    if meta is None:
        return TO_COMPLETE, "", "which studies were eligible for each synthesis"
    return FILLED, (f"A study entered the meta-analysis of {meta.outcome} when its reconciled "
                    f"extraction recorded {meta.outcome} ({meta.outcome_field.replace('_', ' ')}) "
                    "with mean, standard deviation and number of animals or samples for both a "
                    "treated and a control group; a study measuring it at several time points "
                    "contributed its first recorded one."), ""


@filler("data_preparation")
def _data_preparation(f: ChecklistFacts):
    meta = f.protocol.report.meta_analysis
    text = ("Effect sizes were computed from group means, standard deviations and sizes; studies "
            "missing any of them were left out of the pooled analysis and named in its table.")
    if meta is not None and meta.measure == "SMD":
        text += " Standardised mean differences were corrected for small samples (Hedges' g)."
    return PARTLY, text, ("any conversions (e.g. standard errors to deviations, values read from "
                          "graphs) and how they were done")


@filler("tabulation")
def _tabulation(f: ChecklistFacts):
    table = f.protocol.report.evidence_table
    text = "Study characteristics and main results were tabulated one row per study"
    if table and table.group_by:
        text += f", grouped by {table.group_by.replace('_', ' ')}"
    text += (". Risk of bias is shown per study and domain (traffic-light plots) and summarised "
             "per domain (bar charts).")
    if f.protocol.report.evidence_map:
        text += " An evidence map counts studies per combination of two characteristics."
    if f.protocol.report.meta_analysis:
        text += " Pooled results are shown in forest plots and a funnel plot."
    return FILLED, text, ""


def sensitivity_methods_pooled_outcome(f: ChecklistFacts):
    meta = f.protocol.report.meta_analysis
    if meta is None:
        return TO_COMPLETE, "", "the sensitivity analyses, or a statement that none was done"
    other = {"REML": "DL", "DL": "REML"}[meta.method]
    return PARTLY, (f"The pooled estimate was refitted with the other estimator of tau² "
                    f"({_METHODS[other]})."), "any other sensitivity analyses"


@filler("selection_results")
def _selection_results(f: ChecklistFacts):
    c = f.counts
    if c is None:
        return TO_COMPLETE, "", ("the flow of records (the PRISMA counts did not add up; see the "
                                 "diagram)")
    identified = c.database_results + c.register_results
    if not identified and not c.other_results:
        return TO_COMPLETE, "", "the flow of records (nothing has been imported yet)"
    update = c.has_previous
    text = (("The update's searches" if update else "The searches")
            + f" identified {plural(identified, 'record')} ("
            + ", ".join(f"{name} {n}" for name, n in {**c.databases, **c.registers}.items()) + ")")
    if c.has_other_methods:
        text += f" and other methods {plural(c.other_results, 'record')}"
    sought = c.dbr_sought_reports + c.other_sought_reports
    assessed = c.dbr_assessed + c.other_assessed

    def were(n: int) -> str:
        return "was" if n == 1 else "were"
    text += (f". After removing {plural(c.duplicates + c.other_duplicates, 'duplicate')}, "
             f"{plural(c.records_screened, 'record')} {were(c.records_screened)} screened on "
             f"title and abstract and {c.records_excluded} excluded; "
             f"{plural(sought, 'report')} {were(sought)} sought, "
             f"{c.dbr_notretrieved_reports + c.other_notretrieved_reports} could not be "
             f"retrieved, {assessed} {were(assessed)} assessed in full text and "
             f"{sum(f.full_text_excluded.values())} excluded ("
             + "; ".join(f"{reason}: {n}" for reason, n in f.full_text_excluded.items()) + "). ")
    if update:
        text += (f"The previous version of the review included "
                 f"{plural(c.previous_studies or 0, 'study', 'studies')} "
                 f"({plural(c.previous_reports or 0, 'report')}); the update added "
                 f"{plural(c.new_studies, 'new study', 'new studies')} "
                 f"({plural(c.new_reports, 'report')}): "
                 f"{plural(c.total_studies, 'study', 'studies')} "
                 f"({plural(c.total_reports, 'report')}) in total")
    else:
        text += (f"{plural(f.studies, 'study', 'studies').capitalize()} "
                 f"({plural(f.reports, 'report')}) were included")
    text += " (Figure: PRISMA flow diagram, prisma.svg)."
    return FILLED, text, ""


@filler("excluded_studies")
def _excluded_studies(f: ChecklistFacts):
    if not f.full_text_excluded:
        return TO_COMPLETE, "", "studies that might seem eligible but were excluded, with reasons"
    text = ("Reports excluded at full text, by reason: "
            + "; ".join(f"{reason}: {n}" for reason, n in f.full_text_excluded.items())
            + " (each with its reason in `review export --format csv`).")
    return PARTLY, text, "which of these excluded studies readers might expect, cited with the reason"


@filler("study_characteristics")
def _study_characteristics(f: ChecklistFacts):
    if not f.studies:
        return TO_COMPLETE, "", "the included studies and their characteristics"
    return FILLED, (f"Characteristics of the "
                    f"{plural(f.studies, 'included study', 'included studies')} are in the "
                    "evidence table (evidence_table.docx, .tex, .md)."), ""


@filler("risk_of_bias_results")
def _risk_of_bias_results(f: ChecklistFacts):
    judged = {tool: s.decided for tool, s in f.appraisal.items() if s.decided}
    if not judged:
        return TO_COMPLETE, "", "the risk-of-bias judgements of each study"
    text = "; ".join(f"{tool}: {plural(n, 'study', 'studies')} judged per domain and overall "
                     f"(rob_traffic_light_{tool.lower()}, rob_summary_{tool.lower()})"
                     for tool, n in judged.items()) + "."
    return FILLED, text, ""


def individual_results_pooled_outcome(f: ChecklistFacts):
    meta = f.meta
    text = "Each study's main result (treated vs control) is in the evidence table."
    if meta and "estimate" in meta:
        text += (f" For {meta['outcome']}, each study's effect size with its 95% CI is in the "
                 f"forest plot and meta_analysis table.")
        return PARTLY, text, "the results of the outcomes not pooled, per study with precision"
    return PARTLY, text, "each study's effect estimate with its precision"


def sensitivity_results_pooled_outcome(f: ChecklistFacts):
    meta = f.meta
    if not meta or "other" not in meta:
        return TO_COMPLETE, "", "the results of the sensitivity analyses (item 13f)"
    other = meta["other"]
    return PARTLY, (f"With tau² estimated by {_METHODS[meta['other_method']]}: "
                    f"{meta['measure']} {other['estimate']:.2f} (95% CI {other['ci_low']:.2f} to "
                    f"{other['ci_high']:.2f}), against {meta['estimate']:.2f} by "
                    f"{_METHODS[meta['method']]}."), "the results of any other sensitivity analyses"


@filler("process_limitations")
def _process_limitations(f: ChecklistFacts):
    p = f.protocol
    facts = []
    if not any(s.kind == "register" for s in p.searches):
        facts.append("no study register was searched")
    if p.screening.reviewers_per_record < 2:
        facts.append("records were screened by one reviewer")
    if f.automation_excluded:
        facts.append(f"{plural(f.automation_excluded, 'record')} were excluded by automation")
    text = ("Known from the log: " + "; ".join(facts) + ".") if facts else ""
    return PARTLY if text else TO_COMPLETE, text, "the limitations of the review's methods"


@filler("registration")
def _registration(f: ChecklistFacts):
    if f.protocol.registration:
        return FILLED, f.protocol.registration, ""
    return TO_COMPLETE, "", ("the register and number, or that the review was not registered "
                             "(protocol: registration)")


@filler("protocol_access")
def _protocol_access(f: ChecklistFacts):
    if f.protocol.protocol_access:
        return FILLED, f.protocol.protocol_access, ""
    return TO_COMPLETE, "", "where the protocol can be read (protocol: protocol_access)"


@filler("amendments")
def _amendments(f: ChecklistFacts):
    amendments = f.protocol.amendments
    text = " ".join(f"{iso(a.date)}: {a.change.strip()}" + (f" Reason: {a.reason.strip()}"
                                                             if a.reason else "")
                    for a in amendments)
    if f.protocol_versions > 1:
        text += (f" The review's log holds {f.protocol_versions} versions of the protocol, each "
                 "dated.")
    if amendments:
        return FILLED, text.strip(), ""
    if f.protocol_versions > 1:
        return PARTLY, text.strip(), "what changed between the protocol's versions and why"
    return FILLED, "The protocol was not amended.", ""


@filler("funding")
def _funding(f: ChecklistFacts):
    if f.protocol.funding:
        return FILLED, f.protocol.funding, ""
    return TO_COMPLETE, "", "the sources of support and the funders' role (protocol: funding)"


@filler("competing_interests")
def _competing_interests(f: ChecklistFacts):
    if f.protocol.competing_interests:
        return FILLED, f.protocol.competing_interests, ""
    return TO_COMPLETE, "", "the authors' competing interests (protocol: competing_interests)"


@filler("availability")
def _availability(f: ChecklistFacts):
    return PARTLY, ("The workbench keeps the protocol (with its extraction form), the review's log "
                    "of every decision, the extracted data (`review export --format "
                    "extraction-long`), the risk-of-bias judgements (`--format robvis`) and the "
                    f"code that made every table and figure ({f.software})."), \
        "which of these are public and where (repository or supplementary files)"


