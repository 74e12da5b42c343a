"""Folding text for comparison: lower-case ASCII, transliterated, punctuation gone, the
placeholders exports write for "nothing" read as nothing."""
from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

from anyascii import anyascii

from ..records import has_value

__all__ = ["ascii_fold", "plain", "PLACEHOLDERS"]

#: Values exports use when they have nothing to say; they are no evidence of anything.
PLACEHOLDERS = frozenset({"unknown", "none", "null", "nan", "na", "n a", "untitled", "no title",
                          "anonymous", "anon", "not available", "no authors listed"})

_TAGS = re.compile(r"<[^>]{0,40}>")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def ascii_fold(text: str) -> str:
    """Lower-case ASCII, transliterated: 'Müller–Ćosić' and 'Muller-Cosic' compare equal, and so
    do 'Вестник' and 'Vestnik' or '中华医学杂志' and 'Zhonghua Yixue Zazhi' once spaces go."""
    if not text.isascii():
        text = anyascii(unicodedata.normalize("NFC", text))
    return text.lower()


def plain(value: Any) -> str:
    """Words of a value, folded and space-separated; "" for nothing or a placeholder."""
    if not has_value(value):
        return ""
    text = str(value)
    if "<" in text or "&" in text:
        text = _TAGS.sub(" ", html.unescape(text))
    text = _NON_WORD.sub(" ", ascii_fold(text)).strip()
    return "" if text in PLACEHOLDERS else text
