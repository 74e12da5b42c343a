"""Abbreviations defined in a table's note: the ones that occur in the table's own text, looked
up in the shipped glossary (`glossary.yaml`) and the protocol's `report.abbreviations`, which
adds terms and overrides meanings. Computed from the text, so a table that gains a word such as
"AML" gains its definition without anyone listing it."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

__all__ = ["GLOSSARY_FILE", "glossary", "abbreviations_in", "abbreviation_note",
           "undefined_abbreviations"]

GLOSSARY_FILE = Path(__file__).resolve().parent / "glossary.yaml"
#: A word that looks like an abbreviation: two or more capitals, maybe with digits and hyphens.
_LOOKS_ABBREVIATED = re.compile(r"(?<![\w-])([A-Za-z]*[A-Z][A-Za-z]*[A-Z][\w-]*)(?![\w])")


@functools.lru_cache(maxsize=1)
def _shipped() -> dict[str, str]:
    data = yaml.safe_load(GLOSSARY_FILE.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in data.items()}


def glossary(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The shipped glossary with `extra` (the protocol's abbreviations) added over it."""
    return {**_shipped(), **dict(extra or {})}


def abbreviations_in(texts: Iterable[str], terms: Mapping[str, str]) -> dict[str, str]:
    """The `terms` (and plurals such as "EVs") that occur as words in `texts`, sorted."""
    joined = "\n".join(str(t) for t in texts)
    found = {}
    for short, meaning in terms.items():
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(short)}s?(?![A-Za-z0-9])", joined):
            found[short] = meaning
    return dict(sorted(found.items(), key=lambda item: item[0].casefold()))


def abbreviation_note(texts: Iterable[str], extra: Mapping[str, str] | None = None) -> str | None:
    """"Abbreviations: AML, acute myeloid leukaemia; ..." for the terms in `texts`, or None."""
    found = abbreviations_in(texts, glossary(extra))
    if not found:
        return None
    return "Abbreviations: " + "; ".join(f"{s}, {m}" for s, m in found.items()) + "."


def undefined_abbreviations(texts: Iterable[str], defined: Iterable[str]) -> list[str]:
    """Words in `texts` that look like abbreviations (two capitals or more) and are not among
    `defined`, for a reviewer to add to the protocol or to rule out as names (cell lines)."""
    known = set(defined)

    def is_defined(word: str) -> bool:
        stem = word[:-1] if word.endswith("s") and word[:-1] in known else word
        if stem in known:
            return True
        # "NK-92", "CAR-NK", "GSC-7": every part that is not a number is defined
        parts = [p for p in stem.split("-") if p and not p.isdigit()]
        return len(parts) < len(stem.split("-")) + 1 and bool(parts) and "-" in stem \
            and all(p in known for p in parts)

    seen = []
    for text in texts:
        for word in _LOOKS_ABBREVIATED.findall(str(text)):
            if not is_defined(word) and word not in seen:
                seen.append(word)
    return seen
