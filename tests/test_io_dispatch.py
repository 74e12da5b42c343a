"""Decoding and detection shared by every reader, and the one-error promise on arbitrary input."""
from __future__ import annotations

import codecs
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from review.errors import ImportFormatError
import review.io as io_module
from review.io import iter_bytes, read_bytes
from review.io._text import decode

RIS = "TY  - JOUR\nTI  - Natural killer cell exosomes kill melanoma cells\nAU  - Zhu, L\nPY  - 2017\nDO  - 10.7150/thno.18745\nER  - \n"


@pytest.mark.parametrize("data, encoding", [
    (RIS.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + RIS.encode("utf-8"), "utf-8-sig"),
    (codecs.BOM_UTF16_LE + RIS.encode("utf-16-le"), "utf-16-le"),
    (codecs.BOM_UTF16_BE + RIS.encode("utf-16-be"), "utf-16-be"),
    (RIS.encode("utf-16-le"), "utf-16-le"),
    (RIS.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
    (RIS.replace("\n", "\r").encode("utf-8"), "utf-8"),
])
def test_encodings_and_line_ends_decode_alike(data, encoding):
    """BOMs, UTF-16 with or without BOM, CRLF and CR-only all give the same text."""
    decoded = decode(data, "x.ris")
    assert decoded.text == RIS
    assert decoded.encoding == encoding
    assert decoded.warnings == []


def test_cp1252_fallback_is_a_warning():
    """A file that is not UTF-8 is read as cp1252 and a warning names the line."""
    data = "TY  - JOUR\nTI  - Caf\u00e9 \u2013 r\u00e9sum\u00e9\nER  - \n".encode("cp1252")
    decoded = decode(data, "old.ris")
    assert decoded.text.splitlines()[1] == "TI  - Caf\u00e9 \u2013 r\u00e9sum\u00e9"
    assert decoded.encoding == "cp1252"
    assert [str(w) for w in decoded.warnings] == [
        "old.ris, line 2: not valid UTF-8 (first bad byte 0xe9); read as cp1252"]


def test_cp1252_fallback_reaches_the_parsed_warnings():
    """The decoding warning is reported with the file's other warnings."""
    parsed = read_bytes("TY  - JOUR\nTI  - Caf\u00e9\nER  - \n".encode("cp1252"), "old.ris")
    assert parsed.records[0]["title"] == "Caf\u00e9"
    assert any("read as cp1252" in str(w) for w in parsed.warnings)


def test_xml_declared_encoding_is_honoured():
    """An XML file that declares ISO-8859-1 is read as such, without a UTF-8 warning."""
    data = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>Caf\u00e9</a>'.encode("latin-1")
    decoded = decode(data, "x.xml")
    assert decoded.text.endswith("<a>Caf\u00e9</a>")
    assert decoded.encoding == "iso-8859-1" and decoded.warnings == []


def test_empty_file_is_refused():
    """An empty file is a clear error, not zero records."""
    with pytest.raises(ImportFormatError, match=r"^empty\.ris: expected at least one record, found 'an empty file'$"):
        read_bytes(b"  \n", "empty.ris")


def test_unrecognised_text_names_the_first_line():
    """Text in no known format says what was expected and suggests --format webpage."""
    with pytest.raises(ImportFormatError) as info:
        read_bytes(b"Dear colleague, here is the list you asked for.\n", "notes.txt")
    assert str(info.value).startswith("notes.txt, line 1: expected a bibliographic export (RIS, ")
    assert "use --format webpage" in str(info.value)


def test_binary_garbage_is_refused():
    """Binary data is not mistaken for text."""
    with pytest.raises(ImportFormatError, match="notes.ris"):
        read_bytes(b"\x00\x01\x02\x03" * 50, "notes.ris")


def test_unknown_forced_format_is_refused():
    """--format must name a known reader."""
    with pytest.raises(ImportFormatError, match="expected a format among ris, medline"):
        read_bytes(RIS.encode(), "a.ris", format="docx")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000), name=st.sampled_from(
    ["a.ris", "a.nbib", "a.xml", "a.bib", "a.ciw", "a.csv", "a.tsv", "a.xlsx", "a.txt", "a.html"]))
def test_arbitrary_bytes_raise_only_the_import_error(data, name):
    """Whatever the bytes, the dispatcher either parses them or raises ImportFormatError."""
    try:
        read_bytes(data, name)
    except ImportFormatError:
        pass


_TAGGED_TEXT = st.lists(st.one_of(
    st.sampled_from(["TY  - JOUR", "ER  - ", "TI  - x", "PMID- 1", "AU  - A", "PT J", "@article{k,",
                     "}", "<PubmedArticle>", "<xml><records><record>", "Title,Authors,DOI",
                     "FN Clarivate", "ER", "EF", "a,b,c", "\t\t", "<html>", "DOI: 10.1/x"]),
    st.text(max_size=40)), max_size=30).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TAGGED_TEXT, fmt=st.sampled_from([None, "ris", "medline", "pubmed_xml", "endnote_xml",
                                               "bibtex", "wos", "table", "webpage"]))
def test_format_like_text_raises_only_the_import_error(text, fmt):
    """Near-miss files built from real tags parse or raise ImportFormatError, whichever reader runs."""
    try:
        read_bytes(text.encode("utf-8"), "near.txt", format=fmt)
    except ImportFormatError:
        pass


# ------------------------------------------------------------------ streaming (iter_bytes)


def _outcome(data: bytes, name: str, chunk: int | None = None):
    """Records, warnings, format and encoding of a read (or its error), optionally streamed in
    chunks of `chunk` bytes, which makes even a tiny file go through the streaming decoder."""
    with patch.object(io_module, "_CHUNK_BYTES", chunk or io_module._CHUNK_BYTES):
        try:
            parsed = read_bytes(data, name)
        except ImportFormatError as exc:
            return str(exc)
    return parsed.records, [str(w) for w in parsed.warnings], parsed.format, parsed.encoding


MEDLINE = "PMID- 1\nTI  - Caf\u00e9 \u2013 na\u00efve \u4e2d\u6587\n      wrapped\nAB  - x\n\nPMID- 2\nTI  - B\n"


@pytest.mark.parametrize("data, name", [
    (RIS.encode("utf-8") * 3, "a.ris"),
    (RIS.replace("\n", "\r\n").encode("utf-8") * 3, "crlf.ris"),
    (RIS.replace("\n", "\r").encode("utf-8") * 3, "cr.ris"),
    (codecs.BOM_UTF8 + (RIS.replace("Zhu", "Z\u00fc\u4e2d\U0001f600") * 3).encode("utf-8"), "bom.ris"),
    (codecs.BOM_UTF8 * 2 + (RIS * 3).encode("utf-8"), "two-boms.ris"),
    ((MEDLINE * 2).encode("utf-8"), "m.nbib"),
    ((MEDLINE * 2).replace("\n", "\r\n").encode("utf-8"), "m.nbib"),
    (RIS.encode("utf-8") + "TY  - JOUR\nTI  - Caf\u00e9\nER  - \n".encode("cp1252"), "mixed.ris"),
    (codecs.BOM_UTF16_LE + (RIS * 2).encode("utf-16-le"), "u16.ris"),
    (RIS.encode("utf-8") + b"\x00" + RIS.encode("utf-8"), "nul.ris"),
    (b"Title,Authors\n" + "Caf\u00e9,Doe\n".encode("utf-8") * 5, "t.csv"),
])
@pytest.mark.parametrize("chunk", [4, 5, 7, 64])
def test_streamed_decoding_gives_what_whole_decoding_gives(data, name, chunk):
    """Decoding a few bytes at a time (split characters, CR LF pairs, BOMs) changes nothing."""
    assert _outcome(data, name, chunk) == _outcome(data, name)


_TEXT = st.lists(st.one_of(
    st.sampled_from(["TY  - JOUR", "ER  - ", "TI  - t", "PMID- 1", "AU  - \u00e9\u4e2d", "\u2009",
                     "      more", "", "\r", "\r\n", "\ufeff"]),
    st.text(max_size=20)), max_size=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=_TEXT, end=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans(),
       chunk=st.integers(4, 40), name=st.sampled_from(["a.ris", "a.nbib", "a.txt"]))
def test_streaming_never_changes_the_outcome(parts, end, bom, chunk, name):
    """For any UTF-8 text, streamed and whole decoding give the same records, warnings or error."""
    data = (codecs.BOM_UTF8 if bom else b"") + end.join(parts).encode("utf-8", "surrogatepass")
    assert _outcome(data, name, chunk) == _outcome(data, name)


def test_stream_yields_records_then_fails_where_the_file_breaks():
    """iter_bytes parses as it is read: earlier records arrive before a later error is raised."""
    data = (RIS * 2 + "TY  - JOUR\nti  - broken\nER  - \n").encode("utf-8")
    stream = iter_bytes(data, "late.ris")
    assert (stream.format, stream.encoding) == ("ris", "utf-8")
    assert next(stream.records)["title"].startswith("Natural killer")
    assert stream.count == 1
    with pytest.raises(ImportFormatError, match=r"late\.ris, line 14, record 3: expected a RIS tag"):
        list(stream.records)


def test_stream_warnings_are_complete_when_exhausted():
    """Warnings found while reading (here a record without ER) are in the list once it ends."""
    stream = iter_bytes(("Exported list\n" + RIS + "TY  - JOUR\nTI  - Last\n").encode(), "w.ris")
    assert stream.warnings == []
    records = list(stream.records)
    assert [r["title"] for r in records][1] == "Last" and stream.count == 2
    assert [w.message for w in stream.warnings] == [
        "text before the first TY skipped: 'Exported list'",
        "record has no ER line; kept up to the file ends"]


def test_fallback_format_is_used_only_when_detection_fails():
    """A fallback (e.g. webpage for other methods) never overrides a recognised export."""
    assert iter_bytes(RIS.encode(), "x.txt", fallback="webpage").format == "ris"
    assert iter_bytes(b"Smith J. A study of things. 2020.\n", "x.txt",
                      fallback="webpage").format == "webpage"
