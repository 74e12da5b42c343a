"""The `review` command: every stage of a systematic review from the shell."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .errors import ReviewError

__all__ = ["main", "build_parser"]


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str))


# -- commands -------------------------------------------------------------------------------------
def cmd_init(args) -> int:
    from .project import init_review
    from .start import copy_notebooks, start_review
    if args.protocol is None:
        if args.database_url:
            raise ReviewError("--database-url creates the store, which needs the protocol: give it "
                              "with --protocol once the protocol is filled in")
        laid_out = start_review(args.dir)
        print(f"Laid out a new review in {args.dir}:\n"
              f"  {laid_out['protocol']}: the protocol to fill in (every section is explained)\n"
              f"  {Path(args.dir) / 'notebooks'}/: {len(laid_out['notebooks'])} notebooks to "
              f"screen, extract and report in\n"
              f"Fill in the protocol, then create the review with\n"
              f"  review init {args.dir} --protocol {laid_out['protocol']}")
        return 0
    review = init_review(args.dir, args.protocol, database_url=args.database_url)
    copy_notebooks(args.dir)
    print(f"Created review {review.settings['name']!r} in {args.dir} "
          f"(store: {_safe_url(review.store.url)}, schema {review.store.schema_version()})")
    return 0


def cmd_import(args) -> int:
    from .project import open_review
    review = open_review(args.review)
    failed = 0
    for file in args.files:
        try:
            result = _import_one(review, file, args)
        except ReviewError as exc:
            print(f"review: error: {exc}", file=sys.stderr)
            print(f"  nothing from {file} was stored", file=sys.stderr)
            failed += 1
            continue
        if result.already_imported:
            prior = result.already_imported
            print(f"{file}: already imported on {prior['imported_at'][:19]} as source "
                  f"#{prior['source_id']} ({prior['database']}, {prior['record_count']} records); skipped")
            continue
        print(f"{file}: {result.records} records from {result.database} "
              f"({result.format}, {result.method})")
        for warning in result.warnings:
            print(f"  warning: {warning}")
    return 1 if failed else 0


def _import_one(review, file, args):
    from tqdm import tqdm
    bar = None

    def progress(n: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(desc=f"storing {Path(file).name}", unit=" records", file=sys.stderr,
                       disable=None, leave=False)
        bar.update(n)

    try:
        return review.import_file(file, database=args.database, format=args.format,
                                  method=args.method, search_date=args.search_date,
                                  query=args.query, actor=args.reviewer, progress=progress)
    finally:
        if bar is not None:
            bar.close()


def cmd_parse(args) -> int:
    from .io import read_file
    loaded = read_file(args.file, args.format)
    parsed = loaded.parsed
    frame = parsed.frame(source_file=loaded.name)
    if args.json:
        if len(frame):
            sys.stdout.write(frame.drop(columns=["raw"]).to_json(
                orient="records", lines=True, force_ascii=False).rstrip("\n") + "\n")
        _print_json({"file": args.file, "format": parsed.format, "records": len(frame),
                     "warnings": [str(w) for w in parsed.warnings]})
        return 0
    print(f"{args.file}: {len(frame)} records, format {parsed.format}, encoding {parsed.encoding}")
    for row in frame.head(args.show).to_dict("records"):
        year, doi, title = _shown(row["year"]), _shown(row["doi"]), _shown(row["title"])
        year = f" ({year})" if year else ""
        doi = f" doi:{doi}" if doi else ""
        print(f"  {_shown(row['position']):>5}. {(title or '[no title]')[:90]}{year}{doi}")
    if len(frame) > args.show:
        print(f"  ... and {len(frame) - args.show} more")
    for warning in parsed.warnings:
        print(f"  warning: {warning}")
    return 0


def _shown(value) -> str:
    """A record's field as listed by `review parse`: '' when missing (None, NaN or pandas NA)."""
    import pandas as pd
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    return str(value)


def cmd_status(args) -> int:
    from .status import review_status, format_status
    from .project import open_review
    review = open_review(args.review)
    status = review_status(review)
    if args.json:
        _print_json(status)
    else:
        print(format_status(status))
    return 0


def cmd_export(args) -> int:
    from .export import TABLE_EXPORTS, export_records, export_review_table, records_for_export
    from .project import open_review
    review = open_review(args.review)
    if args.format in TABLE_EXPORTS:
        count = export_review_table(review, args.format, args.out, tool=args.tool)
        print(f"Wrote {count} rows to {args.out} ({args.format})")
        return 0
    frame = records_for_export(review.store, deduplicated=args.deduplicated,
                               reviewers_per_record=review.protocol.screening.reviewers_per_record)
    count = export_records(frame, args.format, args.out, protocol=review.protocol)
    print(f"Wrote {count} records to {args.out} ({args.format})")
    return 0


def cmd_dedup(args) -> int:
    from .dedup.decisions import record_pair_decision
    from .dedup.run import deduplicate_review, stored_result, unsure_pairs
    from .project import open_review
    from .store import current_user
    review = open_review(args.review)
    store = review.store
    reviewer = args.reviewer or current_user()
    for decision, pair in (("same", args.same), ("different", args.different)):
        if pair:
            known = set(store.records(with_raw=False)["record_id"])
            missing = [r for r in pair if r not in known]
            if missing:
                raise ReviewError(f"record {missing[0]} is not in the review; "
                                  f"`review export` lists the record ids")
            record_pair_decision(store, pair[0], pair[1], decision, reviewer)
            print(f"Recorded: records {pair[0]} and {pair[1]} are {decision} ({reviewer})")
    if args.explain is not None:
        result = stored_result(store)
        if result is None or args.explain not in result.clusters.index:
            summary, result = deduplicate_review(review, actor=reviewer)
        if args.explain not in result.clusters.index:
            raise ReviewError(f"record {args.explain} is not in the review")
        print(result.explain(args.explain))
        return 0
    if args.unsure:
        waiting = unsure_pairs(store)
        if args.json:
            for row in waiting.itertuples(index=False):
                _print_json({"record_a": row.record_a, "record_b": row.record_b,
                             "score": row.score, "rule": row.rule})
            return 0
        print(f"{len(waiting)} pair(s) wait for a reviewer")
        records = store.records(with_raw=False).set_index("record_id")
        for row in waiting.itertuples(index=False):
            print(f"  {row.record_a} ~ {row.record_b}  ({row.rule}; score {row.score:.3f})")
            for rid in (row.record_a, row.record_b):
                rec = records.loc[rid]
                print(f"      {rid}: {str(rec['title'])[:90]} [{rec['database']}]")
        return 0
    summary, _ = deduplicate_review(review, actor=reviewer)
    if args.json:
        _print_json(summary.to_dict())
        return 0
    print(f"{summary.records} records: {summary.unique} unique, "
          f"{summary.duplicates_removed} duplicates removed")
    for source in summary.sources:
        print(f"  {source.database} ({source.file}): {source.records} records, {source.new} new, "
              f"{source.duplicates_of_earlier} already found earlier, "
              f"{source.duplicates_within} duplicated within")
    if summary.reviewer_decisions:
        print(f"  {summary.reviewer_decisions} reviewer decision(s) on pairs applied")
    if summary.unsure_waiting:
        print(f"{summary.unsure_waiting} unsure pair(s) were not merged and wait for a reviewer: "
              f"`review dedup --review {args.review} --unsure`, or the widget in "
              f"notebooks/01_identify.ipynb")
    return 0


def cmd_update(args) -> int:
    from .project import open_review
    from .update import format_update, update_review
    review = open_review(args.review)
    summary = update_review(review, args.files, database=args.database,
                            search_date=args.search_date, actor=args.reviewer, echo=print)
    if args.json:
        _print_json(summary.to_dict())
        return 0
    print()
    print(format_update(summary), end="")
    print(f"Written to {', '.join(summary.written)}")
    if summary.new_works:
        print(f"Screen the {len(summary.new_works)} new work(s) in notebooks/02_screen.ipynb: the "
              f"queue holds only works without decisions, ranked by a model trained on every "
              f"earlier decision")
    return 0


def cmd_verify(args) -> int:
    from .project import open_review
    from .verify import format_verify, verify_review
    result = verify_review(open_review(args.review))
    if args.json:
        _print_json(result)
    else:
        print(format_verify(result))
    return 0 if result["ok"] else 1


def cmd_upgrade(args) -> int:
    from .project import SETTINGS_FILE, open_review
    from .store import SCHEMA_HEAD, Store
    import yaml
    folder = Path(args.review)
    settings_path = folder / SETTINGS_FILE
    if not settings_path.exists():
        raise ReviewError(f"{folder}: not a review folder (no {SETTINGS_FILE})")
    settings = yaml.safe_load(settings_path.read_text(encoding="utf-8")) or {}
    store = Store.for_folder(folder, settings.get("database_url"))
    before = store.schema_version()
    if before is None:
        raise ReviewError(f"{folder} holds no review store (run `review init` first)")
    if before == SCHEMA_HEAD:
        print(f"The review store is already at schema {SCHEMA_HEAD}; nothing to do")
        return 0
    events = store.event_count()
    from .protocol import load_protocol
    protocol = load_protocol(folder / "protocol.yaml", check_files=False)
    store.upgrade(reviewers_per_record=protocol.screening.reviewers_per_record)
    store.dispose()
    review = open_review(folder)  # stores the folder's protocol as the first version
    from .store.state import Needed
    review.store.rebuild_state(Needed.from_protocol(review.protocol))
    print(f"Upgraded the review store from schema {before} to {SCHEMA_HEAD}: {events} events "
          f"kept, {review.store.event_count() - events} added by the migration")
    return 0


def cmd_protocol(args) -> int:
    from .project import open_review
    review = open_review(args.review)
    if args.set:
        version = review.update_protocol(args.set, actor=args.reviewer)
        print(f"Protocol version {version} is now in force for everyone sharing this review")
        return 0
    print(f"Protocol version {review.protocol_version} is in force: {review.protocol.title}")
    if review.protocol_notice:
        print(review.protocol_notice)
    return 0


def cmd_simulate(args) -> int:
    from .screening.simulate_command import run
    return run(args)


def cmd_report(args) -> int:
    from .report.runner import EXECUTED_FOLDER, NotebookFailed, run_report
    try:
        result = run_report(args.review, args.out, notebooks_dir=args.notebooks,
                            parameters=dict(args.parameter or []), only=args.only,
                            log=lambda line: print(line, file=sys.stderr, flush=True),
                            jobs=args.jobs)
    except NotebookFailed as exc:
        print(f"review: error: {exc}", file=sys.stderr)
        print(f"  the notebook as far as it ran: {exc.executed}", file=sys.stderr)
        return 1
    print(f"Report written in {result.elapsed:.0f} s: figures in {result.figures_dir}, tables in "
          f"{result.tables_dir}, executed notebooks in {result.out_dir / EXECUTED_FOLDER}")
    return 0


def cmd_example(args) -> int:
    from .example import build_example
    from .status import format_status, review_status
    review = build_example(args.dir, protocol_dir=args.protocol_dir, force=args.force,
                           with_decisions=not args.without_decisions,
                           echo=print)
    print()
    print(format_status(review_status(review)))
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


# -- parser ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from .io.detect import FORMATS
    parser = argparse.ArgumentParser(
        prog="review",
        description="A systematic-review workbench: import search exports, deduplicate, screen, "
                    "extract and report, offline and reproducibly.")
    parser.add_argument("--version", action="version", version=f"review {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("init", help="start a review: a protocol to fill in, or a review from one",
                       description="Without --protocol: lay out DIR with a protocol template to "
                                   "fill in (protocol.yaml) and the notebooks (notebooks/). With "
                                   "--protocol: create the review in DIR: validate the protocol, "
                                   "copy it in, copy the notebooks if DIR has none, and create the "
                                   "store (SQLite in DIR, or --database-url).")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--protocol", metavar="FILE",
                   help="protocol.yaml to validate and copy (it may be DIR/protocol.yaml)")
    p.add_argument("--database-url", metavar="URL",
                   help="a PostgreSQL URL shared by a team (default: SQLite file in DIR; "
                        "the REVIEW_DATABASE_URL environment variable overrides both)")
    p.set_defaults(func=cmd_init)

    formats = ", ".join(FORMATS)
    p = sub.add_parser("import", help="import search exports into a review",
                       description="Import database exports or saved web pages. Each file is read "
                                   "whole and stored in one transaction: a bad file stores nothing. "
                                   "A file already imported (same SHA-256) is skipped.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--review", required=True, metavar="DIR")
    p.add_argument("--database", metavar="NAME",
                   help="database or source name (default: from the protocol's searches)")
    p.add_argument("--format", choices=list(FORMATS), help=f"force a format ({formats}); "
                   "by default it is detected from the content")
    p.add_argument("--method", choices=["database", "register", "website", "organisation",
                                        "citation_searching", "other"],
                   help="how the records were found (PRISMA: databases/registers or other methods)")
    p.add_argument("--search-date", metavar="YYYY-MM-DD")
    p.add_argument("--query", metavar="TEXT", help="the search string, if not in the protocol")
    p.add_argument("--reviewer", metavar="NAME", help="who imports (default: REVIEW_REVIEWER or login)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("parse", help="parse a file without storing it",
                       description="Parse FILE and show its records. With --json: one JSON object "
                                   "per record, then a last line {file, format, records, warnings}. "
                                   "Exit status 1 with a clear message on a bad file.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.add_argument("--format", choices=list(FORMATS))
    p.add_argument("--show", type=int, default=10, metavar="N", help="records to list (default 10)")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("status", help="records per database and what the review holds",
                       description="Show sources and records per database, and the store's schema.")
    p.add_argument("--review", required=True, metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("export", help="export records, decisions, extraction or risk of bias",
                       description="Export every record with its provenance, duplicate cluster and "
                                   "screening decisions (columns in CSV/XLSX, labelled N1 notes in "
                                   "RIS, label_included for ASReview); or the extracted data in "
                                   "long or wide form, or risk-of-bias judgements as robvis reads "
                                   "them (CSV, or XLSX when FILE ends in .xlsx). CSV/XLSX cells "
                                   "that a spreadsheet would run as formulas are neutralised.")
    p.add_argument("--review", required=True, metavar="DIR")
    p.add_argument("--format", required=True,
                   choices=["ris", "csv", "xlsx", "asreview", "extraction-long", "extraction-wide",
                            "robvis"],
                   help="asreview: CSV with label_included from the screening decisions; "
                        "extraction-long: one row per study, field and value; extraction-wide: "
                        "one row per study (and repeated group); robvis: Study, D1..Dn, Overall, "
                        "Weight")
    p.add_argument("--tool", choices=["SYRCLE", "RoB2", "ROBINS-I", "MISEV"],
                   help="with --format robvis: the appraisal tool (default: the protocol's)")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--deduplicated", action="store_true",
                   help="one merged record per duplicate cluster, listing every source it was "
                        "found in (default: every record, with its cluster and duplicate_of)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("dedup", help="find and merge duplicate records",
                       description="Cluster duplicate records: same DOI/PMID/PMCID first, then "
                                   "blocked fuzzy matching of title, authors, journal, year and "
                                   "pages. Records with different identifiers are never merged; "
                                   "unsure pairs wait for a reviewer. Reviewers' decisions are "
                                   "applied on every run.")
    p.add_argument("--review", required=True, metavar="DIR")
    p.add_argument("--explain", type=int, metavar="RECORD_ID",
                   help="show why a record was merged (rules and scores)")
    p.add_argument("--unsure", action="store_true", help="list unsure pairs waiting for a reviewer")
    p.add_argument("--same", type=int, nargs=2, metavar=("A", "B"),
                   help="record a reviewer's decision that records A and B are one record")
    p.add_argument("--different", type=int, nargs=2, metavar=("A", "B"),
                   help="record a reviewer's decision that records A and B are different")
    p.add_argument("--reviewer", metavar="NAME", help="who decides (default: REVIEW_REVIEWER or login)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    p.set_defaults(func=cmd_dedup)

    from .screening.simulate_command import configure_parser
    p = sub.add_parser("update", help="import an update search and report what changed",
                       description="Import the exports of an update search, deduplicate them against "
                                   "the works already in the review (copies of screened works keep "
                                   "their decisions) and write a what-changed summary to "
                                   "DIR/updates/.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--review", required=True, metavar="DIR")
    p.add_argument("--database", metavar="NAME",
                   help="database the files come from (default: named by the protocol or the format)")
    p.add_argument("--search-date", metavar="YYYY-MM-DD", help="when the update search was run")
    p.add_argument("--reviewer", metavar="NAME", help="who imports (default: REVIEW_REVIEWER or login)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    p.set_defaults(func=cmd_update)

    p = sub.add_parser("verify", help="check the store: state rebuilt from the log, orphans, PRISMA",
                       description="Rebuild the current state from the event log and compare it "
                                   "with the stored state, check that every decision, value and "
                                   "judgement belongs to an existing work or study, check the "
                                   "PRISMA arithmetic, and list works that need a reviewer "
                                   "after a merge, split or new import. Exit status 1 when not ok.")
    p.add_argument("--review", required=True, metavar="DIR")
    p.add_argument("--json", action="store_true",
                   help='print one JSON line: {"ok", "events", "orphaned", "state_matches_log", '
                        '"attention", "problems"}')
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("upgrade", help="migrate a review store to this version's schema",
                       description="Migrate the review store to the schema this version expects, "
                                   "keeping every event; the current state is rebuilt from the log.")
    p.add_argument("--review", required=True, metavar="DIR")
    p.set_defaults(func=cmd_upgrade)

    p = sub.add_parser("protocol", help="show or change the protocol the team works to",
                       description="The protocol lives in the review store, versioned, so a team "
                                   "sharing a store works to one protocol. Without --set, show "
                                   "the version in force.")
    p.add_argument("--review", required=True, metavar="DIR")
    p.add_argument("--set", metavar="FILE", help="validate FILE and make it the new version")
    p.add_argument("--reviewer", metavar="NAME", help="who changes it (default: your user name)")
    p.set_defaults(func=cmd_protocol)

    p = sub.add_parser("simulate", help="replay a labelled dataset through the prioritiser",
                       description="Screen a labelled CSV (title, abstract, label_included) as if "
                                   "a reviewer followed the prioritiser's order, and report records "
                                   "screened to 95 % and 100 % recall (priors counted), WSS@95 and "
                                   "recall after 10 %. With --json the last line is one JSON object.")
    configure_parser(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("report", help="run the report notebooks: PRISMA, evidence tables, figures, "
                                      "meta-analysis",
                       description="Run the report notebooks on a review with papermill, in order "
                                   "(01_identify, 10_prisma, 11_evidence_tables, 12_figures, "
                                   "13_meta_analysis). Figures go to OUT/figures, tables to "
                                   "OUT/tables, executed notebooks to OUT/executed. A parameter a "
                                   "notebook does not declare is refused before anything runs; a "
                                   "failing cell is named with its notebook.")
    p.add_argument("--review", required=True, metavar="DIR")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default: DIR/report); `--out .` in a checkout writes "
                        "./figures and ./tables")
    p.add_argument("--only", nargs="+", action="extend", metavar="NAME",
                   help="run only these notebooks (names as above), still in report order")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="a notebook parameter, repeatable: NAME for every notebook run, "
                        "NOTEBOOK.NAME for one (-p 01_identify.deduplicate false); the value is "
                        "converted to the type the notebook declares")
    p.add_argument("--notebooks", metavar="DIR",
                   help="folder holding the report notebooks (default: the notebooks installed "
                        "with review, notebooks/ of a checkout)")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="kernels run at once, each taking the next notebook when free, its namespace "
                        "cleared before each (default: one per core)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("example", help="build the worked example review (NK-cell exosomes)",
                       description="Build the worked example review into DIR from its raw database "
                                   "exports and other-methods pages (protocols/nk-exosomes).")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--force", action="store_true", help="replace DIR if it already holds a review")
    p.add_argument("--without-decisions", action="store_true",
                   help="leave the screening decisions out, to screen the example yourself")
    p.add_argument("--protocol-dir", metavar="DIR", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_example)

    p = sub.add_parser("app", help="serve the review's widgets as web pages (Voila), one per task",
                       description="Serve the review's screens as web pages, one per task "
                                   "(duplicates, screening, conflicts, extraction, risk of bias, "
                                   "status), for reviewers who never touch code. Binds "
                                   "127.0.0.1 unless --ip says otherwise.")
    p.add_argument("--review", required=True, metavar="DIR")
    p.add_argument("--port", type=int, default=8866, metavar="N", help="port (default 8866)")
    p.add_argument("--ip", default="127.0.0.1", metavar="ADDRESS",
                   help="address to listen on (default 127.0.0.1: this machine only; another "
                        "address adds a token to the page's address)")
    p.set_defaults(func=cmd_app)
    return parser


def cmd_app(args) -> int:
    from .app import serve
    return serve(args.review, port=args.port, ip=args.ip)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ReviewError as exc:
        print(f"review: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file or folder named on the command line: unreadable, unwritable
        if isinstance(exc, BrokenPipeError):
            return 0
        where = exc.filename or "a file"
        print(f"review: error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        from sqlalchemy.exc import DBAPIError
        if not isinstance(exc, DBAPIError):
            raise
        from .store.faults import store_failure
        print(f"review: error: {store_failure(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("review: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
