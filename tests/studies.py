"""Reviews with real included studies, built through the package's own commands: a RIS export
imported, deduplicated and screened in by two reviewers, so that tests of extraction and
appraisal work on studies the store knows (a study is never just a label)."""
from __future__ import annotations

from pathlib import Path

from review.dedup.run import deduplicate_review
from review.extraction.studies import study_table
from review.project import Review, init_review
from review.screening.decisions import decision_event

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"
SCREENERS = ("Amara Okafor", "Bruno Lindqvist")


def ris_record(title: str, author: str, year: int | str, doi: str | None = None,
               journal: str = "J Extracell Vesicles") -> str:
    lines = ["TY  - JOUR", f"TI  - {title}", f"AU  - {author}", f"PY  - {year}", f"JO  - {journal}",
             "AB  - Natural killer cell-derived exosomes were tested against tumour cells."]
    if doi:
        lines.append(f"DO  - {doi}")
    return "\n".join(lines + ["ER  - ", ""])


def write_ris(path: Path, records: list[str]) -> Path:
    """`records` (from `ris_record`) written as one RIS export."""
    path.write_text("".join(records), encoding="utf-8")
    return path


def include(review: Review, work_ids, *, stages=("title_abstract", "full_text")) -> None:
    """Both screeners include these works at each stage."""
    rows = [decision_event(stage=stage, record_id=int(w), reviewer=who, decision="include")
            for stage in stages for w in work_ids for who in SCREENERS]
    review.store.record_decisions(rows)


def review_with_studies(folder: Path, labels, *, protocol: Path = PROTOCOL,
                        name: bool = True) -> Review:
    """A review whose included studies are `labels` ("Rossi 2016": first author Rossi, 2016),
    one report each; with `name`, each study is also given its label as its name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    export = folder.parent / f"{folder.name}-studies.ris"
    text = []
    for i, label in enumerate(labels):
        parts = label.split()
        year = parts[-1][:4] if parts and parts[-1][:4].isdigit() else "2020"
        text.append(ris_record(f"Study {i} of NK exosomes in tumour model {label}",
                               f"{parts[0]}, A.", year, doi=f"10.5555/study.{i}"))
    export.write_text("".join(text), encoding="utf-8")
    review = init_review(folder, protocol)
    review.import_file(export, database="Embase", actor="test")
    deduplicate_review(review, actor="test")
    works = list(review.store.works()["work_id"])
    include(review, works)
    if name:
        table = study_table(review)
        for label, work in zip(labels, works):
            study = int(table.loc[table["record_id"] == work, "study"].iloc[0])
            review.store.name_study(study, label, reviewer="test")
    return review
