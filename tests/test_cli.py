"""The `review` command end to end on real files: init, import, parse, status, export."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from review.store import SCHEMA_HEAD
from review.cli import main
from review.project import open_review

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"

RIS = """TY  - JOUR
TI  - Exosomes derived from natural killer cells exert therapeutic effect in melanoma
AU  - Zhu, Liya
AU  - Kalimuthu, Senthilkumar
PY  - 2017
T2  - Theranostics
VL  - 7
IS  - 10
SP  - 2732
EP  - 2745
DO  - 10.7150/thno.18752
ER  - 

TY  - JOUR
TI  - =HYPERLINK("http://example.invalid","click")
AU  - Mallory, E
PY  - 2020
ER  - 
"""


@pytest.fixture
def review_dir(tmp_path):
    folder = tmp_path / "rev"
    assert main(["init", str(folder), "--protocol", str(PROTOCOL)]) == 0
    return folder


@pytest.fixture
def ris_file(tmp_path):
    path = tmp_path / "embase.ris"
    path.write_text(RIS, encoding="utf-8")
    return path


def test_help_documents_each_command(capsys):
    """`review --help` lists every command and each has its own help."""
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("init", "import", "parse", "status", "export", "example", "update"):
        assert command in out
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "usage: review " + command in capsys.readouterr().out


def test_import_prints_counts_and_status_shows_them(review_dir, ris_file, capsys):
    """Importing prints per-file counts; status counts records per database."""
    assert main(["import", str(ris_file), "--review", str(review_dir), "--database", "Embase"]) == 0
    assert capsys.readouterr().out.startswith(f"{ris_file}: 2 records from Embase (ris, database)")
    assert main(["status", "--review", str(review_dir), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["databases"] == [{"database": "Embase", "method": "database", "files": 1, "records": 2}]
    assert status["records"] == 2 and status["schema_version"] == SCHEMA_HEAD


def test_reimport_is_detected_by_hash(review_dir, ris_file, tmp_path, capsys):
    """The same bytes under another name are recognised and not stored twice."""
    copy = tmp_path / "copy.ris"
    shutil.copyfile(ris_file, copy)
    main(["import", str(ris_file), "--review", str(review_dir), "--database", "Embase"])
    capsys.readouterr()
    assert main(["import", str(copy), "--review", str(review_dir), "--database", "Embase"]) == 0
    assert "already imported" in capsys.readouterr().out
    assert len(open_review(review_dir).store.records()) == 2


def test_bad_file_stores_nothing_and_says_where(review_dir, ris_file, tmp_path, capsys):
    """A malformed file is one clear message; what was stored before is untouched."""
    main(["import", str(ris_file), "--review", str(review_dir), "--database", "Embase"])
    bad = tmp_path / "broken.csv"
    bad.write_text('Title,Authors,Year\n"Unclosed quote, Smith J, 2020\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(bad), "--review", str(review_dir), "--database", "Scopus"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"review: error: {bad}")
    assert "Traceback" not in err
    assert f"nothing from {bad} was stored" in err
    review = open_review(review_dir)
    assert len(review.store.records()) == 2
    assert list(review.store.sources()["file_name"]) == ["embase.ris"]


def test_parse_json_contract(ris_file, capsys):
    """`parse --json`: one object per record, then the summary line."""
    assert main(["parse", str(ris_file), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    records = [json.loads(line) for line in lines[:-1]]
    summary = json.loads(lines[-1])
    assert summary == {"file": str(ris_file), "format": "ris", "records": 2, "warnings": []}
    assert records[0]["title"].startswith("Exosomes derived from natural killer cells")
    assert records[0]["doi"] == "10.7150/thno.18752"
    assert records[0]["authors"] == ["Zhu, Liya", "Kalimuthu, Senthilkumar"]
    assert records[0]["year"] == 2017 and records[0]["position"] == 1


def test_parse_bad_file_exits_1_with_message(tmp_path, capsys):
    """A bad file: exit status 1 and the clear message on stderr, no traceback."""
    bad = tmp_path / "bad.xml"
    bad.write_text("<PubmedArticleSet><PubmedArticle><MedlineCitation>", encoding="utf-8")
    assert main(["parse", str(bad), "--json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"review: error: {bad}") and "Traceback" not in err


def test_parse_missing_file(capsys, tmp_path):
    """A file that does not exist is named."""
    assert main(["parse", str(tmp_path / "nope.ris")]) == 1
    assert "nope.ris: expected a readable file" in capsys.readouterr().err


def test_export_ris_round_trips(review_dir, ris_file, tmp_path):
    """RIS export of RIS-imported records gives the records back unchanged."""
    main(["import", str(ris_file), "--review", str(review_dir), "--database", "Embase"])
    out = tmp_path / "out.ris"
    assert main(["export", "--review", str(review_dir), "--format", "ris", "--out", str(out)]) == 0
    from review.io import read_file
    again = read_file(out).parsed.frame()
    first = open_review(review_dir).store.records()
    assert list(again["title"]) == list(first["title"])
    assert list(again["doi"]) == list(first["doi"])


def test_export_csv_and_xlsx_neutralise_formulas(review_dir, ris_file, tmp_path):
    """A title that a spreadsheet would run as a formula is exported as inert text."""
    main(["import", str(ris_file), "--review", str(review_dir), "--database", "Embase"])
    csv_out, xlsx_out = tmp_path / "out.csv", tmp_path / "out.xlsx"
    assert main(["export", "--review", str(review_dir), "--format", "csv", "--out", str(csv_out)]) == 0
    assert main(["export", "--review", str(review_dir), "--format", "xlsx", "--out", str(xlsx_out)]) == 0
    table = pd.read_csv(csv_out, dtype=str)
    assert table.loc[1, "title"].startswith("'=HYPERLINK")
    assert table.loc[0, "authors"] == "Zhu, Liya; Kalimuthu, Senthilkumar"
    import openpyxl
    sheet = openpyxl.load_workbook(xlsx_out).active
    titles = [cell.value for cell in next(sheet.iter_cols(min_col=2, max_col=2))]
    assert titles[2].startswith("'=HYPERLINK")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_init_twice_is_refused(review_dir, capsys):
    """A folder that already holds a review is not overwritten."""
    assert main(["init", str(review_dir), "--protocol", str(PROTOCOL)]) == 1
    assert "already holds a review" in capsys.readouterr().err


def test_status_of_a_non_review(tmp_path, capsys):
    """Status on a folder that is no review says how to make one."""
    assert main(["status", "--review", str(tmp_path)]) == 1
    assert "not a review folder" in capsys.readouterr().err


@pytest.mark.postgres
def test_team_store_on_postgresql(postgres_url, ris_file, tmp_path, capsys):
    """A review whose store is a shared PostgreSQL database imports and reports like SQLite."""
    folder = tmp_path / "team"
    assert main(["init", str(folder), "--protocol", str(PROTOCOL), "--database-url", postgres_url]) == 0
    assert not list(folder.glob("review.sqlite*"))
    assert main(["import", str(ris_file), "--review", str(folder), "--database", "Embase"]) == 0
    capsys.readouterr()
    assert main(["status", "--review", str(folder), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["store"] == "postgresql"
    assert status["databases"] == [{"database": "Embase", "method": "database", "files": 1, "records": 2}]


@pytest.mark.postgres
def test_environment_url_overrides_the_folder(postgres_url, ris_file, tmp_path, monkeypatch):
    """REVIEW_DATABASE_URL points every command at a shared database."""
    monkeypatch.setenv("REVIEW_DATABASE_URL", postgres_url)
    folder = tmp_path / "env"
    assert main(["init", str(folder), "--protocol", str(PROTOCOL)]) == 0
    assert main(["import", str(ris_file), "--review", str(folder), "--database", "Embase"]) == 0
    assert open_review(folder).store.engine.dialect.name == "postgresql"
    assert not list(folder.glob("review.sqlite*"))


def _many(n: int, broken_at: int | None = None) -> str:
    """A RIS export of `n` records, one of them with a malformed tag line if asked."""
    out = []
    for i in range(1, n + 1):
        bad = "ti  - broken\n" if i == broken_at else ""
        out.append(f"TY  - JOUR\nTI  - Natural killer study {i}\n{bad}PY  - 2020\n"
                   f"DO  - 10.1000/nk.{i}\nER  - \n")
    return "\n".join(out)


@pytest.mark.parametrize("store_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_error_late_in_a_streamed_import_stores_nothing(store_url, tmp_path, capsys, monkeypatch,
                                                        request):
    """A file streamed into the store in many chunks that breaks near its end stores nothing."""
    import review.io as io_module
    import review.store as store_module
    monkeypatch.setattr(io_module, "_CHUNK_BYTES", 97)   # decoded a few lines at a time
    monkeypatch.setattr(store_module, "_INSERT_CHUNK", 4)  # stored four records at a time
    folder = tmp_path / "rev"
    url = [] if store_url == "sqlite" else ["--database-url", request.getfixturevalue("postgres_url")]
    assert main(["init", str(folder), "--protocol", str(PROTOCOL), *url]) == 0
    bad = tmp_path / "big.ris"
    bad.write_text(_many(40, broken_at=37), encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(bad), "--review", str(folder), "--database", "Embase"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"review: error: {bad}, line 219, record 37: expected a RIS tag")
    assert f"nothing from {bad} was stored" in err
    review = open_review(folder)
    assert review.store.records().empty and review.store.sources().empty
    good = tmp_path / "good.ris"
    good.write_text(_many(40), encoding="utf-8")
    assert main(["import", str(good), "--review", str(folder), "--database", "Embase"]) == 0
    assert capsys.readouterr().out.startswith(f"{good}: 40 records from Embase (ris, database)")
    back = open_review(folder).store.records()
    assert list(back["position"]) == list(range(1, 41))
    assert back.loc[39, "doi"] == "10.1000/nk.40" and back.loc[39, "line"] == 235
