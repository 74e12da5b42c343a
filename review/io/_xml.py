"""Safe XML parsing shared by the PubMed and EndNote readers: no DTDs, entities or network."""
from __future__ import annotations

import html
from typing import Any

from lxml import etree

from ..errors import ImportFormatError

__all__ = ["parse_xml", "collect_text"]


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


def collect_text(node: Any, parts: list[str]) -> None:
    """Append every text piece inside `node` in document order: markup dropped, tails kept."""
    if isinstance(node, etree._Entity):  # an entity the DTD would define, e.g. &nbsp;
        parts.append(html.unescape(node.text or ""))
        return
    if isinstance(node, (etree._Comment, etree._ProcessingInstruction)):
        return
    if node.text:
        parts.append(node.text)
    for child in node:
        collect_text(child, parts)
        if child.tail:
            parts.append(child.tail)
