"""A synthetic review of any size, for the report benchmark and tests of scale.

Everything goes through the real paths a review takes: the worked example's protocol, RIS files
imported per database, the deduplication engine, and screening decisions as events. Only the
records are invented: titles, authors and abstracts are made of generated words, so no two works
look alike by chance, while the copies of one work found in several databases vary the way real
exports do (case, a trailing period, DOI dropped, upper-cased or given as a URL, author format,
journal abbreviated, page ranges shortened, abstract missing)."""
from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from review.errors import ReviewError
from review.project import Review, init_review
from review.screening.decisions import RESOLVER, decision_event

__all__ = [
    "DATABASES",
    "DATABASE_SHARES",
    "RESOLVER_NAME",
    "REVIEWERS",
    "SyntheticSummary",
    "build_synthetic_review",
    "copy_extraction",
    "synthetic_ris",
]

#: The databases searched, and the file each one's export is written to.
DATABASES = {"PubMed": "pubmed.ris", "Embase": "embase.ris", "Web of Science": "wos.ris",
             "Scopus": "scopus.ris"}
#: Share of works found in 1, 2, 3 and 4 databases: about 42 % of records are duplicates,
#: within the 30-50 % reported for biomedical searches of four databases.
DATABASE_SHARES = (0.55, 0.25, 0.13, 0.07)
#: The worked example's reviewers: two screen independently, the third resolves conflicts.
REVIEWERS = ("Amara Okafor", "Bruno Lindqvist")
RESOLVER_NAME = "Chen Wei"
#: Share of records on which the two screeners disagree (then resolved).
CONFLICT_SHARE = {"title_abstract": 0.005, "full_text": 0.10}
#: Full-text exclusions per included report, and reports sought but not retrieved.
FULL_TEXT_EXCLUDED_PER_INCLUDED = 3
NOT_RETRIEVED = 2

_ONSETS = ("b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "br", "cl", "dr",
           "gr", "pl", "pr", "st", "tr", "sh", "ch", "th", "k", "z")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "io", "ou")
_CODAS = ("", "n", "r", "s", "l", "m", "t", "x", "nd", "st", "rk", "ng")
_JOURNALS = [("Journal of Synthetic Oncology", "J Synth Oncol"),
             ("Extracellular Vesicle Research", "Extracell Vesicle Res"),
             ("Cancer Immunotherapy Reports", "Cancer Immunother Rep"),
             ("Frontiers in Made-up Medicine", "Front Madeup Med"),
             ("International Journal of Invented Biology", "Int J Invented Biol"),
             ("Tumour Models", "Tumour Models"),
             ("Nanomedicine Letters", "Nanomed Lett"),
             ("Cell Therapy Quarterly", "Cell Ther Q")]


@dataclass(frozen=True)
class SyntheticSummary:
    """What was built: records imported, works behind them, and the screening outcome."""

    records: int
    works: int
    unique_after_dedup: int
    included_title_abstract: int
    included_full_text: int
    decisions: int
    extraction_values: int = 0
    judgements: int = 0


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(1, 3))) \
        + rng.choice(_CODAS)


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        word = _word(rng)
        if len(word) > 3:
            words.add(word)
    return sorted(words)


@dataclass(frozen=True)
class _Work:
    title: str
    authors: tuple[tuple[str, str], ...]  # (surname, initials)
    year: int
    journal: int
    volume: int
    issue: int
    first_page: int
    last_page: int
    doi: str
    abstract: str


def _works(n: int, rng: random.Random) -> list[_Work]:
    words = _vocabulary(rng, 4000)
    surnames = [w.capitalize() for w in _vocabulary(rng, 3000)]
    out = []
    for index in range(n):
        title = " ".join(rng.choices(words, k=rng.randint(9, 15))).capitalize()
        authors = tuple((rng.choice(surnames), "".join(rng.choices("ABCDEFGHJKLMNPRSTVW",
                                                                    k=rng.randint(1, 2))))
                        for _ in range(rng.randint(1, 6)))
        first = rng.randint(1, 2000)
        out.append(_Work(
            title=title, authors=authors, year=rng.randint(2000, 2025),
            journal=rng.randrange(len(_JOURNALS)), volume=rng.randint(1, 60),
            issue=rng.randint(1, 12), first_page=first, last_page=first + rng.randint(5, 19),
            doi=f"10.99999/synthetic.{index + 1:07d}",
            abstract=" ".join(rng.choices(words, k=rng.randint(40, 80))).capitalize() + "."))
    return out


def _copies(n_records: int, rng: random.Random) -> list[int]:
    """How many databases found each work, so that the copies add up to `n_records`."""
    counts: list[int] = []
    total = 0
    while total < n_records:
        k = min(rng.choices((1, 2, 3, 4), weights=DATABASE_SHARES)[0], n_records - total)
        counts.append(k)
        total += k
    return counts


def _ris_record(work: _Work, rng: random.Random, first_copy: bool) -> str:
    """One work as one database exports it; later copies vary."""
    vary = (lambda share: False) if first_copy else (lambda share: rng.random() < share)
    title = work.title
    if vary(0.2):
        title = title.upper() if rng.random() < 0.3 else title.lower()
    if vary(0.2):
        title += "."
    if vary(0.3):
        authors = [f"{s} {i}" for s, i in work.authors]
    else:
        authors = [f"{s}, {'. '.join(i)}." for s, i in work.authors]
    journal = _JOURNALS[work.journal][1 if vary(0.4) else 0]
    last = str(work.last_page)
    if vary(0.3):
        last = last[-1:] if last[:-1] == str(work.first_page)[:-1] else last
    lines = ["TY  - JOUR", f"TI  - {title}"] + [f"AU  - {a}" for a in authors] + [
        f"PY  - {work.year}", f"T2  - {journal}", f"VL  - {work.volume}", f"IS  - {work.issue}",
        f"SP  - {work.first_page}", f"EP  - {last}"]
    if not vary(0.15):
        doi = work.doi
        if vary(0.1):
            doi = doi.upper()
        elif vary(0.1):
            doi = "https://doi.org/" + doi
        lines.append(f"DO  - {doi}")
    if not vary(0.1):
        lines.append(f"AB  - {work.abstract}")
    lines.append("ER  - ")
    return "\n".join(lines)


def synthetic_ris(n_records: int, *, seed: int = 0) -> tuple[dict[str, str], int]:
    """RIS text per database (keyed like DATABASES) holding `n_records` records in all, and the
    number of distinct works behind them."""
    if n_records < 1:
        raise ReviewError(f"a synthetic review needs at least 1 record, not {n_records}")
    rng = random.Random(seed)
    copies = _copies(n_records, rng)
    works = _works(len(copies), rng)
    names = list(DATABASES)
    blocks: dict[str, list[str]] = {name: [] for name in names}
    for work, k in zip(works, copies):
        for position, database in enumerate(rng.sample(names, k)):
            blocks[database].append(_ris_record(work, rng, position == 0))
    for database in names:
        rng.shuffle(blocks[database])
    return {name: "\n\n".join(found) + "\n" for name, found in blocks.items() if found}, len(works)


def _screening_events(cluster_ids: list[int], included: int, rng: random.Random,
                      reasons: dict[str, list[str]]) -> tuple[list[dict], int]:
    """Two screeners' decisions on every record at title/abstract, and on the ones they kept at
    full text; a few disagreements, each resolved by the third reviewer."""
    kept_ft = min(len(cluster_ids), included * (1 + FULL_TEXT_EXCLUDED_PER_INCLUDED) + NOT_RETRIEVED)
    kept = rng.sample(cluster_ids, kept_ft)
    kept_set = set(kept)
    events: list[dict] = []

    def decide(stage: str, record_id: int, decision: str, reason: str | None) -> None:
        if rng.random() < CONFLICT_SHARE[stage]:
            other = "exclude" if decision != "exclude" else "include"
            events.append(decision_event(stage=stage, record_id=record_id, reviewer=REVIEWERS[0],
                                         decision=decision, reason=reason))
            events.append(decision_event(stage=stage, record_id=record_id, reviewer=REVIEWERS[1],
                                         decision=other, reason=rng.choice(reasons[stage])
                                         if other == "exclude" else None))
            events.append(decision_event(stage=stage, record_id=record_id, reviewer=RESOLVER_NAME,
                                         decision=decision, reason=reason, role=RESOLVER))
            return
        for reviewer in REVIEWERS:
            events.append(decision_event(stage=stage, record_id=record_id, reviewer=reviewer,
                                         decision=decision, reason=reason))

    for record_id in cluster_ids:
        if record_id in kept_set:
            decide("title_abstract", record_id, "include", None)
        else:
            decide("title_abstract", record_id, "exclude", rng.choice(reasons["title_abstract"]))
    for position, record_id in enumerate(kept):
        if position < included:
            decide("full_text", record_id, "include", None)
        elif position < included + NOT_RETRIEVED:
            for reviewer in REVIEWERS:
                events.append(decision_event(stage="full_text", record_id=record_id,
                                             reviewer=reviewer, decision="not_retrieved"))
        else:
            decide("full_text", record_id, "exclude", rng.choice(reasons["full_text"]))
    return events, kept_ft


def _rewrite(source: Path, target: Path, study_of: dict[str, list[str]]) -> None:
    """Copy a CSV keyed by study_id, each example study's rows once per synthetic study it
    stands for. Loader input, read back verbatim by `csv`: not a table for spreadsheets, so it is
    written by `csv` too (write_csv's formula guard would change values such as "-0.5")."""
    with open(source, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames or [], list(reader)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            for study_id in study_of.get(row["study_id"], []):
                writer.writerow({**row, "study_id": study_id})


def copy_extraction(review: Review, example_dir: str | Path) -> tuple[int, int]:
    """Give the synthetic review's included studies the worked example's extraction and
    risk-of-bias judgements (both reviewers' and the reconciled ones), study by study in order,
    cycling through the example's studies; returns (values, judgements) stored."""
    from review.appraisal.load import load_judgements
    from review.extraction.load import EXTRACTION_FILE, load_extraction
    from review.extraction.studies import study_table
    example_dir = Path(example_dir)
    source = example_dir / "extraction" / EXTRACTION_FILE
    if not source.is_file():
        return 0, 0
    with open(source, newline="", encoding="utf-8-sig") as handle:
        example_studies = sorted({row["study_id"] for row in csv.DictReader(handle)})
    study_of: dict[str, list[str]] = {}
    for position, study_id in enumerate(study_table(review)["study_id"].drop_duplicates()):
        study_of.setdefault(example_studies[position % len(example_studies)], []).append(study_id)
    _rewrite(source, review.path / "extraction" / EXTRACTION_FILE, study_of)
    values = load_extraction(review, review.path / "extraction")["values"]
    judgements = 0
    rob = review.protocol.risk_of_bias
    for tool in (rob.tool, rob.second_tool):
        name = f"{tool.lower().replace('-', '_')}.csv" if tool and tool != "none" else ""
        if name and (example_dir / "risk_of_bias" / name).is_file():
            target = review.path / "risk_of_bias" / name
            _rewrite(example_dir / "risk_of_bias" / name, target, study_of)
            judgements += load_judgements(review, target, tool)
    return values, judgements


def build_synthetic_review(folder: str | Path, n_records: int = 100_000, *, included: int = 30,
                           seed: int = 0, protocol_file: str | Path | None = None,
                           with_extraction: bool = True,
                           echo: Callable[[str], None] = lambda _: None,
                           ) -> tuple[Review, SyntheticSummary]:
    """A review folder holding `n_records` synthetic records from four databases, deduplicated
    and screened by two reviewers with conflicts resolved, `included` reports included at full
    text. Uses the worked example's protocol unless `protocol_file` is given; with
    `with_extraction`, the included studies get the extraction and risk-of-bias judgements found
    beside that protocol (the example's), so every report notebook has data."""
    if not 1 <= included <= n_records:
        raise ReviewError(f"included reports must be between 1 and the {n_records} records, "
                          f"not {included}")
    folder = Path(folder)
    if protocol_file is None:
        from review.resources import example_protocol_dir
        protocol_file = example_protocol_dir() / "protocol.yaml"
    review = init_review(folder, protocol_file, name=f"synthetic-{n_records}")
    texts, works = synthetic_ris(n_records, seed=seed)
    exports = folder / "searches"
    exports.mkdir(exist_ok=True)
    for database, text in texts.items():
        path = exports / DATABASES[database]
        path.write_text(text, encoding="utf-8")
        result = review.import_file(path, database=database, format="ris", method="database",
                                    actor="synthetic")
        echo(f"  imported {path.name}: {result.records} records from {database}")
    from review.dedup.run import deduplicate_review
    summary, _ = deduplicate_review(review, actor="synthetic")
    echo(f"  deduplicated: {summary.records} records, {summary.unique} unique")
    cluster_ids = sorted(int(w) for w in review.store.works()["work_id"])
    reasons = {stage: [r.code for r in getattr(review.protocol.exclusion_reasons, stage)]
               for stage in ("title_abstract", "full_text")}
    rng = random.Random(seed + 1)
    included = min(included, len(cluster_ids))
    events, kept = _screening_events(cluster_ids, included, rng, reasons)
    for start in range(0, len(events), 20_000):
        review.store.record_decisions(events[start:start + 20_000])
    echo(f"  screening: {len(events)} decisions, {kept} records to full text, {included} included")
    values = judgements = 0
    if with_extraction:
        values, judgements = copy_extraction(review, Path(protocol_file).parent)
        echo(f"  extraction: {values} values, {judgements} risk-of-bias judgements")
    return review, SyntheticSummary(records=n_records, works=works,
                                    unique_after_dedup=len(cluster_ids),
                                    included_title_abstract=kept, included_full_text=included,
                                    decisions=len(events), extraction_values=values,
                                    judgements=judgements)
