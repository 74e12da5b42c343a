"""Safe XML parsing shared by the PubMed and EndNote readers: no DTDs, entities or network."""
from __future__ import annotations

from typing import Any

from lxml import etree

from ..errors import ImportFormatError

__all__ = ["parse_xml"]


def _parser() -> etree.XMLParser:
    # The dispatcher already decoded the bytes; we re-encode as UTF-8 and say so, which also
    # overrides any encoding named in the XML declaration.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, encoding="utf-8", huge_tree=False)


def parse_xml(text: str, file: str, expected: str) -> Any:
    """The root element of `text`, or one ImportFormatError naming the line lxml stopped at."""
    try:
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), _parser())
    except etree.XMLSyntaxError as exc:
        message = (exc.msg or str(exc)).split(", line ")[0]
        raise ImportFormatError(file, expected, line=exc.lineno or None, found=message) from None
    except (ValueError, UnicodeError) as exc:
        raise ImportFormatError(file, expected, found=str(exc)) from None
    if root is None:
        raise ImportFormatError(file, expected, line=1, found="no root element")
    return root
