"""Pinned query counts of the group paths (STYLE rule 9): they do not grow
with the number of members."""

import pytest

from accounts.models import OfficialAccount
from chat.inbound import customer_group_invite_account, customer_group_message_send
from messaging.groups.services import group_create
from tests.factories import LineUserFactory
from tests.messaging.api.factories import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(account):
    account.allow_group_join = True
    account.badge = OfficialAccount.Badge.VERIFIED
    account.save(update_fields=["allow_group_join", "badge"])
    alice = LineUserFactory()
    others = [LineUserFactory() for _i in range(30)]
    group = group_create(creator=alice, kind="group", name="Team", members=others)
    customer_group_invite_account(group=group, by=alice, account=account)
    group.refresh_from_db()
    return group


def test_push_to_a_group_queries(api, group, django_assert_num_queries):
    body = {"to": group.line_id, "messages": [text(), text("b")]}
    api.call("POST", "/v2/bot/message/push", body)  # the month's usage row
    # group, member count, quota UPDATE … RETURNING, one insert for every
    # message, the test's savepoint pair and the store's (the token was
    # cached by the first request: accounts.channel_auth)
    with django_assert_num_queries(8):
        response = api.call("POST", "/v2/bot/message/push", body)
    assert response.status_code == 200


def test_member_ids_queries(api, group, django_assert_num_queries):
    # token, group, one page of members
    with django_assert_num_queries(3):
        response = api.call("GET", f"/v2/bot/group/{group.line_id}/members/ids")
    assert len(response.json()["memberIds"]) == 31


def test_group_message_queries(group, webhook_on, django_assert_num_queries):
    sender = group.members.first().line_user
    # savepoint pair ×2, group lock, membership, insert, endpoint, delivery,
    # reply token
    with django_assert_num_queries(10):
        customer_group_message_send(group=group, sender=sender, text="hi")
