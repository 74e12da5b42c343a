"""The `review simulate` command's arguments and output. Kept apart from `simulate.py` so that
building the command-line parser imports neither scikit-learn nor pandas."""
from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["configure_parser", "run"]


class _Rows(argparse.Action):
    """`--prior-included 3 --prior-included 7` and `--prior-included 3 7` both give [3, 7]."""

    def __call__(self, parser, namespace, values, option_string=None):
        rows = list(getattr(namespace, self.dest, None) or [])
        setattr(namespace, self.dest, rows + list(values))


def configure_parser(p: argparse.ArgumentParser) -> None:
    """Arguments of `review simulate`."""
    p.add_argument("data", metavar="DATA",
                   help="labelled CSV with title, abstract and label_included (0/1)")
    p.add_argument("--seed", type=int, required=True,
                   help="seed for the priors drawn when not given and for random order")
    p.add_argument("--prior-included", type=int, nargs="+", action=_Rows, default=None,
                   metavar="ROW", help="0-based row(s) of included records to start from")
    p.add_argument("--prior-excluded", type=int, nargs="+", action=_Rows, default=None,
                   metavar="ROW", help="0-based row(s) of excluded records to start from")
    from .models import DEFAULT_MODEL, model_names
    p.add_argument("--model", default=DEFAULT_MODEL, choices=model_names(), metavar="NAME",
                   help=f"prioritisation model: {', '.join(model_names())} (default "
                        f"{DEFAULT_MODEL}; elas-u4 orders records as ASReview LAB's default does)")
    p.add_argument("--json", action="store_true", help="end with the figures as one JSON line")


def run(args) -> int:
    """Simulate, print a summary, and with --json the figures as the last line."""
    from .models import DEFAULT_MODEL, describe
    from .simulate import load_labelled_csv, simulate
    frame = load_labelled_csv(args.data)
    model = getattr(args, "model", None) or DEFAULT_MODEL
    result = simulate(frame, args.seed, getattr(args, "prior_included", None),
                      getattr(args, "prior_excluded", None), model=model)
    r = result
    print(f"{Path(args.data).name}: {r.n_records} records, {r.n_relevant} relevant; "
          f"priors included {r.prior_included}, excluded {r.prior_excluded} (seed {args.seed})")
    print(f"  model {model}: {describe(model)}")
    print(f"  95 % of relevant found after {r.records_to_95pct_recall} records "
          f"({r.records_to_95pct_recall / r.n_records:.1%}), all after "
          f"{r.records_to_100pct_recall} ({r.records_to_100pct_recall / r.n_records:.1%})")
    print(f"  WSS@95 {r.wss95:.3f}, recall after 10 % screened {r.recall_at_10pct:.1%}, "
          f"{r.seconds:.1f} s")
    if getattr(args, "json", False):
        print(result.to_json())
    return 0
