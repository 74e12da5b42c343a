"""The records' meaning for the AI order: a sentence embedding of each record's title and
abstract (`review.screening.embeddings`), worked out a block at a time, so that the background
thread can rank newer decisions between two blocks and say how far it has got, and kept in the
review's store, so that a record is embedded once, and again only when its text changes.

The store is reached through two of its methods (`cached_embeddings`, `keep_embeddings`); a
store that cannot take the vectors (busy, read-only) costs only their recomputation next time."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence

import numpy as np

from .embeddings import Embedder, embedder

__all__ = ["EmbeddingJob", "text_hash"]

log = logging.getLogger(__name__)


def text_hash(text: str) -> str:
    """The SHA-256 of the text embedded: a stored vector is used only for the same text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingJob:
    """Embeddings of `texts` (one per record id in `ids`) by the named `model` (an `Embedder` of
    `review.screening.embeddings.EMBEDDERS`), from `cache` (a `Store`) where it holds them for
    the same text, the rest computed a block of records per `step()` and stored.

    `done` and `total` count records (those read from the cache are done at the first step);
    `vectors` holds one unit-length float32 row per record once `finished`."""

    def __init__(self, ids: Sequence, texts: Sequence[str], cache=None, model: str = "wordllama"):
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        self.ids = [int(i) for i in ids] if cache is not None else list(ids)
        self._texts: Sequence[str] | None = texts
        self.cache = cache
        self.model: Embedder = embedder(model)
        self.total = len(texts)
        self.done = 0
        self.from_cache = 0
        self.vectors: np.ndarray | None = None
        self._hashes: list[str] | None = None
        self._todo: list[int] | None = None  # rows still to embed, once the cache is read

    @property
    def finished(self) -> bool:
        return self._todo is not None and not self._todo

    def step(self) -> bool:
        """Read the cache (the first step) or embed and store the next block; True when every
        record has its vector."""
        if self._todo is None:
            self._start()
        elif self._todo:
            block = self.model.block
            rows, self._todo = self._todo[:block], self._todo[block:]
            vectors = self.model.embed([self._texts[r] for r in rows])
            self.vectors[rows] = vectors
            self._keep(rows, vectors)
            self.done += len(rows)
        if self.finished:
            self._texts = self._hashes = None
        return self.finished

    def run(self, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Every step at once (simulations, scripts); `progress(done, total)` after each."""
        while not self.step():
            if progress is not None:
                progress(self.done, self.total)
        if progress is not None:
            progress(self.done, self.total)
        return self.vectors

    def _start(self) -> None:
        self.vectors = np.zeros((self.total, self.model.dimensions), dtype=np.float32)
        found = {}
        if self.cache is not None:
            self._hashes = [text_hash(t) for t in self._texts]
            try:
                found = self.cache.cached_embeddings(self.model.model_name,
                                                     dict(zip(self.ids, self._hashes)),
                                                     self.model.dimensions)
            except Exception as exc:  # noqa: BLE001 - the store cannot be read now: compute all
                log.warning("the stored embeddings could not be read: %s", exc)
        todo = []
        for row, record_id in enumerate(self.ids):
            vector = found.get(record_id)
            if vector is None:
                todo.append(row)
            else:
                self.vectors[row] = vector
        self.from_cache = self.done = self.total - len(todo)
        self._todo = todo

    def _keep(self, rows: list[int], vectors: np.ndarray) -> None:
        if self.cache is None:
            return
        try:
            self.cache.keep_embeddings(self.model.model_name,
                                       ((self.ids[r], self._hashes[r], v)
                                        for r, v in zip(rows, vectors)))
        except Exception as exc:  # noqa: BLE001 - busy or read-only: used now, recomputed later
            log.warning("embeddings of %d records not kept in the store: %s", len(rows), exc)
