"""Where a webhook may go: https to public addresses, checked after DNS.

Loopback, link-local, private, shared, reserved, multicast and unspecified
addresses are refused when the URL is saved (IP literals, in any spelling)
and when the POST connects (every address a name resolves to).
``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` (off by default) lifts the rules for
local bot development. Failures read like LINE's: a status line or a short
reason, never an OS error text or the bot's response body.
"""

import os
import socket
import subprocess
import sys

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from chat.inbound import customer_message_send
from messaging.webhooks import transport
from messaging.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from messaging.webhooks.services import (
    WebhookUrlInvalid,
    webhook_endpoint_set,
    webhook_endpoint_test,
)
from messaging.webhooks.transport import webhook_post
from tests.messaging.api.factories import customer
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)

# Every spelling of an address inside the network that a URL can carry.
INSIDE = [
    "https://127.0.0.1/callback",
    "https://127.1/callback",
    "https://2130706433/callback",
    "https://0x7f000001/callback",
    "https://0177.0.0.1/callback",
    "https://[::1]/callback",
    "https://[::ffff:127.0.0.1]/callback",
    "https://[0:0:0:0:0:0:0:1]/callback",
    "https://0.0.0.0/callback",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.5/callback",
    "https://172.16.0.1/callback",
    "https://172.31.255.254/callback",
    "https://192.168.1.1/callback",
    "https://100.64.0.1/callback",
    "https://224.0.0.1/callback",
    "https://[fe80::1]/callback",
    "https://[fc00::1]/callback",
    "https://[ff02::1]/callback",
    "https://240.0.0.1/callback",
]


@pytest.fixture
def strict(bot, settings):
    """The local ``bot`` runs, but the production rules apply."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    return bot


def _state(account) -> dict:
    """What a refused URL must leave untouched."""
    return {
        "endpoints": list(
            WebhookEndpoint.objects.filter(account=account).values_list(
                "url", "active", "redelivery"
            )
        ),
        "deliveries": WebhookDelivery.objects.count(),
        "attempts": WebhookAttempt.objects.count(),
        "audit": AuditLog.objects.count(),
    }


def test_private_networks_are_off_by_default():
    """With the variable unset, the settings module turns the switch off."""
    env = {k: v for k, v in os.environ.items() if "WEBHOOK_ALLOW" not in k}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_the_test_settings_leave_private_networks_off(settings):
    assert settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS is False


@pytest.mark.parametrize("url", INSIDE)
def test_the_manager_refuses_addresses_inside_the_network(alice_client, account, url):
    # given
    before = _state(account)
    # when
    with assert_unchanged():
        response = alice_client.post(
            reverse("webhooks:webhook-settings", args=[account.slug]),
            {"url": url, "active": "on"},
        )
    # then
    assert response.status_code == 400
    assert response.context["form"].errors["url"] == [
        "Webhooks cannot go to loopback, private, link-local, reserved or "
        "multicast addresses."
    ]
    assert _state(account) == before


def test_the_manager_refuses_plain_http(alice_client, account):
    before = _state(account)
    with assert_unchanged():
        response = alice_client.post(
            reverse("webhooks:webhook-settings", args=[account.slug]),
            {"url": "http://bot.example.com/callback", "active": "on"},
        )
    assert response.status_code == 400
    assert response.context["form"].errors["url"] == ["Enter an https:// URL."]
    assert _state(account) == before


def test_the_manager_accepts_a_public_https_url(alice_client, account):
    response = alice_client.post(
        reverse("webhooks:webhook-settings", args=[account.slug]),
        {"url": "https://bot.example.com/callback", "active": "on"},
    )
    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(account=account).url == (
        "https://bot.example.com/callback"
    )


@pytest.mark.parametrize("url", ["https://[::1]/cb", "https://169.254.169.254/"])
def test_the_service_refuses_before_any_post(account, url):
    before = _state(account)
    with assert_unchanged(), pytest.raises(WebhookUrlInvalid):
        webhook_endpoint_test(account=account, url=url)
    with assert_unchanged(), pytest.raises(WebhookUrlInvalid):
        webhook_endpoint_set(account=account, actor=None, url=url, active=True)
    assert _state(account) == before


def _resolving(monkeypatch, answers: dict[str, list[str]]):
    """DNS (the network edge) answers ``answers`` for these names."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port, 0, 0) if ":" in a else (a, port),
                )
                for a in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(transport.socket, "getaddrinfo", getaddrinfo)


def test_a_name_that_resolves_inside_is_not_posted_to(account, strict, monkeypatch):
    """A name saved as public but resolving to loopback at send time."""
    # given a bot URL whose name now resolves to this machine, where a
    # server listens
    port = strict.httpd.server_address[1]
    webhook_endpoint_set(
        account=account,
        actor=None,
        url=f"https://rebound.example.com:{port}/callback",
        active=True,
        redelivery=True,
    )
    _resolving(monkeypatch, {"rebound.example.com": ["127.0.0.1"]})
    # when a customer writes
    friend = customer(account)
    customer_message_send(friend=friend, message={"type": "text", "text": "hi"})
    # then nothing reached the server, each delivery failed once, unretried
    strict.assert_nothing()
    assert (
        list(
            WebhookDelivery.objects.values_list("status", "attempt_count", "last_error")
        )
        == [("failed", 1, "Address not allowed")] * 2
    )
    assert (
        list(WebhookAttempt.objects.values_list("status_code", "error"))
        == [(None, "Address not allowed")] * 2
    )


def test_every_address_of_a_name_is_checked(strict, monkeypatch):
    # given a name with one public and one loopback address
    port = strict.httpd.server_address[1]
    _resolving(monkeypatch, {"mixed.example.com": ["93.184.215.14", "127.0.0.1"]})
    # when
    result = webhook_post(
        url=f"https://mixed.example.com:{port}/cb", body=b"{}", secret="s"
    )
    # then
    assert (result.status_code, result.error, result.transient) == (
        None,
        "Address not allowed",
        False,
    )
    strict.assert_nothing()


def test_localhost_by_name_is_refused_at_send_time(strict):
    port = strict.httpd.server_address[1]
    result = webhook_post(url=f"https://localhost:{port}/cb", body=b"{}", secret="s")
    assert (result.status_code, result.error) == (None, "Address not allowed")
    strict.assert_nothing()


def test_the_api_test_reports_a_refused_name_like_line(account, strict, monkeypatch):
    port = strict.httpd.server_address[1]
    _resolving(monkeypatch, {"inside.example.com": ["10.1.2.3"]})
    result = webhook_endpoint_test(
        account=account, url=f"https://inside.example.com:{port}/cb"
    )
    assert (result.success, result.status_code, result.reason, result.detail) == (
        False,
        0,
        "COULD_NOT_CONNECT",
        "Address not allowed",
    )
    strict.assert_nothing()


def test_plain_http_is_refused_at_send_time_too(account, bot, settings):
    """A URL saved while private networks were allowed stops working."""
    # given a delivery to the local bot, then the switch turned off
    webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    # when
    customer(account)
    # then
    bot.assert_nothing()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("failed", "Invalid URL")


def test_errors_do_not_tell_a_refused_port_from_a_closed_one(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    result = webhook_post(url="http://127.0.0.1:9/callback", body=b"{}", secret="s")
    assert (result.status_code, result.error, result.reason) == (
        None,
        "Could not connect",
        "Could not connect",
    )
    assert result.transient


def test_no_response_body_is_stored(account, bot, webhook_on):
    # given a bot that answers 400 with a body
    bot.script.append((400, 0))
    # when
    customer(account)
    bot.get()
    # then only the status line is kept
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.error) == (400, "HTTP 400 Bad Request")
    assert "response_body" not in {f.name for f in WebhookAttempt._meta.get_fields()}


def test_allowing_private_networks_lets_local_bots_work(account, bot, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)
    customer(account)
    assert bot.get().path == "/callback"
    assert WebhookDelivery.objects.get().status == "succeeded"


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "https://bot.example.com/call\x00back",
        "https://bot.example.com/call back",
        "https://bot.example.com/callback\r\nX-Injected: 1",
        "https://bot.example.com:99999/callback",
    ],
)
def test_the_manager_refuses_urls_that_do_not_parse(alice_client, account, url):
    before = _state(account)
    with assert_unchanged():
        response = alice_client.post(
            reverse("webhooks:webhook-settings", args=[account.slug]),
            {"url": url, "active": "on"},
        )
    assert response.status_code == 400
    assert response.context["form"].errors["url"]
    assert _state(account) == before


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "https://bot.example.com/call back",
        "https://bot.example.com/callback\r\nX-Injected: 1",
        "https://bot.example.com:99999/callback",
    ],
)
def test_a_stored_url_that_cannot_be_sent_to_fails_the_delivery(account, url):
    """A URL stored before validation existed: failed at once, not stuck."""
    # given an endpoint row holding the URL (written around the service, as
    # an older version of the product stored it), redelivery on
    WebhookEndpoint.objects.create(
        account=account, url=url, active=True, redelivery=True
    )
    # when a customer adds the account
    customer(account)
    # then the delivery failed after one attempt that records why
    assert list(
        WebhookDelivery.objects.values_list("status", "attempt_count", "last_error")
    ) == [("failed", 1, "Invalid URL")]
    assert list(
        WebhookAttempt.objects.values_list("status_code", "latency_ms", "error")
    ) == [(None, 0, "Invalid URL")]
