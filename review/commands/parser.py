"""The argument parser of the `review` command: every subcommand, its options and help."""
from __future__ import annotations

import argparse

from .. import __version__
from .admin import cmd_app, cmd_example, cmd_init, cmd_protocol, cmd_upgrade, cmd_verify
from .identify import cmd_dedup, cmd_import, cmd_parse, cmd_status, cmd_update
from .reporting import cmd_export, cmd_report, cmd_simulate


def build_parser() -> argparse.ArgumentParser:
    from ..io.detect import FORMATS
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

    from ..screening.simulate_command import configure_parser
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
