"""Symbols the tables show as Unicode (GRADE's ⊕/◯, SWiM's ▲/▼/◄►) set as math symbols in the
LaTeX files: pdflatex's text fonts have no glyph for them, whereas base LaTeX and amssymb (in
Debian's texlive-base) have every one."""
from __future__ import annotations

import re
from pathlib import Path

__all__ = ["GRADE_SYMBOLS", "SWIM_SYMBOLS", "latex_symbols"]

#: GRADE's certainty symbols: base LaTeX's math symbols.
GRADE_SYMBOLS = {"\u2295": r"\ensuremath{\oplus}", "\u25ef": r"\ensuremath{\bigcirc}"}
#: SWiM's effect-direction symbols (amssymb's filled triangles); ◄► as one pair first.
SWIM_SYMBOLS = {"\u25c4\u25ba": r"\ensuremath{\blacktriangleleft\blacktriangleright}",
                "\u25b2": r"\ensuremath{\blacktriangle}",
                "\u25bc": r"\ensuremath{\blacktriangledown}",
                "\u25c4": r"\ensuremath{\blacktriangleleft}",
                "\u25ba": r"\ensuremath{\blacktriangleright}"}
_NEEDS = re.compile(r"% Needs \\usepackage\{([^}]*)\}")


def latex_symbols(path: str | Path, symbols: dict[str, str], packages=()) -> Path:
    """Replace `symbols` in the `.tex` table at `path` (written by `review.report.tables`) and
    add `packages` to the packages its first line says it needs."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    for char, macro in symbols.items():
        text = text.replace(char, macro)
    if packages:
        def add(match: re.Match) -> str:
            needed = [p for p in match.group(1).split(",") if p]
            needed += [p for p in packages if p not in needed]
            return rf"% Needs \usepackage{{{','.join(needed)}}}"
        text = _NEEDS.sub(add, text, count=1)
    path.write_text(text, encoding="utf-8")
    return path
