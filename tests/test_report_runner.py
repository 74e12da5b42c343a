"""`review report`: the papermill runner refuses unknown parameters, passes the report's folders,
saves the executed notebooks and names the notebook and cell that failed; the committed
notebooks keep the parameters-cell contract."""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from review.errors import ReviewError
from review.project import init_review
from review.report.runner import (
    EXECUTED_FOLDER,
    REPORT_NOTEBOOKS,
    NotebookFailed,
    report_folders,
    run_report,
)

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"
NOTEBOOKS = ROOT / "notebooks"


def write_notebook(folder: Path, name: str, parameters: str, *cells: str) -> Path:
    """A notebook of a markdown title, a `parameters` cell and further cells ("# " starts a
    markdown cell)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"# {name}"))
    notebook.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    for text in cells:
        notebook.cells.append(nbformat.v4.new_markdown_cell(text) if text.startswith("# ")
                              else nbformat.v4.new_code_cell(text))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, str(path))
    return path


#: Writes what the notebook received into its tables folder, as JSON.
RECORD_CELL = """import json, os, sys
from pathlib import Path
Path(tables_dir, NAME + ".json").write_text(json.dumps({
    "review_dir": review_dir, "tables_dir": tables_dir, "extra": extra,
    "python": sys.executable, "cwd": os.getcwd()}))"""


@pytest.fixture(scope="module")
def review_dir(tmp_path_factory) -> Path:
    """An empty review folder made with the worked example's protocol."""
    folder = tmp_path_factory.mktemp("runner") / "r"
    init_review(folder, PROTOCOL).store.dispose()
    return folder


@pytest.fixture
def notebooks(tmp_path) -> Path:
    """10_prisma declares review_dir, tables_dir and an int `extra`; 12_figures declares
    review_dir, figures_dir, tables_dir and a str `extra`."""
    folder = tmp_path / "nb"
    write_notebook(folder, "10_prisma",
                   'review_dir: str = ""  # the review folder\n'
                   'tables_dir: str = ""  # where tables go\n'
                   "extra: int = 0  # a number",
                   'NAME = "10_prisma"', RECORD_CELL)
    write_notebook(folder, "12_figures",
                   'review_dir: str = ""  # the review folder\n'
                   'figures_dir: str = ""  # where figures go\n'
                   'tables_dir: str = ""  # where tables go\n'
                   'extra: str = "none"  # a word',
                   'NAME = "12_figures"', RECORD_CELL)
    return folder


def test_unknown_parameter_is_refused_naming_notebook_and_accepted_names(review_dir, notebooks, tmp_path):
    """A parameter a notebook does not declare is refused before any kernel starts."""
    message = (f"{notebooks / '10_prisma.ipynb'} does not declare the parameters colour, size; it "
               f"accepts review_dir, tables_dir, extra")
    with pytest.raises(ReviewError, match=re.escape(message) + "$"):
        run_report(review_dir, tmp_path / "out", notebooks_dir=notebooks, only=["10_prisma"],
                   parameters={"colour": "red", "size": "3"}, log=lambda _: None)
    assert not (tmp_path / "out").exists()


def test_plain_parameter_goes_to_every_notebook_run_and_must_be_declared_by_each(review_dir, notebooks, tmp_path):
    """`-p NAME` is for every notebook run; one that lacks it is named, with the scoped form."""
    write_notebook(notebooks, "11_evidence_tables", 'review_dir: str = ""  # the review folder')
    message = (f"{notebooks / '11_evidence_tables.ipynb'} does not declare the parameter extra; it "
               f"accepts review_dir (give 11_evidence_tables.NAME to set a parameter of this "
               f"notebook only)")
    with pytest.raises(ReviewError, match=re.escape(message) + "$"):
        run_report(review_dir, tmp_path / "out", notebooks_dir=notebooks,
                   only=["10_prisma", "11_evidence_tables"], parameters={"extra": "3"},
                   log=lambda _: None)


def test_scoped_parameter_must_name_a_notebook_of_the_run(review_dir, notebooks, tmp_path):
    """NOTEBOOK.NAME for a notebook not being run is refused, listing the ones that are."""
    with pytest.raises(ReviewError, match=re.escape(
            "parameter 01_identify.reviewer: 01_identify is not a notebook of this run; it runs "
            "10_prisma") + "$"):
        run_report(review_dir, tmp_path / "out", notebooks_dir=notebooks, only=["10_prisma"],
                   parameters={"01_identify.reviewer": "x"}, log=lambda _: None)


def test_report_folders_cannot_be_set_as_parameters(review_dir, notebooks, tmp_path):
    """The review and output folders come from the runner's arguments, not from `-p`."""
    with pytest.raises(ReviewError, match=re.escape(
            "parameter 10_prisma.tables_dir is set by the report itself (from the review folder "
            "and the output folder), not by a parameter") + "$"):
        run_report(review_dir, tmp_path / "out", notebooks_dir=notebooks, only=["10_prisma"],
                   parameters={"10_prisma.tables_dir": "x"}, log=lambda _: None)


def test_text_values_that_do_not_fit_the_declared_type_are_refused(review_dir, notebooks, tmp_path):
    """A command-line value is converted to the declared type, or refused naming both."""
    with pytest.raises(ReviewError, match=re.escape(
            f"{notebooks / '10_prisma.ipynb'}: parameter extra expects a whole number, "
            f"found 'three'") + "$"):
        run_report(review_dir, tmp_path / "out", notebooks_dir=notebooks, only=["10_prisma"],
                   parameters={"extra": "three"}, log=lambda _: None)


def test_unknown_notebook_names_are_refused(review_dir, notebooks, tmp_path):
    """`--only` takes report notebook names, with or without .ipynb."""
    with pytest.raises(ReviewError, match=re.escape(
            "unknown report notebooks 14_extra, prisma; the report runs " + ", ".join(REPORT_NOTEBOOKS))
            + "$"):
        run_report(review_dir, tmp_path / "out", notebooks_dir=notebooks,
                   only=["prisma", "14_extra.ipynb"], log=lambda _: None)


def test_a_missing_notebook_is_named(review_dir, notebooks, tmp_path):
    """A report notebook absent from the notebooks folder is named before anything runs."""
    with pytest.raises(ReviewError, match=re.escape(
            f"{notebooks / '13_meta_analysis.ipynb'}: no such notebook (the report runs "
            f"{', '.join(REPORT_NOTEBOOKS)} from {notebooks})") + "$"):
        run_report(review_dir, tmp_path / "out", notebooks_dir=notebooks,
                   only=["10_prisma", "13_meta_analysis"], log=lambda _: None)


def test_a_folder_that_is_not_a_review_is_refused(notebooks, tmp_path):
    """The review folder is checked before any notebook is inspected."""
    with pytest.raises(ReviewError, match=re.escape(f"{tmp_path}: not a review folder (no review.yaml)")):
        run_report(tmp_path, notebooks_dir=notebooks, log=lambda _: None)


def test_output_folders_default_to_the_review_and_follow_out(tmp_path, monkeypatch):
    """Without --out the report goes to REVIEW/report; `--out .` puts figures in ./figures."""
    monkeypatch.chdir(tmp_path)
    expected = {"out_dir": tmp_path / "r" / "report",
                "figures_dir": tmp_path / "r" / "report" / "figures",
                "tables_dir": tmp_path / "r" / "report" / "tables",
                "executed_dir": tmp_path / "r" / "report" / EXECUTED_FOLDER}
    assert expected == report_folders("r")
    expected = {"out_dir": tmp_path, "figures_dir": tmp_path / "figures",
                "tables_dir": tmp_path / "tables", "executed_dir": tmp_path / EXECUTED_FOLDER}
    assert expected == report_folders("r", ".")


def test_an_executed_copy_never_overwrites_the_notebook_it_runs(review_dir, tmp_path):
    """Running notebooks from OUT/executed into OUT is refused."""
    out = tmp_path / "out"
    write_notebook(out / EXECUTED_FOLDER, "10_prisma", 'review_dir: str = ""  # the review folder')
    with pytest.raises(ReviewError, match=re.escape(
            f"{out / EXECUTED_FOLDER / '10_prisma.ipynb'} would be overwritten by its executed "
            f"copy: choose another output folder") + "$"):
        run_report(review_dir, out, notebooks_dir=out / EXECUTED_FOLDER, only=["10_prisma"],
                   log=lambda _: None)


@pytest.mark.slow
def test_notebooks_run_in_order_with_their_parameters_and_are_saved(review_dir, notebooks, tmp_path,
                                                                    monkeypatch):
    """Each notebook gets the report folders it declares and its own `-p` values, converted to
    the declared type, in a kernel of this interpreter (even when an installed `python3`
    kernelspec points elsewhere); executed copies land in OUT/executed."""
    elsewhere = tmp_path / "jupyter" / "kernels" / "python3"
    elsewhere.mkdir(parents=True)
    (elsewhere / "kernel.json").write_text(json.dumps({
        "argv": ["/nonexistent/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "another Python", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    out = tmp_path / "out"
    lines: list[str] = []
    result = run_report(review_dir, out, notebooks_dir=notebooks, only=["12_figures", "10_prisma"],
                        parameters={"10_prisma.extra": "7", "12_figures.extra": "7"},
                        log=lines.append)
    assert ["10_prisma", "12_figures"] == [run.name for run in result.notebooks]
    assert [out / EXECUTED_FOLDER / "10_prisma.ipynb",
            out / EXECUTED_FOLDER / "12_figures.ipynb"] == [run.executed for run in result.notebooks]
    seen = {name: json.loads((out / "tables" / f"{name}.json").read_text()) for name in
            ("10_prisma", "12_figures")}
    assert {"review_dir": str(review_dir.resolve()), "tables_dir": str(out / "tables"), "extra": 7,
            "python": sys.executable, "cwd": str(Path.cwd())} == seen["10_prisma"]
    assert "7" == seen["12_figures"]["extra"]
    executed = nbformat.read(str(result.notebooks[0].executed), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 1 == len(injected)
    assert (out / "figures").is_dir()
    assert all(run.seconds > 0 for run in result.notebooks)
    if sys.platform.startswith("linux"):
        assert all(run.peak_memory > 20 * 2**20 for run in result.notebooks)
    assert ["notebook", "seconds", "peak_memory_mb", "executed"] == list(result.frame().columns)
    assert f"running {notebooks / '10_prisma.ipynb'}" in lines


@pytest.mark.slow
def test_a_failing_cell_is_named_and_the_partial_notebook_kept(review_dir, tmp_path):
    """The error names the notebook, the cell (counted in the notebook as written), the heading
    above it and the error's message; cells that ran keep their outputs."""
    folder = tmp_path / "nb"
    path = write_notebook(folder, "12_figures", 'review_dir: str = ""  # the review folder',
                          'print("drawn so far")', "# Forest plots\n\nOne per outcome.",
                          'raise ValueError("no outcome has two studies")', 'print("never")')
    out = tmp_path / "out"
    with pytest.raises(NotebookFailed, match=re.escape(
            f'{path}, cell 5 (after "Forest plots"): ValueError: no outcome has two studies') + "$"
            ) as caught:
        run_report(review_dir, out, notebooks_dir=folder, only=["12_figures"], log=lambda _: None)
    assert (5, out / EXECUTED_FOLDER / "12_figures.ipynb") == (caught.value.cell, caught.value.executed)
    partial = nbformat.read(str(caught.value.executed), as_version=4)
    texts = ["".join(o.get("text", "")) for c in partial.cells if c.cell_type == "code"
             for o in c.outputs]
    assert ["drawn so far\n"] == [t for t in texts if t]


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_notebooks_side_by_side_fail_as_one_would_alone(review_dir, tmp_path, jobs):
    """Run two at a time or one after the other, a failure is the first failing notebook in
    report order, and the notebooks that ran keep their executed copies."""
    folder = tmp_path / "nb"
    for name in ("10_prisma", "11_evidence_tables", "12_figures"):
        fails = name != "10_prisma"
        write_notebook(folder, name, 'review_dir: str = ""  # the review folder',
                       f'raise RuntimeError("{name} failed")' if fails else 'print("fine")')
    out = tmp_path / "out"
    expected = r'11_evidence_tables\.ipynb, cell 3 \(after "11_evidence_tables"\): RuntimeError: '
    with pytest.raises(NotebookFailed, match=expected + "11_evidence_tables failed$"):
        run_report(review_dir, out, notebooks_dir=folder, log=lambda _: None, jobs=jobs,
                   only=["10_prisma", "11_evidence_tables", "12_figures"])
    assert (out / EXECUTED_FOLDER / "11_evidence_tables.ipynb").is_file()
    if jobs == 2:  # 12_figures starts first (longest first) and 10_prisma beside it
        assert (out / EXECUTED_FOLDER / "10_prisma.ipynb").is_file()


@pytest.mark.slow
def test_notebooks_sharing_a_kernel_see_none_of_each_others_names(review_dir, tmp_path):
    """One kernel runs the notebooks one after the other (jobs=1): each starts with a cleared
    namespace and execution count 1, and the modules imported before stay imported."""
    folder = tmp_path / "nb"
    write_notebook(folder, "10_prisma", 'review_dir: str = ""  # the review folder',
                   "import os, sys\nleft_behind = 1\nimport review.report.figures",
                   "print(os.getpid())")
    write_notebook(folder, "11_evidence_tables", 'review_dir: str = ""  # the review folder',
                   "import os, sys\nprint(os.getpid())",
                   "print('left_behind' in dir(), 'review.report.figures' in sys.modules)")
    out = tmp_path / "out"
    result = run_report(review_dir, out, notebooks_dir=folder, log=lambda _: None, jobs=1,
                        only=["10_prisma", "11_evidence_tables"])
    first, second = (nbformat.read(str(run.executed), as_version=4) for run in result.notebooks)
    printed = ["".join(o.get("text", "")).strip() for nb in (first, second) for c in nb.cells
               if c.cell_type == "code" for o in c.outputs]
    assert printed[0] == printed[1]  # the same kernel process
    assert "False True" == printed[2]
    for notebook in (first, second):
        counts = [c.execution_count for c in notebook.cells if c.cell_type == "code"]
        assert list(range(1, len(counts) + 1)) == counts


# -- the committed notebooks ----------------------------------------------------------------------
COMMITTED = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_every_report_notebook_is_committed():
    """Each notebook the report runs is in notebooks/."""
    assert [] == [name for name in REPORT_NOTEBOOKS if not (NOTEBOOKS / f"{name}.ipynb").exists()]


@pytest.mark.parametrize("path", COMMITTED, ids=[p.name for p in COMMITTED])
def test_committed_notebook_has_one_literal_parameters_cell_and_no_outputs(path):
    """Exactly one `parameters` cell of annotated literal assignments, each with a comment; no
    outputs or execution counts; no function defined in the notebook."""
    notebook = nbformat.read(str(path), as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert 1 == len(tagged)
    lines = [line for line in tagged[0].source.splitlines() if line.strip()]
    statements = ast.parse(tagged[0].source).body
    assert len(lines) == len(statements)
    for line, statement in zip(lines, statements):
        assert isinstance(statement, ast.AnnAssign) and statement.value is not None, line
        ast.literal_eval(statement.value)  # raises on anything but a literal
        assert "  # " in line, f"no comment on {line!r}"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [] == [c.source for c in code if c.get("outputs") or c.get("execution_count")]
    assert [] == [c.source for c in code if re.search(r"^\s*(async\s+)?def\s|^\s*class\s",
                                                       c.source, re.MULTILINE)]


@pytest.mark.parametrize("name", REPORT_NOTEBOOKS[1:])
def test_report_notebooks_declare_the_review_folder(name):
    """Every report notebook takes review_dir, and its other report folders by their names."""
    import papermill
    declared = papermill.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))
    assert "review_dir" in declared
    assert [] == [p for p in declared if p.endswith("_dir") and
                  p not in ("review_dir", "out_dir", "figures_dir", "tables_dir")]


# -- the synthetic review the benchmark reports on ------------------------------------------------
@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A synthetic review of 2,000 records with 20 included reports."""
    from synthetic_review import build_synthetic_review
    folder = tmp_path_factory.mktemp("synthetic") / "s"
    review, summary = build_synthetic_review(folder, 2000, included=20, seed=5)
    yield review, summary
    review.store.dispose()


def test_synthetic_review_imports_every_record_from_four_databases(synthetic):
    """All N records are stored, from the four databases, with a realistic share of duplicates
    that deduplication resolves into exactly the works generated."""
    review, summary = synthetic
    counts = review.store.count_by_database()
    assert 2000 == summary.records == int(counts["records"].sum()) == len(review.store.records(with_raw=False))
    assert ["Embase", "PubMed", "Scopus", "Web of Science"] == sorted(counts["database"])
    assert summary.works == summary.unique_after_dedup == review.store.clusters()["cluster_id"].nunique()
    assert 0.3 < 1 - summary.works / summary.records < 0.5


def test_synthetic_review_is_screened_to_the_reports_asked_for(synthetic):
    """Every record is decided at title/abstract, the conflicts are resolved by the third
    reviewer, and exactly `included` reports are included at full text."""
    from synthetic_review import NOT_RETRIEVED, RESOLVER_NAME
    from review.screening.decisions import final_decisions
    review, summary = synthetic
    title = final_decisions(review.store, "title_abstract")
    full = final_decisions(review.store, "full_text")
    assert summary.unique_after_dedup == len(title)
    assert {"include": summary.included_title_abstract,
            "exclude": summary.unique_after_dedup - summary.included_title_abstract} == \
        title["final"].value_counts().to_dict()
    assert {"include": 20, "not_retrieved": NOT_RETRIEVED,
            "exclude": summary.included_title_abstract - 20 - NOT_RETRIEVED} == \
        full["final"].value_counts().to_dict()
    assert (full["resolved_by"] == RESOLVER_NAME).sum() > 0
    assert summary.decisions == len(review.store.events("title_abstract")) + \
        len(review.store.events("full_text"))


def test_synthetic_studies_get_the_examples_extraction_and_appraisal(synthetic):
    """Each included study gets the values and judgements of one of the example's studies, so
    every report notebook has data to show."""
    from review.extraction.studies import study_table
    review, summary = synthetic
    studies = set(study_table(review)["study"])
    values = review.store.events("extraction")
    values = values[values["action"] == "value"]
    judged = review.store.events("risk_of_bias")
    assert 20 == len(studies)
    assert studies == set(values["study_id"])
    assert studies == set(judged["study_id"])
    assert (summary.extraction_values, summary.judgements) == (len(values), len(judged))


def test_synthetic_exports_are_reproducible_from_their_seed():
    """The same seed gives the same files; another seed other records."""
    from synthetic_review import synthetic_ris
    assert synthetic_ris(300, seed=3) == synthetic_ris(300, seed=3)
    assert synthetic_ris(300, seed=3) != synthetic_ris(300, seed=4)
    texts, _works = synthetic_ris(300, seed=3)
    assert 300 == sum(text.count("\nER  - ") for text in texts.values())


def test_synthetic_review_refuses_more_included_reports_than_records(tmp_path):
    """Asking for more included reports than records is an error naming both."""
    from synthetic_review import build_synthetic_review
    with pytest.raises(ReviewError, match=re.escape(
            "included reports must be between 1 and the 10 records, not 11") + "$"):
        build_synthetic_review(tmp_path / "s", 10, included=11)
