"""`review export --format extraction-long|extraction-wide|robvis` on the worked example."""
from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest

from conftest import copy_review
from review.cli import main
from review.extraction.values import extraction_long
from review.project import open_review


@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    return copy_review(worked_example, tmp_path_factory.mktemp("export") / "ex")


def _csv(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_extraction_long_has_one_row_per_final_value(example, tmp_path, capsys):
    """Long form: the final values, every one agreed or resolved in the example, each with its
    study's label and surrogate id."""
    out = tmp_path / "long.csv"
    assert 0 == main(["export", "--review", str(example), "--format", "extraction-long",
                      "--out", str(out)])
    frame = _csv(out)
    expected = extraction_long(open_review(example))
    assert len(expected) == len(frame)
    assert ["study_id", "group", "instance", "field", "study", "label", "type", "value", "unit",
            "status", "decided_by"] == list(frame.columns) == list(expected.columns)
    assert f"Wrote {len(frame)} rows to {out} (extraction-long)" in capsys.readouterr().out
    assert {"agreed", "resolved"} == set(frame["status"])
    rossi = frame[(frame["study_id"] == "Rossi 2016") & (frame["field"] == "mean_size")]
    assert ["128"] == [v.removesuffix(".0") for v in rossi["value"]]


def test_extraction_wide_xlsx_has_one_row_per_study(example, tmp_path):
    """Wide form as XLSX: 15 studies, a column per field and repeated instance."""
    out = tmp_path / "wide.xlsx"
    assert 0 == main(["export", "--review", str(example), "--format", "extraction-wide",
                      "--out", str(out)])
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["study_id", "reports", "unresolved"]
    assert {"source_cell", "strategy", "tumour_type_1", "treated_mean_1"} <= set(header)
    assert 15 == sheet.max_row - 1


@pytest.mark.parametrize("tool, rows, domains", [(None, 12, 10), ("MISEV", 15, 8)])
def test_robvis_table_per_tool(example, tmp_path, tool, rows, domains):
    """robvis: Study, D1..Dn, Overall, Weight; SYRCLE (the protocol's tool) by default."""
    out = tmp_path / "robvis.csv"
    argv = ["export", "--review", str(example), "--format", "robvis", "--out", str(out)]
    assert 0 == main(argv + (["--tool", tool] if tool else []))
    frame = _csv(out)
    assert ["Study", *[f"D{i}" for i in range(1, domains + 1)], "Overall", "Weight"] == list(frame.columns)
    assert rows == len(frame)
    assert "" not in set(frame["Overall"])


def test_a_table_export_needs_csv_or_xlsx(example, tmp_path, capsys):
    """Any other suffix is refused with a message naming the file; nothing is written."""
    out = tmp_path / "robvis.txt"
    assert 1 == main(["export", "--review", str(example), "--format", "robvis", "--out", str(out)])
    err = capsys.readouterr().err
    assert re.search(re.escape(f"{out}: expected a file name ending in .csv or .xlsx"), err)
    assert not out.exists()
