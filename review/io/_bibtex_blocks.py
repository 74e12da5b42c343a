"""Finding BibTeX entries in bibtexparser's blocks, and reading the ones it gives up on.

bibtexparser sets aside entries with a repeated key and blocks with a syntax error (an
unbalanced brace, typically), and closes an entry early at a '}' with no partner. None of them
may drop a record silently: each is kept, or read field by field from its text, and reported."""
from __future__ import annotations

import re

from bibtexparser.library import Library
from bibtexparser.model import Entry, Field, ImplicitComment, ParsingFailedBlock

from ..errors import ParseWarning

#: Block types that hold no bibliographic record.
NON_RECORD_TYPES = frozenset({"string", "preamble", "comment"})

_HEAD = re.compile(r"\s*@\s*([A-Za-z][\w-]*)\s*[{(]\s*([^,\s{}()]*)\s*,?")
_FIELD_START = re.compile(r"^[ \t]*([A-Za-z][\w.:+/-]*)[ \t]*=[ \t]*", re.MULTILINE)


def _balanced(text: str) -> str:
    """`text` without the braces that have no partner."""
    drop, opened = set(), []
    for i, char in enumerate(text):
        if char == "{":
            opened.append(i)
        elif char == "}" and opened:
            opened.pop()
        elif char == "}":
            drop.add(i)
    drop.update(opened)
    return "".join(c for i, c in enumerate(text) if i not in drop)


def _salvage(raw: str, line: int) -> Entry | None:
    """Read an entry bibtexparser gave up on, one `key = value` at the start of a line at a time."""
    head = _HEAD.match(raw)
    if not head:
        return None
    body = raw[head.end():]
    starts = list(_FIELD_START.finditer(body))
    fields = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        value = body[match.end():end].strip()
        if i + 1 == len(starts) and value.endswith(("}", ")")):
            value = value[:-1].rstrip()  # the brace that closes the entry
        value = value.rstrip(",").strip()
        if value[:1] in ("{", '"') and len(value) > 1:
            inner = value[1:-1] if value[-1] in '}"' else value[1:]
            value = "{" + _balanced(inner) + "}"
        fields.append(Field(match.group(1), value, start_line=line))
    return Entry(head.group(1), head.group(2), fields, start_line=line, raw=raw.rstrip())


def _entry_blocks(split: Library, file: str, warnings: list[ParseWarning]):
    """(entry, line, raw) per record-like block in order, how many parsed cleanly, first failure."""
    found, parsed, first_failure, keys = [], 0, None, {}
    blocks, consumed = list(split.blocks), set()
    for number, block in enumerate(blocks):
        if number in consumed:
            continue
        line = (block.start_line or 0) + 1
        inner = block.ignore_error_block if isinstance(block, ParsingFailedBlock) else block
        if isinstance(inner, Entry) and not isinstance(block, ParsingFailedBlock):
            after = blocks[number + 1] if number + 1 < len(blocks) else None
            if isinstance(after, ImplicitComment) and _FIELD_START.search(after.raw or ""):
                # The entry closed early at a '}' with no partner: its other fields follow it
                # as text bibtexparser ignores. Read the whole of it a line at a time instead.
                raw = (block.raw or "") + (after.raw or "")
                entry = _salvage(raw, line)
                if entry is not None:
                    closed = line + (block.raw or "").count("\n")
                    warnings.append(ParseWarning(
                        file, f"the entry's braces do not balance: it closes on line {closed} "
                        f"before fields that follow ({_FIELD_START.search(after.raw).group(1)} = "
                        f"...); read one 'key = value' line at a time, unpaired braces dropped: "
                        f"check it", line=line, record=len(found) + 1))
                    keys.setdefault(inner.key, line)
                    found.append((entry, line, entry.raw))
                    parsed += 1
                    consumed.add(number + 1)
                    continue
        if isinstance(inner, Entry):
            if isinstance(block, ParsingFailedBlock) and inner.key in keys:
                warnings.append(ParseWarning(
                    file, f"entry key {inner.key!r} repeats the entry at line {keys[inner.key]}; "
                    "kept as a separate record", line=line, record=len(found) + 1))
            keys.setdefault(inner.key, line)
            found.append((inner, line, block.raw))
            parsed += 1
            continue
        if not isinstance(block, ParsingFailedBlock):
            continue
        first_failure = first_failure or block
        raw = block.raw or ""
        head = _HEAD.match(raw)
        reason = _reason(block)
        if inner is not None or not head or head.group(1).lower() in NON_RECORD_TYPES:
            warnings.append(ParseWarning(
                file, f"skipped a block bibtexparser could not read ({reason})", line=line))
            continue
        entry = _salvage(raw, line)
        warnings.append(ParseWarning(
            file, f"bibtexparser could not parse this entry ({reason}); its fields were read "
            "one 'key = value' line at a time: check it", line=line, record=len(found) + 1))
        found.append((entry, line, entry.raw))
    return found, parsed, first_failure


def _reason(block: ParsingFailedBlock) -> str:
    text = getattr(block.error, "abort_reason", None) or str(block.error)
    lines = [ln.strip() for ln in text.strip().split("\n") if ln.strip()]
    return lines[-1] if lines else type(block.error).__name__
