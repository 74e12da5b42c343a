"""The prioritisation models a reviewer (or `review simulate --model`) may choose, by name.

Every model is the same `Prioritiser` with different opinions switched on, so that they share
one tested code path:

- ``elas-u4``: ASReview LAB's default model ("ELAS u4"): TF-IDF of words and word pairs, a linear
  SVM with class weights, the record with the highest score next ("max" query). Offered so that
  a review can be screened, or a simulation reproduced, exactly as ASReview would order it.
- ``fused``: that SVM, a second one over four-character pieces of words, and each record's
  similarity to its nearest include, their ranks among the undecided records averaged with
  weights 1, 0.9 and 0.5. These weights are themselves chosen by the benchmark's
  cross-validation (`--weight-grid`: 30 pairs, best on all 19 reviews in sample, chosen in 15
  of the 19 leave-one-review-out folds among the models that read words only). The default:
  it meets every speed target at 50,000 records.
- ``words+nearest``: the word SVM and the nearest include (weights 1 and 0.5), without the
  character SVM (half the work of an update).
- ``fused+meaning``: ``fused`` and a fourth opinion, a linear SVM over each record's sentence
  embedding (`review.screening.embeddings`: meaning rather than words; weight 0.25), so that a
  relevant record worded unlike the includes so far can still rise.
- ``fused+minilm-nearest``: ``fused`` and a fourth opinion from a transformer's reading of each
  record (all-MiniLM-L6-v2, `review.screening.minilm`): its highest cosine similarity to an
  include (weight 0.25). The strongest model in the benchmark (0.931 times ASReview's records
  to 95 % recall in sample, chosen in most leave-one-review-out folds), but its embeddings take
  about 12 records a second of the background thread (3 minutes at 2,000 records, over an hour
  at 50,000), so it is offered rather than the default.

They are compared by cross-validation across labelled reviews in
benchmarks/screening_simulation.py: leave one review out, choose the model that needs the fewest
records to 95 % recall on the others, measure it on the one left out. The default
(`DEFAULT_MODEL`) is the best of those that also meet the speed targets at 50,000 records."""
from __future__ import annotations

from collections.abc import Sequence

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line lists the names without importing scikit-learn
    from .prioritise import Prioritiser

__all__ = ["MODELS", "DEFAULT_MODEL", "model_names", "make_prioritiser", "describe", "reads_meaning",
           "settings_read_meaning", "methods_words"]

#: Name -> keyword arguments of `Prioritiser`.
MODELS: dict[str, dict] = {
    "elas-u4": {"char_weight": 0.0, "nearest_weight": 0.0},
    "fused": {"char_weight": 0.9, "nearest_weight": 0.5},
    "words+nearest": {"char_weight": 0.0, "nearest_weight": 0.5},
    "fused+meaning": {"char_weight": 0.9, "nearest_weight": 0.5, "embed_weight": 0.25},
    "fused+minilm-nearest": {"char_weight": 0.9, "nearest_weight": 0.5, "embedder": "minilm",
                             "meaning_nearest_weight": 0.25},
}

_DESCRIPTIONS = {
    "elas-u4": "ASReview LAB's default (ELAS u4): linear SVM over words and word pairs",
    "fused": "SVMs over words and over word pieces, and similarity to the nearest include",
    "words+nearest": "linear SVM over words and word pairs, and similarity to the nearest include",
    "fused+meaning": "fused, and a linear SVM over sentence embeddings of title and abstract",
    "fused+minilm-nearest": "fused, and similarity to the nearest include as a transformer "
                            "(all-MiniLM-L6-v2) reads title and abstract",
}

#: How the methods section of a report describes each model (after "an active-learning
#: prioritiser (software: ...").
_METHODS = {
    "elas-u4": "a linear support vector machine over words and word pairs, ASReview LAB's "
               "default model ELAS u4",
    "fused": "linear support vector machines over words and character 4-grams with a "
             "nearest-include similarity",
    "words+nearest": "a linear support vector machine over words and word pairs with a "
                     "nearest-include similarity",
    "fused+meaning": "linear support vector machines over words, character 4-grams and "
                     "sentence embeddings of title and abstract (WordLlama l2_supercat) with a "
                     "nearest-include similarity",
    "fused+minilm-nearest": "linear support vector machines over words and character 4-grams "
                            "with nearest-include similarities over the words and over "
                            "sentence embeddings of title and abstract (all-MiniLM-L6-v2)",
}

#: The model a screening session uses unless told otherwise.
DEFAULT_MODEL = "fused"


def model_names() -> list[str]:
    return list(MODELS)


def describe(name: str) -> str:
    return _DESCRIPTIONS[_check(name)]


def methods_words(name: str) -> str:
    """The named model as a report's methods section describes it."""
    return _METHODS[_check(name)]


def _check(name: str) -> str:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return name


def make_prioritiser(texts: Sequence[str], ids: Sequence | None = None, *, model: str = DEFAULT_MODEL,
                     seed: int = 0, embeddings=None, embedding_cache=None) -> "Prioritiser":
    """A prioritiser for the named model; `embeddings` (one row per text) saves computing them
    for a model that reads meaning, and `embedding_cache` (a `Store`) keeps those it computes."""
    from .prioritise import Prioritiser
    settings = MODELS[_check(model)]
    if not reads_meaning(model):
        embeddings = embedding_cache = None
    return Prioritiser(texts, ids, seed=seed, embeddings=embeddings,
                       embedding_cache=embedding_cache, **settings)


def reads_meaning(name: str) -> bool:
    """Whether the named model needs sentence embeddings of the records."""
    return settings_read_meaning(MODELS[_check(name)])


def settings_read_meaning(settings: dict) -> bool:
    """Whether these `Prioritiser` settings weigh an opinion from the records' embeddings."""
    return bool(settings.get("embed_weight") or settings.get("meaning_nearest_weight"))
