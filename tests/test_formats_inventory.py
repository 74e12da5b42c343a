"""Every export in ../shared/data/formats parses with the count SOURCES.md gives, or fails clearly.

The per-format test files spot-check fields; this one walks the whole inventory so that no file
is forgotten, reading the expected counts from SOURCES.md itself.
"""
from __future__ import annotations

import re

import pytest

from conftest import SHARED
from review.errors import ImportFormatError
from review.io import read_file

SOURCES_MD = SHARED / "data" / "SOURCES.md"
#: Formats in SOURCES.md that are not bibliographic exports.
NOT_EXPORTS = {"doc", "JSON", "SQLite (binary)", "text"}
#: Where the true record count differs from SOURCES.md's row count, and why.
TRUE_COUNTS = {
    # Abstrackr writes a section line ("citations that are not yet labeled by anyone") as a row.
    "asreview_citation-file-formatting/Datasets/CSV/_baseline_abstrackr.csv": 10,
    # A line of dashes and the real header row were counted as rows.
    "asreview_citation-file-formatting/Datasets/CSV/_baseline_embase.csv": 10,
    "asreview_citation-file-formatting/Datasets/CSV/_baseline_excel.csv": 10,
    # A sheet-title row above the header; Embase's search-query block above the header.
    "asreview_citation-file-formatting/Datasets/XLSX/_baseline.xlsx": 100,
    "asreview_citation-file-formatting/Datasets/XLSX/_baseline_embase.xlsx": 10,
}
#: Files that are not bibliographic at all and must be refused with the clear error.
REFUSED = {
    # ASReview's model output: record_id and a probability, no bibliographic column.
    "asreview_asreview/history_bd1fd10/asreview/webapp/tests/data/asreview-project-v0-19-startreview/proba.csv":
        "expected a header row with a title, DOI, PMID or abstract column",
}


def _inventory() -> list[tuple[str, str, int]]:
    if not SOURCES_MD.exists():
        return []
    rows, section = [], None
    for line in SOURCES_MD.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## formats/(\S+)", line)
        if heading:
            section = heading.group(1)
            continue
        if line.startswith("## "):
            section = None
        if section is None or not line.startswith("| ") or line.startswith(("| file", "|---")):
            continue
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if len(cells) < 4 or cells[2] in NOT_EXPORTS or not cells[3].isdigit():
            continue
        rows.append((f"{section}/{cells[0]}", cells[2], int(cells[3])))
    return rows


INVENTORY = _inventory()


def test_inventory_is_read():
    """SOURCES.md lists the shared exports (fails in CI if ../shared is missing)."""
    from conftest import _need_shared
    _need_shared(SOURCES_MD)
    assert len(INVENTORY) > 150


@pytest.mark.parametrize("relative, fmt, documented", INVENTORY, ids=[r[0] for r in INVENTORY])
def test_every_shared_export_parses(relative, fmt, documented):
    """Each shared export gives its documented record count, or the clear error if it is no export."""
    path = SHARED / "data" / "formats" / relative
    if relative in REFUSED:
        with pytest.raises(ImportFormatError, match=re.escape(REFUSED[relative])):
            read_file(path)
        return
    try:
        loaded = read_file(path)
    except ImportFormatError as exc:
        if "--format webpage" in str(exc):
            pytest.fail(f"{relative} ({fmt}) was not recognised: {exc}")
        raise
    assert len(loaded.parsed.records) == TRUE_COUNTS.get(relative, documented)
