"""AI prioritisation for title/abstract screening: show the records most likely relevant first.

The words of every record are weighed once (TF-IDF over the whole set), so that learning from a
new decision only refits small models; a background thread does that refit, so a reviewer never
waits for the model. Until there is at least one include and one exclude there is nothing to
learn from, and records come in a seeded random order.

When screening may stop is the concern of `review.screening.stopping`."""
from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from ..threads import lower_thread_priority

__all__ = ["Prioritiser", "BackgroundPrioritiser", "Ranking", "record_text"]

RANDOM, MODEL = "random", "model"


def record_text(title: object, abstract: object) -> str:
    """The text the model reads: title and abstract; a missing part is simply left out."""
    parts = [str(p).strip() for p in (title, abstract)
             if p is not None and not (isinstance(p, float) and math.isnan(p))]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True, eq=False)
class Ranking:
    """The undecided records, most likely relevant first.

    `scores` run 0-1 (higher = more likely relevant; a ranking score, not a calibrated
    probability) and are NaN while the order is random (`method == "random"`)."""

    ids: np.ndarray
    scores: np.ndarray
    method: str
    n_decided: int
    version: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def first(self, n: int = 1) -> list:
        """The next `n` records to screen."""
        return self.ids[:n].tolist()

    def score_of(self) -> dict | None:
        """Record id -> score, or None while there is no model yet."""
        return self._score_map if self.method == MODEL else None

    @cached_property
    def _score_map(self) -> dict:  # built once per ranking: the screen asks at every click
        return dict(zip(self.ids.tolist(), self.scores.tolist()))


class Prioritiser:
    """Ranks undecided records by estimated relevance from the decisions made so far.

    Three opinions, refitted on every update, each biased differently:

    - a linear SVM over words and word pairs (TF-IDF, sublinear tf, fitted once on all records;
      C=0.11, all includes together weigh `include_weight` times the excludes): ASReview LAB's
      default ELAS u4, strong while the relevant records look alike;
    - the same SVM over four-character pieces of words, which sees that "beta-blocker",
      "betablockers" and "metoprolol"/"propranolol" share something the word model treats as
      unrelated (spelling variants, stems, drug and gene names);
    - the nearest include: a record's highest cosine similarity to any include, which finds
      the close relatives of a relevant record that the linear models average away.

    Each opinion ranks the undecided records; the screening order follows a weighted mean of
    the ranks (word SVM 1, character SVM `char_weight`, nearest include `nearest_weight`), so
    that one opinion alone cannot push records up or bury them, and rank means need no
    calibration between such different scores. In benchmarks/screening_simulation.py (19
    labelled datasets, seeds 1-3, ASReview's priors) these weights are the best of 30 pairs on
    all the datasets (0.947 times ASReview's records to 95 % recall); see the README.

    Opinions from the records' meaning may join them, from sentence embeddings (`embedder`
    names the model of `review.screening.embeddings.EMBEDDERS`, computed on first use or given):
    a linear SVM over the embeddings (`embed_weight`) and the nearest include in meaning
    (`meaning_nearest_weight`), the latter the strongest addition the benchmark found (0.931
    with all-MiniLM-L6-v2; chosen by leaving one review out, 0.943 on the review left out).
    `review.screening.models` names this and the other configurations.

    Beyond `max_trained` decisions the models learn from a sample of them, so that an update
    stays fast late in large reviews. The character features are built at the first model
    update, not when a review is opened; with `defer_char_features` (as a screening session's
    BackgroundPrioritiser sets it) that first update ranks without them, so that a large review
    gets a model's order in a second or two rather than after the half-minute their building
    takes at 50,000 records, and the background thread builds them just after."""

    def __init__(self, texts: Sequence[str], ids: Sequence | None = None, *, seed: int = 0,
                 C: float = 0.11, include_weight: float = 9.8, char_weight: float = 0.9,
                 nearest_weight: float = 0.5, embed_weight: float = 0.0, embed_C: float = 1.0,
                 meaning_nearest_weight: float = 0.0, embedder: str = "wordllama",
                 embeddings: np.ndarray | None = None, embedding_cache=None,
                 max_trained: int = 1_500):
        texts = ["" if t is None else str(t) for t in texts]
        if not texts:
            raise ValueError("a prioritiser needs at least one record")
        self.ids = np.asarray(list(range(len(texts))) if ids is None else list(ids))
        if len(self.ids) != len(texts):
            raise ValueError(f"{len(self.ids)} ids for {len(texts)} texts")
        self._row = {k: i for i, k in enumerate(self.ids.tolist())}
        if len(self._row) != len(self.ids):
            raise ValueError("record ids must be unique")
        self.seed, self.C, self.include_weight = seed, C, include_weight
        self.char_weight, self.nearest_weight = char_weight, nearest_weight
        self.embed_weight, self.embed_C = embed_weight, embed_C
        #: The nearest include in meaning: a record's highest cosine similarity to an include,
        #: between embeddings (`embedder` names the model of `review.screening.embeddings`).
        self.meaning_nearest_weight, self.embedder = meaning_nearest_weight, embedder
        self._meaning_nearest: _NearestInclude | None = None
        self.max_trained = max_trained
        if embeddings is not None and len(embeddings) != len(texts):
            raise ValueError(f"{len(embeddings)} embeddings for {len(texts)} texts")
        self._embeddings: np.ndarray | None = embeddings
        self.on_embedding_progress = None  # called with (done, total) while embedding
        #: Where computed embeddings are kept and looked up (a `Store`; None: nowhere).
        self.embedding_cache = embedding_cache
        self._texts: list[str] | None = texts
        self._features: sparse.csr_matrix | None = None
        self._nearest: _NearestInclude | None = None
        self._char_features: sparse.csr_matrix | None = None
        self._char_halves: tuple[sparse.csr_matrix, sparse.csr_matrix] | None = None
        self._last_scores: np.ndarray | None = None
        self.defer_char_features = False
        self.random_order = np.random.default_rng(seed).permutation(len(texts))

    @property
    def n_records(self) -> int:
        return len(self.ids)

    @property
    def opinion_weights(self) -> np.ndarray:
        """Weights of the opinions in the fused ranking: word SVM, then the character SVM, the
        nearest include and the opinions from meaning unless weighed 0 (and then not computed)."""
        return np.array([1.0] + [w for w in (self.char_weight, self.nearest_weight,
                                             self.embed_weight, self.meaning_nearest_weight) if w])

    @property
    def reads_meaning(self) -> bool:
        """Whether some opinion needs the records' embeddings."""
        return bool(self.embed_weight or self.meaning_nearest_weight)

    def stop_reading_meaning(self) -> None:
        """Rank without the opinions from meaning (its embeddings could not be computed)."""
        self.embed_weight = self.meaning_nearest_weight = 0.0

    @property
    def features(self) -> sparse.csr_matrix:
        """TF-IDF of words and word pairs, built on first use: in a screening session on the
        background thread, so that opening a review of 50,000 records does not wait the
        quarter-minute it takes."""
        if self._features is None:
            if self._texts is None:
                raise RuntimeError("this prioritiser was closed and has let its records go")
            features = _tfidf(self._texts)
            self._nearest = _NearestInclude(features)
            self._features = features
            self._forget_texts()
        return self._features

    @property
    def features_pending(self) -> bool:
        return self._features is None

    @property
    def char_features(self) -> sparse.csr_matrix:
        """TF-IDF of four-character pieces of words, built on first use."""
        if self._char_features is None:
            if self._texts is None:
                raise RuntimeError("this prioritiser was closed and has let its records go")
            features = _char_tfidf(self._texts)
            self._char_halves = _row_halves(features)
            self._char_features = features
            self._forget_texts()
        return self._char_features

    @property
    def embeddings(self) -> np.ndarray:
        """A sentence embedding per record (`review.screening.embeddings`), computed on first
        use unless given."""
        if self._embeddings is None:
            if self._texts is None:
                raise RuntimeError("this prioritiser was closed and has let its records go")
            self.use_embeddings(self.embedding_job().run(progress=self.on_embedding_progress))
        return self._embeddings

    def embedding_job(self):
        """The embeddings still to compute, as steps a background thread takes between rankings
        (`review.screening.meaning.EmbeddingJob`, reading and filling `embedding_cache`)."""
        if self._texts is None:
            raise RuntimeError("this prioritiser was closed and has let its records go")
        from .meaning import EmbeddingJob
        return EmbeddingJob(self.ids.tolist(), self._texts, cache=self.embedding_cache,
                            model=self.embedder)

    def use_embeddings(self, vectors: np.ndarray) -> None:
        """Rank with these embeddings (one row per record) from now on."""
        if len(vectors) != self.n_records:
            raise ValueError(f"{len(vectors)} embeddings for {self.n_records} records")
        self._embeddings = vectors
        self._meaning_nearest = _NearestInclude(vectors)
        self._forget_texts()

    @property
    def embeddings_pending(self) -> bool:
        """Whether the embedding opinion is wanted but its vectors are not computed yet."""
        return self.reads_meaning and self._embeddings is None

    def release(self) -> None:
        """Let the texts and feature matrices go, for good: a closed screening session, which a
        notebook may keep alive through its widget, then holds none of them."""
        self._texts = self._features = self._char_features = self._char_halves = None
        self._nearest = self._last_scores = self._embeddings = self._meaning_nearest = None
        self.released = True

    def _forget_texts(self) -> None:
        """The texts are kept only until every feature set wanted is built."""
        if self._features is not None and (self._char_features is not None or not self.char_weight) \
                and (self._embeddings is not None or not self.reads_meaning):
            self._texts = None

    @property
    def char_features_pending(self) -> bool:
        """Whether the character SVM is wanted but its features are not built yet."""
        return bool(self.char_weight) and self._char_features is None

    def rows(self, labels: Mapping) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers and 0/1 labels of the decided records (labels keyed by record id)."""
        try:
            rows = np.fromiter((self._row[k] for k in labels), dtype=np.int64, count=len(labels))
        except KeyError as exc:
            raise KeyError(f"record {exc.args[0]!r} is not among the records being ranked") from None
        y = np.fromiter((1 if v else 0 for v in labels.values()), dtype=np.int8, count=len(labels))
        return rows, y

    def scores_for(self, rows: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """A relevance score in 0-1 for every record (higher = screen sooner), or None without
        both an include and an exclude to learn from."""
        n_in = int(y.sum())
        if n_in == 0 or n_in == len(y):
            return None
        train_rows, train_y = self._training_set(rows, y)
        with_chars = bool(self.char_weight) and not (self.defer_char_features
                                                     and self.char_features_pending)
        if with_chars:  # the character SVM is fitted on a second core meanwhile
            char_fit = _second_core().submit(self._svm, self.char_features[train_rows], train_y,
                                             self.C, self.include_weight)
        opinions, weights = [self._svm_scores(self.features, train_rows, train_y)], [1.0]
        nearest = self._nearest.similarity(rows[y == 1]) if self.nearest_weight else None
        with_meaning = self.reads_meaning and not (self.defer_char_features
                                                   and self.embeddings_pending)
        meaning = nearest_meaning = None
        if with_meaning:
            vectors = self.embeddings
            if self.embed_weight:
                coef, intercept = self._svm(vectors[train_rows], train_y, self.embed_C,
                                            self.include_weight)
                meaning = vectors @ coef.astype(vectors.dtype) + intercept
            if self.meaning_nearest_weight:
                if self._meaning_nearest is None:
                    self._meaning_nearest = _NearestInclude(vectors)
                nearest_meaning = self._meaning_nearest.similarity(rows[y == 1])
        if with_chars:
            coef, intercept = char_fit.result()
            opinions.append(_score_on_two_cores(self._char_halves, coef) + intercept)
            weights.append(self.char_weight)
        if self.nearest_weight:
            opinions.append(nearest)
            weights.append(self.nearest_weight)
        if meaning is not None:
            opinions.append(meaning)
            weights.append(self.embed_weight)
        if nearest_meaning is not None:
            opinions.append(nearest_meaning)
            weights.append(self.meaning_nearest_weight)
        undecided = np.ones(self.n_records, dtype=bool)
        undecided[rows] = False
        scores = _fuse(np.column_stack(opinions), np.array(weights), among=undecided)
        self._last_scores = scores
        return scores

    def _svm_scores(self, features, rows, y) -> np.ndarray:
        coef, intercept = self._svm(features[rows], y, self.C, self.include_weight)
        return features @ coef.astype(features.dtype) + intercept

    def _svm(self, X, y, C: float, include_weight: float) -> tuple[np.ndarray, float]:
        """Weights and intercept of a linear SVM in which all includes together weigh
        `include_weight` times all excludes; sample weights average 1, so C keeps its meaning."""
        n_in = int(y.sum())
        weight = np.where(y == 1, 1.0, n_in / (include_weight * (len(y) - n_in)))
        weight *= len(y) / weight.sum()
        model = LinearSVC(C=C, loss="squared_hinge", tol=1e-3, random_state=self.seed)
        model.fit(X, y, sample_weight=weight)
        return model.coef_.ravel(), float(model.intercept_[0])

    def _training_set(self, rows, y):
        """At most `max_trained` decisions, so that an update stays fast late in a large review:
        includes up to half of them (a seeded sample beyond that), and of the excludes half
        those the previous model scored highest (the instructive mistakes), half a seeded
        random sample."""
        if len(y) <= self.max_trained:
            return rows, y
        rng = np.random.default_rng((self.seed, len(y)))
        inc, out = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        if len(inc) > self.max_trained // 2:
            inc = rng.choice(inc, self.max_trained // 2, replace=False)
        n_out = self.max_trained - len(inc)
        hard = np.empty(0, dtype=np.int64)
        if self._last_scores is not None:
            n_hard = n_out // 2
            hard = out[np.argpartition(-self._last_scores[rows[out]], n_hard)[:n_hard]]
            out = np.setdiff1d(out, hard, assume_unique=True)
        sample = rng.choice(out, n_out - len(hard), replace=False)
        keep = np.sort(np.r_[inc, hard, sample])
        return rows[keep], y[keep]

    def rank(self, labels: Mapping) -> Ranking:
        """Undecided records in screening order, learnt from `labels` (record id -> 1 include,
        0 exclude)."""
        rows, y = self.rows(labels)
        undecided = np.ones(self.n_records, dtype=bool)
        undecided[rows] = False
        scores = self.scores_for(rows, y)
        if scores is None:
            order = self.random_order[undecided[self.random_order]]
            return Ranking(self.ids[order], np.full(len(order), np.nan), RANDOM, len(rows))
        todo = np.flatnonzero(undecided)
        order = todo[np.argsort(-scores[todo], kind="stable")]
        return Ranking(self.ids[order], scores[order], MODEL, len(rows))


def _fuse(opinions: np.ndarray, weights: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """Weighted mean over the opinions (one per column) of where each record stands among the
    records `among` (a mask; all by default): the fraction of them it outranks, ties counting
    half, so strictly between 0 and 1 for those records, higher = nearer the top.

    Ranking among the undecided records only keeps the decided ones, which each opinion places
    differently (an SVM near its training labels, the nearest include at 1 for the includes),
    from shifting the undecided records against each other; a decided record is placed where it
    would stand among them."""
    if among is None or not among.any():
        among = np.ones(len(opinions), dtype=bool)
    fused = np.zeros(len(opinions))
    for column, weight in enumerate(weights / weights.sum()):
        fused += weight * _standing(opinions[:, column], among)
    return fused


def _standing(values: np.ndarray, among: np.ndarray) -> np.ndarray:
    """For every value, the fraction of the values `among` below it, those equal counting half:
    one sort, then counts per run of equal values."""
    order = np.argsort(values)
    ordered = values[order]
    counted = np.cumsum(among[order])
    new_run = np.r_[True, ordered[1:] != ordered[:-1]]
    starts = np.flatnonzero(new_run)
    run = np.cumsum(new_run) - 1
    below = np.r_[0, counted][starts]  # counted before each run of equal values
    at_or_below = counted[np.r_[starts[1:], len(values)] - 1]
    standing = np.empty(len(values))
    standing[order] = (below[run] + at_or_below[run]) / (2 * counted[-1])
    return standing


class _NearestInclude:
    """Every record's highest cosine similarity to an include (rows of `features`, TF-IDF or
    embeddings, have unit length). Kept up to date one new include at a time (one product
    each), and recomputed only when an include is withdrawn; the first update on a review that
    already has many includes therefore takes longer (about 5 ms per include at 50,000 records,
    in blocks), once, on the background thread."""

    def __init__(self, features: sparse.csr_matrix | np.ndarray):
        self.features = features
        self.includes: set[int] = set()
        self.best = self._none_yet()

    def _none_yet(self) -> np.ndarray:
        """The similarity before any include: the lowest a cosine can be (0 for TF-IDF)."""
        low = -1.0 if isinstance(self.features, np.ndarray) else 0.0
        return np.full(self.features.shape[0], low, dtype=self.features.dtype)

    def similarity(self, include_rows: np.ndarray) -> np.ndarray:
        wanted = set(int(r) for r in include_rows)
        if not self.includes <= wanted:
            self.includes, self.best = set(), self._none_yet()
        new = sorted(wanted - self.includes)
        if isinstance(self.features, np.ndarray):  # embeddings: dense products
            for start in range(0, len(new), _SIMILARITY_BLOCK):
                block = self.features @ self.features[new[start:start + _SIMILARITY_BLOCK]].T
                np.maximum(self.best, block.max(axis=1), out=self.best)
        elif len(new) <= 2:  # the usual case: one include since the last update
            for r in new:
                row = self.features[r]
                dense = np.zeros(self.features.shape[1], dtype=self.features.dtype)
                dense[row.indices] = row.data
                np.maximum(self.best, self.features @ dense, out=self.best)
        else:  # many at once (a review reopened): sparse products in blocks, ~4x faster
            for start in range(0, len(new), _SIMILARITY_BLOCK):
                block = self.features @ self.features[new[start:start + _SIMILARITY_BLOCK]].T
                np.maximum(self.best, block.max(axis=1).toarray().ravel(), out=self.best)
        self.includes = wanted
        return self.best.copy()


#: Includes per sparse product when many are added at once (memory ~ records x block x 8 bytes).
_SIMILARITY_BLOCK = 256


def _tfidf(texts: Sequence[str]) -> sparse.csr_matrix:
    """Words and word pairs, sublinear tf, L2-normalised rows; terms in nearly every record say
    nothing about relevance. Empty texts give empty rows rather than an error."""
    vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95,
                                 dtype=np.float32)
    try:
        return _sorted(vectoriser.fit_transform(texts))
    except ValueError:  # no words at all (empty or stop-word-only corpus)
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


def _sorted(matrix) -> sparse.csr_matrix:
    """CSR with each row's columns in order, as liblinear wants them: sorted once here rather
    than in every fit (a third of a fit's time otherwise)."""
    matrix = matrix.tocsr()
    matrix.sort_indices()
    return matrix


_SECOND_CORE: ThreadPoolExecutor | None = None
_SECOND_CORE_LOCK = threading.Lock()


def _second_core() -> ThreadPoolExecutor:
    """One worker thread shared by all prioritisers, for the opinion fitted alongside another."""
    global _SECOND_CORE
    with _SECOND_CORE_LOCK:
        if _SECOND_CORE is None:
            _SECOND_CORE = ThreadPoolExecutor(max_workers=1,
                                              thread_name_prefix="review-prioritiser-opinion",
                                              initializer=lower_thread_priority)
        return _SECOND_CORE


def _release_second_core() -> None:
    global _SECOND_CORE
    with _SECOND_CORE_LOCK:
        executor, _SECOND_CORE = _SECOND_CORE, None
    if executor is not None:
        executor.shutdown(wait=False)


def _row_halves(matrix: sparse.csr_matrix) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """The first and the second half of the rows, as views (no copy) to score on two cores."""
    half = matrix.shape[0] // 2
    halves = []
    for start, stop in ((0, half), (half, matrix.shape[0])):
        first, last = matrix.indptr[start], matrix.indptr[stop]
        data, indices = matrix.data[first:last], matrix.indices[first:last]
        half = sparse.csr_matrix((data, indices, matrix.indptr[start:stop + 1] - first),
                                 shape=(stop - start, matrix.shape[1]))
        half.data, half.indices = data, indices  # the constructor copies small views of big arrays
        halves.append(half)
    return halves[0], halves[1]


def _score_on_two_cores(halves, coef: np.ndarray) -> np.ndarray:
    """Each record's dot product with `coef`, half the rows on each core (scipy's sparse
    products free the GIL); the same numbers as one product over all rows."""
    coef = coef.astype(halves[0].dtype)
    second = _second_core().submit(halves[1].__matmul__, coef)
    return np.concatenate([halves[0] @ coef, second.result()])


def _char_tfidf(texts: Sequence[str]) -> sparse.csr_matrix:
    """Four-character pieces within words (padded at the word's edges), sublinear tf, L2 rows;
    pieces in a single record or in nearly every record are left out. Four characters keep the
    update fast at 50,000 records and rank as well as three-to-five in the benchmark."""
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), sublinear_tf=True,
                                 min_df=2, max_df=0.95, dtype=np.float32)
    try:
        return _sorted(vectoriser.fit_transform(texts))
    except ValueError:  # too few records for a piece to occur twice, or no text at all
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


# The background thread lives in its own module; imported back for callers of this one.
from .background import BackgroundPrioritiser  # noqa: E402
