"""Quoting (REF#quote-token): a bot quotes a message of the same talk room
with the ``quoteToken`` that push/reply answered or a webhook carried; the
talk app shows the quote above the bubble (issue 18, #4)."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from linebot.v3.messaging import ApiException, PushMessageRequest, TextMessage

from accounts.models import MonthlyUsage
from messaging.store.models import Message
from tests.messaging.api.factories import customer
from tests.talk.factories import talk_client
from tests.unchanged import assert_unchanged


def _pushed(friend) -> list[Message]:
    return list(
        Message.objects.filter(friend=friend, source=Message.Source.API_PUSH).order_by(
            "id"
        )
    )


def test_a_bot_quotes_its_own_message_and_the_talk_app_shows_the_quote(
    line, account, friend
):
    # given a push whose answer carries the message's quote token
    first = line.push_message(
        PushMessageRequest(
            to=friend.line_user.user_id, messages=[TextMessage(text="Table for 2?")]
        )
    )
    token = first.sent_messages[0].quote_token
    # when the bot quotes it in a later push
    line.push_message(
        PushMessageRequest(
            to=friend.line_user.user_id,
            messages=[TextMessage(text="Confirmed", quoteToken=token)],
        )
    )
    # then the second message is stored with the quote token it named
    rows = _pushed(friend)
    assert [r.text for r in rows] == ["Table for 2?", "Confirmed"]
    assert rows[1].payload["quoteToken"] == rows[0].quote_token == token
    # and the customer's talk room draws the quoted message above it
    page = talk_client(friend.line_user).get(f"/talk/rooms/{friend.pk}/")
    html = page.content.decode()
    assert html.count('data-testid="quote"') == 1
    quote = html[html.index('data-testid="quote"') :]
    assert f'href="#m-{rows[0].pk}"' in html
    assert "Table for 2?" in quote[: quote.index("</a>")]


def test_a_quote_token_of_another_room_is_400_and_nothing_is_sent_or_counted(
    line, account, friend
):
    other = customer(account, display_name="Other customer")
    theirs = line.push_message(
        PushMessageRequest(to=other.line_user.user_id, messages=[TextMessage(text="x")])
    ).sent_messages[0]
    used = MonthlyUsage.objects.get(account=account).used
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.push_message(
            PushMessageRequest(
                to=friend.line_user.user_id,
                messages=[
                    TextMessage(text="ok"),
                    TextMessage(text="quoting", quoteToken=theirs.quote_token),
                ],
            )
        )
    assert excinfo.value.status == 400
    assert json.loads(excinfo.value.body) == {
        "message": "The request body has 1 error(s)",
        "details": [
            {"message": "Invalid quote token", "property": "messages[1].quoteToken"}
        ],
    }
    assert _pushed(friend) == []
    assert MonthlyUsage.objects.get(account=account).used == used


def test_an_unknown_quote_token_in_a_reply_is_400_and_the_token_stays_usable(
    api, account, friend
):
    from messaging.webhooks.models import ReplyToken

    token = ReplyToken.objects.create(
        account=account,
        friend=friend,
        token="r" * 32,
        event_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(minutes=1),
    )
    with assert_unchanged():
        answer = api.call(
            "POST",
            "/v2/bot/message/reply",
            {
                "replyToken": token.token,
                "messages": [{"type": "text", "text": "x", "quoteToken": "nope"}],
            },
        )
    assert answer.status_code == 400
    assert answer.json() == {
        "message": "The request body has 1 error(s)",
        "details": [
            {"message": "Invalid quote token", "property": "messages[0].quoteToken"}
        ],
    }
    token.refresh_from_db()
    assert token.used_at is None
    assert not Message.objects.filter(source=Message.Source.API_REPLY).exists()
