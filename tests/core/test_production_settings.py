"""Production refuses to run insecurely: the secret key and ``check --deploy``.

With ``DEBUG=0`` a serving process (uvicorn through ``config.asgi``'s
lifespan, a WSGI server importing ``config.wsgi``) refuses to start with the
development ``SECRET_KEY`` or a weak one; the settings the compose stack
sets (``HTTPS_ONLY=1`` and a real key) pass ``manage.py check --deploy``.
"""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.asgi import application

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "x7Qp9LmZ2vB8nW4rT6yU1iO3aS5dF0gH" * 2


def _env(**overrides) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "HTTPS_ONLY"}
        and not k.startswith(("SECURE_", "SESSION_COOKIE"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(overrides)
    return env


def _run(args: list[str], env: dict, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


async def _lifespan() -> list[dict]:
    sent: list[dict] = []
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive():
        return inbox.pop(0)

    async def send(message):
        sent.append(message)

    await application({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


def test_asgi_startup_fails_with_the_development_key(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "dev-insecure-secret-key-change-me"
    sent = asyncio.run(_lifespan())
    assert sent == [
        {
            "type": "lifespan.startup.failed",
            "message": "SECRET_KEY is the development default; set a random "
            "SECRET_KEY of at least 50 characters (or DEBUG=1).",
        }
    ]


@pytest.mark.parametrize("key", ["change-me-in-production", "short-key", "a" * 60])
def test_asgi_startup_fails_with_a_weak_key(settings, key):
    settings.DEBUG = False
    settings.SECRET_KEY = key
    [message] = asyncio.run(_lifespan())
    assert message["type"] == "lifespan.startup.failed"


def test_asgi_starts_with_a_strong_key_or_in_debug(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = STRONG_KEY
    assert asyncio.run(_lifespan()) == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]
    settings.DEBUG = True
    settings.SECRET_KEY = "dev-insecure-secret-key-change-me"
    assert asyncio.run(_lifespan())[0] == {"type": "lifespan.startup.complete"}


def test_uvicorn_refuses_to_serve_with_the_default_key():
    result = _run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            "0",
            "--lifespan",
            "on",
        ],
        _env(DEBUG="0"),
    )
    assert result.returncode != 0
    assert "SECRET_KEY is the development default" in result.stderr


def test_a_wsgi_server_refuses_the_default_key():
    result = _run([sys.executable, "-c", "import config.wsgi"], _env(DEBUG="0"))
    assert result.returncode != 0
    assert "SECRET_KEY is the development default" in result.stderr
    ok = _run(
        [sys.executable, "-c", "import config.wsgi"],
        _env(DEBUG="0", SECRET_KEY=STRONG_KEY),
    )
    assert ok.returncode == 0, ok.stderr


def test_the_compose_settings_pass_check_deploy():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "HTTPS_ONLY: ${HTTPS_ONLY:-1}" in compose
    assert "SECRET_KEY: ${SECRET_KEY:?" in compose
    result = _run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        _env(
            DEBUG="0",
            SECRET_KEY=STRONG_KEY,
            HTTPS_ONLY="1",
            ALLOWED_HOSTS="oa.example.com",
        ),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_without_https_only_check_deploy_names_what_is_missing():
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _env(DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="oa.example.com"),
    )
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012"):
        assert warning in result.stderr + result.stdout
