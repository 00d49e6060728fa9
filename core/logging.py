"""Logging filters."""

import logging


class ExpectedForbidden(logging.Filter):
    """A 403 is a role doing what it may not: one warning line, no traceback.

    Django logs ``Forbidden (Permission denied): <path>`` with the
    ``PermissionDenied`` traceback attached; the traceback says nothing an
    operator needs (the decorator raised it on purpose).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
