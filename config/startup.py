"""What a serving process checks before it takes requests.

``config.asgi`` answers ASGI's lifespan startup with ``lifespan_app`` (so
uvicorn exits instead of serving) and ``config.wsgi`` raises at import;
both refuse an insecure ``SECRET_KEY`` unless ``DEBUG`` is on. Management
commands (migrate, collectstatic in an image build) are not refused.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SECRET_KEY = "dev-insecure-secret-key-change-me"
# Placeholders shipped in examples; a deployment that kept one is not secret.
PLACEHOLDER_KEYS = {
    DEVELOPMENT_SECRET_KEY,
    "change-me",
    "change-me-in-production",
}


def secret_key_problem() -> str | None:
    """Why ``SECRET_KEY`` must not be used with ``DEBUG=0``, or None.

    The development default, a placeholder, or a key Django's deploy check
    calls weak (under 50 characters, under 5 distinct ones, or
    ``django-insecure-``).
    """
    if settings.DEBUG:
        return None
    key = settings.SECRET_KEY or ""
    if key in PLACEHOLDER_KEYS:
        return (
            "SECRET_KEY is the development default; set a random SECRET_KEY "
            "of at least 50 characters (or DEBUG=1)."
        )
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        return (
            "SECRET_KEY is weak; set a random SECRET_KEY of at least 50 "
            "characters (or DEBUG=1)."
        )
    return None


def secret_key_require() -> None:
    """Raise ``ImproperlyConfigured`` if ``secret_key_problem`` finds one."""
    problem = secret_key_problem()
    if problem:
        raise ImproperlyConfigured(problem)


async def lifespan_app(scope, receive, send) -> None:
    """ASGI lifespan: refuse startup on a ``secret_key_problem``."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            problem = secret_key_problem()
            if problem:
                await send({"type": "lifespan.startup.failed", "message": problem})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
