"""The Messaging API fixtures (live server, SDK clients) for coupons."""

from tests.messaging.api.conftest import (  # noqa: F401 (fixtures)
    _live_server_closes_connections,
    _rate_limits,
    line,
    line_blob,
    token,
)
