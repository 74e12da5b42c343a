"""Output commands: export records and tables, run the report notebooks, simulate screening."""
from __future__ import annotations

import sys


def cmd_export(args) -> int:
    from ..export import TABLE_EXPORTS, export_records, export_review_table, records_for_export
    from ..project import open_review
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


def cmd_simulate(args) -> int:
    from ..screening.simulate_command import run
    return run(args)


def cmd_report(args) -> int:
    from ..report.runner import EXECUTED_FOLDER, NotebookFailed, run_report
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
