"""The worked example's generated exports: deterministic, and their answer key matches the files."""
from __future__ import annotations

import collections
import csv
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "protocols" / "nk-exosomes"
SEARCHES = EXAMPLE / "searches"
GENERATED = ["pubmed.nbib", "embase.ris", "wos.txt", "scopus.csv", "answer_key.csv", "works.csv"]
FILES = {"pubmed": "pubmed.nbib", "embase": "embase.ris", "wos": "wos.txt", "scopus": "scopus.csv"}
READERS = {"pubmed": ("medline", "medline"), "embase": ("ris", "ris"), "wos": ("wos", "wos"),
           "scopus": ("table", "table")}
# Each database's own record identifier, in file order, read with a plain pattern.
ID_PATTERNS = {"pubmed": re.compile(r"^PMID- (\d+)$", re.MULTILINE), "embase": re.compile(r"^U2  - (L\d+)\r?$", re.MULTILINE),
               "wos": re.compile(r"^UT (WOS:\d{15})$", re.MULTILINE)}
KINDS = {"article", "review", "erratum", "conference_abstract", "editorial", "protocol"}
DIFFERENCES = {"doi_upper", "doi_url", "no_doi", "no_abstract", "title_hyphen", "title_us", "title_case",
               "no_middle", "year_epub", "in_press"}
REAL_IDS = {"10.4049/jimmunol.1101988": "", "10.4161/onci.22337": "23482694",
            "10.3390/cancers13030473": "33530529", "10.1186/s13046-023-02717-x": "",
            "10.1186/s12943-024-02045-4": "38951879", "10.1186/s12967-025-06814-7": "40629355"}


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEARCHES / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _text(db: str) -> str:
    return (SEARCHES / FILES[db]).read_bytes().decode("utf-8-sig")


def _scopus_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(_text("scopus").splitlines()))


def _ids_in_file(db: str) -> list[str]:
    if db == "scopus":
        return [row["EID"] for row in _scopus_rows()]
    return ID_PATTERNS[db].findall(_text(db))


def test_generator_is_deterministic(tmp_path):
    """Running the generator into a fresh folder reproduces the committed files byte for byte."""
    subprocess.run([sys.executable, str(EXAMPLE / "generate_searches.py"), str(tmp_path)], check=True,
                   capture_output=True, cwd=tmp_path)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (SEARCHES / name).read_bytes(), name


@pytest.mark.parametrize("db", sorted(FILES))
def test_record_counts_match_answer_key(db):
    """Each file holds exactly the records the answer key lists for it, numbered 1..n."""
    text = _text(db)
    counts = {"pubmed": len(re.findall(r"^PMID- ", text, re.MULTILINE)),
              "embase": len(re.findall(r"^ER  -\r?$", text, re.MULTILINE)),
              "wos": len(re.findall(r"^ER$", text, re.MULTILINE)), "scopus": len(_scopus_rows())}
    rows = [r for r in _rows("answer_key.csv") if r["database"] == db]
    assert counts[db] == len(rows)
    assert [int(r["position"]) for r in rows] == list(range(1, len(rows) + 1))
    assert {r["file"] for r in rows} == {FILES[db]}


@pytest.mark.parametrize("db", sorted(FILES))
def test_record_ids_match_answer_key(db):
    """The record identifier at each position is the one the answer key gives."""
    rows = [r for r in _rows("answer_key.csv") if r["database"] == db]
    assert _ids_in_file(db) == [r["record_id"] for r in rows]


def test_file_layouts_follow_the_databases():
    """BOMs, line ends and headers are those of real exports from each database."""
    raw = {db: (SEARCHES / name).read_bytes() for db, name in FILES.items()}
    assert raw["pubmed"].startswith(b"\nPMID- ") and b"\r" not in raw["pubmed"]
    assert raw["embase"].startswith(b"\xef\xbb\xbfTY  - ") and raw["embase"].count(b"\n") == raw["embase"].count(b"\r\n")
    assert raw["wos"].startswith(b"\xef\xbb\xbfFN Clarivate Analytics Web of Science\nVR 1.0\n")
    assert raw["wos"].endswith(b"\nEF\n")
    assert raw["scopus"].startswith(b'\xef\xbb\xbf"Authors","Author full names","Author(s) ID","Title","Year"')


def test_answer_key_agrees_with_works():
    """Every record's work exists, and its kind, labels and reasons are the work's."""
    works = {w["work_id"]: w for w in _rows("works.csv")}
    key = _rows("answer_key.csv")
    per_work = collections.Counter(r["work_id"] for r in key)
    for row in key:
        work = works[row["work_id"]]
        for column in ("kind", "relevant_title_abstract", "included", "exclusion_reason_title_abstract",
                       "exclusion_reason_full_text"):
            assert row[column] == work[column], (row["work_id"], column)
        assert row["database"] in work["databases"].split(";")
        assert set(filter(None, row["differences"].split(";"))) <= DIFFERENCES
    for wid, work in works.items():
        assert per_work[wid] == int(work["n_records"]) == len(work["databases"].split(";"))


def test_screening_labels_are_consistent():
    """Exactly one outcome per work: a title/abstract reason, a full-text reason, or inclusion."""
    protocol = yaml.safe_load((EXAMPLE / "protocol.yaml").read_text(encoding="utf-8"))
    ta_codes = {r["code"] for r in protocol["exclusion_reasons"]["title_abstract"]}
    # "Not retrieved" is PRISMA's own box, not an exclusion reason, so the protocol does not list it.
    ft_codes = {r["code"] for r in protocol["exclusion_reasons"]["full_text"]} | {"full_text_not_retrieved"}
    for work in _rows("works.csv"):
        assert work["kind"] in KINDS
        if work["relevant_title_abstract"] == "0":
            assert work["exclusion_reason_title_abstract"] in ta_codes
            assert (work["included"], work["exclusion_reason_full_text"]) == ("0", "")
        elif work["included"] == "1":
            assert work["exclusion_reason_title_abstract"] == work["exclusion_reason_full_text"] == ""
        else:
            assert work["exclusion_reason_title_abstract"] == ""
            assert work["exclusion_reason_full_text"] in ft_codes


def test_sizes_are_those_the_example_promises():
    """About 150 works in a few hundred records; 25-35 pass title/abstract, 12-18 are included."""
    works = _rows("works.csv")
    key = _rows("answer_key.csv")
    assert len(works) == 150 and 280 <= len(key) <= 360
    assert 25 <= sum(w["relevant_title_abstract"] == "1" for w in works) <= 35
    assert 12 <= sum(w["included"] == "1" for w in works) <= 18
    assert sum(int(w["n_records"]) > 1 for w in works) >= 80
    assert any(w["n_records"] == "1" and w["relevant_title_abstract"] == "1" for w in works)
    assert {"erratum", "conference_abstract"} <= {w["kind"] for w in works}
    assert set().union(*(set(filter(None, r["differences"].split(";"))) for r in key)) == DIFFERENCES


def test_identifiers_are_real_or_reserved():
    """Real works keep their real DOI and PMID; invented ones use 10.5555/ and PMIDs above 90000000."""
    for work in _rows("works.csv"):
        if work["real"] == "1":
            assert REAL_IDS[work["doi"]] == work["pmid"]
        else:
            assert work["doi"] == "" or work["doi"].startswith("10.5555/")
            assert work["pmid"] == "" or int(work["pmid"]) > 90000000
    assert sum(w["real"] == "1" for w in _rows("works.csv")) == len(REAL_IDS)


def test_pubmed_pmids_are_the_works_pmids():
    """Each PubMed record carries its work's PMID; works outside PubMed have none."""
    works = {w["work_id"]: w for w in _rows("works.csv")}
    for row in _rows("answer_key.csv"):
        if row["database"] == "pubmed":
            assert works[row["work_id"]]["pmid"] == row["record_id"]
    assert all(w["pmid"] == "" for w in works.values() if "pubmed" not in w["databases"].split(";"))


@pytest.mark.parametrize("db", sorted(FILES))
def test_project_readers_parse_every_record(db):
    """review.io reads each export with the right reader and finds every record of the answer key."""
    module, fmt = READERS[db]
    if importlib.util.find_spec(f"review.io.{module}") is None:
        pytest.skip(f"review.io.{module} is not written yet")
    from review.io import read_file

    loaded = read_file(SEARCHES / FILES[db])
    assert loaded.parsed.format == fmt
    rows = [r for r in _rows("answer_key.csv") if r["database"] == db]
    assert len(loaded.parsed.records) == len(rows)
    works = {w["work_id"]: w for w in _rows("works.csv")}
    for record, row in zip(loaded.parsed.records, rows):
        work = works[row["work_id"]]
        assert record["authors"] and record["authors"][0].startswith(work["first_author"])
        if "no_doi" not in row["differences"] and work["doi"]:
            assert work["doi"].lower() in (record["doi"] or "").lower()


UPDATE = EXAMPLE / "update"


def test_update_generator_is_deterministic(tmp_path):
    """generate_update.py reproduces the update search, its answer key and decisions byte for
    byte; every PMID in the update file is the answer key's, in order."""
    subprocess.run([sys.executable, str(EXAMPLE / "generate_update.py"), str(tmp_path)], check=True,
                   capture_output=True, cwd=tmp_path)
    names = sorted(p.name for p in UPDATE.iterdir() if p.is_file())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (tmp_path / name).read_bytes() == (UPDATE / name).read_bytes(), name
    spec = yaml.safe_load((UPDATE / "update.yaml").read_text(encoding="utf-8"))
    text = (UPDATE / spec["files"][0]).read_text(encoding="utf-8")
    with open(UPDATE / "answer_key.csv", encoding="utf-8", newline="") as handle:
        key = list(csv.DictReader(handle))
    assert re.findall(r"^PMID- (\d+)$", text, re.MULTILINE) == [row["record_id"] for row in key]
    first = {row["work_id"] for row in _rows("answer_key.csv")}
    for row in key:  # copies name works of the first search; new works are new
        assert (row["work_id"] in first) == (row["differences"] != "new_in_update"), row
