"""RIS in every dialect we meet (EndNote, Zotero, Mendeley, Ovid, Scopus, WoS, EBSCO, Rayyan, ...).

One pass over the lines instead of `rispy.load`, because screening needs what rispy drops: the line
where each record starts and its exact text (`raw`), which `write_ris` gives back unchanged. The
tag vocabulary is rispy's (`rispy.config`), used as data; the canonical mapping is below.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from rispy.config import LIST_TYPE_TAGS, TAG_KEY_MAPPING

from ..errors import ImportFormatError, ParseWarning
from ..records import Parsed
from ._ris_write import write_ris
from ._text import span_text, text_pieces

__all__ = ["read_ris", "iter_ris", "write_ris", "RIS_FIELD_TAGS", "KNOWN_TAGS"]

#: Tags that exporters use and rispy's mapping lacks (book title, EBSCO DOI, Ovid/EndNote extras).
_EXTRA_TAGS = ("BT", "CT", "ED", "H1", "H2", "J1", "L3", "M2", "NL", "U1", "U2", "U3", "U4",
               "U5", "Y3", "AI", "LK", "WE", "PD")
#: Every tag accepted in a loosely spaced line ("TY - JOUR", "A1<tab>- ..."); rispy's plus extras.
KNOWN_TAGS = frozenset(TAG_KEY_MAPPING) | frozenset(_EXTRA_TAGS)
#: Tags whose continuation lines are further items (EndNote puts one keyword or URL per line).
_LIST_TAGS = frozenset(LIST_TYPE_TAGS)

#: Canonical field -> RIS tags, in order of preference.
RIS_FIELD_TAGS = {
    "title": ("TI", "T1"),
    "title_fallback": ("BT", "CT"),
    "abstract": ("AB", "N2"),
    "authors": ("AU", "A1"),
    "year": ("PY", "Y1", "DA"),
    "journal": ("JF", "T2", "JO", "JA", "J2"),
    "volume": ("VL",),
    "issue": ("IS",),
    "doi": ("DO",),
    "doi_fallback": ("L3", "M3", "N1", "UR", "L2", "M1", "M2"),
    "keywords": ("KW",),
    "language": ("LA",),
    "url": ("UR", "L2"),
}
#: Reference types whose secondary title (T2) may stand in for a missing title.
_BOOK_TYPES = frozenset({"BOOK", "EBOOK", "EDBOOK", "CHAP", "ECHAP", "CONF", "CPAPER"})
#: Tags that carry an identifier only when their whole value says so ("PMID: 123", "PMC456").
_ID_NOTE_TAGS = ("AN", "N1", "M1", "M2", "M3", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8",
                 "U1", "U2", "U3", "U4", "U5")
_ID_NOTE_SET = frozenset(_ID_NOTE_TAGS)
_TITLE_TAGS = RIS_FIELD_TAGS["title"] + RIS_FIELD_TAGS["title_fallback"]
#: (tag, database pattern): a bare number in `tag` is a PMID when DB/DP names that database.
_PMID_BY_DATABASE = (
    ("AN", re.compile(r"pubmed|medline|\bnlm\b", re.I)),  # EndNote/Ovid from PubMed: DP - NLM
    ("C2", re.compile(r"scopus", re.I)),                   # Scopus RIS: C2 = PubMed ID
    ("C5", re.compile(r"embase", re.I)),                   # Embase RIS: C5 = MEDLINE PMID
)
_PMID_NOTE = re.compile(r"\s*PMID\s*:?\s*(\d{1,9})\s*\.?\s*$", re.I)
_PMCID_NOTE = re.compile(r"\s*(?:PMCID\s*:?\s*)?(PMC\d+)\s*$", re.I)
_PMID_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,9})/?\s*$")
_CLEAR_DOI = re.compile(r"\s*(?:doi\s*:?\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)\s*$", re.I)
_HAS_YEAR = re.compile(r"(?<!\d)[12]\d{3}(?!\d)")

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Every well-formed two-character tag: a capital, then a capital or a digit.
_VALID_TAGS = frozenset(a + b for a in _UPPER for b in _UPPER + "0123456789")
_LOOSE_TAG = re.compile(r"([A-Z][A-Z0-9])[ \t]{1,4}-(?:[ \t]+|$)")
_EMBEDDED_TAG = re.compile(r"\s{4,}([A-Z][A-Z0-9])  - ?")
_URL_SPLIT = re.compile(r"\s*;\s*|\s+|,\s+")
_DOI_IN = re.compile(r"10\.\d{4,9}/\S+")
_BAD_TAG = re.compile(r"(\S\S)  -(?: |$)")
#: Records of the fast path checked for unknown tags (the line-by-line path checks every line).
_TAG_SAMPLE = 500
#: A well-formed tag line whose tag is not in KNOWN_TAGS.
_ODD_TAG = re.compile(r"^(?!(?:%s)  -)([A-Z][A-Z0-9])  -(?=[ \t]|$)"
                      % "|".join(sorted(KNOWN_TAGS)), re.MULTILINE)
#: A line whose common tag is glued to its value ("AUGilles, H"): a tag, then a capitalised word
#: (a tag and digits is more often a grant number, "T32 GM..."). Read as that tag, with a warning.
_GLUED_TAGS = "AU|A[1-4]|TI|T[1-3]|PY|Y1|DA|DO|AB|N2|JO|JF|JA|VL|IS|SP|EP|KW|UR|SN|PB|CY|LA"
_GLUED = re.compile(rf"({_GLUED_TAGS})[A-Z][a-z]")
_GLUED_LINE = re.compile(rf"^(?:{_GLUED_TAGS})[A-Z][a-z]", re.MULTILINE)
#: Lines exporters put between records (Ovid numbers, Wiley/Cochrane headers); dropped silently.
_BOILERPLATE = re.compile(
    r"\s*(?:\d+\.|Record #\d+ of \d+|Provider: .*|Content: text/.*"
    r"|Link to the Ovid Full Text or citation:.*)\s*$")
_MAX_LISTED = 10
#: A record from TY to its ER whose lines are well-formed tags (no TY), blank lines, or text that
#: cannot be taken for a tag, i.e. continuation lines: the usual layouts, read in one step.
#: Group 1 is set when there is a line that is not a tag. Anything else goes line by line.
_CLEAN_RECORD = re.compile(
    r"TY  -(?:[ \t].*)?(?:\n(?:(?!TY  -|ER  -)[A-Z][A-Z0-9]  -(?:[ \t].*)?"
    r"|((?![A-Z][A-Z0-9][ \t]{1,4}-|\S\S  -(?: |\n|\Z))[^\S\n]*\S.*|[^\S\n]*(?=\n))))*"
    r"\nER  -(?:[ \t].*)?")

def read_ris(text: str, file: str = "<string>") -> Parsed:
    """Records from RIS text; odd layouts are read and reported, never silently dropped."""
    warnings: list[ParseWarning] = []
    return Parsed(list(iter_ris(text, file, warnings)), warnings, format="ris")


def iter_ris(text: str | Iterable[str], file: str = "<string>",
             warnings: list[ParseWarning] | None = None) -> Iterator[dict[str, Any]]:
    """Records from RIS text one at a time, so that an import can store them as they come.

    `text` is a whole text or consecutive pieces of one, each ending just after a line end but the
    last (the dispatcher decodes large files that way). Warnings go to `warnings` as they are
    found, layout warnings last. A malformed file raises ImportFormatError, possibly after some
    records were yielded: whoever stores them does so in one transaction.
    """
    if warnings is None:
        warnings = []
    text = text_pieces(text)
    count = 0
    skipped: list[tuple[int, str]] = []  # first line of each passage of text outside records
    no_er: list[tuple[int, int]] = []    # (record number, line) of records without an ER
    first_line: tuple[int, str] | None = None  # first non-blank line, for the no-record error
    first_record_line = 0
    pairs: list[list[str]] | None = None  # [tag, value] of the open record
    start = 0                # line index (0-based) of the open record's first line
    start_at = end_at = 0    # offsets of its start and of its last line's end, for `raw`
    start_text = ""
    carry = ""               # the open record's text from earlier pieces (from `start_at`)
    has_ty = in_block = False
    valid, known, list_tags = _VALID_TAGS, KNOWN_TAGS, _LIST_TAGS
    unknown: dict[str, int] = {}  # tag the RIS specification does not define -> first line
    odd_tag = _ODD_TAG.search
    clean = _CLEAN_RECORD.match
    i = base = 0             # current line index; offset of the current piece in the whole text
    piece = ""

    def close(with_er: bool) -> dict[str, Any]:
        raw = span_text(piece, carry, base, start_at, end_at)
        number = count + 1
        if not has_ty:
            warnings.append(ParseWarning(file, "record has no TY line; read up to its ER",
                                         line=start + 1, record=number))
        if not with_er:
            no_er.append((number, start + 1))
        record = _canonical(pairs)
        record["line"] = start + 1
        record["raw"] = raw
        return record

    for piece in text:
        n, p = len(piece), 0
        while p < n:
            if pairs is None and piece.startswith("TY  -", p):
                # Fast path: a whole record from TY to ER in a usual layout, read at once.
                match = clean(piece, p)
                if match and match.group(1) is not None \
                        and _GLUED_LINE.search(piece, p, match.end()):
                    match = None  # a glued tag line: the line-by-line path reads and reports it
                if match:
                    e = match.end()
                    block = piece[p:e]
                    if "    " not in block:
                        lines = block.split("\n")
                        lines.pop()  # the ER line
                        count += 1
                        first_record_line = first_record_line or i + 1
                        if match.group(1) is None:  # tag lines only
                            found = [(line[:2], line[6:].strip()) for line in lines]
                        else:
                            found = _joined(lines)
                        # Exports use the same tags throughout: the first records tell.
                        odd = odd_tag(block) if count < _TAG_SAMPLE else None
                        while odd:
                            if odd.group(1) not in unknown:
                                unknown[odd.group(1)] = i + 1 + block.count("\n", 0, odd.start())
                            odd = odd_tag(block, odd.end())
                        record = _canonical(found)
                        record["line"] = i + 1
                        record["raw"] = block
                        i += len(lines) + 1
                        p = e + 1
                        in_block = False
                        yield record
                        continue
            e = piece.find("\n", p)
            e = n if e < 0 else e
            line = piece[p:e]
            if line[2:5] == "  -" and line[:2] in valid and (len(line) == 5 or line[5] in " \t"):
                tag, value = line[:2], line[6:].strip()
                if tag not in known and tag not in unknown:
                    unknown[tag] = i + 1
            elif not line or line.isspace():
                i, p = i + 1, e + 1
                continue
            else:
                match = _LOOSE_TAG.match(line)
                if match and match.group(1) in known:
                    tag, value = match.group(1), line[match.end():].strip()
                else:
                    bad = _BAD_TAG.match(line)
                    if bad:
                        raise ImportFormatError(
                            file, "a RIS tag of two capitals or a capital and a digit ('TI  - ...')",
                            line=i + 1, record=count + 1, found=line)
                    if first_line is None:
                        first_line = (i + 1, line)
                    glued = _GLUED.match(line) if pairs else None
                    if glued:
                        tag, value = glued.group(1), line[2:].strip()
                        warnings.append(ParseWarning(
                            file, f"tag {tag} is glued to its value ({line.strip()[:40]!r}); "
                            f"read as '{tag}  - {value[:30]}'", line=i + 1, record=count + 1))
                        pairs.append([tag, value])
                        end_at = base + e
                        i, p = i + 1, e + 1
                        continue
                    if pairs:  # continuation line: every dialect wraps long values this way
                        last = pairs[-1]
                        piece_text = line.strip()
                        if last[0] in list_tags:
                            pairs.append([last[0], piece_text])
                        else:
                            last[1] = f"{last[1]} {piece_text}" if last[1] else piece_text
                        end_at = base + e
                    elif not _BOILERPLATE.match(line):
                        if not in_block:
                            skipped.append((i + 1, line.strip()))
                            in_block = True
                    i, p = i + 1, e + 1
                    continue
            if first_line is None:
                first_line = (i + 1, line)
            if tag == "TY":
                if pairs is not None:
                    if has_ty:
                        record = close(with_er=False)
                        count += 1
                        yield record
                    elif not in_block:  # tags after an ER that never reached one: stray text
                        skipped.append((start + 1, start_text.strip()))
                pairs, has_ty, in_block = [["TY", value]], True, False
                start, start_at, end_at, start_text = i, base + p, base + e, line
                first_record_line = first_record_line or i + 1
            elif tag == "ER":
                if pairs is None:
                    if not in_block:
                        skipped.append((i + 1, line.strip()))
                        in_block = True
                    i, p = i + 1, e + 1
                    continue
                end_at = base + e
                record = close(with_er=True)
                count += 1
                first_record_line = first_record_line or start + 1
                pairs, in_block = None, False
                i, p = i + 1, e + 1
                yield record
                continue
            else:
                if pairs is None:
                    pairs, has_ty = [], False
                    start, start_at, start_text = i, base + p, line
                pairs.append([tag, value])
                end_at = base + e
                if "    " in value:
                    _split_embedded(pairs)
            i, p = i + 1, e + 1
        if pairs is not None:  # the open record continues in the next piece
            carry = carry + piece if start_at < base else piece[start_at - base:]
        base += n
    if pairs is not None:
        if has_ty:
            record = close(with_er=False)
            count += 1
            yield record
        elif not in_block:
            skipped.append((start + 1, start_text.strip()))

    if not count:
        line_number, found = first_line or (1, "")
        raise ImportFormatError(file, "a RIS record starting with 'TY  - '", line=line_number,
                                found=found.strip())
    warnings.extend(_layout_warnings(file, skipped, no_er, count, first_record_line))
    if unknown:
        tags = sorted(unknown, key=unknown.get)
        warnings.append(ParseWarning(
            file, f"{len(tags)} tag(s) the RIS specification does not define ({', '.join(tags[:12])}"
            f"{', ...' if len(tags) > 12 else ''}): read, kept in each record's raw text only",
            line=unknown[tags[0]]))


def _joined(lines: list[str]) -> list[list[str]]:
    """Pairs of a record matched by `_CLEAN_RECORD` with continuation or blank lines: what the
    line-by-line path makes of them, without its checks (the expression has made them)."""
    pairs: list[list[str]] = []
    for line in lines:
        if line[2:5] == "  -" and (len(line) == 5 or line[5] in " \t") and line[:2] in _VALID_TAGS:
            pairs.append([line[:2], line[6:].strip()])
        elif line and not line.isspace():
            last, text = pairs[-1], line.strip()
            if last[0] in _LIST_TAGS:
                pairs.append([last[0], text])
            else:
                last[1] = f"{last[1]} {text}" if last[1] else text
    return pairs


def _split_embedded(pairs: list[list[str]]) -> None:
    """Rayyan writes some tags onto the previous line ("DO  - 10.1/x     LK  - https://...")."""
    parts = _EMBEDDED_TAG.split(pairs[-1][1])
    if len(parts) == 1 or not all(tag in KNOWN_TAGS for tag in parts[1::2]):
        return
    pairs[-1][1] = parts[0].strip()
    pairs.extend([tag, value.strip()] for tag, value in zip(parts[1::2], parts[2::2]))


def _layout_warnings(file: str, skipped: list[tuple[int, str]], no_er: list[tuple[int, int]],
                     count: int, first_record_line: int) -> list[ParseWarning]:
    out = []
    before = [s for s in skipped if s[0] < first_record_line]
    between = [s for s in skipped if s[0] > first_record_line]
    if before:
        out.append(ParseWarning(file, f"text before the first TY skipped: {before[0][1]!r}",
                                line=before[0][0]))
    if between:
        lines = ", ".join(str(n) for n, _ in between[:_MAX_LISTED])
        more = ", ..." if len(between) > _MAX_LISTED else ""
        out.append(ParseWarning(
            file, f"text outside records skipped in {len(between)} place(s) (lines {lines}{more}); "
            f"first: {between[0][1]!r}", line=between[0][0]))
    for number, line in no_er[:_MAX_LISTED]:
        where = "the file ends" if number == count else "the next TY"
        out.append(ParseWarning(file, f"record has no ER line; kept up to {where}",
                                line=line, record=number))
    if len(no_er) > _MAX_LISTED:
        out.append(ParseWarning(file, f"{len(no_er) - _MAX_LISTED} more records have no ER line"))
    return out


def _first(fields: dict[str, list[str]], tags: Iterable[str]) -> str | None:
    for tag in tags:
        if tag in fields:  # only non-empty values are kept
            return fields[tag][0]
    return None


def _canonical(pairs: list) -> dict[str, Any]:
    """Map one record's (tag, value) pairs onto the canonical fields."""
    fields: dict[str, list[str]] = {}
    for tag, value in pairs:
        if value:
            have = fields.get(tag)
            if have is None:
                fields[tag] = [value]
            else:
                have.append(value)
    get = fields.get
    ris_type = pairs[0][1] if pairs and pairs[0][0] == "TY" and pairs[0][1] else None
    title = _first(fields, _TITLE_TAGS)
    if title is None and ris_type in _BOOK_TYPES:
        title = _first(fields, ("T2",))
    abstracts = [" ".join(fields[tag]) for tag in RIS_FIELD_TAGS["abstract"] if tag in fields]
    year = None
    for tag in RIS_FIELD_TAGS["year"]:
        for value in get(tag) or ():
            if _HAS_YEAR.search(value):
                year = value
                break
        if year:
            break
    journal = None
    for tag in RIS_FIELD_TAGS["journal"]:
        if tag in fields:
            name = fields[tag][0]
            if "." not in name:  # prefer a full name: abbreviations ("Nat. Commun.") carry dots
                journal = name
                break
            journal = journal or name
    start_page, end_page = _first(fields, ("SP",)), _first(fields, ("EP",))
    if start_page and end_page and end_page != start_page and "-" not in start_page:
        pages = f"{start_page}-{end_page}"
    else:
        pages = start_page or end_page
    url = fields["UR"][0] if "UR" in fields else None
    if url is not None and (" " in url or ";" in url or not url.isprintable()):
        url = next((u for u in _URL_SPLIT.split(url) if u), None)  # several URLs in one line
    if "A1" not in fields:
        authors = list(get("AU") or ())
    elif "AU" not in fields:
        authors = list(fields["A1"])
    else:  # both: keep the file's order
        author_tags = RIS_FIELD_TAGS["authors"]
        authors = [value for tag, value in pairs if value and tag in author_tags]
    # Identifier notes are rare: find which note tags are present once, in C.
    notes = [tag for tag in _ID_NOTE_TAGS if tag in fields] if fields.keys() & _ID_NOTE_SET else []
    return {
        "title": title,
        "abstract": (abstracts[0] if len(abstracts) == 1 else max(abstracts, key=len))
        if abstracts else None,
        "authors": authors,
        "year": year,
        "journal": journal,
        "volume": _first(fields, RIS_FIELD_TAGS["volume"]),
        "issue": _first(fields, RIS_FIELD_TAGS["issue"]),
        "pages": pages,
        "doi": _doi(fields),
        "pmid": _pmid(fields, notes),
        "pmcid": _pmcid(fields, notes),
        "keywords": list(get("KW") or ()),
        "language": _first(fields, RIS_FIELD_TAGS["language"]),
        "publication_type": ris_type,
        "url": url or _first(fields, ("L2",)),
    }


def _doi(fields: dict[str, list[str]]) -> str | None:
    found = fields.get("DO")
    for value in found or ():
        match = _DOI_IN.search(value)
        if match:
            return match.group(0)
    for tag in RIS_FIELD_TAGS["doi_fallback"]:
        for value in fields.get(tag) or ():
            match = _CLEAR_DOI.match(value)
            if match:
                return match.group(1)
    return found[0] if found else None


def _pmid(fields: dict[str, list[str]], notes: list[str]) -> str | None:
    if "DB" in fields or "DP" in fields:
        databases = " ".join((fields.get("DB") or []) + (fields.get("DP") or []))
        for tag, pattern in _PMID_BY_DATABASE:
            value = _first(fields, (tag,))
            if value and value.strip().isdigit() and pattern.search(databases):
                return value.strip()
    for tag in notes:
        for value in fields[tag]:
            match = _PMID_NOTE.match(value)
            if match:
                return match.group(1)
    for tag in ("UR", "L2"):
        for value in fields.get(tag) or ():
            if "ncbi.nlm.nih.gov/" in value:  # cheap test before the expression
                match = _PMID_URL.search(value)
                if match:
                    return match.group(1)
    return None


def _pmcid(fields: dict[str, list[str]], notes: list[str]) -> str | None:
    for tag in notes:
        for value in fields[tag]:
            match = _PMCID_NOTE.match(value)
            if match:
                return match.group(1)
    return None
