"""A PDF shown inside a widget: its pages as images and its text, searchable, with the
protocol's keywords highlighted. Rendered in the kernel with pypdfium2, so it works wherever
the widget does (JupyterLab, Voila), whatever Jupyter's root folder, and never opens a browser.
"""
from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import ipywidgets as widgets

__all__ = ["PdfViewer", "pdf_pages", "pdf_text"]

#: Pages drawn at most (a long supplement would otherwise fill the kernel's memory).
MAX_PAGES = 20


def pdf_text(path: str | Path) -> list[str]:
    """The text of each page of the PDF at `path`."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def pdf_pages(path: str | Path, *, scale: float = 1.3, limit: int = MAX_PAGES) -> list[bytes]:
    """The first `limit` pages of the PDF at `path` as PNG images."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        images = []
        for i in range(min(len(document), limit)):
            buffer = io.BytesIO()
            document[i].render(scale=scale).to_pil().save(buffer, format="PNG")
            images.append(buffer.getvalue())
        return images
    finally:
        document.close()


def _highlight(text: str, words: list[str], style: str) -> str:
    """`text` escaped, with each of `words` (case-insensitive) wrapped in <mark>."""
    words = [w for w in words if w and w.strip()]
    if not words:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(w.strip()) for w in sorted(words, key=len, reverse=True)),
                         re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last:match.start()]))
        out.append(f"<mark style='{style}'>{html.escape(match.group(0))}</mark>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


class PdfViewer(widgets.VBox):
    """Pages and searchable text of one PDF; `show(path)` loads one, `clear()` empties it."""

    def __init__(self, include_words=(), exclude_words=()):
        super().__init__()
        self.include_words, self.exclude_words = list(include_words), list(exclude_words)
        self.path: Path | None = None
        self._pages_text: list[str] = []
        self.title = widgets.HTML()
        self.search = widgets.Text(placeholder="Search the PDF's text", description="Search",
                                   continuous_update=False, layout=widgets.Layout(width="24em"))
        self.search.observe(lambda _c: self._draw_text(), names="value")
        self.found = widgets.HTML()
        self.text = widgets.HTML(layout=widgets.Layout(max_height="24em", overflow="auto"))
        self.pages = widgets.HTML(layout=widgets.Layout(max_height="40em", overflow="auto"))
        self.tabs = widgets.Tab(children=[self.pages, widgets.VBox([
            widgets.HBox([self.search, self.found]), self.text])], titles=("Pages", "Text"))
        self.children = [self.title, self.tabs]
        self.add_class("review-pdf-viewer")
        self.layout.display = "none"

    def show(self, path: str | Path) -> str:
        """Load and draw the PDF at `path`; returns what to tell the reviewer."""
        path = Path(path)
        try:
            images = pdf_pages(path)
            self._pages_text = pdf_text(path)
        except Exception as exc:  # noqa: BLE001 - pdfium's errors name no file: say which
            self.clear()
            raise ValueError(f"{path.name} could not be read as a PDF ({exc})") from exc
        self.path = path
        more = (f" (the first {len(images)} of {len(self._pages_text)} pages are drawn)"
                if len(images) < len(self._pages_text) else "")
        self.title.value = f"<b>PDF:</b> {html.escape(path.name)}{more}"
        self.pages.value = "".join(
            f"<img alt='page {i}' style='display:block;max-width:100%;margin:4px 0;"
            f"border:1px solid #ccc' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
            for i, png in enumerate(images, 1))
        self.search.value = ""
        self._draw_text()
        self.layout.display = None
        return f"Showing {path.name} below the record."

    def clear(self) -> None:
        self.path, self._pages_text = None, []
        self.pages.value = self.text.value = self.title.value = self.found.value = ""
        self.layout.display = "none"

    def _draw_text(self) -> None:
        query = self.search.value.strip()
        parts, hits = [], 0
        for number, page in enumerate(self._pages_text, 1):
            marked = _highlight(page, self.include_words, "background:#c8e6c9")
            if self.exclude_words:
                marked = _highlight_marked(marked, self.exclude_words, "background:#ffcdd2")
            if query:
                count = page.lower().count(query.lower())
                if not count:
                    continue
                hits += count
                marked = _highlight_marked(marked, [query], "background:#ffeb3b")
            parts.append(f"<p><b>Page {number}</b></p><div style='white-space:pre-wrap'>{marked}</div>")
        self.found.value = ("" if not query else
                            f"{hits} match{'es' if hits != 1 else ''} for “{html.escape(query)}”")
        self.text.value = "".join(parts) or "<i>No text found.</i>"


def _highlight_marked(marked_html: str, words: list[str], style: str) -> str:
    """Highlight `words` in HTML made by `_highlight`, only in its text (never inside tags)."""
    pieces = re.split(r"(<[^>]+>)", marked_html)
    pattern = re.compile("|".join(re.escape(html.escape(w.strip())) for w in words if w.strip()),
                         re.IGNORECASE)
    if not pattern.pattern:
        return marked_html
    return "".join(p if p.startswith("<") else
                   pattern.sub(lambda m: f"<mark style='{style}'>{m.group(0)}</mark>", p)
                   for p in pieces)
