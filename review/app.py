"""`review app`: the review's widgets as web pages, one per task, served by Voila.

A reviewer who never touches code opens the index page in a browser, types their name once and
follows a link: duplicates, screening (title/abstract, full text), conflicts, extraction, risk
of bias, status. Each page is a tiny generated notebook that calls `page(...)`; Voila runs it in
a kernel of its own and shows only the widget. The reviewer's name travels in the page address
(`?reviewer=Ann`), so each browser keeps its own name. The server binds 127.0.0.1 unless told
otherwise; a team shares one review through a PostgreSQL store (see the README).
"""
from __future__ import annotations

import html
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import ipywidgets as widgets

from .errors import ReviewError

__all__ = ["PAGES", "page", "query", "write_pages", "app_command", "serve", "without_iri_parser"]

#: page name -> (title, what it is for); the order of the index page.
PAGES = {
    "duplicates": ("Duplicates", "decide the records deduplication was unsure about"),
    "screening": ("Screening", "title/abstract, then full text"),
    "conflicts": ("Conflicts", "settle the records the screeners disagreed on"),
    "extraction": ("Extraction", "the protocol's form, one study at a time"),
    "risk_of_bias": ("Risk of bias", "the protocol's appraisal tool, one study at a time"),
    "status": ("Status", "where the review stands"),
}
_STAGES = {"title_abstract": "Title/abstract", "full_text": "Full text"}
_ERROR = '<p style="color:#b00020">{}</p>'


def query() -> dict[str, str]:
    """The page address's query (Voila gives it to the kernel as QUERY_STRING)."""
    parsed = parse_qs(os.environ.get("QUERY_STRING", ""), keep_blank_values=False)
    return {k: v[-1].strip() for k, v in parsed.items() if v and v[-1].strip()}


def _link(name: str, **params) -> str:
    params = {k: v for k, v in params.items() if v}
    return f"{name}.ipynb" + (f"?{urlencode(params)}" if params else "")


def _nav(reviewer: str) -> str:
    links = " · ".join(f"<a href='{html.escape(_link(n, reviewer=reviewer), quote=True)}'>"
                       f"{html.escape(title)}</a>" for n, (title, _w) in PAGES.items())
    home = html.escape(_link("index", reviewer=reviewer), quote=True)
    return f"<div style='margin:4px 0 8px'><a href='{home}'><b>Review</b></a> · {links}</div>"


def _index(review, reviewer: str) -> widgets.Widget:
    """The index: the reviewer's name (kept in every link) and a link per task."""
    name = widgets.Text(value=reviewer, description="Your name",
                        placeholder="as it should appear on your decisions",
                        layout=widgets.Layout(width="28em"))
    links = widgets.HTML()

    def draw(_change=None) -> None:
        who = name.value.strip()
        rows = []
        for page_name, (title, what) in PAGES.items():
            if page_name == "screening":
                targets = [(f"{title}: {label}", _link(page_name, reviewer=who, stage=stage))
                           for stage, label in _STAGES.items()]
            elif page_name == "conflicts":
                targets = [(f"{title}: {label}", _link(page_name, reviewer=who, stage=stage))
                           for stage, label in _STAGES.items()]
            else:
                targets = [(title, _link(page_name, reviewer=who))]
            for label, href in targets:
                rows.append(f"<li><a href='{html.escape(href, quote=True)}'>{html.escape(label)}"
                            f"</a> — {html.escape(what)}</li>")
        hint = "" if who else ("<p style='color:#b00020'>Type your name first: it goes into "
                               "every decision you make.</p>")
        links.value = f"{hint}<ul style='line-height:1.9'>{''.join(rows)}</ul>"

    name.observe(draw, names="value")
    draw()
    title = html.escape(review.protocol.title)
    return widgets.VBox([widgets.HTML(f"<h2 style='margin:4px 0'>{title}</h2>"), name, links])


def _task(name: str, review, reviewer: str, stage: str) -> widgets.Widget:
    if name == "duplicates":
        from .dedup.run import duplicate_queue
        from .widgets import DuplicateReviewer
        return DuplicateReviewer(duplicate_queue(review, reviewer))
    if name in ("screening", "conflicts"):
        from .screening.session import ScreeningSession
        from .widgets import Screener
        if stage not in _STAGES:
            raise ReviewError(f"no screening stage {stage!r}: use title_abstract or full_text")
        role = "resolver" if name == "conflicts" else "screener"
        return Screener(ScreeningSession(review, stage, reviewer, role=role))
    if name == "extraction":
        from .widgets import ExtractionForm
        return ExtractionForm.for_review(review, reviewer)
    if name == "risk_of_bias":
        from .extraction.notebook import appraisal_tool
        from .widgets import Appraiser
        tool = appraisal_tool(review)
        if tool is None:
            return widgets.HTML("<p>The protocol skips risk of bias (its tool is 'none').</p>")
        return Appraiser.for_review(review, reviewer, tool)
    if name == "status":
        from .status import format_status, review_status
        return widgets.HTML(f"<pre>{html.escape(format_status(review_status(review)))}</pre>")
    raise ReviewError(f"no app page {name!r}: pages are {', '.join(PAGES)}")


def page(name: str, review_dir: str, *, reviewer: str = "", stage: str = "") -> widgets.Widget:
    """The widget of one app page, for the reviewer and stage in the page's address."""
    from .project import open_review

    asked = query()
    reviewer = (reviewer or asked.get("reviewer", "")).strip()
    stage = stage or asked.get("stage", "title_abstract")
    try:
        review = open_review(review_dir)
    except ReviewError as exc:
        return widgets.HTML(_ERROR.format(html.escape(str(exc))))
    nav = widgets.HTML(_nav(reviewer))
    if name == "index":
        return widgets.VBox([nav, _index(review, reviewer)])
    if not reviewer and name != "status":
        home = html.escape(_link("index"), quote=True)
        return widgets.VBox([nav, widgets.HTML(
            f"<p>Whose decisions are these? Open the <a href='{home}'>review's page</a> and type "
            "your name: every link there carries it.</p>")])
    try:
        task = _task(name, review, reviewer, stage)
    except ReviewError as exc:
        task = widgets.HTML(_ERROR.format(html.escape(str(exc))))
    return widgets.VBox([nav, task])


def write_pages(folder: Path, review_dir: Path) -> list[Path]:
    """A thin notebook per page in `folder`: a parameters cell, then `page(...)`."""
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ["index", *PAGES]:
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                           "language": "python"}
        parameters = nbformat.v4.new_code_cell(f"review_dir = {str(review_dir)!r}")
        parameters.metadata["tags"] = ["parameters"]
        notebook.cells = [parameters, nbformat.v4.new_code_cell(
            f"from review.app import page\n\npage({name!r}, review_dir)")]
        path = folder / f"{name}.ipynb"
        nbformat.write(notebook, str(path))
        written.append(path)
    return written


def without_iri_parser() -> None:
    """Keep jsonschema (imported by nbformat and Voila) from importing `rfc3987_syntax`. It is
    there only to check the "iri" string format, which no notebook or Jupyter schema uses, and
    its import builds some 35 parsers: 0.7 s of a quiet 2-core machine, over 1.5 s of a loaded
    one, paid by `review app` and again by Voila at every start
    (python-jsonschema/jsonschema#1428). Marked missing, jsonschema leaves that format unchecked.
    Call it before anything imports jsonschema; it changes nothing once that has happened."""
    sys.modules.setdefault("rfc3987_syntax", None)


#: Voila's `python -m voila`, after `without_iri_parser()`.
_VOILA = ("import sys; sys.modules.setdefault('rfc3987_syntax', None); "
          "from voila.app import main; sys.exit(main())")


def app_command(folder: Path, *, port: int, ip: str = "127.0.0.1",
                token: str | None = None) -> list[str]:
    """The Voila command line serving the pages in `folder` (`python -m voila`, less the IRI
    parser's start-up)."""
    command = [sys.executable, "-c", _VOILA, str(folder), "--no-browser", f"--port={port}",
               f"--Voila.ip={ip}", "--Voila.port_retries=0",
               "--VoilaConfiguration.show_tracebacks=False"]
    if token:
        command.append(f"--token={token}")
    return command


def _stop_on_sigterm():
    """Make `kill` (SIGTERM) stop the app as Ctrl-C does: Voila stopped and waited for, the
    generated pages removed. Without it Voila and its kernels outlived the command. Returns the
    previous handler (None when not on the main thread, where no handler can be set)."""
    def stop(_signum, _frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:
        return None


def serve(review_dir: str | Path, *, port: int = 8866, ip: str = "127.0.0.1") -> int:
    """Run the app until Ctrl-C; pages are generated into a temporary folder removed after."""
    from .project import open_review

    without_iri_parser()  # before anything imports nbformat
    review_dir = Path(review_dir).resolve()
    review = open_review(review_dir)  # a clear error now rather than in every page
    review.store.dispose()
    local = ip in ("127.0.0.1", "localhost", "::1")
    token = None if local else secrets.token_urlsafe(16)
    folder = Path(tempfile.mkdtemp(prefix="review-app-"))
    previous = _stop_on_sigterm()
    try:
        write_pages(folder, review_dir)
        address = f"http://{'[' + ip + ']' if ':' in ip else ip}:{port}/voila/render/index.ipynb"
        if token:
            address += f"?token={token}"
        print(f"review app: {review_dir} at {address}")
        if not local:
            print("review app: anyone who can reach this address and has the token can write "
                  "decisions; share it only inside the team")
        print("review app: Ctrl-C stops it")
        process = subprocess.Popen(app_command(folder, port=port, ip=ip, token=token),
                                   cwd=folder)
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(folder, ignore_errors=True)
