"""YAML written by people (protocols, settings), read strictly: UTF-8, no repeated keys, bounded
nesting, and every problem named with its file and line in a reviewer's words.

PyYAML's safe loader lets the last of two `title:` keys win silently and recurses once per level
of nesting (a 10,000-deep file ends in RecursionError); this loader refuses both."""
from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any, Callable

import yaml

__all__ = ["MAX_DEPTH", "load_yaml_text", "read_yaml_file", "decode_utf8"]

#: Deepest nesting of mappings and lists a protocol may have (real ones use under 10).
MAX_DEPTH = 50


class _Refused(yaml.YAMLError):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message, self.line = message, line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses repeated keys and nesting deeper than MAX_DEPTH."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep", mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key is None:
                    continue
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _Refused(f"the key {key!r} appears twice (first on line {seen[key]}); "
                                   f"keep one", line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def decode_utf8(data: bytes, file: str, error: Callable[[str], Exception]) -> str:
    """UTF-8 text (a BOM allowed); other bytes are refused naming the line, not guessed."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{file}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save "
                    f"the file as UTF-8 (in most editors: Save as, encoding UTF-8)") from None


@functools.lru_cache(maxsize=16)
def _parsed(text: str) -> Any:
    """The same text parsed once per process: opening a review parses its stored protocol, and a
    notebook, the store's tests or a batch of imports open the same review many times (PyYAML's
    pure-Python parser takes ~50 ms over a protocol). Errors are not cached; callers get a copy."""
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def load_yaml_text(text: str, file: str, error: Callable[[str], Exception]) -> Any:
    """Parsed YAML, or `error(message)` raised with the file, line and problem."""
    try:
        return copy.deepcopy(_parsed(text))
    except _Refused as exc:
        where = f", line {exc.line}" if exc.line else ""
        raise error(f"{file}{where}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{file}{where}: not valid YAML ({problem})") from None
    except RecursionError:
        raise error(f"{file}: nested too deep to read") from None


def read_yaml_file(path: str | Path, error: Callable[[str], Exception], what: str = "file") -> Any:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    return load_yaml_text(decode_utf8(data, str(path), error), str(path), error)
