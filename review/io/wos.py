"""Web of Science / Clarivate plain-text tagged export (.ciw/.txt), also Zoological Record and BIOSIS.

Layout: an FN/VR header, records of two-character tags ("TI value"), values continued on lines
indented by three spaces, ER closing each record and EF the file. Read by hand for each record's
line and raw text; rispy's WoS tag table (`rispy.config`) supplies which tags hold lists.
"""
from __future__ import annotations

import re
from typing import Any

from rispy.config import WOK_LIST_TYPE_TAGS, WOK_TAG_KEY_MAPPING

from ..errors import ImportFormatError, ParseWarning
from ..records import Parsed

__all__ = ["read_wos", "WOS_FIELD_TAGS"]

#: Tags whose continuation lines are further items (one author, address or reference per line).
_LIST_TAGS = frozenset(WOK_LIST_TYPE_TAGS) | {"BE", "C1", "C3"}
#: Canonical field -> WoS tags, in order of preference.
WOS_FIELD_TAGS = {
    "title": ("TI",),
    "abstract": ("AB",),
    "authors": ("AF", "AU"),
    "year": ("PY", "EY", "PD"),
    "journal": ("SO", "SE"),
    "volume": ("VL",),
    "issue": ("IS",),
    "doi": ("DI", "D2"),
    "pmid": ("PM",),
    "keywords": ("DE", "ID"),
    "language": ("LA",),
    "publication_type": ("DT",),
}
#: Header and footer lines, kept out of records.
_FILE_TAGS = frozenset({"FN", "VR", "EF"})
_TAG = re.compile(r"[A-Z][A-Z0-9]$")
#: Tags of Web of Science and its databases (rispy's table, usage counts, Zoological Record and
#: BIOSIS fields); any other is read and named in a warning.
KNOWN_TAGS = frozenset(WOK_TAG_KEY_MAPPING) | {
    "Z8", "ZA", "ZB", "ZR", "ZS", "AN", "AW", "BD", "NT", "OR", "PS", "ST", "TN", "UR", "DL",
    "BD", "CC", "CH", "CN", "DS", "ES", "FS", "GE", "GT", "LT", "MC", "MI", "MQ", "OS", "PE",
    "RC", "SB", "TA", "TM", "TX", "ER", "EF", "FT", "CI", "PV", "D2"}


def read_wos(text: str, file: str = "<string>") -> Parsed:
    """Records from WoS tagged text; a non-indented line that is not a tag is an error."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    records: list[dict[str, Any]] = []
    warnings: list[ParseWarning] = []
    pairs: list[list[str]] | None = None
    start = end = 0
    unknown: dict[str, int] = {}

    def close(with_er: bool) -> None:
        number = len(records) + 1
        if pairs and pairs[0][0] != "PT":
            warnings.append(ParseWarning(file, "record does not start with PT", line=start + 1,
                                         record=number))
        if not with_er:
            warnings.append(ParseWarning(file, "record has no ER line; kept", line=start + 1,
                                         record=number))
        record = _canonical(pairs)
        record["line"] = start + 1
        record["raw"] = "\n".join(lines[start:end + 1])
        records.append(record)

    for i, line in enumerate(lines):
        if not line.strip():
            continue
        head = line[:2]
        if line[:1] == " " or line[:1] == "\t":
            if pairs:
                last = pairs[-1]
                piece = line.strip()
                if last[0] in _LIST_TAGS:
                    pairs.append([last[0], piece])
                else:
                    last[1] = f"{last[1]} {piece}" if last[1] else piece
                end = i
                continue
            raise ImportFormatError(file, "a Web of Science tag line ('PT J') before a continuation "
                                    "line", line=i + 1, record=len(records) + 1, found=line)
        if len(line) > 3 and line[2] != " " and _TAG.match(head) and pairs is not None \
                and line[2].isupper() and line[3].islower():
            # A tag glued to its value ("AUGilles, H"): read as the tag, reported.
            value = line[2:].strip()
            warnings.append(ParseWarning(
                file, f"tag {head} is glued to its value ({line.strip()[:40]!r}); read as "
                f"'{head} {value[:30]}'", line=i + 1, record=len(records) + 1))
            pairs.append([head, value])
            end = i
            continue
        if (len(line) > 2 and line[2] != " ") or not _TAG.match(head):
            raise ImportFormatError(
                file, "a Web of Science tag line (two capitals or a capital and a digit, a space, "
                "the value) or a continuation line indented by three spaces",
                line=i + 1, record=len(records) + 1, found=line)
        value = line[3:].strip()
        if head not in KNOWN_TAGS and head not in unknown:
            unknown[head] = i + 1
        if head == "ER":
            if pairs is None:
                warnings.append(ParseWarning(file, "ER without a record skipped", line=i + 1))
                continue
            end = i
            close(with_er=True)
            pairs = None
        elif head in _FILE_TAGS:
            if head == "EF" and pairs is not None:  # EF closes a record that lacks its ER
                close(with_er=False)
                pairs = None
            elif pairs is not None:
                pairs.append([head, value])
                end = i
        else:
            if head == "PT" and pairs is not None:
                close(with_er=False)
                pairs = None
            if pairs is None:
                pairs, start = [], i
            pairs.append([head, value])
            end = i
    if pairs:
        close(with_er=False)
    if not records:
        raise ImportFormatError(file, "a Web of Science record ('PT J' ... 'ER')", line=1,
                                found=next((x for x in lines if x.strip()), ""))
    if unknown:
        tags = sorted(unknown, key=unknown.get)
        warnings.append(ParseWarning(
            file, f"{len(tags)} tag(s) Web of Science does not define ({', '.join(tags[:12])}"
            f"{', ...' if len(tags) > 12 else ''}): read, kept in each record's raw text only",
            line=unknown[tags[0]]))
    return Parsed(records, warnings, format="wos")


def _first_of(fields: dict[str, list[str]], tags: tuple[str, ...]) -> str | None:
    return next((fields[t][0] for t in tags if fields.get(t)), None)


def _canonical(pairs: list[list[str]]) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    for tag, value in pairs:
        if value:
            fields.setdefault(tag, []).append(value)

    def first(name: str) -> str | None:
        for tag in WOS_FIELD_TAGS[name]:
            if fields.get(tag):
                return fields[tag][0]
        return None

    authors = fields.get("AF") or fields.get("AU") or []
    keywords = [k.strip() for tag in WOS_FIELD_TAGS["keywords"]
                for value in fields.get(tag) or () for k in value.split(";") if k.strip()]
    begin, finish = (fields.get("BP") or [None])[0], (fields.get("EP") or [None])[0]
    if begin and finish and begin != finish:
        pages = f"{begin}-{finish}"
    else:
        pages = begin or finish or _first_of(fields, ("PS", "AR"))  # PS: Zoological Record
    return {
        "title": first("title"),
        "abstract": " ".join(fields["AB"]) if fields.get("AB") else None,
        "authors": [a.strip() for a in authors],
        "year": first("year"),
        "journal": first("journal"),
        "volume": first("volume"),
        "issue": first("issue"),
        "pages": pages,
        "doi": first("doi"),
        "pmid": first("pmid"),
        "pmcid": None,
        "keywords": keywords,
        "language": first("language"),
        "publication_type": first("publication_type"),
        "url": None,
    }
