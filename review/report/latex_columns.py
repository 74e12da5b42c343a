"""LaTeX column widths that fit: each p-column at least as wide as its longest word (measured
with Computer Modern's metrics, header words in bold), the rest of the line shared by content;
and whether a table's wrapped rows would overflow a page (then it is set as a longtable)."""
from __future__ import annotations

import math
from collections.abc import Sequence
import re

__all__ = ["latex_words", "latex_columns", "too_tall", "LATEX_WRAP_WIDTH"]

#: Above this many characters across a row's widest cells, LaTeX columns wrap (p-columns).
LATEX_WRAP_WIDTH = 90


#: Widths of Computer Modern roman letters in em (from the font's metrics, rounded up): what
#: LaTeX needs to fit a column's longest word. Capitals and other characters default below.
_EM = dict(zip("abcdefghijklmnopqrstuvwxyz",
               (.5, .56, .45, .56, .45, .31, .5, .56, .28, .31, .53, .28, .84, .56, .5, .56, .53,
                .4, .4, .39, .56, .53, .73, .53, .53, .45)))
_EM.update({c: .28 for c in ".,;:'!|"})
_EM.update({c: .39 for c in "()[]"})
_EM.update({"-": .34, "I": .37, "J": .52, "M": .92, "W": 1.03, "m": .84, "%": .84, "/": .5,
            "×": .78, "µ": .58, "±": .78, "≥": .78, "≤": .78, " ": .34})
_EM.update({c: .5 for c in "0123456789"})
_EM.update({c: .36 for c in "¹²³⁰⁴⁵⁶⁷⁸⁹⁻"})
#: Bold (header) letters are wider than roman ones by about this much.
_BOLD = 1.15
#: A column's two \tabcolsep gaps (6 pt each) in em of the \small font (9 pt).
_GAPS_EM = 12 / 9


def _em_width(word: str, bold: bool = False) -> float:
    """The width of `word` in em of the table's font, a little generous."""
    width = sum(_EM.get(c, .76 if c.isupper() else .56) for c in word)
    return width * (_BOLD if bold else 1.0) * 1.03


def latex_words(text: str) -> list[str]:
    """What LaTeX cannot break: words, split after a slash too (cells allow a break there)."""
    return [w for w in re.split(r"\s+|(?<=/)", text) if w]


def _column_plan(header: list[str], rows: list[list[str]]
                 ) -> tuple[list[float], list[float]] | None:
    """None when the table fits the text width in `l` columns (its widest cells and the gaps
    between columns, measured); else per column its floor in
    em (its longest word, header words in bold) and its share of the width left over."""
    cells = [[h] + [r[i] for r in rows] for i, h in enumerate(header)]
    widest = [max(len(c) for c in column) for column in cells]
    # unbroken, each column as wide as its widest cell (header in bold) plus its two gaps
    line = sum(max([_em_width(h, bold=True)] + [_em_width(c) for c in column[1:]])
               for h, column in zip(header, cells)) + _GAPS_EM * len(header)
    if sum(widest) <= LATEX_WRAP_WIDTH and line <= _PAGE_EM[False][0]:
        return None
    floors = [max([_em_width(w, bold=True) for w in latex_words(h)] +
                  [_em_width(w) for c in column[1:] for w in latex_words(c)] + [1.0])
              for h, column in zip(header, cells)]
    words = [max(len(w) for c in column for w in c.split() or [""]) for column in cells]
    weights = [min(max(w, words[i] + 1, 6), 40) for i, w in enumerate(widest)]
    # rounded up and down as written, so the columns never add up to more than \\linewidth
    return ([math.ceil(f * 100) / 100 for f in floors],
            [math.floor(w / sum(weights) * 1000) / 1000 for w in weights])


def latex_columns(header: list[str], rows: list[list[str]]) -> str:
    """`l` columns when the table fits the text width, else ragged-right p-columns: each at
    least as wide as its longest word (header words in bold), the rest of \\linewidth shared by
    content. A column can then never be narrower than a word it must hold."""
    plan = _column_plan(header, rows)
    if plan is None:
        return "l" * len(header)
    floors, shares = plan
    spare = sum(floors)
    return "".join(
        rf">{{\raggedright\arraybackslash}}p{{\dimexpr{floor:.2f}em+{share:.3f}"
        rf"\dimexpr\linewidth-{spare:.2f}em-{2 * len(header)}\tabcolsep\relax\relax}}"
        for floor, share in zip(floors, shares))


#: A page's text in em of the table's font (a manuscript's article layout): width and height,
#: upright (\\small) and landscape (\\footnotesize); what decides a table is set over pages.
_PAGE_EM = {False: (37.0, 52.0), True: (68.0, 34.0)}


def too_tall(header: list[str], rows: list[list[str]], landscape: bool,
             notes: Sequence[str] = ()) -> bool:
    """Whether the table's wrapped rows and its notes below would likely not fit on one page
    (then a longtable)."""
    plan = _column_plan(header, rows)
    if plan is None:
        lines = len(rows) + 1
    else:
        floors, shares = plan
        width, _ = _PAGE_EM[landscape]
        left = max(width - sum(floors) - 0.8 * len(header), 0)
        columns = [floor + share * left for floor, share in zip(floors, shares)]
        lines = sum(max(math.ceil(_em_width(c) * 1.1 / w) if c else 1
                        for c, w in zip(row, columns)) for row in [header, *rows])
    width = _PAGE_EM[landscape][0]
    lines += sum(math.ceil(_em_width(note) * 0.9 / width) for note in notes)  # \footnotesize
    return lines * 1.15 > _PAGE_EM[landscape][1]


