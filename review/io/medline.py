"""MEDLINE / .nbib, PubMed's "PMID- " text format: four-character tags, values from column 7.

Records are blank-line separated and start with PMID; long values wrap onto lines indented by six
spaces. Read by hand because the layout is fixed and we need each record's line and raw text.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from ..errors import ImportFormatError, ParseWarning
from ..records import Parsed, has_value, value_items
from ._text import span_text, text_pieces

__all__ = ["read_medline", "iter_medline", "write_medline", "MEDLINE_FIELD_TAGS"]

#: Canonical field -> MEDLINE tags, in order of preference.
MEDLINE_FIELD_TAGS = {
    "title": ("TI", "BTI", "TT"),
    "abstract": ("AB",),
    "authors": ("FAU", "AU"),
    "year": ("DP", "DEP", "EDAT"),
    "journal": ("JT", "TA"),
    "volume": ("VI",),
    "issue": ("IP",),
    "pages": ("PG",),
    "doi": ("LID", "AID"),
    "pmid": ("PMID",),
    "pmcid": ("PMC",),
    "keywords": ("OT", "MH"),
    "language": ("LA",),
    "publication_type": ("PT",),
}
#: Tags of PubMed's MEDLINE format (NLM's list); any other is read and named in a warning.
KNOWN_TAGS = frozenset("""AB AD AID AU AUID BTI CI CIN CN COI CON CP CRDT CRF CRI CTDT CTI DA
    DCOM DDIN DRIN DEP DP DRDT ECF ECI EDAT EFR EIN ED EN FAU FED FIR FPS GN GR GS IR IRAD IS ISBN
    IP JID JT LA LID LR MH MHDA MID NM OAB OABL OCI OID ORI OT OTO OWN PB PG PHST PL PMC PMCR PMID
    PS PST PT PUBM RF RIN RN ROF RPF RPI RRF RRI SB SFM SI SO SPIN STAT TA TI TT UIN UOF VI VTI
    CTI COIS""".split())
#: Records of the fast path checked for unknown tags (the line-by-line path checks every line).
_TAG_SAMPLE = 500
#: A tag line whose tag is not in KNOWN_TAGS.
_ODD_TAG = re.compile(r"^(?!(?:%s) {0,3}-)([A-Z][A-Z0-9]{1,3}) {0,3}-"
                      % "|".join(sorted(KNOWN_TAGS, key=len, reverse=True)), re.MULTILINE)
#: A tag line: tag left-aligned and padded to four characters, "- ", then the value.
_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3}) {0,3}-(?: (.*)|)$")
_DOI_SUFFIX = re.compile(r"\s*(10\.\S+)\s*\[doi\]\s*$", re.I)
#: A record of tag lines and indented non-blank continuation lines only, with no blank line: the
#: usual layout, read in one step; anything else goes line by line. Each line can match one
#: alternative only (a tag line starts with a capital, a continuation with white space), so a
#: line that fits neither fails in linear time instead of trying 2^n ways to split the lines.
_CLEAN_RECORD = re.compile(
    r"[A-Z][A-Z0-9]{1,3} {0,3}-(?: .*)?(?:\n(?:[A-Z][A-Z0-9]{1,3} {0,3}-(?: .*)?|[^\S\n]+\S.*))*")
#: In such a record (after a '\n'): each line of a tag `_canonical` reads, its value and its
#: continuation lines. The leading '\n' rather than '^' lets the search skip ahead quickly.
_WANTED_AND_MORE = re.compile(
    r"\n(%s) {0,3}-(?: (.*))?((?:\n[^\S\n].*)*)"
    % "|".join(sorted({tag for tags in MEDLINE_FIELD_TAGS.values() for tag in tags})))
#: How far ahead the fast path looks for the blank line that ends a record.
_FAST_WINDOW = 1 << 16


def read_medline(text: str, file: str = "<string>") -> Parsed:
    """Records from MEDLINE text; text before the first record is skipped with a warning."""
    warnings: list[ParseWarning] = []
    return Parsed(list(iter_medline(text, file, warnings)), warnings, format="medline")


def iter_medline(text: str | Iterable[str], file: str = "<string>",
                 warnings: list[ParseWarning] | None = None) -> Iterator[dict[str, Any]]:
    """Records from MEDLINE text one at a time, so that an import can store them as they come.

    `text` is a whole text or consecutive pieces of one, each ending just after a line end but the
    last (the dispatcher decodes large files that way). Warnings go to `warnings` as found. A
    malformed file raises ImportFormatError, possibly after some records were yielded: whoever
    stores them does so in one transaction.
    """
    if warnings is None:
        warnings = []
    text = text_pieces(text)
    count = 0
    pairs: list[list[str]] | None = None
    start = 0                 # line index (0-based) of the open record's first line
    start_at = end_at = 0     # offsets of its start and of its last line's end in the whole text
    carry = ""                # the open record's text from earlier pieces (from `start_at`)
    preamble: tuple[int, str] | None = None  # first line of text before the first record
    clean, window = _CLEAN_RECORD.fullmatch, _FAST_WINDOW
    unknown: dict[str, int] = {}  # tag MEDLINE does not define -> first line
    known, odd_tag = KNOWN_TAGS, _ODD_TAG.search
    i = base = 0              # current line index; offset of the current piece in the whole text
    piece = ""

    def opened() -> None:  # the first record starts: report the text skipped before it
        if preamble is not None:
            warnings.append(ParseWarning(
                file, f"text before the first record skipped: {preamble[1].strip()!r}",
                line=preamble[0]))

    def close() -> dict[str, Any]:
        raw = span_text(piece, carry, base, start_at, end_at)
        return _record(_fields(pairs), raw, start + 1, count + 1, file, warnings)

    for piece in text:
        n, p = len(piece), 0
        while p < n:
            if pairs is None and piece[p] not in "\n \t":
                # Fast path: a whole record of tag lines and indented continuations, read at once.
                q = piece.find("\n\n", p, p + window)
                if q >= 0:
                    block = piece[p:q]
                    if "\nPMID" not in block and clean(block):
                        if not count:
                            opened()
                        lines = block.count("\n") + 1
                        # Exports use the same tags throughout: the first records tell.
                        odd = odd_tag(block) if count < _TAG_SAMPLE else None
                        while odd:
                            if odd.group(1) not in unknown:
                                unknown[odd.group(1)] = i + 1 + block.count("\n", 0, odd.start())
                            odd = odd_tag(block, odd.end())
                        record = _record(_clean_fields(block), block, i + 1, count + 1, file, warnings)
                        count += 1
                        i += lines
                        p = q + 1
                        yield record
                        continue
            e = piece.find("\n", p)
            e = n if e < 0 else e
            line = piece[p:e]
            if not line.strip():
                if pairs is not None:
                    record = close()
                    count += 1
                    pairs = None
                    yield record
                i, p = i + 1, e + 1
                continue
            match = None if line[:1].isspace() else _TAG_LINE.match(line)
            if match:
                tag, value = match.group(1), (match.group(2) or "").strip()
                if tag not in known and tag not in unknown:
                    unknown[tag] = i + 1
                if tag == "PMID" and pairs:
                    record = close()
                    count += 1
                    pairs = None
                    yield record
                if pairs is None:
                    if not count:
                        opened()
                    pairs, start, start_at = [], i, base + p
                pairs.append([tag, value])
                end_at = base + e
            elif pairs and (loose := _loose_tag(line)):
                tag, value = loose
                warnings.append(ParseWarning(
                    file, f"tag {tag} is glued to its value ({line.strip()[:40]!r}); read as "
                    f"'{tag:<4}- {value[:30]}'", line=i + 1, record=count + 1))
                pairs.append([tag, value])
                end_at = base + e
            elif line[:1].isspace() and pairs:
                last = pairs[-1]
                last[1] = f"{last[1]} {line.strip()}" if last[1] else line.strip()
                end_at = base + e
            elif pairs is None and not count:
                preamble = preamble or (i + 1, line)
            else:
                raise ImportFormatError(
                    file, "a MEDLINE tag line ('TI  - ...') or a continuation line indented by six "
                    "spaces", line=i + 1, record=count + 1, found=line)
            i, p = i + 1, e + 1
        if pairs is not None:  # the open record continues in the next piece
            carry = carry + piece if start_at < base else piece[start_at - base:]
        base += n
    if pairs:
        tag, value = pairs[-1]
        # A cut rarely falls just after the '.', ']' or ')' that ends PubMed's last lines.
        if piece and not piece.endswith("\n") and not value.endswith((".", "]", ")")):
            warnings.append(ParseWarning(
                file, f"the file ends in the middle of line {i} (no line end after it): its "
                f"{tag} value {value[-40:]!r} may be cut short; kept as read", line=i,
                record=count + 1))
        record = close()
        count += 1
        yield record
    if unknown and count:
        tags = sorted(unknown, key=unknown.get)
        warnings.append(ParseWarning(
            file, f"{len(tags)} tag(s) MEDLINE does not define ({', '.join(tags[:12])}"
            f"{', ...' if len(tags) > 12 else ''}): read, kept in each record's raw text only",
            line=unknown[tags[0]]))
    if not count:
        line_number, found = preamble or (1, "")
        raise ImportFormatError(file, "a MEDLINE record starting with 'PMID- '", line=line_number,
                                found=found.strip())


#: A tag line without the space after its dash ("DEP -\u00ad2020..."), or a tag this reader
#: uses glued to a capitalised value ("AUGilles H"); read with a warning.
_DASH_GLUED = re.compile(r"([A-Z][A-Z0-9]{1,3}) {0,3}-(\S.*)$")
_WORD_GLUED = re.compile(
    r"(%s)[A-Z][a-z]" % "|".join(sorted({t for ts in MEDLINE_FIELD_TAGS.values() for t in ts},
                                        key=len, reverse=True)))


def _loose_tag(line: str) -> tuple[str, str] | None:
    match = _DASH_GLUED.match(line)
    if match:
        return match.group(1), match.group(2).replace("\u00ad", "").strip()
    match = _WORD_GLUED.match(line)
    if match:
        return match.group(1), line[len(match.group(1)):].strip()
    return None


def _clean_fields(block: str) -> dict[str, list[str]]:
    """Non-empty values of the tags `_canonical` reads, from a record checked by `_CLEAN_RECORD`
    (the expression skips every other tag, so most lines cost nothing in Python)."""
    fields: dict[str, list[str]] = {}
    for tag, value, more in _WANTED_AND_MORE.findall("\n" + block):
        value = value.strip()
        if more:
            for line in more.split("\n")[1:]:
                line = line.strip()
                value = f"{value} {line}" if value else line
        if value:
            have = fields.get(tag)
            if have is None:
                fields[tag] = [value]
            else:
                have.append(value)
    return fields


def _fields(pairs: list[list[str]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for tag, value in pairs:
        if value:
            fields.setdefault(tag, []).append(value)
    return fields


def _record(fields: dict[str, list[str]], raw: str, line: int, number: int, file: str,
            warnings: list[ParseWarning]) -> dict[str, Any]:
    record = _canonical(fields)
    if record["pmid"] is None:
        warnings.append(ParseWarning(file, "record has no PMID", line=line, record=number))
    record["line"] = line
    record["raw"] = raw
    return record


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    for tag in MEDLINE_FIELD_TAGS[name]:
        if tag in fields:  # only non-empty values are kept
            return fields[tag][0]
    return None


def _canonical(fields: dict[str, list[str]]) -> dict[str, Any]:
    authors = fields.get("FAU") or fields.get("AU") or []
    doi = None
    for tag in MEDLINE_FIELD_TAGS["doi"]:
        for value in fields.get(tag) or ():
            match = _DOI_SUFFIX.match(value)
            if match:
                doi = match.group(1)
                break
        if doi:
            break
    keywords = [k for tag in MEDLINE_FIELD_TAGS["keywords"] for k in fields.get(tag) or ()]
    return {
        "title": _first(fields, "title"),
        "abstract": " ".join(fields["AB"]) if "AB" in fields else None,
        "authors": list(authors),
        "year": _first(fields, "year"),
        "journal": _first(fields, "journal"),
        "volume": _first(fields, "volume"),
        "issue": _first(fields, "issue"),
        "pages": _first(fields, "pages"),
        "doi": doi,
        "pmid": _first(fields, "pmid"),
        "pmcid": _first(fields, "pmcid"),
        "keywords": keywords,
        "language": _first(fields, "language"),
        "publication_type": _first(fields, "publication_type"),
        "url": None,
    }


def write_medline(frame) -> str:
    """MEDLINE text: records read from MEDLINE verbatim, others from their canonical fields."""
    blocks = []
    for row in frame.to_dict("records"):
        raw = row.get("raw")
        if row.get("raw_format") == "medline" and isinstance(raw, str) and raw.strip():
            blocks.append(raw)
            continue
        out = []
        simple = (("pmid", "PMID"), ("title", "TI"), ("abstract", "AB"))
        for name, tag in simple:
            if has_value(row.get(name)):
                out.append(_line(tag, row[name]))
        out += [_line("FAU", a) for a in value_items(row.get("authors"))]
        for name, tag in (("language", "LA"), ("publication_type", "PT"), ("year", "DP"),
                          ("journal", "JT"), ("volume", "VI"), ("issue", "IP"), ("pages", "PG"),
                          ("pmcid", "PMC")):
            if has_value(row.get(name)):
                out.append(_line(tag, row[name]))
        if has_value(row.get("doi")):
            out.append(_line("LID", f"{row['doi']} [doi]"))
        out += [_line("OT", k) for k in value_items(row.get("keywords"))]
        if out:
            blocks.append("\n".join(out))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _line(tag: str, value: Any) -> str:
    text = re.sub(r"\s+", " ", str(value)).strip()
    return f"{tag:<4}- {text}"
