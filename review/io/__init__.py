"""Readers and writers, one module per format; `read_file` decodes, detects and dispatches.

`iter_bytes` is the streaming form used by imports: a large UTF-8 file is decoded a few MB at a
time and readers with an iterator form (RIS, MEDLINE) yield records as they go, so a 100,000-record
file is never held as one decoded text or one list of records.
"""
from __future__ import annotations

import codecs
import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import ImportFormatError, ParseWarning, ReviewError
from ._text import _utf16_without_bom, decode
from .detect import FORMATS, detect_binary, detect_format, format_from_suffix

if TYPE_CHECKING:  # pandas (behind Parsed) is imported when a file is read, not by `review --help`
    from ..records import Parsed

__all__ = ["FORMATS", "read_file", "read_bytes", "iter_bytes", "sha256_of", "LoadedFile",
           "ParsedStream"]

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
#: Readers that also have an iterator form `iter_<fmt>(text_or_pieces, file, warnings)`.
ITER_READERS = {
    "ris": ("ris", "iter_ris"),
    "medline": ("medline", "iter_medline"),
}
BINARY_FORMATS = {"xlsx"}
#: Bytes decoded at a time when a UTF-8 file is streamed (pieces are then cut at line ends).
_CHUNK_BYTES = 1 << 22
#: Text used to detect the format: detect_format reads no further than its first 20,000 chars.
_HEAD_BYTES = 1 << 16


@dataclass
class LoadedFile:
    parsed: Parsed
    sha256: str
    name: str


@dataclass
class ParsedStream:
    """A file being parsed: `records` yields each record dict once, in file order.

    `warnings` fills as parsing proceeds and is complete once `records` is exhausted; `count` is
    the number of records yielded so far. Any failure, however late, is an ImportFormatError.
    """

    records: Iterator[dict[str, Any]]
    warnings: list[ParseWarning]
    format: str
    encoding: str
    count: int = 0

    def parsed(self) -> Parsed:
        """Read the rest of the stream into a `Parsed`."""
        from ..records import Parsed
        records = list(self.records)
        return Parsed(records, self.warnings, format=self.format, encoding=self.encoding)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reader(fmt: str, table: dict = READERS):
    module, function = table[fmt]
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


def read_bytes(data: bytes, file: str, format: str | None = None) -> Parsed:
    """Parse a whole file's bytes; every failure is an ImportFormatError naming `file`."""
    return iter_bytes(data, file, format).parsed()


def iter_bytes(data: bytes, file: str, format: str | None = None, *,
               fallback: str | None = None) -> ParsedStream:
    """Start parsing a file's bytes; records are read as the stream is consumed.

    Decoding and detection happen now, so an unreadable or unrecognised file fails here; a
    malformed record fails when reached. `fallback` is the format to use when detection finds
    none (instead of the file suffix), e.g. 'webpage' for records found by other methods.
    """
    if format is not None and format not in READERS:
        raise ImportFormatError(file, f"a format among {', '.join(READERS)}", found=format)
    if not data or data.isspace():  # not `data.strip()`: that copies a large file
        raise ImportFormatError(file, "at least one record", found="an empty file")
    fmt = format or detect_binary(data)
    try:
        if fmt in BINARY_FORMATS:
            parsed = _reader(fmt)(data, file)
            stream = ParsedStream(iter(()), list(parsed.warnings), fmt, "binary")
            stream.records = _guarded(stream, iter(parsed.records), file)
            return stream
        body = _streamable(data) if fmt is None or fmt in ITER_READERS else None
        if body is None:
            decoded = decode(data, file)
            head, encoding, warnings = decoded.text, decoded.encoding, list(decoded.warnings)
        else:
            head, encoding, warnings = _utf8_head(data, body), "utf-8-sig" if body else "utf-8", []
        fmt = fmt or detect_format(head, file) or fallback
        if fmt is None:
            suffix = format_from_suffix(file)
            if suffix and suffix != "webpage":
                fmt = suffix
            else:
                raise ImportFormatError(
                    file, "a bibliographic export (RIS, MEDLINE/nbib, PubMed or EndNote XML, "
                    "BibTeX, Web of Science, CSV/TSV/XLSX); for a web page or pasted text "
                    "use --format webpage", line=1, found=head.strip().split("\n", 1)[0])
        stream = ParsedStream(iter(()), warnings, fmt, encoding)
        if fmt in ITER_READERS:
            text = head if body is None else _utf8_pieces(data, body)
            records = _reader(fmt, ITER_READERS)(text, file, warnings)
        else:
            parsed = _reader(fmt)(head if body is None else decode(data, file).text, file)
            warnings.extend(parsed.warnings)
            records = iter(parsed.records)
        stream.records = _guarded(stream, records, file)
        return stream
    except ReviewError:
        raise
    except Exception as exc:
        raise _unforeseen(exc, file, fmt) from None


def _guarded(stream: ParsedStream, records: Iterator[dict], file: str) -> Iterator[dict]:
    """Count records, turn a reader's unforeseen failure into ImportFormatError, refuse none."""
    try:
        for record in records:
            stream.count += 1
            yield record
    except ReviewError:
        raise
    except Exception as exc:
        raise _unforeseen(exc, file, stream.format) from None
    if not stream.count:
        raise ImportFormatError(file, f"at least one {FORMATS[stream.format]} record",
                                found="none")


def _unforeseen(exc: Exception, file: str, fmt: str | None) -> ImportFormatError:
    """A reader's library failed in a way it did not foresee: still one clear error."""
    expected = f"a readable {FORMATS.get(fmt or '', 'bibliographic')} file"
    if isinstance(exc, RecursionError):
        return ImportFormatError(file, expected, found="nesting too deep")
    return ImportFormatError(file, expected, found=f"{type(exc).__name__}: {exc}")


def _streamable(data: bytes) -> int | None:
    """Where the text starts (after a UTF-8 BOM) when a large file can be decoded in pieces.

    Streaming must give exactly what `decode` gives, so it is used only for a file that is UTF-8
    throughout without NUL characters (checked a chunk at a time, keeping no text); a file that
    needs the cp1252 fallback, UTF-16 or the NUL error, or a small one, goes through `decode`.
    """
    if len(data) <= 2 * _CHUNK_BYTES or b"\x00" in data:
        return None
    body = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if not body and (data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
                     or _utf16_without_bom(data)):
        return None
    if data.isascii():
        return body
    view, end, position = memoryview(data), len(data), body
    size = max(_CHUNK_BYTES, 4)  # a whole character always fits, so each step makes progress
    try:
        while position < end:
            stop = min(position + size, end)
            position += codecs.utf_8_decode(view[position:stop], "strict", stop == end)[1]
    except UnicodeDecodeError:
        return None
    return body


def _utf8_head(data: bytes, body: int) -> str:
    """The start of a streamable file's text, enough for `detect_format`."""
    text = codecs.utf_8_decode(data[body:body + _HEAD_BYTES], "strict", False)[0]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[1:] if text.startswith("\ufeff") else text


def _utf8_pieces(data: bytes, body: int) -> Iterator[str]:
    """The text of a streamable file in pieces that end just after a '\n' (the last one may
    not), with line ends made '\n' and a leading U+FEFF dropped, as `decode` does for a whole."""
    view, end, position = memoryview(data), len(data), body
    size = max(_CHUNK_BYTES, 4)
    carry, first = "", True
    while position < end:
        stop = min(position + size, end)
        text, used = codecs.utf_8_decode(view[position:stop], "strict", stop == end)
        position += used
        text = carry + text
        if first:
            first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        carry = ""
        if position < end:
            if text.endswith("\r"):  # its '\n' may begin the next chunk
                text, carry = text[:-1], "\r"
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if position < end:
            cut = text.rfind("\n") + 1
            text, carry = text[:cut], text[cut:] + carry
        if text:
            yield text


def read_file(path: str | Path, format: str | None = None) -> LoadedFile:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(str(path), "a readable file", found=exc.strerror or str(exc)) from None
    return LoadedFile(read_bytes(data, str(path), format), sha256_of(data), path.name)
