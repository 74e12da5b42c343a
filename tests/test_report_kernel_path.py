"""`review report` run from the folder above a checkout named `review`: the kernel must import
the package this command runs, not the checkout folder as an empty namespace package."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_kernel_imports_this_package_when_a_review_folder_shadows_it(tmp_path, monkeypatch):
    import nbformat
    import papermill
    from review.report.runner import _kernel_manager
    (tmp_path / "review").mkdir()  # what a clone of the project next to the working dir looks like
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", "")  # as when the package is installed, not on the path
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "import review, review.figures.style\nprint(review.__file__)")]
    source, executed = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(notebook, str(source))
    papermill.execute_notebook(str(source), str(executed), kernel_name="python3",
                               progress_bar=False, kernel_manager_class=_kernel_manager([]))
    printed = nbformat.read(str(executed), as_version=4).cells[0].outputs[0]["text"].strip()
    assert printed == str(ROOT / "review" / "__init__.py")
    assert sys.modules["review"].__file__ == printed
    assert os.getcwd() == str(tmp_path)
