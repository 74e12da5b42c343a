"""Bytes to text: byte-order marks, UTF-16 without a BOM, line ends, and a reported cp1252 fallback."""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Iterable

from ..errors import ImportFormatError, ParseWarning

__all__ = ["DecodedText", "decode", "text_pieces", "span_text"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass
class DecodedText:
    text: str
    encoding: str
    warnings: list[ParseWarning] = field(default_factory=list)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def _decode_8bit(body: bytes, file: str, warnings: list, encoding: str | None) -> tuple[str, str]:
    """An XML declaration's encoding if it names one, else UTF-8, else cp1252 with a warning."""
    declared = _XML_DECLARATION.match(body[:200])
    name = declared.group(1).decode("ascii").lower() if declared else ""
    if name and not name.startswith(("utf-16", "utf-32", "ucs")):  # wide ones were caught above
        try:
            return body.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return body.decode("utf-8"), encoding or "utf-8"
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        bad = body[exc.start]
    mixed = _mixed_lines(body)
    if mixed is not None:
        text, lines = mixed
        shown = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")
        warnings.append(ParseWarning(
            file, f"the file mixes encodings: {len(lines)} line(s) are not valid UTF-8 (lines "
            f"{shown}); those were read as Windows-1252 (cp1252), the others as UTF-8: check "
            f"their accented letters", line=lines[0]))
        return text, "utf-8+cp1252"
    try:
        text, encoding = body.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, encoding = body.decode("latin-1"), "latin-1"
    warnings.append(ParseWarning(
        file, f"not valid UTF-8 (first bad byte 0x{bad:02x}); read as {encoding}", line=line))
    return text, encoding


def _mixed_lines(body: bytes) -> tuple[str, list[int]] | None:
    """Text decoded a line at a time, UTF-8 where a line is valid UTF-8 and cp1252 (latin-1 for
    bytes cp1252 leaves undefined) where not, with the numbers of the latter lines; None unless
    the file really mixes the two (some non-ASCII lines valid UTF-8, some not)."""
    parts, bad, utf8 = [], [], False
    for number, raw in enumerate(body.split(b"\n"), 1):
        if raw.isascii():
            parts.append(raw.decode("ascii"))
            continue
        try:
            parts.append(raw.decode("utf-8"))
            utf8 = True
        except UnicodeDecodeError:
            try:
                parts.append(raw.decode("cp1252"))
            except UnicodeDecodeError:
                parts.append(raw.decode("latin-1"))
            bad.append(number)
    if not (utf8 and bad):
        return None
    return "\n".join(parts), bad


def decode(data: bytes, file: str) -> DecodedText:
    """Decode a whole file to text with '\\n' line ends; a BOM wins, then UTF-8, then cp1252."""
    warnings: list[ParseWarning] = []
    encoding = None
    body = data
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, body = name, data[len(bom):]
            break
    if encoding is None:
        encoding = _utf16_without_bom(data)
    if encoding and encoding.startswith("utf-16"):
        if len(body) % 2:
            body = body[:-1]
            warnings.append(ParseWarning(file, "odd number of bytes for UTF-16; last byte dropped"))
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ImportFormatError(file, f"valid {encoding.upper()} text",
                                    found=f"undecodable bytes at offset {exc.start}") from None
    else:
        text, encoding = _decode_8bit(body, file, warnings, encoding)
    if "\x00" in text:
        raise ImportFormatError(file, "a text file", found="binary data (NUL bytes)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return DecodedText(text, encoding, warnings)


def text_pieces(text: "str | Iterable[str]") -> "Iterable[str]":
    """A streaming reader's input as pieces: a whole text (BOM and CR line ends removed) or the
    dispatcher's already clean, line-aligned pieces, passed through."""
    if not isinstance(text, str):
        return text
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return (text,)


def span_text(piece: str, carry: str, base: int, start: int, end: int) -> str:
    """Text from offset `start` to `end` of the whole input, when the current `piece` begins at
    offset `base` and `carry` holds what came before it from `start` on."""
    if start >= base:
        return piece[start - base:end - base]
    if end <= base:
        return carry[:end - start]
    return carry + piece[:end - base]
