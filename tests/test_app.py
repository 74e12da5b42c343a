"""`review app` without a browser: the pages it writes, what each page draws for the name and
stage in its address, and the server's command line (127.0.0.1 unless told otherwise)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from review.app import PAGES, app_command, page, write_pages
from conftest import copy_review
from review.cli import main
from review.widgets import Appraiser, ExtractionForm, Screener


@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    return copy_review(worked_example, tmp_path_factory.mktemp("app") / "ex")


def _texts(widget) -> str:
    out = [getattr(widget, "value", "") if isinstance(getattr(widget, "value", ""), str) else ""]
    for child in getattr(widget, "children", ()):
        out.append(_texts(child))
    return " ".join(out)


def test_pages_are_thin_notebooks_one_per_task(tmp_path, example):
    written = write_pages(tmp_path / "pages", example)
    assert [p.stem for p in written] == ["index", *PAGES]
    notebook = json.loads((tmp_path / "pages" / "screening.ipynb").read_text())
    cells = notebook["cells"]
    assert cells[0]["metadata"]["tags"] == ["parameters"]
    assert "page('screening', review_dir)" in "".join(cells[1]["source"])
    assert not any("def " in "".join(c["source"]) for c in cells)


def test_each_page_draws_its_task_for_the_reviewer_in_the_address(example, monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "reviewer=Ann+Lee&stage=full_text")
    view = page("screening", str(example))
    screener = view.children[1]
    assert isinstance(screener, Screener) and screener.session.reviewer == "Ann Lee"
    assert screener.session.stage == "full_text"
    assert "reviewer=Ann+Lee" in view.children[0].value  # the links keep the name
    conflicts = page("conflicts", str(example)).children[1]
    assert conflicts.session.role == "resolver"
    assert isinstance(page("extraction", str(example)).children[1], ExtractionForm)
    assert isinstance(page("risk_of_bias", str(example)).children[1], Appraiser)
    assert "156" in _texts(page("status", str(example)))


def test_a_page_without_a_name_asks_for_it_and_bad_input_is_said(example, monkeypatch, tmp_path):
    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert "Whose decisions are these?" in _texts(page("screening", str(example)))
    index = page("index", str(example))
    assert "Type your name first" in _texts(index)
    monkeypatch.setenv("QUERY_STRING", "reviewer=Ann&stage=abstracts")
    assert "no screening stage &#x27;abstracts&#x27;" in _texts(page("screening", str(example)))
    assert "not a review folder" in _texts(page("status", str(tmp_path / "nothing")))


def test_the_server_binds_this_machine_unless_told_otherwise(tmp_path):
    command = app_command(tmp_path, port=9999)
    assert "--Voila.ip=127.0.0.1" in command and "--port=9999" in command
    assert not any(c.startswith("--token") for c in command)
    shared = app_command(tmp_path, port=9999, ip="0.0.0.0", token="secret")
    assert "--Voila.ip=0.0.0.0" in shared and "--token=secret" in shared


def test_the_app_command_refuses_a_folder_that_is_not_a_review(tmp_path, capsys):
    assert main(["app", "--review", str(tmp_path / "nothing"), "--port", "9"]) == 1
    assert "not a review folder" in capsys.readouterr().err



def test_the_server_is_voila_started_without_the_iri_parser(tmp_path, example):
    """jsonschema's IRI parser costs every start of the app a second or more: the server and the
    command skip it, and nbformat still reads and validates the pages."""
    import voila

    command = app_command(tmp_path, port=9999)
    version = subprocess.run([*command[:3], "--version"], capture_output=True, text=True,
                             timeout=120)
    assert (version.returncode, version.stdout.strip()) == (0, voila.__version__)
    probe = ("from review.app import without_iri_parser, write_pages; without_iri_parser()\n"
             "import pathlib, sys, nbformat, voila.app\n"
             f"for p in write_pages(pathlib.Path({str(tmp_path / 'pages')!r}), "
             f"pathlib.Path({str(example)!r})):\n"
             "    nbformat.validate(nbformat.read(str(p), as_version=4))\n"
             "print(sys.modules['rfc3987_syntax'])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120)
    assert (out.returncode, out.stdout.strip()) == (0, "None"), out.stderr

def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped
    except FileNotFoundError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads /proc (Linux)")
def test_kill_stops_the_app_with_its_voila_server_and_removes_its_pages(example, tmp_path):
    """`kill` (SIGTERM) as Ctrl-C: Voila stopped with the command, not left serving alone."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tmp_path / "home"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    app = subprocess.Popen([sys.executable, "-m", "review", "app", "--review", str(example),
                            "--port", str(port)], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not (voila := _children(app.pid)) and time.time() < deadline:
            time.sleep(0.1)
        assert voila, "review app started no server"
        with open(f"/proc/{voila[0]}/cmdline") as f:
            pages = Path(f.read().split("\0")[3])  # python -m voila FOLDER ...
        assert (pages / "index.ipynb").exists()
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/static/", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # the server answers
            except OSError:
                time.sleep(0.2)
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=30) != 0
        assert not _alive(voila[0]) and not pages.exists()
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
