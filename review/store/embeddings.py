"""The store's cache of sentence embeddings (`record_embeddings`): vectors the AI order computed
from each record's title and abstract, kept so that a record is embedded once. Derived data, not
review state: reading and writing it writes no event, and `review verify` ignores it."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import sqlalchemy as sa

from .schema import record_embeddings

__all__ = ["EmbeddingsMixin"]

#: Records per statement when replacing vectors (bound parameters; well under SQLite's limit).
_CHUNK = 500


class EmbeddingsMixin:
    def cached_embeddings(self, model: str, text_hashes: Mapping[int, str],
                          dimensions: int) -> dict[int, np.ndarray]:
        """Record id -> float32 vector, for the records in `text_hashes` whose stored vector
        the named model made from the text with that SHA-256 (a changed text is not returned)."""
        query = sa.select(record_embeddings.c.record_id, record_embeddings.c.text_sha256,
                          record_embeddings.c.vector).where(record_embeddings.c.model == model)
        size = dimensions * 4
        found: dict[int, np.ndarray] = {}
        with self.engine.connect() as connection:
            for record_id, text_sha256, vector in connection.execute(query):
                if text_hashes.get(record_id) == text_sha256 and len(vector) == size:
                    found[int(record_id)] = np.frombuffer(vector, dtype=np.float32)
        return found

    def keep_embeddings(self, model: str, vectors: Iterable[tuple[int, str, np.ndarray]]) -> int:
        """Store (record id, text SHA-256, vector) triples made by the named model, replacing
        what was stored for those records; one short transaction, no event. Returns the count."""
        rows = [{"record_id": int(r), "model": model, "text_sha256": h,
                 "vector": np.ascontiguousarray(v, dtype=np.float32).tobytes()}
                for r, h, v in vectors]
        if not rows:
            return 0
        with self._write() as connection:
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start:start + _CHUNK]
                connection.execute(record_embeddings.delete().where(
                    record_embeddings.c.model == model,
                    record_embeddings.c.record_id.in_([r["record_id"] for r in chunk])))
                connection.execute(record_embeddings.insert(), chunk)
        return len(rows)

    def forget_embeddings(self, model: str | None = None) -> None:
        """Empty the cache (of one model's vectors, or all); they are recomputed when needed."""
        query = record_embeddings.delete()
        if model is not None:
            query = query.where(record_embeddings.c.model == model)
        with self._write() as connection:
            connection.execute(query)
