"""Group chats (issue 16 #1): the lifecycle events in order with LINE's
exact shapes, parsed by the SDK's WebhookParser; joining refused when the
account does not allow group chats; rooms; replies into a group."""

import json
import re

import pytest
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    GroupSource,
    JoinEvent,
    LeaveEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageEvent,
    RoomSource,
)

from chat.inbound import (
    customer_group_invite,
    customer_group_invite_account,
    customer_group_leave,
    customer_group_message_send,
    customer_group_remove_account,
)
from messaging.groups.models import ChatGroup, GroupMessage
from messaging.groups.services import GroupJoinRefused, group_create
from messaging.webhooks.models import ReplyToken, WebhookDelivery
from tests.factories import LineUserFactory
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)

ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
MESSAGE_ID = re.compile(r"[1-9][0-9]{17}")


@pytest.fixture
def joinable(account):
    account.allow_group_join = True
    account.save(update_fields=["allow_group_join"])
    return account


def _received(account, bot, n):
    raws, parsed = [], []
    for _i in range(n):
        got = bot.get()
        events = WebhookParser(account.channel_secret).parse(
            got.body.decode(), got.headers["x-line-signature"]
        )
        assert len(events) == 1
        parsed.append(events[0])
        raws.append(json.loads(got.body)["events"][0])
    return raws, parsed


def _common(raw: dict) -> dict:
    """The event without the values that change each run."""
    raw = dict(raw)
    assert isinstance(raw.pop("timestamp"), int)
    assert ULID.fullmatch(raw.pop("webhookEventId"))
    assert raw.pop("mode") == "active"
    assert raw.pop("deliveryContext") == {"isRedelivery": False}
    if "replyToken" in raw:
        assert re.fullmatch(r"[0-9a-f]{32}", raw.pop("replyToken"))
        raw["replyToken"] = "…"
    return raw


def test_group_lifecycle_events_in_order(joinable, bot, webhook_on):
    account = joinable
    alice, bob, carol = (LineUserFactory(display_name=n) for n in "ABC")
    group = group_create(creator=alice, kind="group", name="Book club", members=[bob])
    assert re.fullmatch(r"C[0-9a-f]{32}", group.line_id)
    customer_group_message_send(group=group, sender=bob, text="before the bot")
    customer_group_invite_account(group=group, by=alice, account=account)
    said = customer_group_message_send(group=group, sender=alice, text="Hi bot")
    customer_group_invite(group=group, by=bob, users=[carol])
    customer_group_leave(group=group, user=carol)
    customer_group_remove_account(group=group, by=bob)
    customer_group_message_send(group=group, sender=alice, text="after the bot")

    raws, parsed = _received(account, bot, 5)
    bot.assert_nothing()
    source = {"type": "group", "groupId": group.line_id}
    assert [_common(r) for r in raws] == [
        {"type": "join", "source": source, "replyToken": "…"},
        {
            "type": "message",
            "source": {**source, "userId": alice.user_id},
            "replyToken": "…",
            "message": {
                "id": said.message_id,
                "type": "text",
                "text": "Hi bot",
                "quoteToken": said.payload["quoteToken"],
            },
        },
        {
            "type": "memberJoined",
            "source": source,
            "replyToken": "…",
            "joined": {"members": [{"type": "user", "userId": carol.user_id}]},
        },
        {
            "type": "memberLeft",
            "source": source,
            "left": {"members": [{"type": "user", "userId": carol.user_id}]},
        },
        {"type": "leave", "source": source},
    ]
    assert [type(e) for e in parsed] == [
        JoinEvent,
        MessageEvent,
        MemberJoinedEvent,
        MemberLeftEvent,
        LeaveEvent,
    ]
    assert all(isinstance(e.source, GroupSource) for e in parsed)
    assert parsed[1].source.group_id == group.line_id
    assert parsed[1].source.user_id == alice.user_id
    assert MESSAGE_ID.fullmatch(parsed[1].message.id)
    # reply tokens answer into the group, one per replyable event
    assert set(ReplyToken.objects.values_list("chat_id", flat=True)) == {group.line_id}
    assert ReplyToken.objects.count() == 3
    assert GroupMessage.objects.filter(group=group).count() == 3


def test_room_events_name_the_room(joinable, bot, webhook_on):
    alice, bob = LineUserFactory(), LineUserFactory()
    room = group_create(creator=alice, kind="room", name="ignored", members=[bob])
    assert re.fullmatch(r"R[0-9a-f]{32}", room.line_id) and room.name == ""
    customer_group_invite_account(group=room, by=bob, account=joinable)
    customer_group_message_send(group=room, sender=bob, text="hello")
    raws, parsed = _received(joinable, bot, 2)
    assert raws[0]["source"] == {"type": "room", "roomId": room.line_id}
    assert raws[1]["source"] == {
        "type": "room",
        "roomId": room.line_id,
        "userId": bob.user_id,
    }
    assert isinstance(parsed[1].source, RoomSource)


def test_invite_is_refused_when_joining_is_off(account, bot, webhook_on):
    assert account.allow_group_join is False
    alice = LineUserFactory()
    group = group_create(creator=alice, kind="group", name="Team", members=[])
    with (
        assert_unchanged(),
        pytest.raises(GroupJoinRefused, match="cannot join group chats"),
    ):
        customer_group_invite_account(group=group, by=alice, account=account)
    group.refresh_from_db()
    assert group.account_id is None and group.account_joined_at is None
    assert WebhookDelivery.objects.count() == 0
    bot.assert_nothing()


def test_a_stranger_cannot_act_in_the_group(joinable, bot, webhook_on):
    from core.exceptions import ApplicationError

    alice, mallory = LineUserFactory(), LineUserFactory()
    group = group_create(creator=alice, kind="group", name="Team", members=[])
    with assert_unchanged(), pytest.raises(ApplicationError, match="not in this chat"):
        customer_group_invite_account(group=group, by=mallory, account=joinable)
    with assert_unchanged(), pytest.raises(ApplicationError, match="not in this chat"):
        customer_group_message_send(group=group, sender=mallory, text="hi")
    assert GroupMessage.objects.count() == 0
    assert ChatGroup.objects.get().account_id is None
    bot.assert_nothing()


@pytest.mark.parametrize(
    ("kind", "name", "error"),
    [
        ("group", "", "Give the group a name."),
        ("group", "x" * 51, "at most 50 characters"),
        ("club", "x", "Choose a group chat"),
    ],
)
def test_bad_groups_write_nothing(kind, name, error):
    from core.exceptions import ApplicationError

    creator = LineUserFactory()
    with assert_unchanged(), pytest.raises(ApplicationError, match=error):
        group_create(creator=creator, kind=kind, name=name, members=[])
