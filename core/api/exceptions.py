"""The errors the LINE-compatible API answers with, and LINE's wording."""

from rest_framework.exceptions import APIException

from core.api.positions import value_position

AUTH_FAILED = "Authentication failed due to the following reason: {reason}"
INVALID_TOKEN = AUTH_FAILED.format(
    reason="invalid token. Confirm that the access token in the authorization "
    "header is valid."
)
MISSING_TOKEN = AUTH_FAILED.format(
    reason="no token. Set 'Authorization: Bearer <ACCESS TOKEN>' in the request header."
)
NOT_AVAILABLE = "Access to this API is not available for your account"
NOT_FOUND = "Not found"
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
MONTHLY_LIMIT = "You have reached your monthly limit."
BODY_TOO_LARGE = "The request body is too large"
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
RETRY_KEY_UNSUPPORTED = "The retry key is not supported by this API"
RETRY_KEY_INVALID = "The retry key must be a UUID in hexadecimal format"


def errors_message(count: int) -> str:
    return f"The request body has {count} error(s)"


def property_invalid_message(prop: str, position: tuple[int, int] | None = None) -> str:
    """LINE's answer for one property: the name quoted, and where the value
    starts in the body when it is of the wrong JSON type (``-`` when the
    value was read and then refused, such as an ID of the wrong form)."""
    line, column = position if position else ("-", "-")
    return (
        f"The property, '{prop}', in the request body is invalid "
        f"(line: {line}, column: {column})"
    )


def parse_error_message(line: int, column: int) -> str:
    return (
        f"The request body could not be parsed as JSON (line: {line}, column: {column})"
    )


def content_type_message(content_type: str) -> str:
    return f"The content type, '{content_type}', is not supported"


class LineApiError(APIException):
    """An error answered as ``{"message", "details"?}`` plus extra keys.

    ``details`` are LINE's ``[{"message", "property"}]`` entries and are
    left out of the body when empty; ``extra`` adds keys such as
    ``sentMessages``; ``headers`` are set on the response.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        details: list[dict] | None = None,
        extra: dict | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail=message)
        self.status_code = status
        self.message = message
        self.details = details or []
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict:
        body: dict = {"message": self.message}
        if self.details:
            body["details"] = self.details
        body.update(self.extra)
        return body


class PropertyInvalid(LineApiError):
    """A property LINE refuses outright, without the "X error(s)" details.

    ``located``: the value has the wrong JSON type (LINE's deserialisation
    error), and the answer names its line and column in the body, which
    ``locate`` fills in once the raw body is known; otherwise the value's
    form is wrong (an ID that is no ID) and LINE answers ``-``.
    """

    def __init__(self, prop: str, *, located: bool = True):
        super().__init__(property_invalid_message(prop))
        self.prop = prop
        self.located = located

    def locate(self, raw: str | None) -> None:
        """Name the value's line and column in ``raw``, the request body."""
        if not self.located or raw is None:
            return
        position = value_position(raw, self.prop)
        if position is not None:
            self.message = property_invalid_message(self.prop, position)


class BodyInvalid(LineApiError):
    """Values of the right type break rules: LINE's "X error(s)" body."""

    def __init__(self, details: list[dict]):
        super().__init__(errors_message(len(details)), details=details)
