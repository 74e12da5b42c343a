"""Identification commands: import and parse search exports, deduplicate, update, status."""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import ReviewError
from . import _print_json


def cmd_import(args) -> int:
    from ..project import open_review
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
    from ..io import read_file
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
    from ..status import review_status, format_status
    from ..project import open_review
    review = open_review(args.review)
    status = review_status(review)
    if args.json:
        _print_json(status)
    else:
        print(format_status(status))
    return 0


def cmd_dedup(args) -> int:
    from ..dedup.decisions import record_pair_decision
    from ..dedup.run import deduplicate_review, stored_result, unsure_pairs
    from ..project import open_review
    from ..store import current_user
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
    from ..project import open_review
    from ..update import format_update, update_review
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
