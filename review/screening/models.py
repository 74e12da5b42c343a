"""The prioritisation models a reviewer (or `review simulate --model`) may choose, by name.

Every model is the same `Prioritiser` with different opinions switched on, so that they share
one tested code path:

- ``elas-u4``: ASReview LAB's default model ("ELAS u4"): TF-IDF of words and word pairs, a linear
  SVM with class weights, the record with the highest score next ("max" query). Offered so that
  a review can be screened, or a simulation reproduced, exactly as ASReview would order it.
- ``fused``: that SVM, a second one over four-character pieces of words, and each record's
  similarity to its nearest include, their ranks among the undecided records averaged with
  weights 1, 0.9 and 0.5 (weights an earlier version chose on the benchmark's own datasets).
- ``words+nearest``: the word SVM and the nearest include (weights 1 and 0.5), without the
  character SVM (half the work of an update).

Which of them the project uses by default (`DEFAULT_MODEL`) is chosen by cross-validation across
labelled reviews in benchmarks/screening_simulation.py: leave one review out, choose the model
that needs the fewest records to 95 % recall on the others, measure it on the one left out."""
from __future__ import annotations

from collections.abc import Sequence

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line lists the names without importing scikit-learn
    from .prioritise import Prioritiser

__all__ = ["MODELS", "DEFAULT_MODEL", "model_names", "make_prioritiser", "describe"]

#: Name -> keyword arguments of `Prioritiser`.
MODELS: dict[str, dict] = {
    "elas-u4": {"char_weight": 0.0, "nearest_weight": 0.0},
    "fused": {"char_weight": 0.9, "nearest_weight": 0.5},
    "words+nearest": {"char_weight": 0.0, "nearest_weight": 0.5},
}

_DESCRIPTIONS = {
    "elas-u4": "ASReview LAB's default (ELAS u4): linear SVM over words and word pairs",
    "fused": "SVMs over words and over word pieces, and similarity to the nearest include",
    "words+nearest": "linear SVM over words and word pairs, and similarity to the nearest include",
}

#: The model a screening session uses unless told otherwise.
DEFAULT_MODEL = "fused"


def model_names() -> list[str]:
    return list(MODELS)


def describe(name: str) -> str:
    return _DESCRIPTIONS[_check(name)]


def _check(name: str) -> str:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return name


def make_prioritiser(texts: Sequence[str], ids: Sequence | None = None, *, model: str = DEFAULT_MODEL,
                     seed: int = 0) -> "Prioritiser":
    """A prioritiser for the named model."""
    from .prioritise import Prioritiser
    return Prioritiser(texts, ids, seed=seed, **MODELS[_check(model)])
