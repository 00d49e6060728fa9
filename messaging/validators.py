"""Validation of LINE message objects (spec section 2).

``messages_validate`` returns cleaned copies or raises ``MessagesInvalid``
whose ``errors`` are LINE's ``details`` entries (``message``, ``property``),
so the API can answer with LINE's error body and forms can show them.
Extend ``_VALIDATORS`` for further types.
"""

from core.exceptions import ApplicationError

MAX_TEXT = 5000


class MessagesInvalid(ApplicationError):
    def __init__(self, errors: list[dict]):
        super().__init__(
            f"The request body has {len(errors)} error(s)",
        )
        self.errors = errors


def text_length(text: str) -> int:
    """Length in UTF-16 code units, as LINE counts it."""
    return len(text.encode("utf-16-le")) // 2


def _text(msg: dict, prop: str, errors: list[dict]) -> None:
    text = msg.get("text")
    if not isinstance(text, str) or not text.strip():
        errors.append({"message": "May not be empty", "property": f"{prop}.text"})
    elif text_length(text) > MAX_TEXT:
        errors.append(
            {
                "message": f"Length must be between 0 and {MAX_TEXT}",
                "property": f"{prop}.text",
            }
        )


def _sticker(msg: dict, prop: str, errors: list[dict]) -> None:
    for key in ("packageId", "stickerId"):
        value = msg.get(key)
        if not isinstance(value, str) or not value:
            errors.append({"message": "May not be empty", "property": f"{prop}.{key}"})


def _url(value, prop: str, errors: list[dict], limit: int = 2000) -> None:
    if not isinstance(value, str) or not value:
        errors.append({"message": "May not be empty", "property": prop})
    elif len(value) > limit:
        errors.append(
            {"message": f"Length must be between 0 and {limit}", "property": prop}
        )
    elif not value.startswith(("https://", "http://", "/")):
        errors.append({"message": "Must be a valid URL", "property": prop})


def _image(msg: dict, prop: str, errors: list[dict]) -> None:
    _url(msg.get("originalContentUrl"), f"{prop}.originalContentUrl", errors)
    _url(msg.get("previewImageUrl"), f"{prop}.previewImageUrl", errors)


_VALIDATORS = {"text": _text, "sticker": _sticker, "image": _image}


def messages_validate(messages, *, max_count: int = 5, prop: str = "messages"):
    """Validate a list of message objects; return them or raise."""
    if not isinstance(messages, list) or not messages:
        raise MessagesInvalid([{"message": "May not be empty", "property": prop}])
    if len(messages) > max_count:
        raise MessagesInvalid(
            [{"message": f"Size must be between 1 and {max_count}", "property": prop}]
        )
    errors: list[dict] = []
    for i, msg in enumerate(messages):
        item = f"{prop}[{i}]"
        if not isinstance(msg, dict):
            errors.append({"message": "Must be an object", "property": item})
            continue
        validator = _VALIDATORS.get(msg.get("type"))
        if validator is None:
            errors.append(
                {
                    "message": "Must be one of the following values: "
                    f"[{', '.join(_VALIDATORS)}]",
                    "property": f"{item}.type",
                }
            )
            continue
        validator(msg, item, errors)
    if errors:
        raise MessagesInvalid(errors)
    return messages


def message_text(msg: dict) -> str:
    """The searchable text of a message object."""
    kind = msg.get("type")
    if kind in ("text", "textV2"):
        return msg.get("text", "")
    if "altText" in msg:
        return msg["altText"]
    return {"sticker": "[Sticker]", "image": "[Image]", "video": "[Video]"}.get(
        kind, f"[{kind}]"
    )
