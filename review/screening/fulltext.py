"""Where a record's full text is: web links (DOI first) and a PDF kept with the review.

A PDF is "attached" to a work by being in the review's `pdfs/` folder under the work's id
(`pdfs/123.pdf`) or its DOI with "/" as "_" (`pdfs/10.1000_xyz.pdf`); `attach_pdf` puts one
there from a path or uploaded bytes. What may become a link is decided by `review.links.safe_link`
alone (http(s), or an existing local file): a record's URL of any other scheme is data, not a
link. Nothing here opens a browser: the widgets show the links and the PDF.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..links import safe_link
from ..records import has_value

__all__ = ["FullText", "full_text", "local_pdf", "attach_pdf", "web_url"]


@dataclass(frozen=True)
class FullText:
    """Links to the full text, best first, and the local PDF if the review holds one."""

    links: list[tuple[str, str]] = field(default_factory=list)  # (label, URL safe_link allows)
    pdf: Path | None = None


def _text(value) -> str:
    return str(value).strip() if has_value(value) else ""


def web_url(value) -> str | None:
    """`value` as a link target if `safe_link` allows it (http(s) with a host, or an existing
    local file), else None: `javascript:`, `data:`, `file://` to another machine are data."""
    text = _text(value)
    return safe_link(text) if text else None


def _pdf_names(record_id: int, record) -> list[str]:
    names = [f"{record_id}.pdf"]
    doi = _text((record or {}).get("doi"))
    if doi:
        names.append(doi.replace("/", "_") + ".pdf")
    return names


def local_pdf(review, record_id: int, record=None) -> Path | None:
    """The PDF in the review's `pdfs/` folder for this work (by id, then by DOI), if any."""
    folder = Path(review.path) / "pdfs"
    for name in _pdf_names(record_id, record):
        path = folder / name
        if path.is_file():
            return path
    return None


def full_text(review, record_id: int, record=None) -> FullText:
    """The record's full-text links (DOI, then PubMed Central, then its own URL) and local PDF."""
    record = record or {}
    links: list[tuple[str, str]] = []
    doi = _text(record.get("doi"))
    if doi:
        link = safe_link("https://doi.org/" + quote(doi, safe="/:;()._-"))
        if link:
            links.append((f"doi:{doi}", link))
    pmcid = _text(record.get("pmcid"))
    if pmcid:
        pmcid = pmcid.upper() if pmcid.upper().startswith("PMC") else f"PMC{pmcid}"
        link = safe_link(f"https://www.ncbi.nlm.nih.gov/pmc/articles/{quote(pmcid)}/")
        if link:
            links.append((f"PubMed Central {pmcid}", link))
    url = web_url(record.get("url"))
    if url and all(url != link for _label, link in links):
        links.append(("Record's link", url))
    return FullText(links, local_pdf(review, record_id, record))


def attach_pdf(review, record_id: int, source: str | Path | bytes) -> Path:
    """Keep a PDF (a file's path or its bytes) with the review as `pdfs/<work id>.pdf`."""
    data = source if isinstance(source, bytes) else None
    if data is None:
        path = Path(source).expanduser()
        if not path.is_file():
            raise ValueError(f"no file at {path}")
        with path.open("rb") as handle:
            head = handle.read(5)
    else:
        head = data[:5]
    if head != b"%PDF-":
        raise ValueError("this file is not a PDF (it does not start with %PDF-)")
    folder = Path(review.path) / "pdfs"
    folder.mkdir(exist_ok=True)
    target = folder / f"{record_id}.pdf"
    partial = target.with_suffix(".pdf.part")
    if data is None:
        shutil.copyfile(path, partial)
    else:
        partial.write_bytes(data)
    partial.replace(target)  # never a half-written PDF under the work's name
    return target
