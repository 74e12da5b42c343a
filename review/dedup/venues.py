"""Journal and conference names compared the way databases write them: ISO 4-style
abbreviations, acronyms, 'Proceedings' anywhere, ordinals and years of meetings, and names in
transliteration."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..records import has_value
from .fold import plain as _plain

__all__ = ["venue_tokens", "venue_kind", "venues_compatible", "transliterated"]

_VENUE_STOP = frozenset({"of", "the", "and", "for", "in", "on", "de", "la", "le", "des", "der",
                         "und", "a", "an", "at", "et"})
#: Words that say what kind of venue a name is; a journal and a workshop of one name differ.
_VENUE_KINDS = {
    "journal": "journal", "journals": "journal", "transactions": "journal", "letters": "journal",
    "magazine": "journal", "annals": "journal", "archives": "journal",
    "conference": "conference", "proceedings": "conference", "symposium": "conference",
    "congress": "conference", "meeting": "conference", "conf": "conference", "proc": "conference",
    "workshop": "workshop", "workshops": "workshop",
}


#: Abbreviations that are not a prefix of the word they stand for (prefixes such as 'proc',
#: 'conf', 'int', 'j' are matched as prefixes, the ISO 4 way).
_VENUE_WORDS = {"intl": "international", "natl": "national", "mgmt": "management",
                "mgt": "management", "jnl": "journal", "jrnl": "journal", "assn": "association",
                "govt": "government", "wkshp": "workshop", "confer": "conference",
                "procs": "proceedings", "sympos": "symposium"}
#: Ordinals and years in proceedings names: '45th', 'twenty-fifth', '2010' say which meeting, not
#: which series, and one database keeps them while another drops them.
_ORDINAL = re.compile(r"^(?:\d+(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth|seventh|"
                      r"eighth|ninth|tenth|eleventh|twelfth|[a-z]+(?:tieth|teenth)|twenty\w*|"
                      r"thirty\w*|forty\w*|fifty\w*)$")


def venue_tokens(value: Any) -> tuple[str, ...]:
    """Content words of a journal or conference name, folded: '&' read as 'and', transliterated,
    non-prefix abbreviations spelled out ('Natl' -> 'national'), ordinals and years dropped."""
    if isinstance(value, str):
        return _venue_tokens(value)
    return _venue_tokens(str(value)) if has_value(value) else ()


@lru_cache(maxsize=65_536)  # a review has few journals, each on many records
def _venue_tokens(value: str) -> tuple[str, ...]:
    text = _plain(str(value).replace("&", " and ")) if has_value(value) else ""
    return tuple(_VENUE_WORDS.get(w, w) for w in text.split()
                 if w not in _VENUE_STOP and not _ORDINAL.match(w))


def venue_kind(tokens: tuple[str, ...]) -> str | None:
    kinds = {_VENUE_KINDS[w] for w in tokens if w in _VENUE_KINDS}
    return kinds.pop() if len(kinds) == 1 else None


def _stands_for(word: str, full: str) -> bool:
    """An ISO 4 abbreviation of a word: its start ('nephrol' for 'nephrology') or, from three
    letters on, a contraction keeping its first letter and others in order ('dtsch' for
    'deutsche', 'wochenschr' for 'wochenschrift', 'ztschr' for 'zeitschrift')."""
    if full.startswith(word):
        return True
    if len(word) < 3 or len(word) >= len(full) or word[0] != full[0]:
        return False
    letters = iter(full[1:])
    return all(letter in letters for letter in word[1:])


def _abbreviates(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """True when every word of `short` abbreviates a later word of `full`, in order:
    'nat rev nephrol' abbreviates 'nature reviews nephrology', 'dtsch med wochenschr'
    'deutsche medizinische wochenschrift'."""
    position = 0
    for word in short:
        while position < len(full) and not _stands_for(word, full[position]):
            position += 1
        if position == len(full):
            return False
        position += 1
    return True


def _acronym(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """'jpen' or 'amcis' for 'American ... Conference on Information Systems'-style names."""
    for word in short:
        if len(word) < 3 or len(word) > len(full) + 2:
            continue
        initials = "".join(w[0] for w in full)
        if word in initials:
            return True
        if len(full) >= 3 and word[0] == full[0][0] and word[2:] and word[2:] in initials[1:]:
            return True
    return False


#: Words that mark a proceedings name wherever a database puts them ('Proc. X', 'X Proceedings').
_PROCEEDINGS = frozenset({"proceedings", "proc", "procs", "conference", "conf", "symposium", "symp"})
#: Romanised words of journal names in Chinese, Japanese, Korean and Russian: such a name cannot
#: be compared with the journal's English name ('Zhonghua Er Ke Za Zhi' is the 'Chinese Journal
#: of Pediatrics'), so the pair is no evidence either way.
_TRANSLITERATED = ("zazhi", "xuebao", "zhonghua", "zhongguo", "zhurnal", "vestnik", "voprosy",
                   "zasshi", "gakkai", "igaku", "kagaku", "taehan", "hakhoe", "uihak", "meditsin",
                   "rossiisk", "rossiysk", "akademii", "problemy", "khirurg", "terapevt")


def transliterated(tokens: tuple[str, ...]) -> bool:
    """Whether a venue name is a romanisation (of Chinese, Japanese, Korean or Russian)."""
    compact = "".join(tokens)
    return any(marker in compact for marker in _TRANSLITERATED)


def _compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if a == b or "".join(a) == "".join(b):  # 'zhonghua yi xue za zhi' and 'zhonghua yixue zazhi'
        return True
    short, full = (a, b) if len(a) <= len(b) else (b, a)
    if _abbreviates(short, full) or _abbreviates(full, short):
        return True
    if _acronym(short, full) or _acronym(full, short):
        return True
    return bool(set(a) & set(b)) and len(set(a) & set(b)) >= min(len(set(a)), len(set(b))) * 0.6


def venues_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool | None:
    """None when either venue is unknown, or one is a romanised name and the other is not; else
    whether one name can be the other's form, after abbreviation and transliteration folding
    and with 'Proceedings' / 'Conference' wherever each database puts it."""
    if not a or not b:
        return None
    if _compatible(a, b):
        return True
    core_a = tuple(w for w in a if w not in _PROCEEDINGS)
    core_b = tuple(w for w in b if w not in _PROCEEDINGS)
    if core_a and core_b and len(core_a) < len(a) and len(core_b) < len(b) \
            and _compatible(core_a, core_b):
        return True  # 'Proc. Hawaii Int. Conf. Syst. Sci.' and 'Hawaii ... Sciences, Proceedings'
    if transliterated(a) != transliterated(b):
        return None
    return False
