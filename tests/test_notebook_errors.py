"""A project error in a notebook cell reads as one plain line, not a Python traceback; the cell
still fails, and faults of ours keep their traceback."""
from __future__ import annotations

import re

import nbformat
import pytest

from review.errors import ProtocolError, ReviewError, StoreError
from review.notebook_errors import error_lines, install
from review.report.runner import NotebookFailed, run_report

from test_report_runner import write_notebook


@pytest.fixture
def shell():
    """An IPython shell whose error display is recorded: a kernel sends these same lines to the
    notebook (ipykernel's shell overrides this very method)."""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.shown = []
    shell._showtraceback = lambda etype, evalue, stb: shell.shown.append("\n".join(stb))
    yield shell
    shell.set_custom_exc((), None)
    InteractiveShell.clear_instance()


def test_outside_ipython_nothing_is_installed():
    assert install() is False


def test_a_project_error_shows_its_message_alone(shell):
    assert install() is True
    result = shell.run_cell("from review.errors import ProtocolError\n"
                            "raise ProtocolError('protocol.yaml, screening: expected a recall "
                            "target between 0 and 1, found 1.5')")
    shown = "\n".join(shell.shown)
    assert not result.success  # the cell failed: Run All stops, papermill stops
    assert "expected a recall target between 0 and 1, found 1.5" in shown
    assert "Traceback" not in shown and "ProtocolError" not in shown and "raise" not in shown


def test_other_errors_keep_their_traceback(shell):
    install()
    install()  # a second open_review in the same kernel changes nothing
    shell.run_cell("def broken():\n    return 1 / 0\nbroken()")
    shown = "\n".join(shell.shown)
    assert "ZeroDivisionError" in shown and "def broken" in re.sub(r"\x1b\[[0-9;]*m", "", shown)


def test_the_line_says_what_to_do_and_survives_an_empty_message():
    lines = error_lines(StoreError(""))
    assert "could not do this" in lines[0] and "run the cell again" in lines[1]
    assert issubclass(ProtocolError, ReviewError)


@pytest.mark.slow
def test_in_a_real_kernel_the_report_names_the_cell_and_the_message_only(tmp_path):
    """papermill runs the cell in a kernel; the error output holds the plain line and the
    report's message has no class name."""
    from review.project import init_review
    from review.example import example_protocol_dir

    review = init_review(tmp_path / "r", example_protocol_dir() / "protocol.yaml")
    review.store.dispose()
    folder = tmp_path / "nb"
    path = write_notebook(folder, "10_prisma", 'review_dir: str = ""  # the review folder',
                          "from review.project import open_review\n"
                          f"open_review({str(tmp_path / 'r')!r})\n"
                          f"open_review({str(tmp_path / 'nowhere')!r})")
    with pytest.raises(NotebookFailed) as caught:
        run_report(tmp_path / "r", tmp_path / "out", notebooks_dir=folder, only=["10_prisma"],
                   log=lambda _: None)
    message = str(caught.value)
    assert message.startswith(f"{path}, cell 3")
    assert re.search(r"nowhere: not a review folder", message)
    assert "StoreError" not in message
    executed = nbformat.read(str(caught.value.executed), as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    shown = "\n".join(errors[0]["traceback"])
    assert "not a review folder" in shown and "Traceback" not in shown
