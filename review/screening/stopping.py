"""When may screening stop? How many relevant records are probably still unscreened (a
statistical stopping rule over the screening order), and the recall curve to show it."""
from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["StoppingEstimate", "stopping_estimate", "recall_below_target_p", "stopping_point",
           "random_sample_test", "RandomSampleTest", "validation_sample_size",
           "recall_curve_figure", "RecallCurve"]


def _hypergeom():
    """scipy.stats' hypergeom, imported when first needed: scipy.stats takes most of a second
    to import, and every screening page imports this module before anything is screened."""
    from scipy.stats import hypergeom
    return hypergeom


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
    p = recall_below_target_p(labels, n_records, recall_target)
    tail = labels[::-1]
    n = np.arange(1, n_screened + 1)            # sample sizes: the last n screened records
    k = np.cumsum(tail)                          # relevant among them
    population = unscreened + n
    # Bounds on relevant in the population for a geometric grid of sample sizes (cheap and enough)
    grid = np.unique(np.geomspace(1, n_screened, num=min(n_screened, 60)).astype(int)) - 1
    highs = _upper_bounds(k[grid], population[grid], n[grid], alpha / 2) - k[grid]
    best = int(np.argmin(highs))  # the first of the tightest, as one at a time would find it
    high, i = int(highs[best]), int(grid[best])
    kk, pop, nn = int(k[i]), int(population[i]), int(n[i])
    low = max(0, _lower_bound(kk, pop, nn, alpha / 2) - kk)
    estimate = min(max(0, math.floor(kk * (pop + 1) / nn) - kk), unscreened)
    return StoppingEstimate(n_records, n_screened, found, max(low, min(estimate, high)), low,
                            min(high, unscreened), min(p, 1.0), recall_target, confidence, nn)


def recall_below_target_p(screened_labels, n_records: int, recall_target: float = 0.95) -> float:
    """p-value of H0 "recall so far is below `recall_target`" by the hypergeometric rule of
    Callaghan & Müller-Hansen (2020): for every n, the last n screened records are taken as a
    sample of themselves plus the unscreened; the smallest p over n is reported (their buscar
    code does the same). 1.0 when nothing or nothing relevant has been screened yet."""
    labels = np.asarray(screened_labels, dtype=np.int64)
    n_screened, found = len(labels), int(labels.sum())
    unscreened = n_records - n_screened
    if unscreened <= 0:
        return 0.0
    if n_screened == 0 or found == 0:
        return 1.0
    tail = labels[::-1]
    k = np.cumsum(tail)
    # Within a run of irrelevant records the p-value only falls as n grows (one more irrelevant
    # record drawn from a population one larger), so the smallest p is among the n that end
    # such a run: just before a relevant record, or all of them.
    ends = np.flatnonzero(np.r_[tail[1:] == 1, True])
    n, k = ends + 1, k[ends]
    population = unscreened + n
    # Fewest relevant in the population that would put recall below the target
    k_h0 = np.floor(found / recall_target - (found - k) + 1)
    return float(min(1.0, np.min(_hypergeom().cdf(k, population, np.minimum(k_h0, population), n))))


def stopping_point(screened_labels, n_records: int, *, recall_target: float = 0.95,
                   alpha: float = 0.05) -> int:
    """Records screened when the hypergeometric rule first rejects "recall < target" at level
    `alpha`, following a complete screening order (`screened_labels`; records after its end are
    taken as irrelevant, as in a simulation that ends at the last relevant record); `n_records`
    if it never does. For simulations."""
    labels = np.r_[np.asarray(screened_labels, dtype=np.int64),
                   np.zeros(max(0, n_records - len(screened_labels)), dtype=np.int64)]
    found = np.cumsum(labels)
    for screened in range(1, n_records):
        if found[screened - 1] and recall_below_target_p(labels[:screened], n_records,
                                                         recall_target) < alpha:
            return screened
    return n_records


@dataclass(frozen=True)
class RandomSampleTest:
    """A random sample of the records left unscreened, screened to test recall (SAFE manner:
    stop prioritised screening, screen a random sample of the rest, then test)."""

    n_records: int
    found_before: int
    unscreened: int
    sample_size: int
    relevant_in_sample: int
    recall_target: float
    p: float

    @property
    def passed(self) -> bool:
        return self.p < 0.05


def random_sample_test(found_before: int, unscreened: int, sample_labels: Sequence[int],
                       n_records: int, recall_target: float = 0.95) -> RandomSampleTest:
    """Exact test of H0 "recall < target" from a simple random sample of the `unscreened`
    records left when prioritised screening stopped (`found_before` relevant found by then):
    under H0 at least K relevant were among them, K the fewest that put the recall of everything
    found (before and in the sample) below the target; p = P(X <= relevant in sample | K)."""
    sample = np.asarray(sample_labels, dtype=np.int64)
    n, k = len(sample), int(sample.sum())
    if n > unscreened:
        raise ValueError(f"a sample of {n} from {unscreened} unscreened records")
    found = found_before + k
    # relevant among the unscreened under H0 (found outside the sample are known exactly)
    k_h0 = min(unscreened, math.floor(found / recall_target - found_before) + 1)
    p = 1.0 if n == 0 else float(_hypergeom().cdf(k, unscreened, max(k_h0, k), n))
    return RandomSampleTest(n_records, found_before, unscreened, n, k, recall_target, min(p, 1.0))


def validation_sample_size(found: int, unscreened: int, recall_target: float = 0.95,
                           alpha: float = 0.05) -> int:
    """The smallest random sample of the unscreened records that, if it holds no relevant
    record, rejects "recall < target" at `alpha` (all of them when none is small enough)."""
    if unscreened <= 0:
        return 0
    k_h0 = min(unscreened, math.floor(found / recall_target - found) + 1)
    lo, hi = 1, unscreened
    while lo < hi:
        mid = (lo + hi) // 2
        if _hypergeom().cdf(0, unscreened, k_h0, mid) < alpha:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _upper_bound(k: int, population: int, n: int, alpha: float) -> int:
    """Largest K (relevant in the population) with P(X <= k | K) >= alpha."""
    lo, hi = k, population - (n - k)             # K can be neither below k nor leave too few 0s
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _hypergeom().cdf(k, population, mid, n) >= alpha:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _upper_bounds(k: np.ndarray, population: np.ndarray, n: np.ndarray, alpha: float) -> np.ndarray:
    """`_upper_bound` for many samples at once: one bisection, each step vectorised (a
    hundredth of the time at 50,000 records, so that the hint keeps up with the clicks)."""
    k, population, n = (np.asarray(a, dtype=np.int64) for a in (k, population, n))
    lo, hi = k.copy(), population - (n - k)
    while np.any(lo < hi):
        open_ = lo < hi
        mid = (lo + hi + 1) // 2
        ok = _hypergeom().cdf(k, population, mid, n) >= alpha
        lo = np.where(open_ & ok, mid, lo)
        hi = np.where(open_ & ~ok, mid - 1, hi)
    return lo


def _lower_bound(k: int, population: int, n: int, alpha: float) -> int:
    """Smallest K with P(X >= k | K) >= alpha."""
    lo, hi = k, population - (n - k)
    while lo < hi:
        mid = (lo + hi) // 2
        if _hypergeom().sf(k - 1, population, mid, n) >= alpha:
            hi = mid
        else:
            lo = mid + 1
    return lo


def recall_curve_figure(screened_labels, n_records: int | None = None,
                        n_relevant: int | None = None, *, title: str | None = None):
    """Records screened vs relevant found, one line per screening order, with the diagonal of
    screening in random order. `screened_labels` is one 1/0 sequence (screening order) or a
    mapping of name -> sequence to compare orders. Returns a `RecallCurve`: a matplotlib Figure
    that a notebook shows as a picture when it is a cell's value."""

    curves = dict(screened_labels) if isinstance(screened_labels, Mapping) \
        else {"prioritised": screened_labels}
    if not curves:
        raise ValueError("no screening order to draw")
    curves = {name: np.asarray(v, dtype=int) for name, v in curves.items()}
    n_records = n_records or max(len(v) for v in curves.values())
    n_relevant = n_relevant if n_relevant is not None else max(int(v.sum()) for v in curves.values())
    fig = _recall_curve_class()(figsize=(6, 4.5), layout="constrained")
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


@functools.cache
def _recall_curve_class():
    """`RecallCurve`, made when first asked for: it subclasses matplotlib's Figure, whose import
    would otherwise cost every screening page most of a second."""
    from matplotlib.figure import Figure

    class RecallCurve(Figure):
        """A Figure that draws itself in a notebook. A Figure made without pyplot (so that
        nothing opens a window or keeps figures alive) has no picture in Jupyter until pyplot has
        been imported; a notebook would print `<Figure size 600x450 with 1 Axes>` instead."""

        def _repr_png_(self) -> bytes:
            import io
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100)
            return buffer.getvalue()

    RecallCurve.__qualname__ = "RecallCurve"  # pickled and named as this module's RecallCurve
    return RecallCurve


def __getattr__(name: str):
    if name == "RecallCurve":
        return _recall_curve_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
