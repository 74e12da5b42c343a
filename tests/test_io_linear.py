"""No reader backtracks: adversarial lines of growing length cost time in proportion.

Each reader gets records whose fields are filled with text built to make regular expressions
with overlapping alternatives backtrack (runs of spaces, dashes, soft hyphens, braces, quotes,
tag-like tokens, continuation lines), once as one long line and once as many lines. The input
grows 4-fold; the time may grow about 4-fold, and the test fails when it grows more than
`MAX_RATIO` (a quadratic reader grows 16-fold, an exponential one never returns: each run also
has a hard limit). Ratios, not absolute times, so a loaded machine does not make it fail.
"""
from __future__ import annotations

import time

import pytest

from review.errors import ReviewError
from review.io import read_bytes

#: Input sizes compared (characters of adversarial text per record).
SMALL, LARGE = 6_000, 24_000
#: Allowed growth of time when the input grows LARGE/SMALL = 4-fold (linear: about 4).
MAX_RATIO = 10.0
#: Below this the small run is too fast to time: measured as this floor instead.
FLOOR = 0.004
#: Seconds for all payloads of one reader and shape (each takes well under 1 s) before the
#: reader is taken to hang.
HANG = 60.0

PAYLOADS = {
    "spaces": " ", "dashes": "-", "dash-space": "- ", "soft-hyphen": "\u00ad", "word": "a ",
    "braces-open": "{", "braces-close": "}", "quotes": '"', "commas": ",", "dots": ". ",
    "parens": "(", "tag-like": "AU  - ", "glued-tag": "DEP -\u00ad", "doi": "10.1000/x ",
    "pmid": "PMID: 1 ", "angle": "<", "amp": "&amp;", "equals": "=", "et-al": "et al. ",
    "initials": "A. B. ", "year": "(1999) ", "tabs": "\t", "backslash": "\\", "colon": "Title: ",
    "doubled-space-dash": "  -  ",
}


def _ris(chunk: str, lines: list[str]) -> str:
    more = "".join(f"\n{line}" for line in lines)
    return (f"TY  - JOUR\nTI  - {chunk}{more}\nAB  - {chunk}\nAU  - {chunk[:2000]}\nPY  - 2020\n"
            f"AUGilles, H\nER  - \n")


def _medline(chunk: str, lines: list[str]) -> str:
    more = "".join(f"\n      {line}" for line in lines)
    # The line that fits no layout comes last, after the continuation lines: a regular
    # expression with overlapping alternatives tries every way to split those before failing.
    return (f"PMID- 1\nTI  - {chunk}\nAB  - x{more}\nFAU - {chunk[:2000]}\n"
            f"LID - {chunk} [doi]\nDEP -\u00ad20200101\n\n")


def _wos(chunk: str, lines: list[str]) -> str:
    more = "".join(f"\n   {line}" for line in lines)
    return f"FN Clarivate\nVR 1.0\nPT J\nAU {chunk}{more}\nTI {chunk}\nPY 2020\nAUGilles, H\nER\nEF\n"


def _bibtex(chunk: str, lines: list[str]) -> str:
    more = "\n".join(lines)
    return (f"@article{{key1,\n  title = {{{chunk}}},\n  abstract = {{{more}}},\n"
            f"  author = {{{chunk[:2000]}}},\n  year = {{2020}}\n}}\n")


def _table(chunk: str, lines: list[str]) -> str:
    quoted = chunk.replace('"', '""')
    more = "\n".join(lines).replace('"', '""')
    return f'title,abstract,authors,year\n"{quoted}","{more}","{quoted[:2000]}",2020\n'


def _webpage(chunk: str, lines: list[str]) -> str:
    from html import escape
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return (f"<html><head><title>{escape(chunk)}</title></head><body><h1>{escape(chunk)}</h1>"
            f"<p>{escape(chunk)}</p>{body}</body></html>")


def _endnote(chunk: str, lines: list[str]) -> str:
    from html import escape
    more = escape("\n".join(lines))
    return (f"<?xml version='1.0' encoding='UTF-8'?><xml><records><record><ref-type name='Journal "
            f"Article'>17</ref-type><titles><title>{escape(chunk)}</title></titles><abstract>"
            f"{more}</abstract><dates><year>2020</year></dates></record></records></xml>")


def _pubmed(chunk: str, lines: list[str]) -> str:
    from html import escape
    more = escape("\n".join(lines))
    return (f"<?xml version='1.0'?><PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>"
            f"<Article><ArticleTitle>{escape(chunk)}</ArticleTitle><Abstract><AbstractText>{more}"
            f"</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>"
            f"</PubmedArticleSet>")


READERS = {"ris": _ris, "medline": _medline, "wos": _wos, "bibtex": _bibtex, "table": _table,
           "webpage": _webpage, "endnote_xml": _endnote, "pubmed_xml": _pubmed}


def _time(fmt: str, text: str) -> float:
    """Seconds to read `text` (best of 2); a clear refusal counts as an answer."""
    data = text.encode("utf-8")
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        try:
            read_bytes(data, f"adversarial.{fmt}", fmt)
        except ReviewError:
            pass
        best = min(best, time.perf_counter() - start)
    return best


def _inputs(fmt: str, unit: str, size: int, shape: str) -> str:
    chunk = (unit * (size // len(unit) + 1))[:size]
    if shape == "long line":
        return READERS[fmt](chunk, [chunk])
    width = max(len(unit) * 4, 20)
    lines = [(unit * (width // len(unit) + 1))[:width] for _ in range(size // width)]
    return READERS[fmt]("x", lines)


def _measure(fmt: str, shape: str, out) -> None:
    """(ratio, payload, small s, large s) for every payload, sent through the pipe `out`."""
    worst = []
    for name, unit in PAYLOADS.items():
        small = max(_time(fmt, _inputs(fmt, unit, SMALL, shape)), FLOOR)
        large = _time(fmt, _inputs(fmt, unit, LARGE, shape))
        if large / small > MAX_RATIO:  # measure again before blaming: the machine is shared
            small = max(_time(fmt, _inputs(fmt, unit, SMALL, shape)), FLOOR)
            large = _time(fmt, _inputs(fmt, unit, LARGE, shape))
        worst.append((large / small, name, small, large))
    out.send(worst)
    out.close()


@pytest.mark.parametrize("shape", ["long line", "many lines"])
@pytest.mark.parametrize("fmt", list(READERS))
def test_reader_time_grows_linearly(fmt, shape):
    # A regular expression that backtracks holds the interpreter inside C code, where no signal
    # reaches it: the runs go in a child process, killed when it takes too long.
    import multiprocessing
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_measure, args=(fmt, shape, send), daemon=True)
    child.start()
    send.close()
    ready = receive.poll(HANG)
    if not ready:
        child.kill()
        child.join()
        pytest.fail(f"the {fmt} reader did not finish {len(PAYLOADS)} payloads ({shape}) in "
                    f"{HANG:.0f} s: it backtracks")
    worst = receive.recv()
    child.join()
    bad = [w for w in worst if w[0] > MAX_RATIO]
    assert not bad, "; ".join(f"{name}: {s:.3f} s -> {l:.3f} s (x{r:.1f})" for r, name, s, l in bad)
