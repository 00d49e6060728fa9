"""Turn any exception raised in a LINE API view into LINE's error body."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from core.api.exceptions import (
    NOT_AVAILABLE,
    NOT_FOUND,
    RATE_LIMITED,
    LineApiError,
    PropertyInvalid,
    content_type_message,
    errors_message,
)
from core.exceptions import NotFound

logger = logging.getLogger(__name__)


def _validation_details(detail, prefix: str = "") -> list[dict]:
    """Flatten DRF's nested ``ValidationError.detail`` into LINE details."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = str(key) if key != "non_field_errors" else prefix.rstrip(".")
            out += _validation_details(value, f"{prefix}{name}")
        return out
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"message": str(item), "property": prefix} for item in detail]
        out = []
        for i, item in enumerate(detail):
            out += _validation_details(item, f"{prefix}[{i}]")
        return out
    return [{"message": str(detail), "property": prefix}]


def line_exception_handler(exc, context) -> Response:
    """The response LINE would give for ``exc``; unexpected errors are 500."""
    headers: dict[str, str] = {}
    if isinstance(exc, PropertyInvalid):
        exc.locate(getattr(context.get("request"), "line_raw_body", None))
    if isinstance(exc, LineApiError):
        return Response(exc.body(), status=exc.status_code, headers=exc.headers)
    if isinstance(exc, Http404 | NotFound | exceptions.NotFound):
        status, body = 404, {"message": NOT_FOUND}
    elif isinstance(exc, PermissionDenied | exceptions.PermissionDenied):
        status, body = 403, {"message": NOT_AVAILABLE}
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status, body = 401, {"message": str(exc.detail)}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
    elif isinstance(exc, exceptions.Throttled):
        status, body = 429, {"message": RATE_LIMITED}
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        content_type = context["request"].content_type.split(";")[0].strip()
        status, body = 415, {"message": content_type_message(content_type)}
    elif isinstance(exc, exceptions.ValidationError):
        details = _validation_details(exc.detail)
        status, body = 400, {"message": errors_message(len(details))}
        if details:
            body["details"] = details
    elif isinstance(exc, exceptions.APIException):
        status, body = exc.status_code, {"message": str(exc.detail)}
    else:
        logger.exception("unhandled error in the LINE API", exc_info=exc)
        status, body = 500, {"message": "Internal server error"}
    return Response(body, status=status, headers=headers)
