"""The group and room API through the SDK (issue 16 #1): summary, member
count, member IDs paged by 100 (verified and premium accounts only),
member profile, leave; push and reply into a group; LINE's answers for a
user ID, a chat the account is not in, or one it left."""

import json

import pytest
from linebot.v3.messaging import (
    PushMessageRequest,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException

from accounts import quota
from accounts.models import OfficialAccount
from chat.inbound import customer_group_invite_account, customer_group_message_send
from messaging.groups.models import GroupMessage
from messaging.groups.services import group_create
from messaging.webhooks.models import ReplyToken
from tests.factories import LineUserFactory
from tests.unchanged import Snapshot

pytestmark = pytest.mark.django_db(transaction=True)

NOT_FOUND = {"message": "Not found"}


@pytest.fixture
def joined(account):
    """A verified account in a group of Alice and 149 others."""
    account.allow_group_join = True
    account.badge = OfficialAccount.Badge.VERIFIED
    account.save(update_fields=["allow_group_join", "badge"])
    alice = LineUserFactory(display_name="Alice")
    others = [LineUserFactory() for _i in range(149)]
    group = group_create(creator=alice, kind="group", name="Book club", members=others)
    customer_group_invite_account(group=group, by=alice, account=account)
    group.refresh_from_db()
    return group, alice


def _error(call) -> tuple[int, dict]:
    with pytest.raises(ApiException) as raised:
        call()
    return raised.value.status, json.loads(raised.value.body)


def test_summary_count_profile(line, joined):
    group, alice = joined
    summary = line.get_group_summary(group.line_id)
    assert (summary.group_id, summary.group_name) == (group.line_id, "Book club")
    assert line.get_group_member_count(group.line_id).count == 150
    profile = line.get_group_member_profile(group.line_id, alice.user_id)
    assert (profile.display_name, profile.user_id) == ("Alice", alice.user_id)


def test_member_ids_are_paged_by_100(line, joined):
    group, alice = joined
    first = line.get_group_members_ids(group.line_id)
    assert len(first.member_ids) == 100 and first.member_ids[0] == alice.user_id
    assert first.next
    second = line.get_group_members_ids(group.line_id, start=first.next)
    assert len(second.member_ids) == 50 and second.next is None
    everyone = set(group.members.values_list("line_user__user_id", flat=True))
    assert set(first.member_ids) | set(second.member_ids) == everyone
    assert _error(lambda: line.get_group_members_ids(group.line_id, start="x!")) == (
        400,
        {"message": "The value for the 'start' parameter is invalid"},
    )


def test_member_ids_need_a_verified_account(line, joined, account):
    group, _alice = joined
    account.badge = OfficialAccount.Badge.UNVERIFIED
    account.save(update_fields=["badge"])
    status, body = _error(lambda: line.get_group_members_ids(group.line_id))
    assert status == 403
    assert body == {"message": "Access to this API is not available for your account"}


def test_bad_ids_and_strangers(line, joined):
    group, alice = joined
    stranger = LineUserFactory()
    assert _error(lambda: line.get_group_summary(alice.user_id)) == (
        400,
        {"message": "The value for the 'groupId' parameter is invalid"},
    )
    assert _error(lambda: line.get_group_summary("C" + "0" * 32)) == (404, NOT_FOUND)
    assert _error(
        lambda: line.get_group_member_profile(group.line_id, stranger.user_id)
    ) == (404, NOT_FOUND)
    # a group ID on the room path is no room
    assert _error(lambda: line.get_room_member_count(group.line_id)) == (
        400,
        {"message": "The value for the 'roomId' parameter is invalid"},
    )


def test_leave_sends_leave_and_then_everything_is_404(line, joined, bot, webhook_on):
    group, _alice = joined
    line.leave_group(group.line_id)
    received = json.loads(bot.get().body)["events"][0]
    assert received["type"] == "leave"
    assert received["source"] == {"type": "group", "groupId": group.line_id}
    assert _error(lambda: line.get_group_summary(group.line_id)) == (404, NOT_FOUND)
    assert _error(lambda: line.leave_group(group.line_id)) == (404, NOT_FOUND)
    before = Snapshot.take()
    status, body = _error(
        lambda: line.push_message(
            PushMessageRequest(to=group.line_id, messages=[TextMessage(text="hi")])
        )
    )
    assert (status, body) == (400, {"message": "Failed to send messages"})
    before.assert_same()
    assert GroupMessage.objects.filter(account__isnull=False).count() == 0


def test_push_to_a_group_counts_every_member(line, joined, account):
    group, _alice = joined
    used = quota.usage_get(account=account).used
    sent = line.push_message(
        PushMessageRequest(to=group.line_id, messages=[TextMessage(text="Hello all")])
    ).sent_messages
    row = GroupMessage.objects.get(account=account)
    assert [m.id for m in sent] == [row.message_id]
    assert (row.group, row.text, row.sender) == (group, "Hello all", None)
    assert quota.usage_get(account=account).used == used + 150


def test_reply_to_a_group_message_answers_in_the_group(
    line, joined, account, bot, webhook_on
):
    group, alice = joined
    customer_group_message_send(group=group, sender=alice, text="Anyone?")
    event = json.loads(bot.get().body)["events"][0]
    used = quota.usage_get(account=account).used
    line.reply_message(
        ReplyMessageRequest(
            reply_token=event["replyToken"], messages=[TextMessage(text="Me!")]
        )
    )
    assert list(
        GroupMessage.objects.filter(group=group).values_list("text", "account")
    ) == [("Anyone?", None), ("Me!", account.pk)]
    assert quota.usage_get(account=account).used == used  # replies are free
    assert ReplyToken.objects.get(token=event["replyToken"]).used_at is not None


def test_room_api(line, account):
    account.allow_group_join = True
    account.save(update_fields=["allow_group_join"])
    alice, bob = LineUserFactory(), LineUserFactory(display_name="Bob")
    room = group_create(creator=alice, kind="room", name="", members=[bob])
    customer_group_invite_account(group=room, by=alice, account=account)
    assert line.get_room_member_count(room.line_id).count == 2
    assert line.get_room_member_profile(room.line_id, bob.user_id).display_name == "Bob"
    line.leave_room(room.line_id)
    assert _error(lambda: line.get_room_member_count(room.line_id)) == (404, NOT_FOUND)
