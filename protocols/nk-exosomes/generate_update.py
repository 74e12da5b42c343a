"""Write the worked example's update search (a living review's second search date) with its
answer key and the two reviewers' decisions on the works it found first, deterministically.

The update is a PubMed search re-run on 2026-02-10. Like a real re-run it finds again works the
first search already had (copied here record for record from ``searches/pubmed.nbib``, one of
them now with a PMC id: its metadata changed), and a few works published since. Every new work,
title, abstract, author and identifier is this script's invention: DOIs under ``10.5555/``
(set aside for examples), PMIDs from 90050001 (above any real PMID). Do not cite them.

Run from the project root: ``python protocols/nk-exosomes/generate_update.py [OUT_DIR]``
(default ``protocols/nk-exosomes/update``). Standard library only; byte-identical on every run.
"""
from __future__ import annotations

import csv
import io
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "update"
SEARCH_DATE = "2026-02-10"
FILE = f"pubmed-{SEARCH_DATE}.nbib"
SCREENERS = ("Amara Okafor", "Bruno Lindqvist")
#: Works of the first search that the update finds again: (work, position in pubmed.nbib, PMC id
#: the record has gained since, or None).
FOUND_AGAIN = (("W010", 1, "PMC99000901"), ("W030", 2, None), ("W066", 8, None))

#: Works published since the first search: id, kind, title, authors, journal (TA, JT, ISSN),
#: year, month, volume, issue, pages, abstract, and the reviewers' verdicts
#: (title/abstract reason or None for include, full-text reason or None for include).
NEW_WORKS = (
    dict(work="U001", kind="article",
         title="Biodistribution of NK-92 cell exosomes labelled with zirconium-89 in mice "
               "bearing ovarian tumours",
         authors=(("Okonkwo", "Chidera"), ("Sato", "Haruki"), ("Lindahl", "Maja")),
         journal=("J Control Release", "Journal of controlled release : official journal of the "
                  "Controlled Release Society", "0168-3659"),
         year=2025, month="Nov", volume="388", issue=None, pages="114-25",
         abstract="Where NK cell exosomes go after injection is poorly known. Exosomes from NK-92 "
                  "cells were labelled with zirconium-89 and imaged by PET for 72 h after "
                  "intravenous injection in nude mice bearing SKOV-3 ovarian tumours. Uptake "
                  "peaked in liver and spleen; tumour uptake reached 3.1% of the injected dose per "
                  "gram at 24 h. Tumour growth and survival were not measured. Labelled NK-92 "
                  "exosomes reach ovarian tumours, though most are cleared by the liver and spleen.",
         title_abstract=None, full_text="wrong_outcome"),
    dict(work="U002", kind="review",
         title="Natural killer cell-derived extracellular vesicles as cancer therapeutics: a "
               "narrative review of progress since 2020",
         authors=(("Brennan", "Aoife"), ("Mendes", "Rafael")),
         journal=("Front Immunol", "Frontiers in immunology", "1664-3224"),
         year=2025, month="Dec", volume="16", issue=None, pages="1587342",
         abstract="We review studies published since 2020 on extracellular vesicles from natural "
                  "killer cells as anticancer agents, their cargo, engineering strategies and "
                  "manufacturing, and the obstacles to their first clinical trials.",
         title_abstract="not_primary_research", full_text=None),
    dict(work="U003", kind="article",
         title="Plasma exosomal microRNAs predict response to haploidentical NK cell infusion in "
               "acute myeloid leukaemia",
         authors=(("Ferreira", "Lucia"), ("Tan", "Wei Ling"), ("Novak", "Petra"), ("Adeyemi", "Tolu")),
         journal=("Cancers (Basel)", "Cancers", "2072-6694"),
         year=2026, month="Jan", volume="18", issue="2", pages="301",
         abstract="In 58 patients with relapsed acute myeloid leukaemia treated with "
                  "haploidentical NK cell infusions, plasma exosomes were isolated before "
                  "treatment and their microRNAs sequenced. A four-microRNA signature predicted "
                  "complete remission with an area under the curve of 0.81. Exosomes were used "
                  "only as biomarkers; no vesicle therapy was given.",
         title_abstract="wrong_intervention", full_text=None),
    dict(work="U004", kind="article",
         title="NK cell exosomes attenuate carbon tetrachloride-induced liver fibrosis in mice",
         authors=(("Zhao", "Qing"), ("Park", "Min-Seo"), ("Idris", "Amina")),
         journal=("J Nanobiotechnology", "Journal of nanobiotechnology", "1477-3155"),
         year=2025, month="Oct", volume="23", issue="1", pages="640",
         abstract="Exosomes from primary human NK cells were given intravenously to mice with "
                  "carbon tetrachloride-induced liver fibrosis. Treated mice had less collagen "
                  "deposition and fewer activated hepatic stellate cells, which the exosomes "
                  "killed in vitro. NK cell exosomes are a candidate antifibrotic therapy.",
         title_abstract="not_cancer", full_text=None),
)
FIRST_PMID = 90050001


def nbib(tag: str, value: str) -> list[str]:
    lines = textwrap.wrap(value, 82, break_long_words=False, break_on_hyphens=False) or [""]
    return [f"{tag:<4}- {lines[0]}"] + ["      " + line for line in lines[1:]]


def first_search_records() -> list[str]:
    text = (HERE / "searches" / "pubmed.nbib").read_text(encoding="utf-8")
    return [block.strip("\n") for block in text.split("\n\n") if block.strip()]


def found_again(records: list[str], position: int, pmc: str | None) -> str:
    """The first search's record as the re-run returns it (with a PMC id it has gained)."""
    lines = records[position - 1].split("\n")
    if pmc:
        at = next(i for i, line in enumerate(lines) if line.startswith("SO  - "))
        lines.insert(at, f"PMC - {pmc}")
    return "\n".join(lines)


def new_record(work: dict, pmid: int) -> str:
    doi = f"10.5555/update.{work['year']}.{pmid % 100000:05d}"
    out = [f"PMID- {pmid}", "OWN - NLM", "STAT- Publisher", "LR  - 20260205",
           f"IS  - {work['journal'][2]} (Electronic)", f"VI  - {work['volume']}"]
    if work["issue"]:
        out.append(f"IP  - {work['issue']}")
    out += [f"DP  - {work['year']} {work['month']}"] + nbib("TI", work["title"] + ".")
    out += [f"PG  - {work['pages']}", f"LID - {doi} [doi]"] + nbib("AB", work["abstract"])
    for surname, given in work["authors"]:
        out += [f"FAU - {surname}, {given}",
                f"AU  - {surname} {''.join(p[0] for p in given.replace('-', ' ').split())}"]
    kind = {"article": "Journal Article", "review": "Review"}[work["kind"]]
    out += ["LA  - eng", f"PT  - {kind}", f"TA  - {work['journal'][0]}"]
    out += nbib("JT", work["journal"][1])
    out += [f"AID - {doi} [doi]", "PST - aheadofprint",
            f"SO  - {work['journal'][0]}. {work['year']} {work['month']};{work['volume']}"
            + (f"({work['issue']})" if work["issue"] else "") + f":{work['pages']}. doi: {doi}."]
    return "\n".join(out)


def _csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def build() -> dict[str, str]:
    """File name -> text of every file of the update."""
    records = first_search_records()
    key_rows = [["database", "file", "position", "work_id", "kind", "relevant_title_abstract",
                 "included", "exclusion_reason_title_abstract", "exclusion_reason_full_text",
                 "record_id", "differences"]]
    first_key = {row["position"]: row for row in
                 csv.DictReader((HERE / "searches" / "answer_key.csv").open(encoding="utf-8"))
                 if row["database"] == "pubmed"}
    blocks = []
    for work, position, pmc in FOUND_AGAIN:
        blocks.append(found_again(records, position, pmc))
        old = first_key[str(position)]
        assert old["work_id"] == work, (work, old["work_id"])
        key_rows.append(["pubmed", FILE, len(blocks), work, old["kind"],
                         old["relevant_title_abstract"], old["included"],
                         old["exclusion_reason_title_abstract"], old["exclusion_reason_full_text"],
                         old["record_id"], "pmc_added" if pmc else "found_again"])
    decisions = [["stage", "file", "position", "work_id", "reviewer", "role", "decision", "reason",
                  "note"]]
    for offset, work in enumerate(NEW_WORKS):
        pmid = FIRST_PMID + offset
        blocks.append(new_record(work, pmid))
        position = len(blocks)
        passed = work["title_abstract"] is None
        key_rows.append(["pubmed", FILE, position, work["work"], work["kind"], int(passed),
                         int(passed and work["full_text"] is None), work["title_abstract"] or "",
                         work["full_text"] or "" if passed else "", pmid, "new_in_update"])
        for reviewer in SCREENERS:
            decisions.append(["title_abstract", FILE, position, work["work"], reviewer, "screener",
                              "include" if passed else "exclude", work["title_abstract"] or "", ""])
        if passed:
            for reviewer in SCREENERS:
                decisions.append(["full_text", FILE, position, work["work"], reviewer, "screener",
                                  "exclude" if work["full_text"] else "include",
                                  work["full_text"] or "", ""])
    search = (f"# The worked example's update search (made up for the example; see\n"
              f"# ../generate_update.py). Imported by `review example` with `review update`.\n"
              f"database: PubMed\nsearch_date: {SEARCH_DATE}\nfiles:\n  - {FILE}\n"
              f"decisions: decisions.csv\n")
    return {FILE: "\n\n".join(blocks) + "\n", "answer_key.csv": _csv(key_rows),
            "decisions.csv": _csv(decisions), "update.yaml": search}


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    for name, text in build().items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
