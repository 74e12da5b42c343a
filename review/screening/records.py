"""What is screened at each stage: one row per work (a deduplicated item: the merged view of its
records, with every source it was found in); at full text, the works included at title/abstract.
Records imported since the last deduplication are works of their own until it runs again."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from ..dedup.merge import merged_records
from .decisions import final_decisions

__all__ = ["screening_records", "highlight_keywords", "pdf_for"]


def screening_records(review, stage: str) -> pd.DataFrame:
    """The works to screen at `stage`, indexed by work id (column name `record_id`)."""
    store = review.store
    records = store.records(with_raw=False)
    merged = merged_records(records, store.work_of_records()).set_index("record_id")
    if stage == "full_text":
        passed = final_decisions(store, "title_abstract")
        keep = passed.loc[passed["final"] == "include", "record_id"]
        merged = merged[merged.index.isin(keep)]
    return merged


def highlight_keywords(text: str | None, include: list[str], exclude: list[str]) -> str:
    """HTML of `text` (escaped first: record text is data) with the protocol's include terms
    and exclude terms marked in two colours."""
    if not text:
        return ""
    escaped = html.escape(str(text))
    terms = [(t, "include") for t in include if t] + [(t, "exclude") for t in exclude if t]
    if not terms:
        return escaped
    terms.sort(key=lambda item: -len(item[0]))  # "NK cell" before "NK"
    kind = {html.escape(t).lower(): k for t, k in terms}
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(html.escape(t)) for t, _ in terms)
                         + r")((?:e?s)?)(?![\w])", re.IGNORECASE)  # "exosome" marks "exosomes"

    def mark(match: re.Match) -> str:
        word = match.group(0)
        return f'<mark class="review-{kind.get(match.group(1).lower(), "include")}">{word}</mark>'

    return pattern.sub(mark, escaped)


def pdf_for(review, record_id: int, record: pd.Series | dict | None = None) -> str | None:
    """A local PDF for the record if the review folder holds one (`pdfs/<record id>.pdf` or
    `pdfs/<DOI with / as _>.pdf`), else the record's URL or DOI link, else None."""
    folder = Path(review.path) / "pdfs"
    candidates = [folder / f"{record_id}.pdf"]
    doi = (record or {}).get("doi") if record is not None else None
    if isinstance(doi, str) and doi:
        candidates.append(folder / (doi.replace("/", "_") + ".pdf"))
    for path in candidates:
        if path.exists():
            return str(path)
    url = (record or {}).get("url") if record is not None else None
    if isinstance(url, str) and url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()  # only a web link: a record's `javascript:` URL is never offered
    return f"https://doi.org/{doi}" if isinstance(doi, str) and doi else None
