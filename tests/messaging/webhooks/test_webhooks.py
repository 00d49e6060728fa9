"""Webhooks this server sends, parsed and verified by the SDK's parser on a
real local HTTP server standing in for the bot."""

import datetime as dt
import json
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
)

from chat.inbound import customer_block, customer_follow, customer_message_send
from messaging.webhooks import transport
from messaging.webhooks.events import webhook_postback_event
from messaging.webhooks.models import ReplyToken, WebhookAttempt, WebhookDelivery
from messaging.webhooks.services import (
    webhook_delivery_redeliver,
    webhook_endpoint_get,
    webhook_endpoint_set,
    webhook_events_dispatch_on_commit,
)
from messaging.webhooks.tasks import deliver_webhook_task
from messaging.webhooks.transport import webhook_signature
from tests.messaging.api.factories import customer
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)

ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def _parse(account, received):
    parser = WebhookParser(account.channel_secret)
    return parser.parse(received.body.decode(), received.headers["x-line-signature"])


def test_follow_message_and_unfollow_arrive_signed_and_parse(account, bot, webhook_on):
    # given a customer who adds the account, writes, sends a sticker and a
    # photo, then blocks it
    friend = customer(account, display_name="Hanako")
    customer_message_send(friend=friend, message={"type": "text", "text": "Hello"})
    customer_message_send(
        friend=friend,
        message={
            "type": "sticker",
            "packageId": "446",
            "stickerId": "1988",
            "stickerResourceType": "STATIC",
            "keywords": ["hello"],
        },
    )
    photo = customer_message_send(
        friend=friend,
        message={"type": "image", "contentProvider": {"type": "line"}},
        content=ContentFile(b"\x89PNG", name="p.png"),
    )
    customer_block(friend=friend)
    # when the bot parses what it received
    received = [bot.get() for _i in range(5)]
    events = [_parse(account, r)[0] for r in received]
    # then every event is LINE's, signed with the channel secret
    follow, text, sticker, image, unfollow = events
    user_id = friend.line_user.user_id
    assert isinstance(follow, FollowEvent) and follow.follow.is_unblocked is False
    assert isinstance(text, MessageEvent) and isinstance(
        text.message, TextMessageContent
    )
    assert text.message.text == "Hello"
    assert text.message.quote_token
    assert isinstance(sticker.message, StickerMessageContent)
    assert (sticker.message.package_id, sticker.message.sticker_id) == ("446", "1988")
    assert sticker.message.keywords == ["hello"]
    assert isinstance(image.message, ImageMessageContent)
    assert image.message.id == photo.public_id
    # message IDs are LINE's 18 opaque digits, not the row's key (issue 16 #4)
    ids = [text.message.id, sticker.message.id, image.message.id]
    assert all(len(i) == 18 and i.isdigit() for i in ids)
    assert str(photo.pk) not in ids
    assert len(set(ids)) == 3
    assert image.message.content_provider.type == "line"
    assert isinstance(unfollow, UnfollowEvent)
    for event in events:
        assert event.source.user_id == user_id
        assert event.mode == "active"
        assert ULID.fullmatch(event.webhook_event_id)
        assert event.delivery_context.is_redelivery is False
    # and replyable events carry fresh reply tokens, unfollow none
    tokens = [getattr(e, "reply_token", None) for e in events]
    assert all(tokens[:4]) and len(set(tokens[:4])) == 4 and tokens[4] is None
    assert ReplyToken.objects.filter(token__in=tokens[:4]).count() == 4
    # and the body is LINE's envelope, sent as LINE sends it
    body = json.loads(received[0].body)
    assert body["destination"] == account.bot_user_id
    assert received[0].headers["content-type"] == "application/json; charset=utf-8"
    assert received[0].headers["user-agent"] == "LineBotWebhook/2.0"
    assert received[0].path == "/callback"
    # and the log shows five delivered webhooks
    assert (
        list(
            WebhookDelivery.objects.filter(account=account).values_list(
                "status", flat=True
            )
        )
        == ["succeeded"] * 5
    )


def test_unblock_is_a_follow_with_is_unblocked(account, bot, webhook_on):
    friend = customer(account)
    bot.get()
    customer_block(friend=friend)
    bot.get()
    customer_follow(account=account, line_user=friend.line_user)
    event = _parse(account, bot.get())[0]
    assert isinstance(event, FollowEvent)
    assert event.follow.is_unblocked is True


def test_signature_is_hmac_sha256_of_the_raw_body(account, bot, webhook_on):
    customer(account)
    received = bot.get()
    # a parser with another secret refuses it
    with pytest.raises(InvalidSignatureError):
        WebhookParser("0" * 32).parse(
            received.body.decode(), received.headers["x-line-signature"]
        )
    assert received.headers["x-line-signature"] == webhook_signature(
        secret=account.channel_secret, body=received.body
    )


def test_postback_event_builder_parses(account, bot, webhook_on, friend):
    bot.get()  # the follow
    webhook_events_dispatch_on_commit(
        account=account,
        events=[
            webhook_postback_event(
                friend=friend, data="storeId=1", params={"datetime": "2026-12-25T01:00"}
            )
        ],
    )
    event = _parse(account, bot.get())[0]
    assert isinstance(event, PostbackEvent)
    assert event.postback.data == "storeId=1"
    assert event.postback.params == {"datetime": "2026-12-25T01:00"}


def test_no_webhook_no_delivery_and_no_reply_token(account, bot):
    friend = customer(account)
    customer_message_send(friend=friend, message={"type": "text", "text": "hi"})
    bot.assert_nothing()
    assert not WebhookDelivery.objects.exists()
    assert not ReplyToken.objects.exists()


def test_webhook_switched_off_sends_nothing(account, bot, webhook_on):
    webhook_endpoint_set(account=account, actor=None, active=False)
    customer(account)
    bot.assert_nothing()
    assert not WebhookDelivery.objects.exists()


def test_failure_is_redelivered_with_the_same_event_when_redelivery_is_on(
    account, bot, webhook_on
):
    # given redelivery is on and the bot fails twice with 500
    webhook_endpoint_set(account=account, actor=None, redelivery=True)
    bot.script += [(500, 0), (502, 0)]
    # when a customer follows
    customer(account)
    first, second, third = bot.get(), bot.get(), bot.get()
    # then the same event comes again, flagged as a redelivery, re-signed
    events = [_parse(account, r)[0] for r in (first, second, third)]
    assert [e.delivery_context.is_redelivery for e in events] == [False, True, True]
    assert len({e.webhook_event_id for e in events}) == 1
    assert len({e.reply_token for e in events}) == 1
    # and each attempt is logged
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 3)
    assert list(delivery.attempts.values_list("status_code", "is_redelivery")) == [
        (500, False),
        (502, True),
        (200, True),
    ]


def test_failure_is_not_retried_when_redelivery_is_off(account, bot, webhook_on):
    bot.script.append((500, 0))
    customer(account)
    bot.get()
    bot.assert_nothing()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("failed", 1)
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500 Internal Server Error"


def test_4xx_is_never_retried(account, bot, webhook_on):
    webhook_endpoint_set(account=account, actor=None, redelivery=True)
    bot.script.append((400, 0))
    customer(account)
    bot.get()
    bot.assert_nothing()
    assert WebhookDelivery.objects.get().status == "failed"


def test_timeout_is_recorded_and_retried(account, bot, webhook_on, monkeypatch):
    # given the bot answers slower than the timeout once
    monkeypatch.setattr(transport, "WEBHOOK_TIMEOUT", 0.2)
    webhook_endpoint_set(account=account, actor=None, redelivery=True)
    bot.script.append((200, 0.6))
    # when
    customer(account)
    bot.get(), bot.get()
    # then the slow attempt counts as a timeout and the retry succeeded
    attempts = list(WebhookAttempt.objects.order_by("id"))
    assert [(a.status_code, a.error) for a in attempts] == [
        (None, "Request timed out"),
        (200, ""),
    ]
    assert attempts[0].latency_ms >= 200
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_refused_connection_is_recorded(account, webhook_on):
    webhook_endpoint_set(account=account, actor=None, url="http://127.0.0.1:9/callback")
    customer(account)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_status_code is None
    assert delivery.last_error == "Could not connect"


def test_delivery_task_is_idempotent(account, bot, webhook_on):
    customer(account)
    bot.get()
    delivery = WebhookDelivery.objects.get()
    # a second run of the same task finds nothing to do
    deliver_webhook_task.delay(delivery.pk)
    bot.assert_nothing()
    assert WebhookDelivery.objects.get().attempt_count == 1
    # and a vanished delivery is ignored quietly
    deliver_webhook_task.delay(delivery.pk + 1000)


def test_redelivered_reply_token_lives_another_minute(account, bot, webhook_on):
    # given a failed delivery redelivered by staff later
    bot.script.append((500, 0))
    friend = customer(account)
    bot.get()
    token = ReplyToken.objects.get()
    ReplyToken.objects.filter(pk=token.pk).update(
        expires_at=token.event_at, event_at=token.event_at
    )
    webhook_delivery_redeliver(
        account=account, actor=None, delivery_id=WebhookDelivery.objects.get().pk
    )
    event = _parse(account, bot.get())[0]
    # then the redelivered event carries the same token, usable again
    assert event.delivery_context.is_redelivery is True
    token.refresh_from_db()
    assert event.reply_token == token.token
    assert token.expires_at > token.event_at
    assert friend.pk == token.friend_id


# --- Manager page ---------------------------------------------------------------------


def _url(account, name="webhook-settings", **kwargs) -> str:
    return reverse(f"webhooks:{name}", kwargs={"account_slug": account.slug, **kwargs})


def test_manager_page_sets_url_and_switches(alice_client, account, bot):
    response = alice_client.post(
        _url(account), {"url": bot.url, "active": "on", "redelivery": "on"}
    )
    assert response.status_code == 302
    endpoint = webhook_endpoint_get(account=account)
    assert (endpoint.url, endpoint.active, endpoint.redelivery) == (bot.url, True, True)
    page = alice_client.get(_url(account))
    assert page.status_code == 200
    assert bot.url in page.content.decode()
    assert f'href="/manager/{account.slug}/webhook/"' in page.content.decode()


def test_manager_page_refuses_a_bad_url(alice_client, account):
    with assert_unchanged():
        response = alice_client.post(_url(account), {"url": "ftp://x", "active": "on"})
    assert response.status_code == 400
    assert "Enter an https:// URL." in response.content.decode()
    assert webhook_endpoint_get(account=account).pk is None


def test_manager_verify_sends_the_empty_check(alice_client, account, bot, webhook_on):
    response = alice_client.post(_url(account, "webhook-verify"), follow=True)
    assert json.loads(bot.get().body)["events"] == []
    assert "Success: the bot answered 200." in response.content.decode()
    log = response.content.decode()
    assert "Verify" in log and "200" in log


def test_manager_log_shows_failures_and_redelivers(
    alice_client, account, bot, webhook_on
):
    bot.script.append((503, 0))
    customer(account)
    bot.get()
    delivery = WebhookDelivery.objects.get()
    page = alice_client.get(_url(account)).content.decode()
    assert "HTTP 503 Service Unavailable" in page
    assert "Redeliver" in page
    response = alice_client.post(
        _url(account, "webhook-redeliver", delivery_id=delivery.pk), follow=True
    )
    assert "The delivery was queued again." in response.content.decode()
    event = _parse(account, bot.get())[0]
    assert event.delivery_context.is_redelivery is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 2)


def test_operators_and_strangers_cannot_manage_the_webhook(
    bob_client, charlie_client, account
):
    assert bob_client.get(_url(account)).status_code == 403
    assert charlie_client.get(_url(account)).status_code == 404
    # and a posted URL is refused without being saved
    data = {"url": "https://bot.example.com/hook", "active": "on"}
    with assert_unchanged():
        assert bob_client.post(_url(account), data).status_code == 403
        assert charlie_client.post(_url(account), data).status_code == 404


def test_redeliver_of_another_accounts_delivery_is_404(
    charlie_client, other_account, account, bot, webhook_on
):
    bot.script.append((500, 0))
    customer(account)
    bot.get()
    delivery = WebhookDelivery.objects.get()
    url = _url(other_account, "webhook-redeliver", delivery_id=delivery.pk)
    with assert_unchanged():
        assert charlie_client.post(url).status_code == 404
    bot.assert_nothing()


def test_resume_sweep_queues_only_deliveries_whose_task_was_lost(
    account, bot, webhook_on, settings
):
    """Issue 19, #9: a retry waiting in a worker that restarted (or in a
    broker that restarted) is queued again by beat's sweep, once."""
    from django.utils import timezone

    # one delivery per POST: a batch would take the due, not yet overdue
    # delivery along (test_batch_* cover that)
    settings.WEBHOOK_BATCH_SIZE = 1
    from messaging.webhooks.services import (
        RESUME_GRACE,
        STALE_CLAIM,
        webhook_deliveries_resume,
    )

    now = timezone.now()
    payload = {"destination": account.bot_user_id, "events": []}

    def row(**fields) -> WebhookDelivery:
        return WebhookDelivery.objects.create(
            account=account, url=bot.url, payload=payload, **fields
        )

    lost_retry = row(attempt_count=1, next_attempt_at=now - RESUME_GRACE)
    dead_claim = row(
        status="sending", attempt_count=1, claimed_at=now - STALE_CLAIM * 2
    )
    not_yet_due = row(attempt_count=1, next_attempt_at=now - RESUME_GRACE / 2)
    in_flight = row(status="sending", attempt_count=1, claimed_at=now)
    done = row(status="succeeded", attempt_count=1, next_attempt_at=now - RESUME_GRACE)
    check = row(is_test=True, next_attempt_at=now - RESUME_GRACE)
    # when beat's sweep runs
    resumed = webhook_deliveries_resume(now=now)
    # then exactly the two lost ones are attempted again, as redeliveries
    assert sorted(resumed) == sorted([lost_retry.pk, dead_claim.pk])
    bodies = [json.loads(bot.get().body) for _i in range(2)]
    bot.assert_nothing()
    assert all(b["destination"] == account.bot_user_id for b in bodies)
    states = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert states == {
        lost_retry.pk: "succeeded",
        dead_claim.pk: "succeeded",
        not_yet_due.pk: "pending",
        in_flight.pk: "sending",
        done.pk: "succeeded",
        check.pk: "pending",
    }
    assert list(
        WebhookAttempt.objects.filter(delivery=lost_retry).values_list(
            "status_code", "is_redelivery"
        )
    ) == [(200, True)]
    # and a second sweep finds nothing left
    assert webhook_deliveries_resume(now=now + dt.timedelta(seconds=1)) == []


def test_a_retry_is_due_after_its_backoff(account, bot, webhook_on, settings):
    from django.utils import timezone

    settings.WEBHOOK_RETRY_BACKOFF_SECONDS = 7
    webhook_endpoint_set(account=account, actor=None, redelivery=True)
    # the retry task runs at once in eager mode: fail both attempts so the
    # second schedules a third
    bot.script += [(500, 0), (500, 0), (500, 0), (500, 0), (500, 0), (500, 0)]
    before = timezone.now()
    customer(account)
    delivery = WebhookDelivery.objects.get()
    # six attempts, then given up; the last retry was due 7 × 3⁴ s after
    assert (delivery.status, delivery.attempt_count) == ("failed", 6)
    assert delivery.next_attempt_at >= before + dt.timedelta(seconds=7 * 3**4)
