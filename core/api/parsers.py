"""Request body parsers answering with LINE's messages."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from core.api.exceptions import BODY_TOO_LARGE, LineApiError, parse_error_message
from core.text import UNSTORABLE, unstorable_paths

MAX_BODY_BYTES = 2 * 1024 * 1024  # LINE's limit for every request (413)


def check_body_size(length: int, limit: int = MAX_BODY_BYTES) -> None:
    if length > limit:
        raise LineApiError(BODY_TOO_LARGE, status=413)


class LineJSONParser(BaseParser):
    """JSON objects only; a syntax error names its line and column.

    Any other top-level value is refused the way LINE's deserialiser does,
    at line 1, column 1.
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BODY_BYTES + 1)
        check_body_size(len(raw))
        try:
            text = raw.decode("utf-8")
            # Kept for the line and column of a property of the wrong type.
            if parser_context and "request" in parser_context:
                parser_context["request"].line_raw_body = text
            data = json.loads(text)
        except UnicodeDecodeError as exc:
            raise ParseError(parse_error_message(1, exc.start + 1)) from exc
        except json.JSONDecodeError as exc:
            raise ParseError(parse_error_message(exc.lineno, exc.colno)) from exc
        if not isinstance(data, dict):
            raise ParseError(parse_error_message(1, 1))
        bad = unstorable_paths(data)
        if bad:
            # Valid JSON, but NUL and unpaired surrogates cannot be stored
            # or passed on: refused before any view looks at the body.
            raise LineApiError(
                f"The request body has {len(bad)} error(s)",
                details=[{"message": UNSTORABLE, "property": path} for path in bad],
            )
        return data
