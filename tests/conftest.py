"""Shared fixtures: the real data in ../shared, which CI must have and a lone clone may not."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared"))
FORMATS = SHARED / "data" / "formats"
SEEDS = SHARED / "seeds"


#: The one reason every test reading ../shared gives when the whole folder is absent.
SHARED_ABSENT = (f"{SHARED} is absent: the tests that read real exports and seed pages from "
                 f"../shared skip (CI requires it)")


def _need_shared(path: Path) -> Path:
    if not path.exists():
        message = SHARED_ABSENT if not SHARED.exists() else f"{path} is absent from {SHARED}"
        if os.environ.get("REVIEW_REQUIRE_SHARED") == "1" or os.environ.get("CI"):
            pytest.fail(message + " and CI requires them")
        pytest.skip(message)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Skips for want of ../shared are reported from one place, so `-ra` says it in one line
    (a fixture's skip would otherwise be listed at each test)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple) and \
            report.longrepr[2].endswith(SHARED_ABSENT):
        report.longrepr = (__file__, _need_shared.__code__.co_firstlineno, report.longrepr[2])


# -- the worked example, built once per session ----------------------------------------------------
def use_embedding(monkeypatch, embed, block: int | None = None, model: str = "wordllama") -> None:
    """Have the AI order embed records with `embed` (and `block` records per step) for a test."""
    from dataclasses import replace
    from review.screening.embeddings import EMBEDDERS
    changes = {"embed": embed} | ({"block": block} if block else {})
    monkeypatch.setitem(EMBEDDERS, model, replace(EMBEDDERS[model], **changes))


def copy_review(source: Path, destination: Path) -> Path:
    """A copy of a review folder (SQLite store, settings, protocol) that a test may change."""
    shutil.copytree(source, destination)
    return destination


@pytest.fixture(scope="session")
def worked_example(tmp_path_factory) -> Path:
    """The worked example as `review example` builds it (screening decisions, extraction and
    judgements loaded), built once per session. Never change it: take `copy_review` of it."""
    from review.cli import main
    folder = tmp_path_factory.mktemp("worked-example") / "nk-exosomes"
    assert main(["example", str(folder)]) == 0
    return folder


@pytest.fixture(scope="session")
def worked_example_undecided(tmp_path_factory) -> Path:
    """The worked example without its screening decisions (`review example --without-decisions`),
    built once per session. Never change it: take `copy_review` of it."""
    from review.cli import main
    folder = tmp_path_factory.mktemp("worked-example-undecided") / "nk-exosomes"
    assert main(["example", str(folder), "--without-decisions"]) == 0
    return folder


@pytest.fixture(scope="session")
def worked_example_first_version(tmp_path_factory) -> Path:
    """The worked example's first version, before its update search (`build_example(...,
    with_update=False)`), built once per session. Never change it: take `copy_review` of it."""
    from review.example import build_example
    folder = tmp_path_factory.mktemp("worked-example-first") / "nk-exosomes"
    build_example(folder, with_update=False).store.dispose()
    return folder


@pytest.fixture
def example_copy(worked_example, tmp_path) -> Path:
    """A copy of the worked example for one test to change."""
    return copy_review(worked_example, tmp_path / "example")


@pytest.fixture
def formats_dir() -> Path:
    """`../shared/data/formats`: real exports from databases and reference managers."""
    return _need_shared(FORMATS)


@pytest.fixture
def seeds_dir() -> Path:
    """`../shared/seeds`: the five web pages the worked example grew from."""
    return _need_shared(SEEDS)


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data/formats, skipping (or failing in CI) when absent."""
    return _need_shared(FORMATS.joinpath(*parts))


@pytest.fixture(scope="session")
def postgres_cluster():
    """A PostgreSQL server for the session; skipped locally without binaries, required in CI."""
    from pg import Cluster
    try:
        cluster = Cluster().start()
    except (FileNotFoundError, OSError, Exception) as exc:  # noqa: B014 - any failure to start
        message = f"PostgreSQL could not be started: {exc}"
        if os.environ.get("REVIEW_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return postgres_cluster.new_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    """An empty, migrated store on SQLite and on a throwaway PostgreSQL cluster."""
    from review.store import Store
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'review.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = Store(url)
    store.upgrade()
    yield store
    store.dispose()


def store_with_records(tmp_path: Path, records: list[dict]):
    """A SQLite store holding `records` as one imported Embase RIS file."""
    from review.records import records_frame
    from review.store import Store
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    store.upgrade()
    frame = records_frame(records, source_file="a.ris", database="Embase", raw_format="ris")
    store.add_source(frame, file_name="a.ris", file_path=None, sha256="a" * 64, format="ris",
                     encoding="utf-8", database="Embase", actor="tester")
    return store
