"""The webhook endpoint API refuses URLs a webhook may not use.

``PUT /v2/bot/channel/webhook/endpoint`` and ``POST
/v2/bot/channel/webhook/test`` answer LINE's 400 for addresses inside the
network, plain http (production default) and URLs that do not parse, and
change nothing: no endpoint, no delivery log row, no audit entry, no POST.
"""

import pytest

from accounts.models import AuditLog
from messaging.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.messaging.webhooks.test_url_policy import INSIDE
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

ENDPOINT = "/v2/bot/channel/webhook/endpoint"
TEST = "/v2/bot/channel/webhook/test"
INVALID = {
    "message": "The request body has 1 error(s)",
    "details": [{"message": "Invalid URL", "property": "endpoint"}],
}

# URLs that do not parse, or parse into something else than was typed.
BROKEN = [
    "http://[::1",
    "https://[::1",
    "https://bot.example.com/call\x00back",
    "https://bot.example.com/call back",
    "https://bot.example.com/callback\r\nX-Injected: 1",
    "https://bot.example.com:99999/callback",
    "https://bot.example.com:port/callback",
    "https:///callback",
]


def _state() -> dict:
    return {
        "endpoints": list(
            WebhookEndpoint.objects.values_list("url", "active", "redelivery")
        ),
        "deliveries": WebhookDelivery.objects.count(),
        "attempts": WebhookAttempt.objects.count(),
        "audit": AuditLog.objects.count(),
    }


@pytest.mark.parametrize("url", [*INSIDE, "http://bot.example.com/callback"])
def test_set_endpoint_refuses_addresses_inside_and_plain_http(api, url):
    before = _state()
    with assert_unchanged():
        response = api.call("PUT", ENDPOINT, {"endpoint": url})
    assert (response.status_code, response.json()) == (400, INVALID)
    assert _state() == before


@pytest.mark.parametrize("url", [*INSIDE, "http://bot.example.com/callback"])
def test_test_endpoint_refuses_addresses_inside_and_plain_http(api, url):
    before = _state()
    with assert_unchanged():
        response = api.call("POST", TEST, {"endpoint": url})
    assert (response.status_code, response.json()) == (400, INVALID)
    assert _state() == before


def test_set_endpoint_accepts_a_public_https_url(api, account):
    response = api.call(
        "PUT", ENDPOINT, {"endpoint": "https://bot.example.com/callback"}
    )
    assert (response.status_code, response.json()) == (200, {})
    assert list(WebhookEndpoint.objects.values_list("url", "active")) == [
        ("https://bot.example.com/callback", True)
    ]


def _refusal(url: str) -> dict:
    """A NUL is refused for the whole body before any field is read."""
    if "\x00" in url:
        return {
            "message": "The request body has 1 error(s)",
            "details": [
                {
                    "message": "Must not contain NUL or unpaired surrogate characters",
                    "property": "endpoint",
                }
            ],
        }
    return INVALID


@pytest.mark.parametrize("url", BROKEN)
def test_set_endpoint_refuses_urls_that_do_not_parse(api, url):
    before = _state()
    with assert_unchanged():
        response = api.call("PUT", ENDPOINT, {"endpoint": url})
    assert (response.status_code, response.json()) == (400, _refusal(url))
    assert _state() == before


@pytest.mark.parametrize("url", BROKEN)
def test_test_endpoint_refuses_urls_that_do_not_parse(api, url):
    before = _state()
    with assert_unchanged():
        response = api.call("POST", TEST, {"endpoint": url})
    assert (response.status_code, response.json()) == (400, _refusal(url))
    assert _state() == before


@pytest.mark.parametrize("url", BROKEN)
def test_local_development_refuses_them_too(api, settings, url):
    """Allowing private networks does not let broken URLs in."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    before = _state()
    with assert_unchanged():
        response = api.call("PUT", ENDPOINT, {"endpoint": url.replace("https", "http")})
    assert (response.status_code, response.json()) == (400, _refusal(url))
    assert _state() == before
