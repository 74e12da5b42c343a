"""A damaged, missing, busy or foreign review store gives one message and exit status 1, never a
traceback; a file imported twice at once is stored once."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from review.cli import main

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"
RIS = "TY  - JOUR\nTI  - A title\nPY  - 2020\nER  - \n\nTY  - JOUR\nAU  - Doe, J\nER  - \n"


@pytest.fixture
def review_dir(tmp_path):
    folder = tmp_path / "rev"
    assert main(["init", str(folder), "--protocol", str(PROTOCOL)]) == 0
    return folder


@pytest.fixture
def ris_file(tmp_path):
    path = tmp_path / "search.ris"
    path.write_text(RIS, encoding="utf-8")
    return path


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Error:" not in err.replace("review: error:", "")
    return code, out, err


def test_parse_lists_records_without_year_or_title(ris_file, capsys):
    code, out, _ = _run(capsys, "parse", ris_file)
    assert code == 0
    assert "1. A title (2020)" in out and "2. [no title]" in out


@pytest.mark.parametrize("damage, message", [
    ("truncate", "the review store is damaged (database disk image is malformed)"),
    ("garbage", "the review store is damaged (file is not a database)"),
    ("empty", "the review store is empty (0 bytes"),
    ("delete", "the review store is missing"),
])
def test_damaged_store_is_one_message(review_dir, ris_file, capsys, damage, message):
    assert main(["import", str(ris_file), "--review", str(review_dir)]) == 0
    capsys.readouterr()
    store = review_dir / "review.sqlite"
    data = store.read_bytes()
    if damage == "truncate":
        store.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        store.write_bytes(bytes(range(256)) * 400)
    elif damage == "empty":
        store.write_bytes(b"")
    else:
        store.unlink()
    for argv in (("status", "--review", review_dir), ("import", ris_file, "--review", review_dir),
                 ("verify", "--review", review_dir)):
        code, _, err = _run(capsys, *argv)
        assert code == 1 and message in err, err
    assert damage != "delete" or not store.exists()  # nothing was created in its place


def test_wrong_schema_version(review_dir, capsys):
    with sqlite3.connect(review_dir / "review.sqlite") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    code, _, err = _run(capsys, "status", "--review", review_dir)
    assert code == 1 and "schema version 0001" in err and "review upgrade" in err


def test_locked_store_waits_a_bounded_time_then_says_so(review_dir, ris_file, capsys, monkeypatch):
    monkeypatch.setenv("REVIEW_LOCK_WAIT", "0.5")
    holder = sqlite3.connect(review_dir / "review.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, _, err = _run(capsys, "import", ris_file, "--review", review_dir)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    assert "the review store is busy" in err and "REVIEW_LOCK_WAIT" in err
    assert "nothing from" in err
    code, out, _ = _run(capsys, "import", ris_file, "--review", review_dir)
    assert code == 0 and "2 records" in out


def test_same_file_imported_twice_at_once_is_stored_once(review_dir, ris_file):
    from review.project import open_review
    barrier = threading.Barrier(4)
    results, errors = [], []

    def one():
        review = open_review(review_dir)
        barrier.wait()
        try:
            results.append(review.import_file(ris_file, database="Embase"))
        except Exception as exc:  # the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r.source_id is not None for r in results) == 1
    assert sum(r.already_imported is not None for r in results) == 3
    assert len(open_review(review_dir).store.sources()) == 1


def test_killed_import_wal_is_folded_at_open(review_dir):
    """A WAL left behind by a killed writer is checkpointed and truncated when the review is
    opened, instead of lingering until the next write."""
    import subprocess
    import sys
    from review.project import open_review
    script = (
        "import os, signal, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('PRAGMA wal_autocheckpoint=0')\n"
        "c.execute('CREATE TABLE scratch (x)')\n"
        "c.executemany('INSERT INTO scratch VALUES (?)', [('x' * 1000,)] * 3000)\n"
        "c.commit()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", script, str(review_dir / "review.sqlite")])
    wal = Path(f"{review_dir / 'review.sqlite'}-wal")
    assert wal.stat().st_size > 1_000_000
    review = open_review(review_dir)
    assert wal.stat().st_size == 0
    review.store.dispose()


def test_screening_keeps_a_decision_pending_while_the_store_is_busy(tmp_path, monkeypatch):
    """A busy store: the decision is kept, the record stays on screen, a plain message says so,
    and the retry saves it once the store is free."""
    from review.project import open_review
    from review.screening.decisions import reviewer_decisions
    from review.screening.session import DecisionNotSaved, ScreeningSession
    ris = tmp_path / "search.ris"
    ris.write_text("".join(f"TY  - JOUR\nTI  - Record {i}\nPY  - 2020\nER  - \n\n"
                           for i in range(5)), encoding="utf-8")
    folder = tmp_path / "rev"
    assert main(["init", str(folder), "--protocol", str(PROTOCOL)]) == 0
    assert main(["import", str(ris), "--review", str(folder), "--database", "Embase"]) == 0
    review = open_review(folder)
    session = ScreeningSession(review, "title_abstract", "ana", ranker=None)
    first = session.current.record_id
    monkeypatch.setenv("REVIEW_LOCK_WAIT", "0.3")
    holder = sqlite3.connect(folder / "review.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DecisionNotSaved, match=r"Not saved yet: the review store is busy"):
            session.include(note="kept")
        assert session.current.record_id == first
        assert session.pending is not None and session.pending.decision == "include"
        with pytest.raises(DecisionNotSaved):
            session.retry_pending()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert session.retry_pending() is not None
    assert session.pending is None and session.current.record_id != first
    stored = reviewer_decisions(review.store, "title_abstract")
    assert stored[["record_id", "decision", "note"]].values.tolist() == [[first, "include", "kept"]]
