"""Middleware of the Manager and talk pages."""

from django.http import Http404
from django.utils.deprecation import MiddlewareMixin

from core.exceptions import NotFound


class NotFoundMiddleware(MiddlewareMixin):
    """Answer a ``NotFound`` that escapes a view as Django's 404.

    It is re-raised as ``Http404``, so the answer is exactly the one an
    ``Http404`` gets (``handler404`` rendering ``templates/404.html``, or
    the debug page): Django turns an exception raised by
    ``process_exception`` into a response as it does a view's.
    """

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404 from exception
        return None
