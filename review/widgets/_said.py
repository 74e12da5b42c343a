"""What a widget says when an action fails: a project error in its own words, a fault of ours
in plain words (the details go to the kernel's log, never Python's message to the reviewer)."""
from __future__ import annotations

import html
import logging

from ..errors import ReviewError
from ..screening.wording import in_words

__all__ = ["ERROR", "failure_words", "failure_html"]

#: A message line in the error colour (the text is HTML, already escaped).
ERROR = '<span style="color:#b00020">{}</span>'

log = logging.getLogger("review.widgets")


def failure_words(exc: BaseException, where: str, *, lead: str = "Not saved",
                  after: str = "Nothing was lost; try again.") -> str:
    """Plain text for a failed action: `lead: <the project error's words>.` or, for any other
    exception (logged here in full), `lead: something went wrong in <where> (...)`."""
    if isinstance(exc, ReviewError):
        said = in_words(str(exc)).strip().rstrip(".")
    else:
        log.error("%s: %s failed", where, lead, exc_info=exc)
        said = (f"something went wrong in {where} (the details are in the kernel's log)")
    return " ".join(x for x in (f"{lead}: {said}.", after) if x)


def failure_html(exc: BaseException, where: str, *, lead: str = "Not saved",
                 after: str = "Nothing was lost; try again.") -> str:
    """`failure_words` as an escaped line in the error colour."""
    return ERROR.format(html.escape(failure_words(exc, where, lead=lead, after=after), quote=False))
