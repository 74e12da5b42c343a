"""`review simulate`: replay a labelled dataset through the prioritiser, as if a reviewer had
screened it one record at a time, and report how soon the relevant records were found.

The figures use the definitions of ASReview's simulation (and of the peer script used in the
benchmark), so the two can be compared side by side: records are counted from the first prior,
priors included; "records to 95 % recall" is the position of the ceil(0.95 R)-th relevant record;
WSS@95 = (N - records to 95 %) / N - 0.05; recall@10 % = relevant found among the first
ceil(0.1 N) records / R."""
from __future__ import annotations

import io
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ReviewError
from .models import DEFAULT_MODEL, describe, make_prioritiser, model_names
from .prioritise import Prioritiser, record_text

__all__ = ["simulate", "SimulationResult", "screening_metrics", "draw_priors", "screening_order",
           "load_labelled_csv", "LABEL_COLUMNS"]

# The inclusion label under the names ASReview accepts for it; the first is ours.
LABEL_COLUMNS = ("label_included", "included", "final_included", "label")
_JSON_KEYS = ("n_records", "n_relevant", "records_to_95pct_recall", "records_to_100pct_recall",
              "wss95", "recall_at_10pct", "seconds")


@dataclass
class SimulationResult:
    """What a simulated screening achieved. `order` lists the rows in screening order."""

    n_records: int
    n_relevant: int
    records_to_95pct_recall: int
    records_to_100pct_recall: int
    wss95: float
    recall_at_10pct: float
    seconds: float
    prior_included: list[int] = field(default_factory=list, repr=False)
    prior_excluded: list[int] = field(default_factory=list, repr=False)
    order: list[int] = field(default_factory=list, repr=False)
    labels: list[int] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {key: getattr(self, key) for key in _JSON_KEYS}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


def screening_metrics(labels_in_order, n_records: int, n_relevant: int | None = None) -> dict:
    """The comparison figures from the 1/0 labels in screening order (priors first); records
    never screened count as irrelevant and come after the screened ones."""
    labels = np.asarray(labels_in_order, dtype=np.int64)
    if len(labels) > n_records:
        raise ValueError(f"{len(labels)} labels for {n_records} records")
    labels = np.r_[labels, np.zeros(n_records - len(labels), dtype=np.int64)]
    found = np.cumsum(labels)
    relevant = int(found[-1]) if n_relevant is None else int(n_relevant)
    if relevant == 0:
        raise ValueError("no relevant records: recall is undefined")

    def position(k: int) -> int:  # 1-based position of the k-th relevant record screened
        if found[-1] < k:
            raise ValueError(f"only {int(found[-1])} of the {relevant} relevant records were screened")
        return int(np.searchsorted(found, k) + 1)

    n95, n100 = position(math.ceil(0.95 * relevant)), position(relevant)
    return {"n_records": n_records, "n_relevant": relevant,
            "records_to_95pct_recall": n95, "records_to_100pct_recall": n100,
            "wss95": round((n_records - n95) / n_records - 0.05, 4),
            "recall_at_10pct": round(float(found[math.ceil(0.1 * n_records) - 1]) / relevant, 4)}


def draw_priors(labels, seed: int) -> tuple[list[int], list[int]]:
    """One relevant and one irrelevant row, drawn with `seed` (the simulation's default start)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    relevant, irrelevant = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    if not len(relevant) or not len(irrelevant):
        raise ReviewError("a simulation needs at least one included and one excluded record")
    return [int(rng.choice(relevant))], [int(rng.choice(irrelevant))]


def _check_priors(rows, labels, expected: int, what: str) -> list[int]:
    rows = [int(r) for r in rows]
    for r in rows:
        if not 0 <= r < len(labels):
            raise ReviewError(f"prior {what} row {r} is out of range: rows are numbered "
                              f"0 to {len(labels) - 1}")
        if labels[r] != expected:
            raise ReviewError(f"prior {what} row {r} is labelled {int(labels[r])} "
                              f"(label_included), not {expected}")
    if len(set(rows)) != len(rows):
        raise ReviewError(f"prior {what} rows repeat a row: {rows}")
    return rows


def screening_order(prioritiser: Prioritiser, labels: np.ndarray, priors: list[int],
                    wanted: int) -> list[int]:
    """Rows in the order screened: the priors, then each time the record the prioritiser,
    retrained on every decision so far, ranks highest, until `wanted` relevant ones are found."""
    order = list(priors)
    decided = np.zeros(len(labels), dtype=bool)
    decided[order] = True
    found = int(labels[order].sum())
    while found < wanted:
        rows = np.array(order)
        scores = prioritiser.scores_for(rows, labels[rows])
        if scores is None:  # no include or no exclude yet: the seeded random order
            nxt = next(int(r) for r in prioritiser.random_order if not decided[r])
        else:
            todo = np.flatnonzero(~decided)
            nxt = int(todo[np.argmax(scores[todo])])
        order.append(nxt)
        decided[nxt] = True
        found += int(labels[nxt])
    return order


def simulate(frame: pd.DataFrame, seed: int, prior_included=None, prior_excluded=None,
             *, prioritiser: Prioritiser | None = None,
             model: str = DEFAULT_MODEL) -> SimulationResult:
    """Screen `frame` (title, abstract, label_included) in the prioritiser's order, retraining
    after every decision as ASReview does, until every relevant record is found.

    Priors are 0-based row numbers; a side left as None is drawn with `seed` (one record), an
    empty list means none (records then come in random order until both kinds are seen).
    `model` names one of `review.screening.models.MODELS` (ignored when `prioritiser` is given)."""
    started = time.perf_counter()
    missing = [c for c in ("title", "abstract", "label_included") if c not in frame.columns]
    if missing:
        raise ReviewError(f"the dataset lacks the column(s) {', '.join(missing)}")
    labels = pd.to_numeric(frame["label_included"], errors="raise").to_numpy(dtype=np.int64)
    if not set(np.unique(labels)) <= {0, 1}:
        raise ReviewError("label_included must be 0 or 1 in every row")
    drawn_in, drawn_out = draw_priors(labels, seed)
    prior_in = _check_priors(drawn_in if prior_included is None else prior_included, labels, 1,
                             "included")
    prior_out = _check_priors(drawn_out if prior_excluded is None else prior_excluded, labels, 0,
                              "excluded")
    n, relevant = len(labels), int(labels.sum())
    if prioritiser is None:
        texts = [record_text(t, a) for t, a in zip(frame["title"], frame["abstract"])]
        prioritiser = make_prioritiser(texts, model=model, seed=seed)
    order = screening_order(prioritiser, labels, prior_in + prior_out, relevant)
    screened = labels[order].tolist()
    metrics = screening_metrics(screened, n, relevant)
    return SimulationResult(**metrics, seconds=round(time.perf_counter() - started, 2),
                            prior_included=prior_in, prior_excluded=prior_out, order=order,
                            labels=screened)


# -- reading labelled datasets --------------------------------------------------------------------
def load_labelled_csv(path) -> pd.DataFrame:
    """A labelled screening dataset (ASReview's CSV layout) with columns title, abstract and
    label_included (0/1); `included` and ASReview's other label names are accepted. Any encoding
    among UTF-8 (with or without BOM), UTF-16 with BOM, cp1252 and Latin-1; empty cells are ""."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReviewError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    text = _decode(raw)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ReviewError(f"{path}: not a readable CSV ({str(exc).strip()})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    lower = {c.lower(): c for c in frame.columns}
    label = next((lower[c] for c in LABEL_COLUMNS if c in lower), None)
    missing = [c for c in ("title", "abstract") if c not in lower]
    if label is None:
        missing.append("label_included")
    if missing:
        raise ReviewError(f"{path}: missing column(s) {', '.join(missing)}; found "
                          f"{', '.join(frame.columns) or 'none'}")
    frame = frame.rename(columns={lower["title"]: "title", lower["abstract"]: "abstract",
                                  label: "label_included"})
    values = frame["label_included"].str.strip()
    bad = ~values.isin(["0", "1", "0.0", "1.0"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ReviewError(f"{path}: row {row} (0-based, line {row + 2}) has label "
                          f"{values.iloc[row]!r} in column {label!r}; expected 0 or 1")
    frame["label_included"] = values.astype(float).astype(int)
    return frame


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")
