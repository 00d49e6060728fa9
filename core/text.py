"""Text that can be stored and passed on (PostgreSQL text, UTF-8 JSON).

Shared by the Messaging API's body parser (``core.api.parsers``) and the
message validators (``messaging.store.checks``): both refuse the same
characters with the same words.
"""

UNSTORABLE = "Must not contain NUL or unpaired surrogate characters"


def text_storable(text: str) -> bool:
    """Whether ``text`` can be stored and sent: no NUL (PostgreSQL refuses
    it in text) and no unpaired UTF-16 surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unstorable_paths(value, path: str = "") -> list[str]:
    """JSON paths (``a.b[0].c``) of every string in ``value`` — keys
    included — that ``text_storable`` refuses; ``$`` for the top level."""
    found = []
    if isinstance(value, str):
        if not text_storable(value):
            found.append(path or "$")
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not text_storable(key):
                found.append(path or "$")
            found.extend(unstorable_paths(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.extend(unstorable_paths(item, f"{path}[{i}]"))
    return found
