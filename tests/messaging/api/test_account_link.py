"""Account linking (issue 16 #2): the SDK's ``issue_link_token``, LINE's
account-link dialog opened by a talk-app customer, and the ``accountLink``
webhook event the bot parses — success, expiry after 10 minutes, reuse,
another user, and bad links that write and send nothing."""

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from freezegun import freeze_time
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import AccountLinkEvent

from messaging.friends.models import LinkToken
from messaging.webhooks.models import ReplyToken
from tests.messaging.api.factories import customer
from tests.talk.factories import talk_client
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)

NONCE = "n0nce-UyS3Wk1rQ2uBv7Pz"


def _dialog(token: str, nonce: str | None = NONCE) -> str:
    query = {"linkToken": token}
    if nonce is not None:
        query["nonce"] = nonce
    return f"/dialog/bot/accountLink?{urlencode(query)}"


def _event(account, bot) -> AccountLinkEvent:
    received = bot.get()
    events = WebhookParser(account.channel_secret).parse(
        received.body.decode(), received.headers["x-line-signature"]
    )
    assert len(events) == 1 and isinstance(events[0], AccountLinkEvent)
    return events[0], json.loads(received.body)["events"][0]


def test_issue_link_and_the_bot_hears_ok(line, account, friend, bot, webhook_on):
    # when the bot issues a link token for its friend
    token = line.issue_link_token(friend.line_user.user_id).link_token
    # then it is LINE's: 32 URL-safe characters, valid 10 minutes, unused
    row = LinkToken.objects.get()
    assert row.token == token and len(token) == 32
    assert row.friend == friend and row.used_at is None
    assert row.expires_at - row.created_at == dt.timedelta(minutes=10)
    # when the customer opens the dialog in the talk app's browser
    page = talk_client(friend.line_user).get(_dialog(token))
    # then the page says so and the bot hears "ok" with the nonce, replyable
    assert page.status_code == 200
    assert 'data-result="ok"' in page.content.decode()
    event, raw = _event(account, bot)
    assert event.link.result == "ok" and event.link.nonce == NONCE
    assert event.source.user_id == friend.line_user.user_id
    assert ReplyToken.objects.filter(token=event.reply_token, friend=friend).exists()
    assert set(raw) == {
        "type",
        "timestamp",
        "source",
        "link",
        "replyToken",
        "mode",
        "webhookEventId",
        "deliveryContext",
    }
    row.refresh_from_db()
    assert row.used_at is not None


def _issued(line, friend) -> str:
    return line.issue_link_token(friend.line_user.user_id).link_token


def _failed_shape(raw: dict) -> None:
    # a failed link names no user and carries no reply token
    assert set(raw) == {
        "type",
        "timestamp",
        "link",
        "mode",
        "webhookEventId",
        "deliveryContext",
    }


def test_a_token_used_twice_fails_the_second_time(
    line, account, friend, bot, webhook_on
):
    token = _issued(line, friend)
    browser = talk_client(friend.line_user)
    browser.get(_dialog(token))
    _event(account, bot)
    again = browser.get(_dialog(token, "second-nonce"))
    assert 'data-result="failed"' in again.content.decode()
    assert "already used" in again.content.decode()
    event, raw = _event(account, bot)
    assert (event.link.result, event.link.nonce) == ("failed", "second-nonce")
    _failed_shape(raw)
    assert ReplyToken.objects.count() == 1  # only the successful link's


def test_a_token_expires_after_ten_minutes(line, account, friend, bot, webhook_on):
    token = _issued(line, friend)
    issued = LinkToken.objects.get().created_at
    with freeze_time(issued + dt.timedelta(minutes=10)):
        page = talk_client(friend.line_user).get(_dialog(token))
    assert "expired" in page.content.decode()
    event, raw = _event(account, bot)
    assert (event.link.result, event.link.nonce) == ("failed", NONCE)
    _failed_shape(raw)
    assert LinkToken.objects.get().used_at is None


def test_just_before_ten_minutes_it_links(line, account, friend, bot, webhook_on):
    token = _issued(line, friend)
    issued = LinkToken.objects.get().created_at
    with freeze_time(issued + dt.timedelta(minutes=10) - dt.timedelta(seconds=1)):
        talk_client(friend.line_user).get(_dialog(token))
    event, _raw = _event(account, bot)
    assert event.link.result == "ok"


def test_another_customer_cannot_use_the_token(line, account, friend, bot, webhook_on):
    token = _issued(line, friend)
    other = customer(account, display_name="Taro")
    bot.get()  # Taro's follow
    page = talk_client(other.line_user).get(_dialog(token))
    assert "cannot be used" in page.content.decode()
    event, raw = _event(account, bot)
    assert event.link.result == "failed"
    _failed_shape(raw)
    # the token stays usable by the customer it was issued for
    talk_client(friend.line_user).get(_dialog(token))
    assert _event(account, bot)[0].link.result == "ok"


@pytest.mark.parametrize(
    ("nonce", "link_token"),
    [
        (None, "ok"),
        ("", "ok"),
        ("a b", "ok"),
        ("x" * 256, "ok"),
        (NONCE, ""),
        (NONCE, "a/b"),
    ],
)
def test_bad_links_write_and_send_nothing(
    line, account, friend, bot, webhook_on, nonce, link_token
):
    issued = _issued(line, friend)
    client = talk_client(friend.line_user)
    with assert_unchanged():
        page = client.get(_dialog(issued if link_token == "ok" else link_token, nonce))
    assert page.status_code == 400
    assert "This link is not valid" in page.content.decode()
    bot.assert_nothing()


def test_an_unknown_token_fails_without_an_event(account, friend, bot, webhook_on):
    page = talk_client(friend.line_user).get(_dialog("A" * 32))
    assert page.status_code == 200
    assert 'data-result="failed"' in page.content.decode()
    bot.assert_nothing()


def test_the_dialog_needs_a_talk_login(line, friend):
    token = _issued(line, friend)
    page = talk_client().get(_dialog(token))
    assert page.status_code == 302 and page["Location"].startswith("/talk/login/")
    assert LinkToken.objects.get().used_at is None


@pytest.mark.parametrize(
    ("user_id", "status", "body"),
    [
        ("U" + "0" * 32, 404, {"message": "Not found"}),
        ("nobody", 400, {"message": "The value for the 'userId' parameter is invalid"}),
    ],
)
def test_issue_for_a_stranger_or_a_bad_id(line, user_id, status, body):
    with assert_unchanged(), pytest.raises(ApiException) as raised:
        line.issue_link_token(user_id)
    assert raised.value.status == status
    assert json.loads(raised.value.body) == body
    assert LinkToken.objects.count() == 0


def test_expired_tokens_are_pruned_after_a_day(line, friend):
    from messaging.webhooks.services import webhook_records_prune

    _issued(line, friend)
    with freeze_time(timezone.now() + dt.timedelta(days=1, minutes=11)):
        assert webhook_records_prune()["link_tokens"] == 1
    assert LinkToken.objects.count() == 0
