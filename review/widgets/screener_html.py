"""The HTML the screener draws from a record: title, authors, source, keywords and abstract with
keywords highlighted, the other reviewers' decisions, the full-text links and the criteria. Kept
apart from `review.widgets.screener` (the view and its clicks), which imports it back. Record text
is data: every value is HTML-escaped before it reaches the page."""
from __future__ import annotations

import html

from ..screening.records import highlight_keywords
from ..screening.session import ScreeningItem
from ..screening.wording import stage_name
from ._values import shown as _text

__all__ = ["RecordHtml", "progress_html"]

_SAID = {"include": "included", "exclude": "excluded", "maybe": "maybe",
         "skip": "skipped", "not_retrieved": "not retrieved"}
_STYLE = ("<style>.review-screener mark.review-include{background:#c8e6c9;padding:0 1px}"
          ".review-screener mark.review-exclude{background:#ffcdd2;padding:0 1px}"
          ".review-screener .review-abstract{line-height:1.5;max-width:60em}"
          ".review-screener .review-line{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;"
          "line-height:1.6;height:1.6em}"
          ".review-progress-bar{display:inline-block;vertical-align:middle;width:10em;height:.7em;"
          "background:#e0e0e0;border-radius:3px;margin-right:.6em;overflow:hidden}"
          ".review-progress-bar>span{display:block;height:100%;background:#43a047}"
          ".review-needs-attention select{outline:2px solid #b00020}</style>")
_CELL = "padding:2px 8px;text-align:left;border-bottom:1px solid #ddd"
#: Keyword lists longer than this (characters) are folded behind a "show all" line.
_FOLD_KEYWORDS = 160


def _items(value) -> list[str]:
    return [_text(v) for v in value if _text(v)] if isinstance(value, (list, tuple)) else []


def progress_html(done: int, total: int, words: str) -> str:
    """A progress bar and its sentence, on one line."""
    share = 0 if not total else round(100 * done / total)
    return (f"<div class='review-line'><span class='review-progress-bar' title='{share}%'>"
            f"<span style='width:{share}%'></span></span>{words}</div>")


class RecordHtml:
    """The screener's drawing of a record, as HTML (a mixin of `Screener`: it reads
    `self.session`, `self._reasons` and `self.full_text`)."""

    def record_html(self, item: ScreeningItem) -> str:
        """The record: title, authors, source, keywords and abstract, keywords highlighted."""
        r, words = item.record, self.session.keywords

        def mark(text: str) -> str:
            return highlight_keywords(text, words.include, words.exclude)

        authors = _items(r.get("authors"))
        if len(authors) > 12:
            authors = authors[:10] + [f"et al. ({len(authors)} authors)"]
        source = ", ".join(x for x in (_text(r.get("journal")), _text(r.get("year"))) if x)
        doi = _text(r.get("doi"))
        parts = [f"<h3 style='margin:8px 0 4px'>{mark(_text(r.get('title'))) or '<i>No title</i>'}</h3>",
                 f"<div>{html.escape('; '.join(authors)) or '<i>No authors</i>'}</div>",
                 f"<div><i>{html.escape(source)}</i>"
                 + (f" · doi:{html.escape(doi)}" if doi else "")
                 + f" · record {item.record_id}</div>"]
        databases = _items(r.get("databases"))
        if databases:
            places = html.escape("; ".join(_items(r.get("found_in"))), quote=True)
            parts.append(f"<div title='{places}'>Found in: {html.escape(', '.join(databases))}</div>")
        keywords = _items(r.get("keywords"))
        if keywords:
            marked = "; ".join(mark(k) for k in keywords)
            if len("; ".join(keywords)) > _FOLD_KEYWORDS:
                parts.append(f"<details><summary><b>Keywords</b> ({len(keywords)}, click to show)"
                             f"</summary>{marked}</details>")
            else:
                parts.append(f"<div><b>Keywords:</b> {marked}</div>")
        abstract = mark(_text(r.get("abstract"))) or "<i>No abstract</i>"
        parts.append(f"<p class='review-abstract'>{abstract}</p>")
        return "".join(parts)

    def _others_html(self, item: ScreeningItem) -> str:
        if item.others is None:
            return "<p style='color:#666'>Blind screening: other reviewers' decisions are hidden.</p>"
        if not item.others:
            return "<p style='color:#666'>No other reviewer has decided on this record.</p>"
        rows = "".join(
            f"<tr><td style='{_CELL}'>{html.escape(_text(o.get('reviewer')))}"
            + (" (resolver)" if o.get("role") == "resolver" else "") + "</td>"
            f"<td style='{_CELL}'><b>{html.escape(_SAID.get(o.get('decision'), _text(o.get('decision'))))}</b></td>"
            f"<td style='{_CELL}'>{html.escape(self._reasons.get(o.get('reason'), _text(o.get('reason'))))}</td>"
            f"<td style='{_CELL}'>{html.escape(_text(o.get('note')))}</td></tr>" for o in item.others)
        return ("<table style='border-collapse:collapse'><tr>"
                + "".join(f"<th style='{_CELL}'>{h}</th>" for h in ("Reviewer", "Decision", "Reason", "Note"))
                + f"</tr>{rows}</table>")

    @staticmethod
    def _links_html(found) -> str:
        links = " · ".join(f"<a href='{html.escape(url, quote=True)}' target='_blank' "
                           f"rel='noopener noreferrer'>{html.escape(label)}</a>"
                           for label, url in found.links)
        if not links and found.pdf is None:
            return ("<span>No full text found: put the PDF in the review folder as "
                    "<code>pdfs/&lt;record id&gt;.pdf</code>.</span>")
        return f"<b>Full text:</b> {links or 'no link'}&nbsp;"

    def _criteria_html(self) -> str:
        eligibility = self.session.eligibility

        def listed(items) -> str:
            return "<ul>" + "".join(f"<li>{html.escape(str(x))}</li>" for x in items) + "</ul>"

        reasons = "".join(f"<li>{i} · {html.escape(label)}</li>"
                          for i, (_code, label) in enumerate(self.session.reasons, 1))
        return (f"<b>Include</b>{listed(eligibility.include)}<b>Exclude</b>"
                f"{listed(eligibility.exclude)}<b>Exclusion reasons at "
                f"{stage_name(self.session.stage)}</b> (keys 1-9)<ul>{reasons}</ul>"
                "<small>Click anywhere on the screener, then: i include, e exclude, "
                "m maybe, s skip" + (", n not retrieved, p show the PDF" if self.full_text else "")
                + ", u undo. The keys stay live until you click elsewhere or press Esc.</small>")
