"""A screener in a child process, for the crash and concurrency tests.

    python tests/screening_worker.py REVIEW_DIR REVIEWER [--mode session|direct]
        [--pattern sequence|record] [--offset N] [--disagree-every N] [--go FILE]
        [--stage STAGE]

Prints READY once the review is open (after FILE exists with --go, it starts deciding), then
one line `ACK <event_id> <record_id> <decision>`, flushed, after each decision is committed
(`decide` / `record_decision` has returned), and DONE when nothing is left to decide.

- `session`: a ScreeningSession that picks the records; `direct`: `record_decision` on every
  record of the store, in record order, that this reviewer has no decision on yet.
- the decision cycles include, exclude, maybe: by the reviewer's count of decisions in the
  store (`sequence`: the k-th decision is CYCLE[(k + offset) % 3], across restarts too) or by
  record (`record`: CYCLE[(record_id + offset) % 3]); with --disagree-every N, one step further
  on records whose id is a multiple of N."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

CYCLE = ("include", "exclude", "maybe")


def decision_for(record_id: int, count: int, *, pattern: str = "record", offset: int = 0,
                 disagree_every: int = 0) -> str:
    """The worker's answer for a record, or for its `count`-th decision."""
    key = (count if pattern == "sequence" else record_id) + offset
    if disagree_every and record_id % disagree_every == 0:
        key += 1
    return CYCLE[key % len(CYCLE)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("review_dir")
    parser.add_argument("reviewer")
    parser.add_argument("--mode", choices=("session", "direct"), default="session")
    parser.add_argument("--pattern", choices=("sequence", "record"), default="sequence")
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--disagree-every", type=int, default=0)
    parser.add_argument("--go")
    parser.add_argument("--stage", default="title_abstract")
    args = parser.parse_args(argv)

    from review.project import open_review
    from review.screening.decisions import record_decision, reviewer_decisions
    from review.screening.session import ScreeningSession

    review = open_review(args.review_dir)
    out = sys.stdout

    def ack(event_id: int, record_id: int, decision: str) -> None:
        out.write(f"ACK {event_id} {record_id} {decision}\n")
        out.flush()

    def choose(count: int, record_id: int) -> str:
        return decision_for(record_id, count, pattern=args.pattern, offset=args.offset,
                            disagree_every=args.disagree_every)

    if args.mode == "session":
        session = ScreeningSession(review, args.stage, args.reviewer)
    else:
        decided = reviewer_decisions(review.store, args.stage)
        mine = set(decided.loc[decided["reviewer"] == args.reviewer, "record_id"])
        todo = [int(r) for r in review.store.records(with_raw=False)["record_id"] if r not in mine]
    out.write("READY\n")
    out.flush()
    if args.go:
        go = Path(args.go)
        while not go.exists():
            time.sleep(0.002)

    if args.mode == "session":
        while session.current is not None:
            record_id = session.current.record_id
            decision = choose(session.progress.screened, record_id)
            event_id = session.decide(decision)
            ack(event_id, record_id, decision)
    else:
        for count, record_id in enumerate(todo, start=len(mine)):
            decision = choose(count, record_id)
            event_id = record_decision(review.store, stage=args.stage, record_id=record_id,
                                       reviewer=args.reviewer, decision=decision)
            ack(event_id, record_id, decision)
    out.write("DONE\n")
    out.flush()
    review.store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())


# -- helpers for the tests that drive this worker ----------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"


def protocol_for(folder: Path, reviewers_per_record: int) -> Path:
    """The example's protocol with `reviewers_per_record` independent screeners (its export
    folders linked beside the copy: a protocol names files inside its own folder only)."""
    import yaml
    data = yaml.safe_load(PROTOCOL.read_text(encoding="utf-8"))
    data["screening"]["reviewers_per_record"] = reviewers_per_record
    names = {search["file"].split("/")[0] for search in data.get("searches", [])
             if search.get("file")}
    names |= {f.split("/")[0] for source in data.get("other_methods", [])
              for f in source.get("files", [])}
    for name in names:
        link = Path(folder) / name
        if not link.exists():
            link.symlink_to(PROTOCOL.parent / name, target_is_directory=True)
    path = Path(folder) / "protocol.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def build_review(folder: Path, n_records: int, database_url: str | None = None, *,
                 reviewers_per_record: int = 4) -> Path:
    """A review made with the CLI: `review init` and the import of `n_records` distinct RIS
    records; `reviewers_per_record` independent screeners (four: every worker counts)."""
    from review.cli import main as cli
    folder = Path(folder)
    url = ["--database-url", database_url] if database_url else []
    protocol = protocol_for(folder, reviewers_per_record)
    if cli(["init", str(folder / "rev"), "--protocol", str(protocol), *url]) != 0:
        raise RuntimeError("review init failed")
    ris = folder / "search.ris"
    ris.write_text("".join(
        f"TY  - JOUR\nTI  - Natural killer cell exosomes, study {i} of {n_records}\n"
        f"AU  - Author{i}, A\nPY  - {2000 + i % 25}\nT2  - Journal {i}\nDO  - 10.1000/nk.{i}\nER  - \n\n"
        for i in range(n_records)), encoding="utf-8")
    if cli(["import", str(ris), "--review", str(folder / "rev"), "--database", "Embase"]) != 0:
        raise RuntimeError("review import failed")
    return folder / "rev"


def read_acks(path: Path) -> list[tuple[int, int, str]]:
    """(event_id, record_id, decision) of every complete ACK line a worker wrote."""
    acks = []
    for line in Path(path).read_text(encoding="utf-8").splitlines(keepends=True):
        parts = line.split()
        if line.endswith("\n") and len(parts) == 4 and parts[0] == "ACK":
            acks.append((int(parts[1]), int(parts[2]), parts[3]))
    return acks


def worker_env() -> dict:
    """The parent's environment, without a database URL override, with the project importable."""
    import os
    env = {k: v for k, v in os.environ.items() if k != "REVIEW_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def spawn(review_dir: Path, reviewer: str, out: Path, *options: str):
    """Start this script as a child process writing its stdout to `out`."""
    import subprocess
    with open(out, "wb") as stdout:
        return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(review_dir),
                                 reviewer, *options], stdout=stdout, stderr=subprocess.PIPE,
                                cwd=ROOT, env=worker_env())


def wait_ready(process, out: Path, timeout: float = 60.0) -> None:
    """Wait for the worker's READY line (failing with its stderr if it died first)."""
    deadline = time.monotonic() + timeout
    while b"READY\n" not in Path(out).read_bytes():
        if process.poll() is not None:
            raise AssertionError(f"worker exited {process.returncode}: {process.stderr.read().decode()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"worker {out} did not get ready in {timeout} s")
        time.sleep(0.005)
