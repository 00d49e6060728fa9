"""The talk app's group chats (issue 16 #1): a customer starts a group with
other personas, invites the account (only when it allows group chats),
writes; members see each other's and the account's messages by name; the
Manager shows the group read-only; strangers get 404."""

import pytest

from chat.inbound import customer_follow
from messaging.groups.models import ChatGroup, GroupMessage
from messaging.groups.services import group_messages_send
from talk.models import PersonaOwner
from talk.services import talk_demo_account
from tests.factories import LineUserFactory
from tests.talk.factories import talk_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(account):
    owner = talk_demo_account()
    users = [LineUserFactory(display_name=n) for n in ("Hanako", "Taro", "Jiro")]
    for user in users:
        PersonaOwner.objects.create(line_user=user, owner=owner)
    customer_follow(account=account, line_user=users[0])
    return users


def _start(client, members) -> ChatGroup:
    response = client.post(
        "/talk/groups/",
        {"kind": "group", "name": "Lunch", "member": [m.pk for m in members]},
    )
    group = ChatGroup.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/talk/groups/{group.pk}/"
    return group


def test_a_group_with_the_account_and_messages_by_name(account, people):
    hanako, taro, jiro = people
    account.allow_group_join = True
    account.save(update_fields=["allow_group_join"])
    browser = talk_client(hanako)
    group = _start(browser, [taro])
    assert list(group.members.values_list("line_user__display_name", flat=True)) == [
        "Hanako",
        "Taro",
    ]
    browser.post(f"/talk/groups/{group.pk}/invite-account", {"account": account.pk})
    browser.post(f"/talk/groups/{group.pk}/send", {"text": "Where shall we eat?"})
    group.refresh_from_db()
    assert group.account == account and group.account_left_at is None
    group_messages_send(
        account=account, group=group, messages=[{"type": "text", "text": "Try us!"}]
    )
    page = talk_client(taro).get(f"/talk/groups/{group.pk}/").content.decode()
    assert "Lunch (2)" in page
    assert "Where shall we eat?" in page and "Hanako" in page
    assert "Try us!" in page and account.display_name in page
    # Jiro is not in the group
    assert talk_client(jiro).get(f"/talk/groups/{group.pk}/").status_code == 404
    assert (
        talk_client(jiro)
        .post(f"/talk/groups/{group.pk}/send", {"text": "hi"})
        .status_code
        == 404
    )
    assert GroupMessage.objects.count() == 2


def test_the_account_cannot_be_invited_while_joining_is_off(account, people):
    hanako, taro, _jiro = people
    browser = talk_client(hanako)
    group = _start(browser, [taro])
    response = browser.post(
        f"/talk/groups/{group.pk}/invite-account", {"account": account.pk}, follow=True
    )
    assert "This account cannot join group chats." in response.content.decode()
    group.refresh_from_db()
    assert group.account_id is None


def test_the_manager_shows_group_chats_read_only(
    account, other_account, people, alice_client, charlie_client
):
    hanako, taro, _jiro = people
    account.allow_group_join = True
    account.save(update_fields=["allow_group_join"])
    browser = talk_client(hanako)
    group = _start(browser, [taro])
    browser.post(f"/talk/groups/{group.pk}/invite-account", {"account": account.pk})
    browser.post(f"/talk/groups/{group.pk}/send", {"text": "Table for two?"})
    listing = alice_client.get(f"/manager/{account.slug}/chat/groups/")
    assert "Lunch" in listing.content.decode()
    page = alice_client.get(f"/manager/{account.slug}/chat/groups/{group.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Table for two?" in html and "Hanako" in html
    # nothing on the page writes to the chat
    assert f'action="/manager/{account.slug}/chat/' not in html
    assert "Read-only: staff cannot write in group chats." in html
    # staff of another account see nothing of it
    assert (
        charlie_client.get(
            f"/manager/{other_account.slug}/chat/groups/{group.pk}/"
        ).status_code
        == 404
    )
    assert (
        charlie_client.get(
            f"/manager/{account.slug}/chat/groups/{group.pk}/"
        ).status_code
        == 404
    )
