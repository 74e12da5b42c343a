"""Readers and writers, one module per format; `read_file` decodes, detects and dispatches."""
from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImportFormatError, ReviewError
from ..records import Parsed
from ._text import decode
from .detect import FORMATS, detect_binary, detect_format, format_from_suffix

__all__ = ["FORMATS", "read_file", "read_bytes", "sha256_of", "LoadedFile"]

#: Format name -> (module, function). Text readers take (text, file); binary ones take (data, file).
READERS = {
    "ris": ("ris", "read_ris"),
    "medline": ("medline", "read_medline"),
    "pubmed_xml": ("pubmed_xml", "read_pubmed_xml"),
    "endnote_xml": ("endnote_xml", "read_endnote_xml"),
    "bibtex": ("bibtex", "read_bibtex"),
    "wos": ("wos", "read_wos"),
    "table": ("table", "read_table"),
    "xlsx": ("xlsx", "read_xlsx"),
    "webpage": ("webpage", "read_webpage"),
}
BINARY_FORMATS = {"xlsx"}


@dataclass
class LoadedFile:
    parsed: Parsed
    sha256: str
    name: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reader(fmt: str):
    module, function = READERS[fmt]
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


def read_bytes(data: bytes, file: str, format: str | None = None) -> Parsed:
    """Parse a whole file's bytes; every failure is an ImportFormatError naming `file`."""
    if format is not None and format not in READERS:
        raise ImportFormatError(file, f"a format among {', '.join(READERS)}", found=format)
    if not data.strip():
        raise ImportFormatError(file, "at least one record", found="an empty file")
    fmt = format or detect_binary(data)
    try:
        if fmt in BINARY_FORMATS:
            parsed = _reader(fmt)(data, file)
            encoding = "binary"
            warnings = []
        else:
            decoded = decode(data, file)
            fmt = fmt or detect_format(decoded.text, file)
            if fmt is None:
                suffix = format_from_suffix(file)
                if suffix and suffix != "webpage":
                    fmt = suffix
                else:
                    raise ImportFormatError(
                        file, "a bibliographic export (RIS, MEDLINE/nbib, PubMed or EndNote XML, "
                        "BibTeX, Web of Science, CSV/TSV/XLSX); for a web page or pasted text "
                        "use --format webpage", line=1, found=decoded.text.strip().split("\n", 1)[0])
            parsed = _reader(fmt)(decoded.text, file)
            encoding, warnings = decoded.encoding, decoded.warnings
    except ReviewError:
        raise
    except RecursionError:
        raise ImportFormatError(file, f"a readable {FORMATS.get(fmt or '', 'bibliographic')} file",
                                found="nesting too deep") from None
    except Exception as exc:  # a reader's library failed in a way it did not foresee
        raise ImportFormatError(file, f"a readable {FORMATS.get(fmt or '', 'bibliographic')} file",
                                found=f"{type(exc).__name__}: {exc}") from None
    parsed.format = fmt
    parsed.encoding = encoding
    parsed.warnings = list(warnings) + list(parsed.warnings)
    if not parsed.records:
        raise ImportFormatError(file, f"at least one {FORMATS[fmt]} record", found="none")
    return parsed


def read_file(path: str | Path, format: str | None = None) -> LoadedFile:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(str(path), "a readable file", found=exc.strerror or str(exc)) from None
    return LoadedFile(read_bytes(data, str(path), format), sha256_of(data), path.name)
