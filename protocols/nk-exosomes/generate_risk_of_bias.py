"""Write the worked example's risk-of-bias and appraisal judgements (invented for the example).

From `searches/works.csv` (the facts each invented work was given): SYRCLE for the studies with
an animal experiment and the MISEV-based checklist for every included study, by two assessors
(Amara Okafor, Bruno Lindqvist) who disagree on a few items, and Chen Wei's reconciliations.
Signalling answers are derived from the facts by plain rules below; each judgement is what the
tool's own algorithm suggests from those answers, so the example exercises the suggestions too.
The output is deterministic (no randomness): `python protocols/nk-exosomes/generate_risk_of_bias.py`
from the project root rewrites `risk_of_bias/syrcle.csv` and `risk_of_bias/misev.csv`.
"""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from anywhere: the project's package

from review.appraisal.tools import load_tool, suggest_judgement  # noqa: E402

AMARA, BRUNO, CHEN = "Amara Okafor", "Bruno Lindqvist", "Chen Wei"
COLUMNS = ["reviewer", "role", "study_id", "domain", "judgement", "support", "answers"]
#: Said in every support text about the one real work, so nobody reads it as a real appraisal.
REAL_NOTE = "[Invented for the example, not a reading of the real paper] "


def _cap(text: str) -> str:
    """First letter upper case, the rest as written ("NK-92" stays "NK-92")."""
    return text[:1].upper() + text[1:]


@dataclass
class Study:
    study_id: str
    works: list[dict]  # its reports, earliest first

    @property
    def first(self) -> dict:
        return self.works[0]

    def facts(self, name: str) -> list[str]:
        """A fact over the study's reports, without blanks or repeats."""
        seen: list[str] = []
        for work in self.works:
            for part in (work.get(name) or "").split(";"):
                part = part.strip()
                if part and part not in seen:
                    seen.append(part)
        return seen

    @property
    def in_vivo(self) -> bool:
        return any(not w["model"].startswith("in vitro") for w in self.works if w["model"])

    @property
    def real(self) -> bool:
        return any(w["real"] == "1" for w in self.works)


def studies(works_csv: Path = HERE / "searches" / "works.csv") -> list[Study]:
    """Included works grouped into studies: works naming each other as related are one study,
    called after the earliest report's first author and year."""
    with open(works_csv, newline="", encoding="utf-8") as handle:
        included = [w for w in csv.DictReader(handle) if w["included"] == "1"]
    by_id = {w["work_id"]: w for w in included}
    groups: dict[str, list[dict]] = {}
    for work in included:
        partner = by_id.get(work["related_work"])
        key = min(work["work_id"], partner["work_id"]) if partner else work["work_id"]
        groups.setdefault(key, []).append(work)
    out = []
    for works in groups.values():
        works.sort(key=lambda w: (int(w["year"]), w["work_id"]))
        out.append(Study(f"{works[0]['first_author']} {works[0]['year']}", works))
    ids = [s.study_id for s in out]
    assert len(set(ids)) == len(ids), "two studies would share an id: add letters"
    return sorted(out, key=lambda s: s.study_id)


# -- SYRCLE -----------------------------------------------------------------------------------
def syrcle_answers(study: Study) -> dict[str, tuple[dict[str, str], str]]:
    """Per SYRCLE item: the signalling answers and the support text, from the study's facts."""
    animal = [w for w in study.works if not w["model"].startswith("in vitro")]
    work = animal[0]
    year, model, route = int(work["year"]), work["model"], work["route"]
    n, n_control = work["treated_n"], work["control_n"]
    outcome, time_point = work["outcome_measure"], work["time_point"]
    items: dict[str, tuple[dict[str, str], str]] = {}
    if year >= 2021:
        items["D1"] = ({"1.1": "Y"}, "Methods: mice were allocated with a computer-generated "
                                     "random list.")
    else:
        items["D1"] = ({"1.1": "U"}, "Mice were 'randomly divided' into groups; how the sequence "
                                     "was produced is not described.")
    if model == "orthotopic":
        items["D2"] = ({"2.1": "U", "2.2": "Y"}, "Orthotopic tumours were implanted the same day "
                       "in all mice, but tumour burden at allocation was not measured.")
    else:
        items["D2"] = ({"2.1": "Y", "2.2": "Y"}, f"Treatment began when {model} tumours reached "
                       "about 100 mm3; group means at the start are shown and similar.")
    items["D3"] = ({"3.1": "U"}, "Allocation concealment is not mentioned.")
    items["D4"] = ({"4.1": "U"}, "Housing is described (five mice per cage) but not how cages "
                                 "were placed.")
    if route == "intratumoural":
        items["D5"] = ({"5.1": "N", "5.2": "U"}, "The investigators who injected the tumours "
                       "prepared the doses themselves and knew the groups (methods).")
    else:
        items["D5"] = ({"5.1": "U", "5.2": "U"}, f"{_cap(route)} injections; whether "
                       "staff knew the groups is not reported.")
    items["D6"] = ({"6.1": "U"}, "The order in which animals were measured is not reported.")
    if outcome == "tumour volume":
        items["D7"] = ({"7.1": "U"}, f"Tumour volume by calipers up to {time_point}; whether the "
                                     "person measuring knew the groups is not stated.")
    else:
        items["D7"] = ({"7.1": "Y"}, f"The outcome ({outcome}, {time_point}) is an objective "
                                     "reading that knowing the group cannot change.")
    if n and n == n_control:
        items["D8"] = ({"8.1": "Y", "8.2": "Y"}, f"All animals appear in the results: n = {n} "
                       "per group in the methods and in the figure legends.")
    else:
        items["D8"] = ({"8.1": "U", "8.2": "U"}, "Numbers per group at the end are not given.")
    items["D9"] = ({"9.1": "U", "9.2": "Y"}, "No protocol was registered; every outcome named "
                                             "in the methods is reported.")
    items["D10"] = ({"10.1": "Y"}, "No other source of bias found; funded by public grants.")
    return items


#: Where Bruno read a report differently: (study, item) -> his answers, support; and Chen's
#: reconciliation: answers, support.
SYRCLE_DIFFERENCES = {
    ("Kim 2018", "D1"): (
        ({"1.1": "Y"}, "The 2020 report of this study says the allocation list was drawn from "
                       "a random-number table."),
        ({"1.1": "Y"}, "Agree with BL: the 2020 report describes the random-number table for "
                       "the same experiment.")),
    ("Rossi 2016", "D2"): (
        ({"2.1": "U", "2.2": "Y"}, "Start volumes are shown pooled, not by group."),
        ({"2.1": "U", "2.2": "Y"}, "Figure 2 gives one pooled start volume only; balance between "
                                   "groups cannot be checked.")),
    ("Moretti 2019", "D5"): (
        ({"5.1": "U", "5.2": "U"}, "Blinding is not mentioned either way."),
        ({"5.1": "N", "5.2": "U"}, "The methods say the injecting investigators prepared the "
                                   "doses: not blinded, as AO read.")),
    ("Chen 2021", "D7"): (
        ({"7.1": "N"}, "The author contributions list the same person for treatment and "
                       "measurement."),
        ({"7.1": "U"}, "Contributions list tasks, not who measured which mouse; not enough to "
                       "say the assessor knew the groups.")),
    ("Huang 2020", "D8"): (
        ({"8.1": "N", "8.2": "U"}, "Figure 3 shows five treated mice at day 21 against six in "
                                   "the methods, without a reason."),
        ({"8.1": "N", "8.2": "U"}, "One treated mouse is missing at day 21 with no reason "
                                   "given (figure 3).")),
}


# -- MISEV ------------------------------------------------------------------------------------
def misev_answers(study: Study) -> dict[str, tuple[dict[str, str], str]]:
    """Per checklist item: the signalling answers and the support text, from the facts."""
    source = study.facts("source_cell")[0]
    isolation = study.facts("isolation_method")
    sizing = " ".join(study.facts("size_method"))
    markers = study.facts("positive_markers")
    years = [int(w["year"]) for w in study.works]
    items: dict[str, tuple[dict[str, str], str]] = {}
    if source in ("primary human NK", "cancer stem cell"):
        items["D1"] = ({"1.1": "Y", "1.2": "P"}, f"{_cap(source)} cells from named donors; "
                       "whether the serum was depleted of vesicles is not said.")
    else:
        items["D1"] = ({"1.1": "Y", "1.2": "Y"}, f"{source} cells, passage and medium given; "
                       "vesicle-depleted serum, 48 h collection, viability above 90%.")
    if not isolation:
        items["D2"] = ({"2.1": "Y", "2.2": "P"}, "Ultracentrifugation is named; speeds and times "
                       "are only referenced to an earlier paper.")
    elif all(m in ("ultrafiltration", "polymer precipitation") for m in isolation):
        items["D2"] = ({"2.1": "Y", "2.2": "P"}, f"{_cap(isolation[0])}: the kit or "
                       "membrane is named, volumes and settings are not.")
    else:
        items["D2"] = ({"2.1": "Y", "2.2": "Y"}, f"{_cap(' and '.join(isolation))} "
                       "described with speeds, times and rotor or column.")
    if "NTA" in sizing:
        per_input = any(m in ("density gradient", "size-exclusion chromatography") for m in isolation)
        items["D3"] = ({"3.1": "Y", "3.2": "Y" if per_input else "P"},
                       "Particles by NTA and protein by BCA" + (
                           "; particles per microgram of protein reported." if per_input
                           else "; not related to the number of producing cells."))
    elif sizing:
        items["D3"] = ({"3.1": "N", "3.2": "P"}, "Protein (BCA) only; DLS gives no particle "
                       "number. Protein per million cells is given.")
    else:
        items["D3"] = ({"3.1": "N", "3.2": "N"}, "The amount of vesicles is not reported.")
    membrane = [m for m in markers if m in ("CD9", "CD63", "CD81")]
    cytosolic = [m for m in markers if m in ("TSG101", "ALIX", "HSP70")]
    if membrane or not markers:
        shown = ", ".join(membrane) or "CD63"
        items["D4"] = ({"4.1": "Y"}, f"{shown} shown by western blot.")
    else:
        items["D4"] = ({"4.1": "N"}, "No membrane marker shown.")
    if cytosolic:
        items["D5"] = ({"5.1": "Y"}, f"{', '.join(cytosolic)} shown by western blot.")
    else:
        items["D5"] = ({"5.1": "N"}, "No cytosolic vesicle protein shown.")
    if "ALIX" in markers:
        items["D6"] = ({"6.1": "Y"}, "Calnexin absent from the vesicle lanes and present in the "
                                     "cell lysate.")
    elif "HSP70" in markers:
        items["D6"] = ({"6.1": "P"}, "A GM130 blot is shown, but without a cell-lysate lane.")
    else:
        items["D6"] = ({"6.1": "N"}, "No negative or purity marker.")
    if "electron microscopy" in sizing:
        wide = min(years) >= 2020
        items["D7"] = ({"7.1": "Y", "7.2": "Y" if wide else "P"},
                       "Transmission electron microscopy" + (", wide-field and close-up images."
                                                              if wide else ", close-ups only."))
    else:
        items["D7"] = ({"7.1": "N"}, "No images of single vesicles.")
    if "NTA" in sizing:
        items["D8"] = ({"8.1": "Y", "8.2": "Y"}, "NTA size distribution shown (mode and "
                                                 "histogram).")
    elif sizing:
        items["D8"] = ({"8.1": "N", "8.2": "Y"}, "Size by dynamic light scattering only (a bulk "
                                                 "method); the distribution is shown.")
    else:
        items["D8"] = ({"8.1": "N", "8.2": "N"}, "Size not reported.")
    return items


MISEV_DIFFERENCES = {
    ("Lugini 2012", "D2"): (
        ({"2.1": "Y", "2.2": "Y"}, "The cited method paper gives the speeds and times."),
        ({"2.1": "Y", "2.2": "P"}, "A citation is not a description in this report; partly, "
                                   "as AO read.")),
    ("Rossi 2016", "D8"): (
        ({"8.1": "N", "8.2": "N"}, "A DLS mean only; no distribution."),
        ({"8.1": "N", "8.2": "Y"}, "Supplementary figure S2 shows the DLS distribution: partly "
                                   "reported.")),
    ("Zhou 2022", "D6"): (
        ({"6.1": "P"}, "The calnexin blot has no positive control lane."),
        ({"6.1": "Y"}, "Figure 1C has the cell-lysate lane BL missed: reported.")),
    ("Sun 2019", "D3"): (
        ({"3.1": "Y", "3.2": "Y"}, "Protein by BCA and particle concentration from the DLS "
                                   "count rate, given per microgram of protein."),
        ({"3.1": "N", "3.2": "P"}, "A count rate is not a particle number: one method only.")),
}


# -- writing ----------------------------------------------------------------------------------
def rows_for(tool_name: str, chosen: list[Study], answers_of, differences) -> list[list[str]]:
    tool = load_tool(tool_name)

    def row(reviewer, role, study, domain, answers, support):
        suggested = suggest_judgement(tool, domain, answers)
        assert suggested is not None, (tool_name, study.study_id, domain, answers)
        support = (REAL_NOTE if study.real else "") + support
        return [reviewer, role, study.study_id, domain, tool.level(suggested).label, support,
                json.dumps(answers, sort_keys=True)]

    assessed, reconciled = [], []
    for study in chosen:
        items = answers_of(study)
        for domain in tool.domain_ids:
            answers, support = items[domain]
            assessed.append(row(AMARA, "assessor", study, domain, answers, support))
            bruno, chen = differences.get((study.study_id, domain), ((answers, support), None))
            assessed.append(row(BRUNO, "assessor", study, domain, *bruno))
            if chen is not None:
                assert assessed[-1][4] != assessed[-2][4], (study.study_id, domain)
                reconciled.append(row(CHEN, "reconciler", study, domain, *chen))
    missing = set(differences) - {(s.study_id, d) for s in chosen for d in tool.domain_ids}
    assert not missing, missing
    return [COLUMNS] + assessed + reconciled


def write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def main(out: Path = HERE / "risk_of_bias") -> None:
    every = studies()
    animal = [s for s in every if s.in_vivo]
    write(out / "syrcle.csv", rows_for("SYRCLE", animal, syrcle_answers, SYRCLE_DIFFERENCES))
    write(out / "misev.csv", rows_for("MISEV", every, misev_answers, MISEV_DIFFERENCES))
    print(f"{len(animal)} studies with SYRCLE, {len(every)} with MISEV written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "risk_of_bias")
