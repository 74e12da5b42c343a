"""Screening decisions travel with the records: spreadsheet columns, RIS notes, ASReview labels."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import copy_review
from review.cli import main
from review.io import read_file


@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    return copy_review(worked_example, tmp_path_factory.mktemp("ex") / "nk")


def export(example, tmp_path, fmt, *extra):
    out = tmp_path / f"out.{ 'csv' if fmt == 'asreview' else fmt}"
    assert main(["export", "--review", str(example), "--format", fmt, "--out", str(out), *extra]) == 0
    return out


def test_csv_carries_final_and_each_reviewers_decision(example, tmp_path):
    table = pd.read_csv(export(example, tmp_path, "csv", "--deduplicated"))
    assert table["full_text_decision"].value_counts().to_dict() == \
        {"include": 16, "exclude": 12, "not_retrieved": 2}
    resolved = table[table["full_text_reviewers"].str.contains("resolved", na=False)]
    assert len(resolved) == 3
    row = resolved[resolved["full_text_decision"] == "exclude"].iloc[0]
    assert row["full_text_reason"] == "duplicate_publication"
    assert "Bruno Lindqvist: include" in row["full_text_reviewers"]
    assert "Chen Wei: exclude (duplicate_publication) [resolved]" in row["full_text_reviewers"]


def test_every_duplicate_record_carries_its_clusters_decisions(example, tmp_path):
    table = pd.read_csv(export(example, tmp_path, "csv"))
    assert len(table) == 340
    by_cluster = table.groupby("cluster_id")["title_abstract_decision"].nunique()
    assert (by_cluster == 1).all()
    assert (table["title_abstract_decision"] == "include").sum() == 90  # 30 works, 90 records


def test_ris_notes_survive_a_round_trip(example, tmp_path):
    records = read_file(export(example, tmp_path, "ris", "--deduplicated")).parsed.records
    assert len(records) == 152
    raw = "\n".join(r["raw"] for r in records)
    assert raw.count("N1  - Screening full text: include") == 16
    assert "N1  - Screening full text: not_retrieved" in raw


def test_asreview_labels(example, tmp_path):
    table = pd.read_csv(export(example, tmp_path, "asreview", "--deduplicated"))
    assert list(table.columns[-2:]) == ["label_abstract_screening", "label_included"]
    assert table["label_included"].value_counts().to_dict() == {0: 136, 1: 16}
    assert table["label_abstract_screening"].sum() == 30


def test_xlsx_has_the_decision_columns(example, tmp_path):
    table = pd.read_excel(export(example, tmp_path, "xlsx", "--deduplicated"))
    assert {"title_abstract_decision", "full_text_reviewers"} <= set(table.columns)
