"""The base view of every LINE-compatible endpoint."""

import uuid

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from core.api.exception_handler import line_exception_handler
from core.api.exceptions import (
    NOT_FOUND,
    RETRY_KEY_INVALID,
    RETRY_KEY_UNSUPPORTED,
    LineApiError,
)
from core.api.parsers import MAX_BODY_BYTES, LineJSONParser, check_body_size
from core.api.throttling import ChannelRateThrottle

REQUEST_ID_HEADER = "X-Line-Request-Id"
ACCEPTED_REQUEST_ID_HEADER = "X-Line-Accepted-Request-Id"


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """LINE answers JSON whatever ``Accept`` says; binary views bypass this."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class LineApiView(APIView):
    """Answers like LINE's API servers (spec 1.1).

    Every response carries ``X-Line-Request-Id`` (``request.line_request_id``,
    created before anything can fail); errors are LINE's body; bodies over
    2 MB are refused with 413; ``X-Line-Retry-Key`` is refused unless the
    view sets ``retry_key_allowed``; ``rate_scope`` names the view's limit.
    """

    # Bearer channel tokens: REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES
    # (accounts.api.authentication), so that core imports no app.
    permission_classes: list = []
    parser_classes = [LineJSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [ChannelRateThrottle]
    content_negotiation_class = JSONOnlyNegotiation
    rate_scope = "default"
    retry_key_allowed = False
    # LINE's 2 MB; a file upload view (audience user IDs) sets its own.
    max_body_bytes = MAX_BODY_BYTES

    def initialize_request(self, request, *args, **kwargs):
        request.line_request_id = str(uuid.uuid4())
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        check_body_size(length, self.max_body_bytes)
        super().initial(request, *args, **kwargs)
        if not self.retry_key_allowed and request.META.get("HTTP_X_LINE_RETRY_KEY"):
            raise LineApiError(RETRY_KEY_UNSUPPORTED)

    def get_exception_handler(self):
        return line_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response[REQUEST_ID_HEADER] = request.line_request_id
        return response

    def retry_key(self, request) -> uuid.UUID | None:
        """The request's ``X-Line-Retry-Key`` as a UUID, if it sent one."""
        value = request.META.get("HTTP_X_LINE_RETRY_KEY")
        if not value:
            return None
        try:
            return uuid.UUID(value.strip())
        except ValueError as exc:
            raise LineApiError(RETRY_KEY_INVALID) from exc


class NotFoundApi(LineApiView):
    """Any path under ``/v2/`` this server does not implement."""

    authentication_classes: list = []
    throttle_classes: list = []

    def initial(self, request, *args, **kwargs):
        raise LineApiError(NOT_FOUND, status=404)


@extend_schema(exclude=True)
class OpenApiSchemaApi(SpectacularJSONAPIView):
    """The API's OpenAPI 3 document, generated from ``config.api_urls``."""

    authentication_classes: list = []
    urlconf = "config.api_urls"
