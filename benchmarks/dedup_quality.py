"""Deduplication quality on real labelled sets: our engine against the peer bib-dedupe.

    python benchmarks/dedup_quality.py [FOLDER_OR_CSV ...] [--json] [--no-peer] [--shared PATH]

Without arguments: every CoLRev set under <shared>/data/dedup/CoLRev_bib-dedupe/ (pair-level
truth) and the ASySD labelled test set (record-level truth, scored twice: by its `label` column as
the brief defines it, and by its `source` column; see `asysd_by_source`). Any folder in the
CoLRev layout (records_pre_merged.csv + merged_record_ids.csv) works as an argument.

bib-dedupe runs in its own virtualenv (benchmarks/.peer-envs/bib-dedupe, created on first use) so
its pinned pandas/numpy never touch ours; a runner script there reads the records as CSV, runs
the documented default pipeline prep -> block -> match -> cluster (what `merge()` does before
merging; 'maybe' pairs stay unmerged, as without a manual review) with sockets disabled, and
writes the predicted groups as JSON. Both tools get the same records: the peer's CSV is written
from our record frame. Times exclude loading; ours is one process, the peer uses all CPUs.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dedup_evaluate import (  # noqa: E402
    COLREV_RECORDS, LabelledSet, load_any, rule_breakdown, score,
)

DEFAULT_SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared"))
PEER_ENV = ROOT / "benchmarks" / ".peer-envs" / "bib-dedupe"
PEER_PACKAGE = "bib-dedupe"
TARGET_PRECISION, TARGET_RECALL = 0.995, 0.98
BOOK_PARTS = {"inproceedings", "proceedings", "inbook", "incollection", "conference"}

RUNNER = '''"""bib-dedupe on one CSV, offline: prep -> block -> match -> cluster; groups as JSON."""
import json
import resource
import socket
import sys
import time


def _offline(*args, **kwargs):
    raise RuntimeError("bib-dedupe tried to reach the network; the benchmark runs offline")


socket.socket.connect = _offline
socket.create_connection = _offline
socket.getaddrinfo = _offline


def main(source, target):
    from importlib.metadata import version

    import pandas as pd
    from bib_dedupe.bib_dedupe import block, cluster, match, prep

    records = pd.read_csv(source, dtype=str, keep_default_na=False)
    start = time.perf_counter()
    prepared = prep(records, verbosity_level=0)
    pairs = block(prepared, verbosity_level=0)
    matched = match(pairs, verbosity_level=0)
    groups = cluster(matched, verbosity_level=0)
    seconds = time.perf_counter() - start
    maybe = int((matched["duplicate_label"] == "maybe").sum()) if len(matched) else 0
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    with open(target, "w", encoding="utf-8") as out:
        json.dump({"groups": [[str(i) for i in group] for group in groups], "seconds": seconds,
                   "blocked_pairs": int(len(pairs)), "maybe_pairs": maybe, "max_rss_kb": rss,
                   "version": version("bib-dedupe")}, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
'''


class PeerUnavailable(RuntimeError):
    """bib-dedupe could not be installed or run; the report says why and shows `peer: null`."""


# -- data ---------------------------------------------------------------------------------------

def default_inputs(shared: Path) -> list[Path]:
    colrev = shared / "data" / "dedup" / "CoLRev_bib-dedupe"
    folders = sorted(p for p in colrev.iterdir() if (p / COLREV_RECORDS).exists()) if colrev.exists() else []
    asysd = shared / "data" / "dedup" / "camaradesuk_ASySD" / "labelled_test_set.csv"
    return folders + ([asysd] if asysd.exists() else [])


def asysd_by_source(labelled: LabelledSet, path: Path) -> LabelledSet:
    """The ASySD set scored by its `source` column: 'unique' marks the one record kept per work
    (584, the count ASySD's own tests expect), 'duplicate' the records to remove. Its `label`
    column marks 949 records In_database although many of them are exact copies of each other
    (same DOI, title, authors, pages), so `label` alone overstates false merges."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252")
    labels = pd.Series((raw["source"].str.strip() == "duplicate").tolist(), index=labelled.labels.index)
    return LabelledSet(name=f"{labelled.name}-source", records=labelled.records, kind="records",
                       labels=labels)


def load_inputs(paths: list[Path]) -> list[LabelledSet]:
    sets: list[LabelledSet] = []
    for path in paths:
        labelled = load_any(path)
        sets.append(labelled)
        if labelled.kind == "records" and path.is_file():
            raw_columns = pd.read_csv(path, nrows=0, encoding="cp1252").columns
            if "source" in raw_columns:
                sets.append(asysd_by_source(labelled, path))
    return sets


# -- the two tools ------------------------------------------------------------------------------

def run_ours(records: pd.DataFrame):
    """Our clusters, the seconds they took and the whole result (pairs and their rules)."""
    from review.dedup.engine import find_duplicates
    start = time.perf_counter()
    result = find_duplicates(records)
    return result.clusters, time.perf_counter() - start, result


def peer_frame(records: pd.DataFrame) -> pd.DataFrame:
    """Our records as bib-dedupe's BibTeX-like columns (authors joined by ' and ')."""
    def text(column: str) -> list[str]:
        return ["" if pd.isna(value) else str(value) for value in records[column].astype(object)]
    kinds = [kind.lower() if kind else "article" for kind in text("publication_type")]
    container = text("journal")
    return pd.DataFrame({
        "ID": [str(rid) for rid in records["record_id"]], "ENTRYTYPE": kinds, "title": text("title"),
        "author": [" and ".join(names) if isinstance(names, list) else "" for names in records["authors"]],
        "year": text("year"), "journal": container,
        "booktitle": [c if kind in BOOK_PARTS else "" for c, kind in zip(container, kinds)],
        "volume": text("volume"), "number": text("issue"), "pages": text("pages"),
        "abstract": text("abstract"), "doi": text("doi"),
    })


def peer_python(env: Path = PEER_ENV, *, install: bool = True) -> Path:
    """The peer env's interpreter; the env is created and bib-dedupe installed when missing."""
    python = env / "bin" / "python"
    if python.exists() and _imports_peer(python):
        return python
    if not install:
        raise PeerUnavailable(f"{PEER_PACKAGE} is not installed in {env}")
    print(f"installing {PEER_PACKAGE} into {env} (first run only) ...", file=sys.stderr)
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, capture_output=True,
                           text=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", PEER_PACKAGE], check=True,
                       capture_output=True, text=True, timeout=1200)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise PeerUnavailable(f"could not install {PEER_PACKAGE} into {env}: {detail.strip()[-500:]}") from exc
    if not _imports_peer(python):
        raise PeerUnavailable(f"{PEER_PACKAGE} installed into {env} but does not import")
    return python


def _imports_peer(python: Path) -> bool:
    done = subprocess.run([str(python), "-c", "import bib_dedupe.bib_dedupe"], capture_output=True)
    return done.returncode == 0


def run_peer(python: Path, records: pd.DataFrame, *, timeout: float = 3600) -> dict[str, Any]:
    """bib-dedupe on `records` in its own process; clusters mapped back to our record ids."""
    runner = python.parent.parent / "run_bib_dedupe.py"
    if not runner.exists() or runner.read_text() != RUNNER:
        runner.write_text(RUNNER)
    frame = peer_frame(records)
    back = dict(zip(frame["ID"], records["record_id"]))
    if len(back) != len(frame):
        raise PeerUnavailable("record ids are not unique once written as text")
    with tempfile.TemporaryDirectory(prefix="peer-") as tmp:
        source, target = Path(tmp) / "records.csv", Path(tmp) / "groups.json"
        frame.to_csv(source, index=False)
        proc = subprocess.Popen([str(python), str(runner), str(source), str(target)], cwd=tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise PeerUnavailable(f"{PEER_PACKAGE} did not finish within {timeout:.0f} s")
        if proc.returncode != 0 or not target.exists():
            raise PeerUnavailable(f"{PEER_PACKAGE} failed: {(err or out).strip()[-800:]}")
        result = json.loads(target.read_text())
    result["clusters"] = groups_to_clusters(result.pop("groups"), back)
    return result


def groups_to_clusters(groups: list[list[str]], back: dict[str, Any]) -> pd.Series:
    """Predicted groups -> record_id -> cluster id (smallest id in the group); others singletons."""
    cluster = {rid: rid for rid in back.values()}
    for group in groups:
        members = [back[name] for name in group]
        head = min(members)
        for member in members:
            cluster[member] = head
    return pd.Series(cluster, dtype=object)


# -- report -------------------------------------------------------------------------------------

def verdict(ours: dict[str, Any], peer: dict[str, Any] | None) -> list[str]:
    """Targets not met (empty list = all met): precision, recall, F1 above the peer's."""
    missed = []
    if ours["precision"] < TARGET_PRECISION:
        missed.append(f"P<{TARGET_PRECISION}")
    if ours["recall"] < TARGET_RECALL:
        missed.append(f"R<{TARGET_RECALL}")
    if peer is not None and ours["f1"] <= peer["f1"]:
        missed.append("F1<=peer")
    return missed


def evaluate_set(labelled: LabelledSet, python: Path | None, peer_cache: dict) -> dict[str, Any]:
    clusters, seconds, result = run_ours(labelled.records)
    ours = score(labelled, clusters)
    breakdown = rule_breakdown(labelled, result)
    peer = None
    if python is not None:
        key = id(labelled.records)  # ASySD is scored twice on the same records: run the peer once
        if key not in peer_cache:
            peer_cache[key] = run_peer(python, labelled.records)
        run = peer_cache[key]
        peer = {**score(labelled, run["clusters"]), "seconds": run["seconds"],
                "maybe_pairs": run["maybe_pairs"], "version": run["version"]}
    truth = (f"{labelled.true_pairs} pairs" if labelled.kind == "groups"
             else f"{labelled.true_duplicates} recs")
    missed = verdict(ours, peer)
    return {"dataset": labelled.name, "records": len(labelled.records), "truth": truth,
            "level": ours["level"], **{k: ours[k] for k in ("precision", "recall", "f1", "false_merges",
                                                            "tp", "fp", "fn")},
            "seconds": round(seconds, 3), "peer": peer,
            "f1_ratio": (ours["f1"] / peer["f1"]) if peer and peer["f1"] else None,
            "targets_met": not missed, "targets_missed": missed, "by_rule": breakdown}


def _num(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict[str, Any]]) -> str:
    head = ("dataset", "records", "true dups", "P", "R", "F1", "FM", "s",
            "peer P", "peer R", "peer F1", "peer FM", "peer s", "F1 ratio", "targets")
    lines = [head]
    for row in rows:
        peer = row["peer"] or {}
        lines.append((row["dataset"], str(row["records"]), row["truth"], _num(row["precision"]),
                      _num(row["recall"]), _num(row["f1"]), str(row["false_merges"]),
                      _num(row["seconds"], 2), _num(peer.get("precision")), _num(peer.get("recall")),
                      _num(peer.get("f1")), str(peer.get("false_merges", "-")),
                      _num(peer.get("seconds"), 2), _num(row["f1_ratio"], 3),
                      ("met" + ("" if row["peer"] else " (F1 vs peer: n/a)")) if row["targets_met"]
                      else "NOT met: " + ", ".join(row["targets_missed"])))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def rule_table(rows: list[dict[str, Any]]) -> str:
    """False merges and misses per set, each under the rule that decided it: a regression
    names its rule."""
    lines = ["False merges and misses by the rule that decided them "
             "(pairs; records for record-level sets):"]
    for row in rows:
        by_rule = row["by_rule"]
        if not by_rule["false merges"] and not by_rule["misses"]:
            lines.append(f"  {row['dataset']}: none")
            continue
        lines.append(f"  {row['dataset']}:")
        for what in ("false merges", "misses"):
            for rule, count in sorted(by_rule[what].items(), key=lambda item: (-item[1], item[0])):
                lines.append(f"    {what:<12}  {count:>4}  {rule}")
    return "\n".join(lines)


def json_line(row: dict[str, Any]) -> str:
    peer = row["peer"]
    return json.dumps({
        "dataset": row["dataset"], "precision": row["precision"], "recall": row["recall"],
        "f1": row["f1"], "false_merges": row["false_merges"],
        "peer": None if peer is None else {k: peer[k] for k in ("precision", "recall", "f1",
                                                                 "false_merges", "seconds", "maybe_pairs")},
        "level": row["level"], "records": row["records"], "seconds": row["seconds"],
        "targets_met": row["targets_met"], "by_rule": row["by_rule"]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", type=Path, help="CoLRev set folders or an ASySD-style CSV")
    parser.add_argument("--json", action="store_true", help="end with one JSON line per set")
    parser.add_argument("--no-peer", action="store_true", help="skip bib-dedupe")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder")
    parser.add_argument("--peer-env", type=Path, default=PEER_ENV, help="virtualenv for bib-dedupe")
    args = parser.parse_args(argv)

    inputs = args.inputs or default_inputs(args.shared)
    if not inputs:
        parser.error(f"no labelled sets found under {args.shared / 'data' / 'dedup'}")
    python, peer_note = None, "peer: skipped (--no-peer)"
    if not args.no_peer:
        try:
            python = peer_python(args.peer_env)
            peer_note = f"peer: {PEER_PACKAGE} in {args.peer_env}"
        except PeerUnavailable as exc:
            peer_note = f"peer: NOT AVAILABLE - {exc}"
            print(peer_note, file=sys.stderr)

    rows, cache = [], {}
    for labelled in load_inputs(inputs):
        try:
            rows.append(evaluate_set(labelled, python, cache))
        except PeerUnavailable as exc:
            peer_note = f"peer: NOT AVAILABLE - {exc}"
            print(peer_note, file=sys.stderr)
            python = None
            rows.append(evaluate_set(labelled, None, cache))
    versions = {row["peer"]["version"] for row in rows if row["peer"]}
    print(table(rows))
    print()
    print(rule_table(rows))
    print()
    print(peer_note + (f" {', '.join(sorted(versions))}" if versions else ""))
    print(f"targets: precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}, F1 above the peer's. "
          "'pairs' sets are scored over record pairs; 'recs' sets (ASySD) over removed records. "
          "FM = false merges (distinct works lost).")
    if args.json:
        for row in rows:
            print(json_line(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
