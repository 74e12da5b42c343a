"""Review and store administration: init, example, verify, upgrade, protocol, app."""
from __future__ import annotations

from pathlib import Path

from ..errors import ReviewError
from . import _print_json


def cmd_init(args) -> int:
    from ..project import init_review
    from ..start import copy_notebooks, start_review
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


def cmd_verify(args) -> int:
    from ..project import open_review
    from ..verify import format_verify, verify_review
    result = verify_review(open_review(args.review))
    if args.json:
        _print_json(result)
    else:
        print(format_verify(result))
    return 0 if result["ok"] else 1


def cmd_upgrade(args) -> int:
    from ..project import SETTINGS_FILE, open_review
    from ..store import SCHEMA_HEAD, Store
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
    from ..protocol import load_protocol
    protocol = load_protocol(folder / "protocol.yaml", check_files=False)
    store.upgrade(reviewers_per_record=protocol.screening.reviewers_per_record)
    store.dispose()
    review = open_review(folder)  # stores the folder's protocol as the first version
    from ..store.state import Needed
    review.store.rebuild_state(Needed.from_protocol(review.protocol))
    print(f"Upgraded the review store from schema {before} to {SCHEMA_HEAD}: {events} events "
          f"kept, {review.store.event_count() - events} added by the migration")
    return 0


def cmd_protocol(args) -> int:
    from ..project import open_review
    review = open_review(args.review)
    if args.set:
        version = review.update_protocol(args.set, actor=args.reviewer)
        print(f"Protocol version {version} is now in force for everyone sharing this review")
        return 0
    print(f"Protocol version {review.protocol_version} is in force: {review.protocol.title}")
    if review.protocol_notice:
        print(review.protocol_notice)
    return 0


def cmd_example(args) -> int:
    from ..example import build_example
    from ..status import format_status, review_status
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


def cmd_app(args) -> int:
    from ..app import serve
    return serve(args.review, port=args.port, ip=args.ip)
