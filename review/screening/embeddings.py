"""Meaning, not just words: a fixed-size vector per record from a small sentence-embedding model
whose weights ship inside a package on PyPI, so that nothing is downloaded at run time.

The model is WordLlama's `l2_supercat` (MIT licence; `wordllama==0.4.0.post1`, a 19 MB wheel with
its 16 MB of weights and its tokenizer inside; a fresh install of it with what it pulls in that
the project did not have already, `tokenizers`, `safetensors`, `huggingface-hub`, `hf-xet` and
smaller, adds about 71 MB). It averages token embeddings distilled from a large language model: about 0.6 ms
of CPU per record (texts sorted by length within a block), so 50,000 records take about half a
minute of CPU; a screening session computes them on its background thread a block at a time
(`review.screening.meaning`), reporting progress.

WordLlama's own loader looks for its tokenizer in a folder it misspells and then tries the
internet; `load_model` reads both files from the installed package instead, offline."""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["MODEL_NAME", "DIMENSIONS", "load_model", "embed", "EmbeddingsUnavailable", "Embedder",
           "EMBEDDERS", "embedder"]

#: Which model made a vector: stored beside the vectors so that a model change recomputes them.
MODEL_NAME = "wordllama-0.4.0.post1/l2_supercat_256"
DIMENSIONS = 256
#: Records per block: progress is reported after each, and a screening session's background
#: thread ranks newer decisions between two blocks (a block is about 0.25 s of CPU).
BLOCK = 500

_MODEL = None
_LOCK = threading.Lock()


class EmbeddingsUnavailable(RuntimeError):
    """The embedding model is not installed or its files are missing."""


def load_model():
    """The WordLlama model from the files inside the installed package (loaded once)."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            try:
                import wordllama
                from safetensors import safe_open
                from tokenizers import Tokenizer
                from wordllama.inference import WordLlamaInference
            except ImportError as exc:
                raise EmbeddingsUnavailable(
                    "the embedding model's package is not installed (pip install "
                    "wordllama==0.4.0.post1)") from exc
            base = Path(wordllama.__file__).parent
            tokenizer_file = base / "tokenizers" / "l2_supercat_tokenizer_config.json"
            weights_file = base / "weights" / "l2_supercat_256.safetensors"
            for needed in (tokenizer_file, weights_file):
                if not needed.is_file():
                    raise EmbeddingsUnavailable(f"the embedding model's file {needed} is missing")
            with safe_open(str(weights_file), framework="np", device="cpu") as f:
                weights = f.get_tensor("embedding.weight")
            _MODEL = WordLlamaInference(weights, Tokenizer.from_file(str(tokenizer_file)))
        return _MODEL


def embed(texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (an empty text gives a row of zeros);
    `progress(done, total)` is called after each block."""
    model = load_model()
    texts = ["" if t is None else str(t) for t in texts]
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(texts), BLOCK):
        block = texts[start:start + BLOCK]
        # shortest first: WordLlama pads each batch of 64 to its longest text, so batches of
        # like lengths do a third of the work (the vectors are the same, padding is masked)
        filled = sorted((i for i, t in enumerate(block) if t.strip()), key=lambda i: len(block[i]))
        if filled:
            vectors = np.asarray(model.embed([block[i] for i in filled], norm=True),
                                 dtype=np.float32)
            out[start + np.asarray(filled, dtype=np.int64)] = np.nan_to_num(vectors)
        if progress is not None:
            progress(min(start + BLOCK, len(texts)), len(texts))
    return out


@dataclass(frozen=True)
class Embedder:
    """A sentence-embedding model as the AI order uses it: `model_name` is stored beside its
    vectors; `block` records are embedded per background step, a few seconds' work at most, so
    that newer decisions are ranked between two blocks."""

    name: str
    model_name: str
    dimensions: int
    block: int
    embed: Callable[..., np.ndarray]


def _minilm(texts, progress=None):
    from . import minilm
    return minilm.embed(texts, progress)


#: The embedding models a prioritisation model may read, by the name `Prioritiser` takes.
EMBEDDERS = {
    "wordllama": Embedder("wordllama", MODEL_NAME, DIMENSIONS, BLOCK, embed),
    # all-MiniLM-L6-v2's constants, written out so that naming it does not import its module
    "minilm": Embedder("minilm", "all-MiniLM-L6-v2/256", 384, 32, _minilm),
}


def embedder(name: str) -> Embedder:
    try:
        return EMBEDDERS[name]
    except KeyError:
        raise ValueError(f"unknown embedding model {name!r}; choose one of "
                         f"{', '.join(EMBEDDERS)}") from None
