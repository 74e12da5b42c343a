"""`review report`: run the report notebooks with papermill, in order, into one output folder.

Each notebook in `notebooks/` declares its parameters in one `parameters` cell; papermill only
warns about a parameter a notebook does not declare and runs on with the default, so a typo would
go unnoticed in a report. The runner inspects every notebook first and refuses such names before
any kernel starts. The kernel is always this interpreter (whatever kernelspecs the user has
installed), so the notebooks see the same `review` package as the command; one kernel per job
runs several notebooks, cleared before each (`kernels.py`)."""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import ReviewError
from .kernels import ReportKernel, import_papermill, kernel_manager

__all__ = [
    "EXECUTED_FOLDER",
    "REPORT_NOTEBOOKS",
    "REPORT_PARAMETERS",
    "NotebookFailed",
    "NotebookRun",
    "ReportResult",
    "default_notebooks_dir",
    "available_cores",
    "notebook_parameters",
    "report_folders",
    "run_report",
]

#: The report's notebooks, in the order they run.
REPORT_NOTEBOOKS = ("01_identify", "10_prisma", "11_evidence_tables", "12_figures",
                    "13_meta_analysis")
#: Parameters the runner itself gives to every notebook that declares them.
REPORT_PARAMETERS = ("review_dir", "out_dir", "figures_dir", "tables_dir")
#: Parameters that would make a notebook write to the store, and the value a report gives them:
#: a report only reads (deduplication and imports are steps the reviewer runs).
READ_ONLY_PARAMETERS = {"deduplicate": False, "import_files": []}
#: Sub-folder of the output folder holding the executed notebooks. Not `notebooks/`: with
#: `--out .` in a checkout that would overwrite the notebooks being run.
EXECUTED_FOLDER = "executed"
#: Default output folder, inside the review folder.
DEFAULT_OUT = "report"

_INJECTED = "injected-parameters"
_ERROR_MARKER = "papermill-error-cell-tag"
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: where its executed copy is, how long it took, and the peak
    resident memory of its kernel in bytes up to its end (None where the system does not say):
    a kernel runs several notebooks, so this is the most any of them and those before it in the
    same kernel held at once."""

    name: str
    executed: Path
    seconds: float
    peak_memory: int | None


@dataclass(frozen=True)
class ReportResult:
    """Where a report went and what each notebook cost."""

    review_dir: Path
    out_dir: Path
    figures_dir: Path
    tables_dir: Path
    notebooks: tuple[NotebookRun, ...]
    #: Wall-clock seconds of the whole run (notebooks run side by side take less than `seconds`).
    elapsed: float | None = None

    @property
    def seconds(self) -> float:
        """The notebooks' seconds added up."""
        return sum(run.seconds for run in self.notebooks)

    @property
    def peak_memory(self) -> int | None:
        known = [run.peak_memory for run in self.notebooks if run.peak_memory is not None]
        return max(known) if known else None

    def frame(self) -> pd.DataFrame:
        """One row per notebook: name, seconds, peak memory in MB and the executed copy."""
        return pd.DataFrame({
            "notebook": [run.name for run in self.notebooks],
            "seconds": [round(run.seconds, 2) for run in self.notebooks],
            "peak_memory_mb": [None if run.peak_memory is None else round(run.peak_memory / 2**20, 1)
                               for run in self.notebooks],
            "executed": [str(run.executed) for run in self.notebooks]})


class NotebookFailed(ReviewError):
    """A cell of a report notebook raised: names the notebook, the cell and the error, and keeps
    the partly executed notebook for inspection."""

    def __init__(self, notebook: str, cell: int | None, heading: str | None, error: str,
                 executed: Path):
        self.notebook, self.cell, self.heading = notebook, cell, heading
        self.error, self.executed = error, executed
        where = f"cell {cell}" if cell is not None else "a cell"
        if heading:
            where += f' (after "{heading}")'
        super().__init__(f"{notebook}, {where}: {error}")


def _shown(path: Path) -> str:
    """A path as the reviewer typed it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def default_notebooks_dir() -> Path:
    """The notebooks shipped with the package (`notebooks/` of a checkout)."""
    from ..resources import notebooks_dir
    return notebooks_dir()


def report_folders(review_dir: str | Path, out_dir: str | Path | None = None) -> dict[str, Path]:
    """The output folders: `out_dir` (default: the review folder's `report/`) with `figures/`,
    `tables/` and `executed/` under it. `--out .` in a checkout puts the figures in `figures/`."""
    out = Path(out_dir) if out_dir is not None else Path(review_dir) / DEFAULT_OUT
    out = out.resolve()
    return {"out_dir": out, "figures_dir": out / "figures", "tables_dir": out / "tables",
            "executed_dir": out / EXECUTED_FOLDER}


def notebook_parameters(path: Path) -> dict[str, dict]:
    """The parameters a notebook declares: name -> {inferred_type_name, default, help}."""
    papermill = import_papermill()
    try:
        return papermill.inspect_notebook(str(path))
    except Exception as exc:  # noqa: BLE001 - a notebook that is not JSON, or not a notebook
        raise ReviewError(f"{_shown(path)}: cannot read the notebook's parameters ({exc})") from None


def _selected(only: Iterable[str] | None) -> list[str]:
    if not only:
        return list(REPORT_NOTEBOOKS)
    names = {name.removesuffix(".ipynb") for name in only}
    unknown = sorted(names - set(REPORT_NOTEBOOKS))
    if unknown:
        raise ReviewError(f"unknown report notebook{'s' if len(unknown) > 1 else ''} "
                          f"{', '.join(unknown)}; the report runs {', '.join(REPORT_NOTEBOOKS)}")
    return [name for name in REPORT_NOTEBOOKS if name in names]


def _convert(value: Any, declared: dict, where: str, name: str) -> Any:
    """A value given as text (from the command line) in the type the notebook declares."""
    kind = declared.get("inferred_type_name")
    if not isinstance(value, str) or kind not in ("bool", "int", "float", "list", "dict"):
        return value
    text = value.strip()
    try:
        if kind == "bool":
            return _BOOLEANS[text.lower()]
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        loaded = yaml.safe_load(text)
        if isinstance(loaded, {"list": list, "dict": dict}[kind]):
            return loaded
    except (KeyError, ValueError, yaml.YAMLError):
        pass
    expected = {"bool": "true or false", "int": "a whole number", "float": "a number",
                "list": "a list such as [a, b]", "dict": "a mapping such as {a: 1}"}[kind]
    raise ReviewError(f"{where}: parameter {name} expects {expected}, found {value!r}")


def _plan(paths: dict[str, Path], declared: dict[str, dict], given: Mapping[str, Any],
          report: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each notebook's parameters: the report's own ones it declares, then the caller's, which
    it must declare (a plain NAME goes to every notebook run, NOTEBOOK.NAME to one)."""
    plan = {name: {key: value for key, value in {**report, **READ_ONLY_PARAMETERS}.items()
                   if key in declared[name]} for name in paths}
    unknown: dict[str, list[str]] = {name: [] for name in paths}
    for key, value in given.items():
        notebook, dot, name = key.rpartition(".")
        if name in READ_ONLY_PARAMETERS and value not in (READ_ONLY_PARAMETERS[name], "false",
                                                          "False", "no", "0", "[]"):
            raise ReviewError(f"parameter {key}: a report only reads the review store; run "
                              f"`review dedup` or `review import` before the report instead")
        if name in REPORT_PARAMETERS:
            raise ReviewError(f"parameter {key} is set by the report itself (from the review "
                              f"folder and the output folder), not by a parameter")
        if dot and notebook not in paths:
            raise ReviewError(f"parameter {key}: {notebook} is not a notebook of this run; it runs "
                              f"{', '.join(paths)}")
        for target in ([notebook] if dot else list(paths)):
            if name not in declared[target]:
                unknown[target].append(name)
                continue
            plan[target][name] = _convert(value, declared[target][name], _shown(paths[target]), name)
    for target, names in unknown.items():
        if names:
            accepted = ", ".join(declared[target]) or "none"
            raise ReviewError(
                f"{_shown(paths[target])} does not declare the parameter"
                f"{'s' if len(names) > 1 else ''} {', '.join(names)}; it accepts {accepted}"
                + ("" if len(paths) == 1 else
                   f" (give {target}.NAME to set a parameter of this notebook only)"))
    return plan


#: Kept for callers that build their own papermill run (one kernel per notebook).
_kernel_manager = kernel_manager


def _failed_cell(executed: Path) -> tuple[int | None, str | None]:
    """The failing cell's number in the source notebook (1-based, every cell counted; papermill's
    injected and error-marker cells left out) and the heading of the markdown cell above it."""
    import nbformat
    try:
        notebook = nbformat.read(str(executed), as_version=4)
    except Exception:  # noqa: BLE001 - nothing was saved: report without the cell
        return None, None
    cells = [cell for cell in notebook.cells
             if not {_INJECTED, _ERROR_MARKER} & set(cell.get("metadata", {}).get("tags", []))]
    heading = None
    for number, cell in enumerate(cells, start=1):
        if cell.cell_type == "markdown":
            lines = [line.strip("# ").strip() for line in cell.source.splitlines() if line.strip()]
            heading = lines[0] if lines else heading
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors or cell.get("metadata", {}).get("papermill", {}).get("exception") is True:
            return number, heading
    return None, None


def _error_text(ename: str, evalue: str) -> str:
    """The failing cell's error as the reviewer reads it: a project error by its message alone
    (as the notebook shows it, `review.notebook_errors`), any other with its kind, for the bug
    report."""
    evalue = (evalue or "").strip()
    if evalue and ename in _project_error_names():
        return evalue
    return f"{ename}: {evalue}" if evalue else ename


def _project_error_names() -> set[str]:
    names, todo = set(), [ReviewError]
    while todo:
        kind = todo.pop()
        names.add(kind.__name__)
        todo.extend(kind.__subclasses__())
    return names


def _check_deduplicated(review, review_dir: Path, log: Callable[[str], None]) -> None:
    """A report counts works: refuse when records were imported after the last deduplication
    (their duplicates would be counted twice), and say when it ran."""
    store = review.store
    last = store.last_dedup()
    if last is None:
        if store.records_since_dedup():
            raise ReviewError(f"{review_dir} has not been deduplicated: run `review dedup "
                              f"--review {review_dir}` before the report")
        return
    waiting = store.records_since_dedup()
    if waiting:
        raise ReviewError(f"{waiting} record(s) were imported after the last deduplication "
                          f"({last['at'][:19]} UTC, by {last['by']}): run `review dedup --review "
                          f"{review_dir}` before the report, so that their duplicates are not "
                          f"counted twice")
    log(f"last deduplication: {last['at'][:19]} UTC by {last['by']}")


#: The report notebooks from the longest-running to the shortest on the worked example: run side
#: by side, the longest start first and the short ones fill the cores as they free up.
_LONGEST_FIRST = ("12_figures", "13_meta_analysis", "10_prisma", "11_evidence_tables",
                  "01_identify")


def available_cores() -> int:
    """Cores this process may use (its CPU affinity where the system says, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _run_one(name: str, path: Path, executed: Path, parameters: dict[str, Any],
             kernel: ReportKernel, log: Callable[[str], None]) -> NotebookRun:
    """Execute one notebook with papermill in `kernel` (started with the first notebook)."""
    from papermill.exceptions import PapermillExecutionError

    log(f"running {_shown(path)}")
    start = time.perf_counter()
    try:
        kernel.execute(path, executed, parameters)
    except PapermillExecutionError as exc:
        cell, heading = _failed_cell(executed)
        raise NotebookFailed(_shown(path), cell, heading, _error_text(exc.ename, exc.evalue),
                             executed) from None
    except Exception as exc:  # noqa: BLE001 - the kernel would not start or died: no cell
        raise ReviewError(f"{_shown(path)}: the notebook could not be run "
                          f"({type(exc).__name__}: {exc})") from None
    seconds = time.perf_counter() - start
    run = NotebookRun(name, executed, seconds, kernel.peak_memory())
    memory = "" if run.peak_memory is None else f", kernel's peak memory {run.peak_memory / 2**20:.0f} MB"
    log(f"  {name}: {seconds:.1f} s{memory} -> {_shown(executed)}")
    return run


def _run_notebooks(paths: dict[str, Path], plan: dict[str, dict[str, Any]], executed_dir: Path,
                   log: Callable[[str], None], jobs: int | None) -> list[NotebookRun]:
    """Run the notebooks in `jobs` kernels (one thread each), each kernel taking the next
    notebook, longest first, when it is free; results in report order. When one fails, the
    notebooks after it in report order are not started and the first failure in report order is
    raised once the running ones have finished: the same failure as one at a time."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    jobs = max(1, min(jobs or available_cores(), len(paths)))
    lock, printing = threading.Lock(), threading.Lock()
    shown = log

    def log(line: str) -> None:  # one whole line at a time from the kernels' threads
        with printing:
            shown(line)

    report_order = list(paths)
    waiting = report_order if jobs == 1 else sorted(
        paths, key=lambda name: _LONGEST_FIRST.index(name) if name in _LONGEST_FIRST
        else len(_LONGEST_FIRST))
    waiting = list(waiting)
    runs: dict[str, NotebookRun] = {}
    failures: dict[str, Exception] = {}

    def next_notebook() -> str | None:
        with lock:
            limit = min((report_order.index(name) for name in failures), default=len(paths))
            while waiting:
                name = waiting.pop(0)
                if report_order.index(name) < limit:
                    return name
            return None

    def work() -> None:
        kernel = ReportKernel()
        try:
            while (name := next_notebook()) is not None:
                try:
                    runs[name] = _run_one(name, paths[name], executed_dir / paths[name].name,
                                          plan[name], kernel, log)
                except Exception as exc:  # noqa: BLE001 - raised below, in report order
                    with lock:
                        failures[name] = exc
                    kernel.shutdown()  # a kernel that failed a notebook is not trusted again
                    kernel = ReportKernel()
        finally:
            kernel.shutdown()

    if jobs == 1:
        work()
    else:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="report") as pool:
            for future in [pool.submit(work) for _ in range(jobs)]:
                future.result()
    for name in report_order:
        if name in failures:
            raise failures[name]
    return [runs[name] for name in report_order]


def run_report(review_dir: str | Path, out_dir: str | Path | None = None, *,
               notebooks_dir: str | Path | None = None,
               parameters: Mapping[str, Any] | None = None, only: Iterable[str] | None = None,
               log: Callable[[str], None] = print, jobs: int | None = None) -> ReportResult:
    """Run the report notebooks on a review, in REPORT_NOTEBOOKS order (or the `only` ones).

    Every notebook is inspected before any runs; a parameter one does not declare is refused.
    `parameters` maps NAME (for every notebook run) or NOTEBOOK.NAME (for one) to a value;
    text is converted to the type the notebook declares, so command-line values work. The
    executed notebooks go to OUT/executed/, and stay there when a cell fails. `jobs` notebooks
    run at once, each in its own kernel (default: one per available core); they only read the
    store and each writes its own files, so the order they finish in changes nothing."""
    from ..project import open_review

    review_dir = Path(review_dir)
    review = open_review(review_dir)  # not a review folder: say so before any kernel starts
    try:
        _check_deduplicated(review, review_dir, log)
    finally:
        review.store.dispose()
    folders = report_folders(review_dir, out_dir)
    notebooks_dir = Path(notebooks_dir) if notebooks_dir is not None else default_notebooks_dir()
    paths = {name: notebooks_dir / f"{name}.ipynb" for name in _selected(only)}
    for name, path in paths.items():
        if not path.is_file():
            raise ReviewError(f"{_shown(path)}: no such notebook (the report runs "
                              f"{', '.join(REPORT_NOTEBOOKS)} from {_shown(notebooks_dir)})")
        if (folders["executed_dir"] / path.name).resolve() == path.resolve():
            raise ReviewError(f"{_shown(path)} would be overwritten by its executed copy: choose "
                              f"another output folder")
    declared = {name: notebook_parameters(path) for name, path in paths.items()}
    report = {"review_dir": str(review_dir.resolve()), **{
        key: str(folders[key]) for key in ("out_dir", "figures_dir", "tables_dir")}}
    plan = _plan(paths, declared, dict(parameters or {}), report)

    for key in ("figures_dir", "tables_dir", "executed_dir"):
        folders[key].mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    runs = _run_notebooks(paths, plan, folders["executed_dir"], log, jobs)
    return ReportResult(review_dir.resolve(), folders["out_dir"], folders["figures_dir"],
                        folders["tables_dir"], tuple(runs), time.perf_counter() - start)
