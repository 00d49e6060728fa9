"""Where a property's value starts in a JSON body, as LINE reports it.

LINE's deserialiser names the line and column of a value of the wrong
type: ``{"replyToken":123`` → line 1, column 15 (1-based, the value's first
character). ``value_position`` finds that spot for a property path in
LINE's notation (``messages[0].contents.hero``) by walking the raw text.
"""

import json
import re

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path(prop: str) -> list[str | int]:
    return [int(index) if index else name for name, index in _PATH_TOKEN.findall(prop)]


def _skip(text: str, i: int) -> int:
    return _WHITESPACE.match(text, i).end()


def _child(text: str, i: int, key: str | int) -> int | None:
    """Offset of ``key``'s value in the object or array starting at ``i``."""
    if isinstance(key, str) and text.startswith("{", i):
        i = _skip(text, i + 1)
        while text.startswith('"', i):
            name, i = json.decoder.scanstring(text, i + 1)
            i = _skip(text, _skip(text, i) + 1)  # past the colon
            if name == key:
                return i
            _value, i = _DECODER.raw_decode(text, i)
            i = _skip(text, i)
            if not text.startswith(",", i):
                return None
            i = _skip(text, i + 1)
        return None
    if isinstance(key, int) and text.startswith("[", i):
        i = _skip(text, i + 1)
        for _n in range(key):
            _value, i = _DECODER.raw_decode(text, i)
            i = _skip(text, i)
            if not text.startswith(",", i):
                return None
            i = _skip(text, i + 1)
        return None if text.startswith("]", i) else i
    return None


def value_position(raw: str, prop: str) -> tuple[int, int] | None:
    """``(line, column)`` of the value at ``prop`` in ``raw``, 1-based.

    None when the body is not JSON or has no such property; a repeated
    key is found at its first occurrence.
    """
    try:
        i = _skip(raw, 0)
        for key in _path(prop):
            found = _child(raw, i, key)
            if found is None:
                return None
            i = found
    except (ValueError, IndexError):
        return None
    line = raw.count("\n", 0, i) + 1
    return line, i - (raw.rfind("\n", 0, i) + 1) + 1
