"""ASGI entry point: HTTP goes to Django, WebSockets to the Channels routes."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from config.startup import lifespan_app  # noqa: E402
from core.bodylimit import BodyLimitASGIMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Oversized bodies are refused before Django reads (spools) them.
        "http": BodyLimitASGIMiddleware(django_asgi_app),
        # Startup refuses an insecure SECRET_KEY with DEBUG=0 (uvicorn exits).
        "lifespan": lifespan_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
