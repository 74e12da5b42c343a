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
        {"include": 16, "exclude": 13, "not_retrieved": 2}  # the update: 1 more excluded
    resolved = table[table["full_text_reviewers"].str.contains("resolved", na=False)]
    assert len(resolved) == 3
    row = resolved[resolved["full_text_decision"] == "exclude"].iloc[0]
    assert row["full_text_reason"] == "duplicate_publication"
    assert "Bruno Lindqvist: include" in row["full_text_reviewers"]
    assert "Chen Wei: exclude (duplicate_publication) [resolved]" in row["full_text_reviewers"]


def test_every_duplicate_record_carries_its_clusters_decisions(example, tmp_path):
    table = pd.read_csv(export(example, tmp_path, "csv"))
    assert len(table) == 347  # 340 from the first searches, 7 from the update search
    by_cluster = table.groupby("cluster_id")["title_abstract_decision"].nunique()
    assert (by_cluster == 1).all()
    assert (table["title_abstract_decision"] == "include").sum() == 93  # 31 works, 93 records (the update found two of them again)


def test_ris_notes_survive_a_round_trip(example, tmp_path):
    records = read_file(export(example, tmp_path, "ris", "--deduplicated")).parsed.records
    assert len(records) == 156
    raw = "\n".join(r["raw"] for r in records)
    assert raw.count("N1  - Screening full text: include") == 16
    assert "N1  - Screening full text: not_retrieved" in raw


def test_asreview_labels(example, tmp_path):
    table = pd.read_csv(export(example, tmp_path, "asreview", "--deduplicated"))
    assert list(table.columns[-2:]) == ["label_abstract_screening", "label_included"]
    assert table["label_included"].value_counts().to_dict() == {0: 140, 1: 16}
    assert table["label_abstract_screening"].sum() == 31  # 30 + 1 from the update search


def test_xlsx_has_the_decision_columns(example, tmp_path):
    table = pd.read_excel(export(example, tmp_path, "xlsx", "--deduplicated"))
    assert {"title_abstract_decision", "full_text_reviewers"} <= set(table.columns)


def _ris_blocks(path):
    return [block for block in path.read_text(encoding="utf-8").split("\n\n") if block.strip()]


def test_ris_gives_reasons_in_the_protocols_words(example, tmp_path):
    """N1 notes say "Duplicate publication of an included study", never the code."""
    text = export(example, tmp_path, "ris", "--deduplicated").read_text(encoding="utf-8")
    assert "reason: Duplicate publication of an included study" in text
    notes = [line for line in text.splitlines() if line.startswith("N1  - Screening")]
    assert notes and not any("duplicate_publication" in n or "wrong_intervention" in n
                             for n in notes)


@pytest.mark.parametrize("deduplicated", [False, True])
def test_every_ris_record_names_its_database_and_duplicate_cluster(example, tmp_path, deduplicated):
    path = export(example, tmp_path, "ris", *(["--deduplicated"] if deduplicated else []))
    blocks = _ris_blocks(path)
    assert len(blocks) == (156 if deduplicated else 347)  # with the update search
    for block in blocks:
        lines = block.splitlines()
        assert any(line.startswith("DB  - ") and line[6:].strip() for line in lines), block[:200]
        assert any(line.startswith("N1  - Duplicate cluster ") for line in lines), block[:200]
    if deduplicated:
        assert any("DB  - " in b and ";" in [l for l in b.splitlines() if l.startswith("DB")][0]
                   for b in blocks)          # a work found in several databases names them all


def test_ris_expands_medline_page_ranges():
    from review.io._ris_write import page_range, write_ris
    assert page_range("2222-36") == ("2222", "2236")
    assert page_range("S12-5") == ("S12", "S15")
    assert page_range("99-101") == ("99", "101")
    assert page_range("e1234") == ("e1234", "")
    text = write_ris(pd.DataFrame([{"record_id": 1, "title": "T", "journal": "J",
                                    "pages": "2222-36", "database": "PubMed"}]))
    assert "SP  - 2222\nEP  - 2236" in text and "DB  - PubMed" in text


def test_exported_medline_record_has_full_page_range(example, tmp_path):
    """The example's MEDLINE export has abbreviated ranges; none is written as EP below SP."""
    records = read_file(export(example, tmp_path, "ris")).parsed.records
    checked = 0
    for record in records:
        raw = record["raw"]
        sp = [l[6:].strip() for l in raw.splitlines() if l.startswith("SP  - ")]
        ep = [l[6:].strip() for l in raw.splitlines() if l.startswith("EP  - ")]
        if sp and ep and sp[0].isdigit() and ep[0].isdigit():
            assert int(ep[0]) >= int(sp[0]), raw
            checked += 1
    assert checked > 50
