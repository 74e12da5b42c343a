"""BibTeX/BibLaTeX via bibtexparser 2: every @entry is a record, kept as its exact source text.

bibtexparser splits the file into blocks (entries, @string, comments, failed blocks). We then
run one middleware stack ourselves over *all* entry-like blocks, including the ones bibtexparser
sets aside (duplicate entry keys, repeated fields), so a duplicate key never silently drops a
record. A block with a syntax error (an unbalanced brace, typically) is read field by field from
its text and reported (that scanner is `_bibtex_blocks`). `write_bibtex` gives back each
imported entry's own text when it still says what the table says, and writes escaped entries
for everything else.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import bibtexparser
import pandas as pd
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    LatexDecodingMiddleware,
    RemoveEnclosingMiddleware,
    ResolveStringReferencesMiddleware,
    SeparateCoAuthors,
    SplitNameParts,
)
from bibtexparser.middlewares.names import InvalidNameError, NameParts
from bibtexparser.model import Entry, Field, MiddlewareErrorBlock

from ..errors import ImportFormatError, ParseWarning
from ..records import RECORD_FIELDS, Parsed, records_frame
from ._bibtex_blocks import _HEAD, NON_RECORD_TYPES, _entry_blocks, _reason

__all__ = ["FIELD_KEYS", "NON_RECORD_TYPES", "read_bibtex", "write_bibtex"]

# bibtexparser logs each failed block; we report them as ParseWarnings instead.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

#: Canonical field -> BibTeX/BibLaTeX field names, first non-empty wins (lists: all are joined).
FIELD_KEYS = {
    "title": ("title",),
    "abstract": ("abstract",),
    "year": ("year", "date"),
    "journal": ("journal", "journaltitle", "booktitle"),
    "volume": ("volume",),
    "issue": ("number", "issue"),
    "pages": ("pages",),
    "doi": ("doi",),
    "pmid": ("pmid",),
    "pmcid": ("pmcid",),
    "language": ("language", "langid"),
    "url": ("url",),
    "keywords": ("keywords", "keyword", "author_keywords", "keywords-plus"),
}
#: Fields LaTeX-decoded (accents, braces, \\&): only those the record uses, since decoding is
#: slow. Others (DOI, URL, pages ...) are taken literally: LaTeX would eat '%' or '~' in them.
DECODED_FIELDS = frozenset({
    "title", "abstract", "journal", "journaltitle", "booktitle", "language", "langid",
    "keywords", "keyword", "author_keywords", "keywords-plus", "author",
})
#: Characters escaped in generated entries, so that reading them back gives the same text.
LATEX_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
#: Entry types written as they are; other publication types are mapped by ENTRY_TYPES.
BIBTEX_TYPES = frozenset({
    "article", "book", "booklet", "inbook", "incollection", "inproceedings", "conference",
    "manual", "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished",
    "online", "report", "thesis", "collection", "dataset", "software", "patent",
})
#: Publication types of other formats (EndNote ref-type names, RIS TY codes) -> entry type.
ENTRY_TYPES = {
    "journal article": "article", "jour": "article", "jfull": "article", "ejour": "article",
    "book section": "incollection", "chap": "incollection", "chapter": "incollection",
    "conference paper": "inproceedings", "cpaper": "inproceedings", "conf": "inproceedings",
    "conference proceedings": "proceedings", "thes": "phdthesis", "report": "techreport",
    "rprt": "techreport", "generic": "misc", "gen": "misc", "web page": "online",
    "elec": "online", "pat": "patent", "data": "dataset",
}
#: Canonical field -> BibTeX field for generated entries, in writing order.
WRITE_FIELDS = (
    ("title", "title"), ("authors", "author"), ("year", "year"), ("journal", "journal"),
    ("volume", "volume"), ("issue", "number"), ("pages", "pages"), ("doi", "doi"),
    ("pmid", "pmid"), ("pmcid", "pmcid"), ("keywords", "keywords"), ("language", "language"),
    ("url", "url"), ("abstract", "abstract"),
)
_LATEX_SPECIAL = re.compile(r"[\\$~^_]|--|''|``")
_SIMPLE_ESCAPE = re.compile(r"\\([&%$#_{}])")
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")
_UNKNOWN_TO_PYLATEXENC = {r"\textasciicircum{}": "{^}", r"\textbraceleft{}": r"\{",
                          r"\textbraceright{}": r"\}"}
_LIGATURE = re.compile(r"-{2,}|'{2,}|`{2,}")


class _LenientNameParts(SplitNameParts):
    """Split each name into parts; an unsplittable name is kept whole as the surname."""

    def _transform_field_value(self, names):
        parts = []
        for name in names if isinstance(names, list) else [names]:
            try:
                parts.append(super()._transform_field_value([name])[0])
            except (InvalidNameError, ValueError):
                parts.append(NameParts(last=[str(name)]))
        return parts


class _TextLatexDecoding(LatexDecodingMiddleware):
    """LaTeX decoding (accents, braces, \\& ...) of DECODED_FIELDS, names included.

    A bare '%' or '&' is text in a bibliographic field, but a comment or table cell to LaTeX (it
    would eat the rest of the line), so both are escaped first. Values with nothing LaTeX in them
    skip the (slow) decoder.
    """

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        if not _LATEX_SPECIAL.search(_SIMPLE_ESCAPE.sub("", python_string)):
            parts = _SIMPLE_ESCAPE.split(python_string)  # text, escaped char, text, ...
            return "".join(p if i % 2 else p.replace("{", "").replace("}", "")
                           for i, p in enumerate(parts)), ""
        text = _BARE_SPECIAL.sub(r"\\\1", python_string)
        for command, known in _UNKNOWN_TO_PYLATEXENC.items():
            text = text.replace(command, known)
        return super()._transform_python_value_string(text)

    def transform_entry(self, entry, library):
        kept = [f for f in entry.fields if f.key not in DECODED_FIELDS]
        entry.fields = [f for f in entry.fields if f.key in DECODED_FIELDS]
        errors: list[str] = []
        for field in entry.fields:  # lists of names: the middleware only decodes single ones
            if isinstance(field.value, list):
                for parts in field.value:
                    if isinstance(parts, NameParts):
                        for attr in ("first", "von", "last", "jr"):
                            setattr(parts, attr, self._transform_all_strings(
                                getattr(parts, attr), errors))
        result = super().transform_entry(entry, library)
        target = result.ignore_error_block if isinstance(result, MiddlewareErrorBlock) else result
        target.fields = target.fields + kept
        return result


class _ResolveStrings(ResolveStringReferencesMiddleware):
    """@string macros, including concatenations (`jean # " " # cesar`), which bibtexparser
    leaves unresolved; an unknown macro name stays as written."""

    def transform(self, library: Library) -> Library:
        macros: dict[str, str] = {}
        for string in library.strings:
            macros[string.key.lower()] = _resolve(str(string.value), macros)
        for entry in library.entries:
            for field in entry.fields:
                value = field.value
                if isinstance(value, str) and not (value[:1] in "{\"" and "#" not in value):
                    field.value = "{" + _resolve(value, macros) + "}"
        return library


def _resolve(value: str, macros: dict[str, str]) -> str:
    """The text of a BibTeX value: parts joined by '#', each enclosed, a number or a macro."""
    cuts, depth, quoted = [-1], 0, False
    for i, char in enumerate(value):
        depth += {"{": 1, "}": -1}.get(char, 0)
        quoted = not quoted if char == '"' and depth == 0 else quoted
        if char == "#" and depth == 0 and not quoted:
            cuts.append(i)
    parts = [value[a + 1:b].strip() for a, b in zip(cuts, cuts[1:] + [len(value)])]
    return "".join(p[1:-1] if len(p) > 1 and p[0] + p[-1] in ("{}", '""')
                   else macros.get(p.lower(), p) for p in parts)


def _stack() -> list:
    return [_ResolveStrings(True), RemoveEnclosingMiddleware(True),
            SeparateCoAuthors(True), _LenientNameParts(True), _TextLatexDecoding(True)]



def _prepared(entry: Entry, index: int, line: int, file: str,
              warnings: list[ParseWarning]) -> Entry:
    """A fresh entry with a unique key and lower-case field names, first of repeated fields kept."""
    fields, seen = [], set()
    for field in entry.fields:
        key = field.key.strip().lower()
        if key in seen:
            warnings.append(ParseWarning(file, f"field {key!r} repeated; the first value is used",
                                         line=line, record=index + 1))
            continue
        seen.add(key)
        fields.append(Field(key, field.value, start_line=field.start_line))
    if not fields:
        warnings.append(ParseWarning(file, "entry has no fields", line=line, record=index + 1))
    return Entry(entry.entry_type.lower(), str(index), fields, start_line=line, raw=entry.raw)


def _name(parts: Any) -> str | None:
    if not isinstance(parts, NameParts):
        return str(parts).strip() or None
    surname = " ".join(parts.von + parts.last).strip()
    given = " ".join(parts.first).strip()
    if surname.lower() == "others" and not given:
        return None  # BibTeX's "and others" (et al.)
    name = f"{surname}, {given}" if surname and given else surname or given
    return f"{name}, {' '.join(parts.jr)}" if parts.jr and name else name or None


def _value(fields: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for key in names:
        value = fields.get(key)
        if isinstance(value, str):
            value = value if key in DECODED_FIELDS else value.replace("{", "").replace("}", "")
            if value.strip():
                return value.strip()
    return None


def _keywords(fields: dict[str, Any]) -> list[str]:
    words: list[str] = []
    for key in FIELD_KEYS["keywords"]:
        value = fields.get(key)
        if not isinstance(value, str):
            continue
        for word in re.split(";" if ";" in value else ",", value):
            word = " ".join(word.split())
            if word and word not in words:
                words.append(word)
    return words


def _record(entry: Entry, line: int, raw: str, file: str,
            warnings: list[ParseWarning]) -> dict[str, Any]:
    fields = {f.key: f.value for f in entry.fields}
    record: dict[str, Any] = {name: _value(fields, keys) for name, keys in FIELD_KEYS.items()}
    record["keywords"] = _keywords(fields)
    authors = fields.get("author") or []
    record["authors"] = [n for n in (_name(p) for p in (authors if isinstance(authors, list)
                                                          else [authors])) if n]
    if record["pages"]:
        record["pages"] = re.sub(r"\s*-{2,3}\s*", "-", record["pages"])
    eprint, eprint_type = _value(fields, ("eprint",)), (_value(fields, ("eprinttype",)) or "")
    if eprint and eprint_type.lower() in ("pubmed", "pmid") and not record["pmid"]:
        record["pmid"] = eprint
    if eprint and (eprint_type.lower() == "pmc" or eprint.upper().startswith("PMC")) \
            and not record["pmcid"]:
        record["pmcid"] = eprint
    record["publication_type"] = entry.entry_type or None
    if record["title"] is None and entry.fields:
        warnings.append(ParseWarning(file, "entry has no title", line=line,
                                     record=int(entry.key) + 1))
    record["line"] = line
    record["raw"] = raw
    return record


def read_bibtex(text: str, file: str = "<string>") -> Parsed:
    """Read BibTeX/BibLaTeX: one record per @entry (not @string, @preamble or @comment)."""
    try:
        split = bibtexparser.parse_string(text, parse_stack=[])
    except Exception as exc:  # noqa: BLE001 - the splitter failing on text that is not BibTeX
        raise ImportFormatError(file, "BibTeX entries (@type{key, field = {value}, ...})",
                                found=f"{type(exc).__name__}: {exc}") from None
    warnings: list[ParseWarning] = []
    found, parsed, first_failure = _entry_blocks(split, file, warnings)
    if not parsed:
        if first_failure is not None:
            raise ImportFormatError(file, "a readable BibTeX entry (@type{key, field = {value}})",
                                    line=(first_failure.start_line or 0) + 1,
                                    found=_reason(first_failure))
        first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
        raise ImportFormatError(file, "at least one BibTeX entry (@type{key, ...})", line=1,
                                found=first)
    prepared = [_prepared(entry, i, line, file, warnings)
                for i, (entry, line, _) in enumerate(found)]
    library = Library(list(split.strings) + prepared, fail_on_duplicate_key=False)
    try:
        for middleware in _stack():
            library = middleware.transform(library)
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError on absurd nesting
        raise ImportFormatError(file, "BibTeX field values bibtexparser can process",
                                found=f"{type(exc).__name__}: {exc}") from None
    processed: dict[int, Entry] = {}
    for block in library.blocks:
        entry = block.ignore_error_block if isinstance(block, MiddlewareErrorBlock) else block
        if not isinstance(entry, Entry) or not entry.key.isdigit():
            continue
        if block is not entry:
            warnings.append(ParseWarning(file, f"LaTeX in this entry was only partly decoded "
                                         f"({block.error})", line=entry.start_line,
                                         record=int(entry.key) + 1))
        processed[int(entry.key)] = entry
    records = [_record(processed[i], line, raw, file, warnings)
               for i, (_, line, raw) in enumerate(found) if i in processed]
    return Parsed(records, warnings, format="bibtex")


# Writing ------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return not value
    try:
        return value is None or bool(pd.isna(value)) or value == ""
    except (TypeError, ValueError):
        return False


def _escape(text: str) -> str:
    """LaTeX for plain text; '-{}-' and '`{}`' keep dashes and quotes from becoming ligatures."""
    text = "".join(LATEX_ESCAPES.get(char, char) for char in text)
    return _LIGATURE.sub(lambda m: "{}".join(m.group(0)), text)


def _author(name: str) -> str:
    """One name for an author field: 'Last, First, Jr' becomes BibTeX's 'Last, Jr, First'.

    Parts holding LaTeX specials are braced, so the name splitter never sees them."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 3:
        parts = [parts[0], parts[2], parts[1]]
    elif len(parts) != 2:
        return "{" + _escape(name) + "}"  # a group, or a name as given: never split it
    return ", ".join(p if _escape(p) == p else "{" + _escape(p) + "}" for p in parts)


def _entry_key(row: dict[str, Any], used: set[str]) -> str:
    """First author's surname and year, ASCII only, made unique with b, c, ... suffixes."""
    authors = [] if _blank(row.get("authors")) else row["authors"]
    base = re.sub(r"[^A-Za-z0-9]", "", str(authors[0]).split(",")[0] if authors else "") or "anon"
    base += "" if _blank(row.get("year")) else str(row["year"])
    key = next(k for n in range(1, len(used) + 2)
               if (k := base if n == 1 else f"{base}{chr(96 + n) if n <= 26 else n}") not in used)
    used.add(key)
    return key


def _entry_type(row: dict[str, Any]) -> str:
    kind = "" if _blank(row.get("publication_type")) else str(row["publication_type"])
    kind = kind.split(";")[0].strip().lower()
    kind = ENTRY_TYPES.get(kind, kind)
    if kind in BIBTEX_TYPES:
        return kind
    return "article" if not _blank(row.get("journal")) else "misc"


def _generated(row: dict[str, Any], used: set[str]) -> str:
    kind = _entry_type(row)
    lines = [f"@{kind}{{{_entry_key(row, used)},"]
    for name, key in WRITE_FIELDS:
        value = row.get(name)
        if _blank(value):
            continue
        if name == "authors":
            text = " and ".join(_author(str(a)) for a in value)
        elif name == "keywords":
            text = _escape("; ".join(str(k).replace(";", ",") for k in value))
        elif key not in DECODED_FIELDS:
            text = str(value).replace("{", "").replace("}", "")
        else:
            text = _escape(str(value))
        lines.append(f"  {key} = {{{text}}},")
    lines.append("}")
    return "\n".join(lines)


def _same(mine: Any, row: dict[str, Any]) -> bool:
    def comparable(value: Any) -> Any:
        return None if _blank(value) else tuple(map(str, value)) \
            if isinstance(value, (list, tuple)) else str(value)
    return all(comparable(mine[name]) == comparable(row.get(name)) for name in RECORD_FIELDS)


def _reread(raws: list[str]) -> list[Any] | None:
    """Canonical rows from reading `raws` as one file, or None when they do not give one each."""
    try:
        again = read_bibtex("\n\n".join(raws))
    except ImportFormatError:
        return None
    if len(again.records) != len(raws):
        return None
    return [row for _, row in records_frame(again.records).iterrows()]


def _verbatim(rows: list[dict[str, Any]]) -> set[int]:
    """Rows whose stored BibTeX, read without its old file, still gives the row's fields."""
    chosen = [i for i, row in enumerate(rows) if row.get("raw_format") == "bibtex"
              and isinstance(row.get("raw"), str) and row["raw"].strip()]
    if not chosen:
        return set()
    together = _reread([rows[i]["raw"] for i in chosen])  # one parse for all: fast path
    if together is not None:
        return {i for i, mine in zip(chosen, together) if _same(mine, rows[i])}
    return {i for i in chosen if (alone := _reread([rows[i]["raw"]])) and _same(alone[0], rows[i])}


def write_bibtex(frame: pd.DataFrame) -> str:
    """BibTeX for a records table: imported entries verbatim, other (or edited) rows generated.

    A row keeps its stored BibTeX text only while that text, read alone, still gives the row's
    fields: an entry edited since import, or one that needs an @string macro of its old file,
    is written from the table instead.
    """
    rows = frame.to_dict("records")
    verbatim = _verbatim(rows)
    used = {m.group(2) for i in verbatim if (m := _HEAD.match(rows[i]["raw"]))}
    blocks = [row["raw"].strip() if i in verbatim else _generated(row, used)
              for i, row in enumerate(rows)]
    return "\n\n".join(blocks) + ("\n" if blocks else "")
