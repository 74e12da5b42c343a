"""AI prioritisation for title/abstract screening: show the records most likely relevant first.

The words of every record are weighed once (TF-IDF over the whole set), so that learning from a
new decision only refits a small linear model; a background thread does that refit, so a reviewer
never waits for the model. Until there is at least one include and one exclude there is nothing to
learn from, and records come in a seeded random order.

Beside the ranking: `stopping_estimate`, how many relevant records are probably still
unscreened (a statistical stopping rule), and `recall_curve_figure`, the screening curve."""
from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from scipy.stats import hypergeom
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

__all__ = ["Prioritiser", "BackgroundPrioritiser", "Ranking", "record_text",
           "StoppingEstimate", "stopping_estimate", "recall_curve_figure"]

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
        if self.method != MODEL:
            return None
        return dict(zip(self.ids.tolist(), self.scores.tolist()))


class Prioritiser:
    """Ranks undecided records by estimated relevance from the decisions made so far.

    Model: TF-IDF of words and word pairs (sublinear tf), fitted once on all records, and a linear
    SVM whose includes weigh as much as all excludes together (ASReview's ELAS u4 uses a similar
    SVM but lets excludes outweigh includes ~10:1; equal class weight finds the last relevant
    records sooner in our benchmark, benchmarks/screening_simulation.py). Excludes beyond
    `max_excluded` are subsampled so that an update stays fast late in large reviews."""

    def __init__(self, texts: Sequence[str], ids: Sequence | None = None, *, seed: int = 0,
                 C: float = 0.11, include_weight: float = 9.8, max_excluded: int = 3_000):
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
        self.max_excluded = max_excluded
        self.features = _tfidf(texts)
        self._last_scores: np.ndarray | None = None
        self.random_order = np.random.default_rng(seed).permutation(len(texts))

    @property
    def n_records(self) -> int:
        return len(self.ids)

    def rows(self, labels: Mapping) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers and 0/1 labels of the decided records (labels keyed by record id)."""
        try:
            rows = np.fromiter((self._row[k] for k in labels), dtype=np.int64, count=len(labels))
        except KeyError as exc:
            raise KeyError(f"record {exc.args[0]!r} is not among the records being ranked") from None
        y = np.fromiter((1 if v else 0 for v in labels.values()), dtype=np.int8, count=len(labels))
        return rows, y

    def scores_for(self, rows: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """A relevance score for every record (higher = screen sooner), or None without both an
        include and an exclude to learn from."""
        n_in = int(y.sum())
        if n_in == 0 or n_in == len(y):
            return None
        rows, y = self._training_set(rows, y)
        n_in = int(y.sum())
        n_out = len(y) - n_in
        # All includes together weigh `include_weight` times all excludes: the few includes are
        # not drowned by hundreds of excludes. Weights average 1, so C keeps its meaning.
        weight = np.where(y == 1, 1.0, n_in / (self.include_weight * n_out))
        weight *= len(y) / weight.sum()
        model = LinearSVC(C=self.C, loss="squared_hinge", tol=1e-3)
        model.fit(self.features[rows], y, sample_weight=weight)
        scores = self.features @ model.coef_.ravel().astype(self.features.dtype)
        scores += model.intercept_[0]
        self._last_scores = scores
        return scores

    def _training_set(self, rows, y):
        """Every include, and at most `max_excluded` excludes: beyond that, half are those the
        previous model scored highest (the instructive mistakes), half a seeded random sample,
        so that an update stays fast late in a large review."""
        out = np.flatnonzero(y == 0)
        if len(out) <= self.max_excluded:
            return rows, y
        rng = np.random.default_rng((self.seed, len(y)))
        hard = np.empty(0, dtype=np.int64)
        if self._last_scores is not None:
            n_hard = self.max_excluded // 2
            hard = out[np.argpartition(-self._last_scores[rows[out]], n_hard)[:n_hard]]
            out = np.setdiff1d(out, hard, assume_unique=True)
        sample = rng.choice(out, self.max_excluded - len(hard), replace=False)
        keep = np.sort(np.r_[np.flatnonzero(y == 1), hard, sample])
        return rows[keep], y[keep]

    def rank(self, labels: Mapping) -> Ranking:
        """Undecided records in screening order, learnt from `labels` (record id -> 1 include,
        0 exclude)."""
        rows, y = self.rows(labels)
        undecided = np.ones(self.n_records, dtype=bool)
        undecided[rows] = False
        raw = self.scores_for(rows, y)
        if raw is None:
            order = self.random_order[undecided[self.random_order]]
            return Ranking(self.ids[order], np.full(len(order), np.nan), RANDOM, len(rows))
        todo = np.flatnonzero(undecided)
        order = todo[np.argsort(-raw[todo], kind="stable")]
        return Ranking(self.ids[order], _squash(raw[order]), MODEL, len(rows))


def _tfidf(texts: Sequence[str]) -> sparse.csr_matrix:
    """Words and word pairs, sublinear tf, L2-normalised rows; terms in nearly every record say
    nothing about relevance. Empty texts give empty rows rather than an error."""
    vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95,
                                 dtype=np.float32)
    try:
        return vectoriser.fit_transform(texts).tocsr()
    except ValueError:  # no words at all (empty or stop-word-only corpus)
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


def _squash(values: np.ndarray) -> np.ndarray:
    """SVM margins to 0-1 for display: 0.5 is the decision boundary."""
    return 1.0 / (1.0 + np.exp(-2.0 * values))


class BackgroundPrioritiser:
    """A Prioritiser on its own thread: `submit` returns at once, `ranking()` gives the newest
    finished ranking without waiting, and a new submission replaces any still waiting its turn
    (only the newest decisions are worth learning from). Satisfies the screening session's
    Ranker protocol (`submit`, `scores`)."""

    def __init__(self, prioritiser: Prioritiser, on_ranking=None):
        self.prioritiser = prioritiser
        self.on_ranking = on_ranking
        self.error: BaseException | None = None
        self.computed = 0  # rankings finished, for tests and diagnostics
        self._cond = threading.Condition()
        self._pending: tuple[int, dict] | None = None
        self._submitted = 0
        self._closed = False
        self._latest = prioritiser.rank({})
        self._thread = threading.Thread(target=self._work, name="review-prioritiser", daemon=True)
        self._thread.start()

    def submit(self, labels: Mapping) -> int:
        """Queue a refit on these decisions (record id -> 1/0); returns its version number."""
        snapshot = dict(labels)
        with self._cond:
            if self._closed:
                raise RuntimeError("the background prioritiser is closed")
            self._submitted += 1
            self._pending = (self._submitted, snapshot)
            self._cond.notify_all()
            return self._submitted

    def ranking(self) -> Ranking:
        """The newest finished ranking (random order until the model has something to learn)."""
        return self._latest

    def scores(self) -> dict | None:
        """Record id -> relevance score from the newest ranking, or None without a model yet."""
        return self._latest.score_of()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every submission so far is ranked (for scripts and tests, not widgets)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._latest.version >= self._submitted or self._closed, timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    return
                version, labels = self._pending
                self._pending = None
            try:
                ranking = replace(self.prioritiser.rank(labels), version=version)
            except Exception as exc:  # keep the last good ranking; the session shows the error
                self.error = exc
                ranking = replace(self._latest, version=version)
            with self._cond:
                self._latest = ranking
                self.computed += 1
                self._cond.notify_all()
            if self.on_ranking is not None:
                self.on_ranking(ranking)


@dataclass(frozen=True)
class StoppingEstimate:
    """How many relevant records are probably still unscreened, and whether screening may stop."""

    n_records: int
    n_screened: int
    relevant_found: int
    remaining_estimate: int
    remaining_low: int
    remaining_high: int
    p_missed_target: float
    recall_target: float
    confidence: float
    sample_size: int

    @property
    def can_stop(self) -> bool:
        """True when the hypothesis "recall is below the target" is rejected."""
        return self.p_missed_target < 1 - self.confidence

    @property
    def recall_low(self) -> float:
        """Recall so far if the worst plausible number of relevant records remains."""
        total = self.relevant_found + self.remaining_high
        return 1.0 if total == 0 else self.relevant_found / total


def stopping_estimate(screened_labels: Sequence[int], n_records: int, *,
                      recall_target: float = 0.95, confidence: float = 0.95) -> StoppingEstimate:
    """Relevant records still unscreened, with a `confidence` interval, from the 1/0 labels in
    the order they were screened (priors first).

    Method: the hypergeometric stopping rule of Callaghan & Müller-Hansen (2020), "Statistical
    stopping criteria for automated screening in systematic reviews", Systematic Reviews 9:254,
    doi:10.1186/s13643-020-01521-4. The last n screened records are treated as a sample drawn
    without replacement from themselves plus the unscreened records. Prioritised records are at
    least as likely to be relevant as a random draw, so this errs towards too many remaining (a
    conservative rule); if the reviewer screens a random sample at the end it is exact. For every
    n, H0 "recall < target" is tested with the hypergeometric cdf, and the reported p is the
    smallest (as in the authors' buscar code). The estimate and interval come from the sample
    size n whose upper bound is tightest: the point estimate is the maximum-likelihood count
    k*(population+1)/n, the bounds are exact (Clopper-Pearson-style) hypergeometric limits."""
    labels = np.asarray(screened_labels, dtype=np.int64)
    n_screened, found = len(labels), int(labels.sum())
    if n_screened > n_records:
        raise ValueError(f"{n_screened} records screened out of {n_records}")
    if not 0 < recall_target <= 1 or not 0 < confidence < 1:
        raise ValueError("recall_target must be in (0, 1] and confidence in (0, 1)")
    alpha = 1 - confidence
    unscreened = n_records - n_screened
    if unscreened == 0 or n_screened == 0:
        return StoppingEstimate(n_records, n_screened, found, 0 if unscreened == 0 else unscreened,
                                0, unscreened, 0.0 if unscreened == 0 else 1.0,
                                recall_target, confidence, 0)
    tail = labels[::-1]
    n = np.arange(1, n_screened + 1)            # sample sizes: the last n screened records
    k = np.cumsum(tail)                          # relevant among them
    population = unscreened + n
    # Fewest relevant in the population that would put recall below the target
    k_h0 = np.floor(found / recall_target - (found - k) + 1)
    p = float(np.min(hypergeom.cdf(k, population, np.minimum(k_h0, population), n)))
    # Bounds on relevant in the population for a geometric grid of sample sizes (cheap and enough)
    grid = np.unique(np.geomspace(1, n_screened, num=min(n_screened, 60)).astype(int)) - 1
    best = None
    for i in grid:
        high = _upper_bound(int(k[i]), int(population[i]), int(n[i]), alpha / 2)
        if best is None or high - k[i] < best[0]:
            best = (int(high - k[i]), i)
    high, i = best
    kk, pop, nn = int(k[i]), int(population[i]), int(n[i])
    low = max(0, _lower_bound(kk, pop, nn, alpha / 2) - kk)
    estimate = min(max(0, math.floor(kk * (pop + 1) / nn) - kk), unscreened)
    return StoppingEstimate(n_records, n_screened, found, max(low, min(estimate, high)), low,
                            min(high, unscreened), min(p, 1.0), recall_target, confidence, nn)


def _upper_bound(k: int, population: int, n: int, alpha: float) -> int:
    """Largest K (relevant in the population) with P(X <= k | K) >= alpha."""
    lo, hi = k, population - (n - k)             # K can be neither below k nor leave too few 0s
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if hypergeom.cdf(k, population, mid, n) >= alpha:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _lower_bound(k: int, population: int, n: int, alpha: float) -> int:
    """Smallest K with P(X >= k | K) >= alpha."""
    lo, hi = k, population - (n - k)
    while lo < hi:
        mid = (lo + hi) // 2
        if hypergeom.sf(k - 1, population, mid, n) >= alpha:
            hi = mid
        else:
            lo = mid + 1
    return lo


def recall_curve_figure(screened_labels, n_records: int | None = None,
                        n_relevant: int | None = None, *, title: str | None = None):
    """Records screened vs relevant found, one line per screening order, with the diagonal of
    screening in random order. `screened_labels` is one 1/0 sequence (screening order) or a
    mapping of name -> sequence to compare orders. Returns a matplotlib Figure (not shown)."""
    from matplotlib.figure import Figure

    curves = dict(screened_labels) if isinstance(screened_labels, Mapping) \
        else {"prioritised": screened_labels}
    if not curves:
        raise ValueError("no screening order to draw")
    curves = {name: np.asarray(v, dtype=int) for name, v in curves.items()}
    n_records = n_records or max(len(v) for v in curves.values())
    n_relevant = n_relevant if n_relevant is not None else max(int(v.sum()) for v in curves.values())
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for name, labels in curves.items():
        ax.step(np.arange(0, len(labels) + 1), np.r_[0, np.cumsum(labels)], where="post",
                label=name)
    ax.plot([0, n_records], [0, n_relevant], linestyle="--", color="grey", label="random order")
    ax.set_xlim(0, n_records)
    ax.set_ylim(0, max(n_relevant, 1) * 1.03)
    ax.set_xlabel("records screened")
    ax.set_ylabel("relevant records found")
    ax.set_title(title or "Relevant records found while screening")
    ax.legend(loc="lower right")
    return fig
