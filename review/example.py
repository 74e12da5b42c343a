"""The worked example: NK-cell-, tumour- and cancer-stem-cell-derived exosomes as cancer therapy."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .errors import ReviewError
from .project import SETTINGS_FILE, Review, init_review
from .resources import EXAMPLE_NAME, example_protocol_dir

__all__ = ["build_example", "example_protocol_dir"]


def build_example(folder: str | Path, *, protocol_dir: str | Path | None = None,
                  force: bool = False, with_decisions: bool = True, with_update: bool = True,
                  echo: Callable[[str], None] = lambda _: None) -> Review:
    """Create the example review in `folder`, import every export its protocol names and
    deduplicate them; then (unless `with_update` is False) run its update search."""
    folder = Path(folder)
    protocol_dir = Path(protocol_dir) if protocol_dir else example_protocol_dir()
    if (folder / SETTINGS_FILE).exists():
        if not force:
            raise ReviewError(f"{folder} already holds a review; use --force to rebuild it")
        for name in (SETTINGS_FILE, "protocol.yaml"):
            (folder / name).unlink(missing_ok=True)
        for store_file in folder.glob("review.sqlite*"):
            store_file.unlink()
    review = init_review(folder, protocol_dir / "protocol.yaml", name=EXAMPLE_NAME)
    echo(f"Created the worked example review in {folder}")
    for path, options in review.protocol_files():
        result = review.import_file(path, actor="example", **options)
        echo(f"  imported {path.name}: {result.records} records from {result.database} ({result.format})")
        for warning in result.warnings:
            echo(f"    warning: {warning}")
    from .dedup.run import deduplicate_review
    summary, _ = deduplicate_review(review, actor="example")
    echo(f"  deduplicated: {summary.records} records, {summary.unique} unique, "
         f"{summary.duplicates_removed} duplicates removed, {summary.unsure_waiting} unsure pairs")
    decisions = protocol_dir / "screening" / "decisions.csv"
    if with_decisions and decisions.exists():
        from .screening.load import load_decisions
        echo(f"  screening decisions: {load_decisions(review, decisions)} loaded from {decisions.name}")
        load_example_extraction(review, protocol_dir, echo=echo)
    from .example_update import load_example_update  # a living review: the second search date
    if with_update:
        load_example_update(review, protocol_dir, with_decisions=with_decisions, echo=echo)
    return review


#: Appraisal files of the example, by the protocol's tool names.
_APPRAISAL_FILES = {"SYRCLE": "syrcle.csv", "RoB2": "rob2.csv", "ROBINS-I": "robins_i.csv",
                    "MISEV": "misev.csv"}


def load_example_extraction(review: Review, protocol_dir: Path,
                            echo: Callable[[str], None] = lambda _: None) -> None:
    """The example's study links, both reviewers' extractions and their reconciliation, and the
    risk-of-bias judgements of each tool the protocol names."""
    extraction = protocol_dir / "extraction"
    if (extraction / "extraction.csv").exists():
        from .extraction.load import load_extraction
        loaded = load_extraction(review, extraction)
        echo(f"  extraction: {loaded['links']} reports linked to studies, {loaded['values']} values "
             f"loaded from {extraction.name}/")
    from .appraisal.load import load_judgements
    rob = review.protocol.risk_of_bias
    for tool in (rob.tool, rob.second_tool):
        path = protocol_dir / "risk_of_bias" / _APPRAISAL_FILES.get(tool or "", "")
        if tool and tool != "none" and path.is_file():
            echo(f"  risk of bias ({tool}): {load_judgements(review, path, tool)} judgements "
                 f"loaded from {path.name}")
    certainty = protocol_dir / "certainty" / "judgements.csv"
    if certainty.is_file() and review.protocol.report.outcomes:
        from .appraisal.certainty import load_certainty
        echo(f"  certainty of evidence: {load_certainty(review, certainty)} GRADE judgements "
             f"loaded from {certainty.name}")
