"""Write the worked example's data extraction (extraction/studies.csv, extraction/extraction.csv).

The 16 included reports make 15 studies: W003 and W004 are two reports of one study, named after
the earlier (Kim 2018). Two reviewers extract every study independently from the values in
searches/works.csv; a few fields they get wrong (a typo'd number, a missing marker, another
isolation method, an experiment one of them missed) and a third reviewer records the agreed value
for each difference. Values works.csv does not hold (EV term, negative markers, doses, schedules,
extra experiments and outcomes, toxicity notes) are invented, seeded per work, so the output is
byte-identical on every run: `python protocols/nk-exosomes/generate_extraction.py`.

Everything here is invented for the example, including what is said about the real work W001.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "extraction"
EXTRACTORS = ("Amara Okafor", "Bruno Lindqvist")
RECONCILER = "Chen Wei"
#: Reports of one study: the later work -> the work the study is named after.
SAME_STUDY = {"W004": "W003"}
STUDY_COLUMNS = ["study_id", "file", "position", "work_id"]
VALUE_COLUMNS = ["reviewer", "role", "study_id", "group", "instance", "field", "value", "unit"]
SAME = "="
IN_VIVO = {"xenograft", "syngeneic", "orthotopic", "patient-derived xenograft"}
#: Where an extractor's value differs from the agreed one: (work, reviewer index, group,
#: instance, field) -> (value, unit), or None for a value (or, with field None, a whole
#: instance) the reviewer left out; SAME keeps the agreed value with another unit.
SLIPS = {
    ("W002", 1, "vesicle", 1, "mean_size"): ("182", "nm"),           # 128 typed as 182
    ("W003", 1, "vesicle", 1, "positive_markers"): ("CD63; CD81", ""),  # HSP70 missed
    ("W005", 1, "vesicle", 1, "isolation_method"): ("differential ultracentrifugation", ""),
    ("W008", 1, "outcome", 1, "treated_sd"): ("25", ""),              # 52 typed as 25
    ("W009", 0, "vesicle", 1, "ev_term"): ("small extracellular vesicle", ""),
    ("W011", 0, "outcome", 1, "control_n"): ("5", ""),
    ("W014", 1, "experiment", 2, "route"): ("intravenous", ""),
    ("W015", 1, "experiment", 3, None): None,                        # experiment 3 missed
    ("W016", 1, "experiment", 2, "dose"): (SAME, "ug/mL"),           # wrong unit
}
#: Studies with a second in vivo experiment (another model, its own animals) measuring tumour
#: volume, so the meta-analysis has several experiments within some studies: work -> model.
SECOND_IN_VIVO = {"W002": "orthotopic", "W005": "orthotopic", "W009": "patient-derived xenograft"}


def _read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _schema() -> tuple[list[str], dict[str, dict]]:
    """Group names in order and each field's spec, from the protocol."""
    protocol = yaml.safe_load((HERE / "protocol.yaml").read_text(encoding="utf-8"))
    groups = [g["name"] for g in protocol["extraction"]["groups"]]
    return groups, {f["name"]: f for f in protocol["extraction"]["fields"]}


def _study_ids(works: list[dict]) -> dict[str, str]:
    """Work -> study id: first author and year of the study's earliest report, letters when two
    studies would share one."""
    named: dict[str, list[str]] = {}
    for work in works:
        if work["work_id"] in SAME_STUDY:
            continue
        named.setdefault(f"{work['first_author']} {work['year']}", []).append(work["work_id"])
    ids = {}
    for base, members in named.items():
        for i, work_id in enumerate(sorted(members)):
            ids[work_id] = base if len(members) == 1 else base + "abcdefghij"[i]
    for later, first in SAME_STUDY.items():
        ids[later] = ids[first]
    return ids


def _positions() -> dict[str, tuple[str, str]]:
    """Each work's record as screened at full text: (file, position)."""
    out = {}
    for row in _read(HERE / "screening" / "decisions.csv"):
        if row["stage"] == "full_text":
            out.setdefault(row["work_id"], (row["file"], row["position"]))
    return out


def _experiments(work: dict, rng: random.Random) -> list[dict]:
    in_vitro = {"tumour_type": work["tumour_type"],
                "model": work["model"] if work["model"] == "in vitro primary cells" else "in vitro cell line",
                "cell_line": work["cell_line"],
                "species": "mouse" if work["cell_line"] == "4T1" else "human cells only",
                "dose": (str(rng.choice([10, 25, 50, 100])), "ug/mL"), "route": "in vitro",
                "schedule": "single dose, " + (work["time_point"] if "h" in work["time_point"] else "48 h")}
    if work["model"] not in IN_VIVO:
        return [in_vitro]
    in_vivo = {"tumour_type": work["tumour_type"], "model": work["model"],
               "cell_line": work["cell_line"], "species": "mouse",
               "dose": (str(rng.choice([50, 100, 150, 200])), "ug protein"), "route": work["route"],
               "schedule": rng.choice(["every 3 days x 5", "every 2 days x 7",
                                       "twice weekly for 3 weeks", "every 4 days x 4"])}
    return [in_vitro, in_vivo]


def _outcome(work: dict, rng: random.Random) -> dict:
    names = ("treated_mean", "treated_sd", "treated_n", "control_mean", "control_sd", "control_n")
    outcome = {"outcome_measure": work["outcome_measure"] or "cytotoxicity",
               "time_point": work["time_point"], "unit": work["unit"]}
    outcome.update({name: work[name] for name in names})
    if work["model"] in IN_VIVO:
        outcome["toxicity_note"] = rng.choice([
            "no body-weight loss", "no body-weight loss; normal liver and kidney histology",
            "no change in ALT, AST or creatinine"])
    return outcome


def _tumour_volume(rng: random.Random, n: str) -> dict:
    """An invented tumour-volume outcome for an in vivo study that reported survival."""
    control = rng.randrange(700, 1100)
    treated = int(control * rng.uniform(0.25, 0.45))
    return {"outcome_measure": "tumour volume", "time_point": "day 21", "unit": "mm3",
            "treated_mean": str(treated), "treated_sd": str(int(treated * rng.uniform(0.18, 0.3))),
            "treated_n": n, "control_mean": str(control),
            "control_sd": str(int(control * rng.uniform(0.15, 0.22))), "control_n": n,
            "toxicity_note": "no body-weight loss"}


def _second_in_vivo(work: dict) -> tuple[dict, dict]:
    """A second in vivo experiment of the study (appended after its other experiments and
    outcomes, so their numbering stays) with its own tumour-volume outcome; its own seed leaves
    every other invented value as it was."""
    rng = random.Random(f"extraction:{work['work_id']}:second in vivo")
    n = str(rng.choice([5, 6, 7]))
    arm = {"tumour_type": work["tumour_type"], "model": SECOND_IN_VIVO[work["work_id"]],
           "cell_line": work["cell_line"].split(";")[0].strip(), "species": "mouse",
           "dose": (str(rng.choice([50, 100, 150])), "ug protein"), "route": "intravenous",
           "schedule": rng.choice(["every 3 days x 5", "twice weekly for 3 weeks"])}
    control = rng.randrange(650, 1000)
    treated = int(control * rng.uniform(0.35, 0.6))
    outcome = {"outcome_measure": "tumour volume", "time_point": "day 21", "unit": "mm3",
               "treated_mean": str(treated), "treated_sd": str(int(treated * rng.uniform(0.2, 0.35))),
               "treated_n": n, "control_mean": str(control),
               "control_sd": str(int(control * rng.uniform(0.15, 0.25))), "control_n": n,
               "toxicity_note": "no body-weight loss"}
    return arm, outcome


def _study(reports: list[dict]) -> dict[tuple[str, int], dict]:
    """The agreed values of one study: (group, instance) -> {field: value or (value, unit)}."""
    first = reports[0]
    rng = random.Random(f"extraction:{first['work_id']}")
    isolation = list(dict.fromkeys(r["isolation_method"] for r in reports if r["isolation_method"]))
    mechanism = list(dict.fromkeys(m.strip() for r in reports for m in r["mechanism"].split(";")))
    size_method = first["size_method"] or "electron microscopy"
    values = {
        ("study", 1): {"strategy": first["strategy"], "cargo": first["cargo"],
                       "loading_method": first["loading_method"],
                       "targeting_ligand": first["targeting_ligand"],
                       "mechanism": "; ".join(mechanism)},
        ("vesicle", 1): {"source_cell": first["source_cell"],
                         "ev_term": rng.choice(["exosome"] * 4 + ["small extracellular vesicle"]),
                         "isolation_method": "; ".join(isolation) or "differential ultracentrifugation",
                         "size_method": size_method,
                         "mean_size": (first["mean_size_nm"].removesuffix(".0"), "nm")
                         if first["mean_size_nm"] else "",
                         "tem_imaging": "yes" if "electron microscopy" in size_method else "no",
                         "positive_markers": first["positive_markers"],
                         "negative_markers": rng.choice(["calnexin", "calnexin; GM130", "none", ""])},
    }
    experiments, outcomes = [], []
    for report in reports:
        report_rng = random.Random(f"extraction:{report['work_id']}:arms")
        arms = _experiments(report, report_rng)
        experiments += arms if len(reports) == 1 else arms[-1:]
        outcomes.append(_outcome(report, report_rng))
        if report["model"] in IN_VIVO and report["outcome_measure"] not in ("tumour volume", "tumour weight"):
            outcomes.append(_tumour_volume(report_rng, report["treated_n"]))
    if first["work_id"] == "W015":  # a second in vitro experiment, on a human line
        experiments.append({"tumour_type": "breast", "model": "in vitro cell line",
                            "cell_line": "MDA-MB-231", "species": "human cells only",
                            "dose": ("50", "ug/mL"), "route": "in vitro", "schedule": "single dose, 48 h"})
    if first["work_id"] in SECOND_IN_VIVO:
        arm, outcome = _second_in_vivo(first)
        experiments.append(arm)
        outcomes.append(outcome)
    for i, arm in enumerate(experiments, 1):
        values[("experiment", i)] = arm
    for i, outcome in enumerate(outcomes, 1):
        values[("outcome", i)] = outcome
    return values


def _rows(reviewer: str, role: str, study_id: str, values: dict, groups: list[str],
          fields: dict[str, dict]) -> list[dict]:
    order = list(fields)
    rows = []
    for (group, instance), entries in sorted(values.items(), key=lambda i: (groups.index(i[0][0]), i[0][1])):
        for name in sorted(entries, key=order.index):
            value = entries[name]
            value, unit = value if isinstance(value, tuple) else (value, "")
            spec = fields[name]
            assert spec.get("group") == group, (name, group)
            for part in (value.split("; ") if spec["type"] == "multiple_choice" and value else
                         [value] if spec["type"] == "single_choice" and value else []):
                assert part in spec["allowed"], (study_id, name, part)
            if value:
                rows.append({"reviewer": reviewer, "role": role, "study_id": study_id, "group": group,
                             "instance": str(instance), "field": name, "value": value, "unit": unit})
    return rows


def generate() -> tuple[list[dict], list[dict]]:
    groups, fields = _schema()
    works = [w for w in _read(HERE / "searches" / "works.csv") if w["included"] == "1"]
    ids, where = _study_ids(works), _positions()
    studies = sorted(({"study_id": ids[w["work_id"]], "file": where[w["work_id"]][0],
                       "position": where[w["work_id"]][1], "work_id": w["work_id"]} for w in works),
                     key=lambda r: (r["study_id"].casefold(), r["work_id"]))
    by_study: dict[str, list[dict]] = {}
    for work in sorted(works, key=lambda w: (w["year"], w["work_id"])):
        by_study.setdefault(ids[work["work_id"]], []).append(work)
    extractor_rows: list[list[dict]] = [[], []]
    reconciled: list[dict] = []
    for study_id in sorted(by_study, key=str.casefold):
        reports = by_study[study_id]
        agreed = _study(reports)
        work_id = reports[0]["work_id"]
        for index, reviewer in enumerate(EXTRACTORS):
            mine = {key: dict(entries) for key, entries in agreed.items()}
            for (work, who, group, instance, name), slip in SLIPS.items():
                if work != work_id or who != index:
                    continue
                if name is None:
                    decided = _rows(RECONCILER, "reconciler", study_id, {(group, instance): agreed[(group, instance)]},
                                    groups, fields)
                    reconciled += decided
                    del mine[(group, instance)]
                    continue
                agreed_value = agreed[(group, instance)][name]
                if slip[0] == SAME:
                    slip = (agreed_value[0] if isinstance(agreed_value, tuple) else agreed_value, slip[1])
                mine[(group, instance)][name] = slip
                reconciled += _rows(RECONCILER, "reconciler", study_id,
                                    {(group, instance): {name: agreed[(group, instance)][name]}},
                                    groups, fields)
            extractor_rows[index] += _rows(reviewer, "extractor", study_id, mine, groups, fields)
    return studies, extractor_rows[0] + extractor_rows[1] + reconciled


def _write(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    studies, values = generate()
    _write(OUT / "studies.csv", STUDY_COLUMNS, studies)
    _write(OUT / "extraction.csv", VALUE_COLUMNS, values)
    print(f"{len(studies)} reports in {len({s['study_id'] for s in studies})} studies, "
          f"{len(values)} values -> {OUT}")


if __name__ == "__main__":
    main()
