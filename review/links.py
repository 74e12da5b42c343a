"""Which text may become a link or be opened: http, https and local files, nothing else.

A record's URL is data from a database export: `javascript:`, `data:`, `file://` to another
machine or any custom scheme (`ms-word:`, `vscode:`) must never become a link's target or be
passed to the system's browser. `safe_link` is the one gate for every link and "open" action."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["safe_link", "LINK_SCHEMES"]

#: URL schemes a link may use.
LINK_SCHEMES = ("http", "https")


def safe_link(target: str | Path | None) -> str | None:
    """`target` as a URL safe to link to or open, or None.

    An http(s) URL with a host is returned as written (surrounding space removed); a path to an
    existing local file becomes a `file://` URI; a `file://` URI is accepted only for an
    existing local file. Everything else (other schemes, control characters, missing files)
    gives None."""
    if target is None:
        return None
    if isinstance(target, Path):
        return target.resolve().as_uri() if target.is_file() else None
    text = str(target).strip()
    if not text or any(ord(c) < 32 or c == "\x7f" for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in LINK_SCHEMES:
        return text if parts.netloc and not parts.netloc.startswith("@") else None
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return None
        from urllib.request import url2pathname
        path = Path(url2pathname(parts.path))
        return path.resolve().as_uri() if path.is_absolute() and path.is_file() else None
    if scheme and len(scheme) > 1:  # a scheme, not a Windows drive letter (C:\...)
        return None
    path = Path(text).expanduser()
    return path.resolve().as_uri() if path.is_file() else None
