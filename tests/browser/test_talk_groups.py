"""A group room in the browser (issue 16 #1): members see the bot's
messages and each other's by name without reloading."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from chat.inbound import customer_group_invite_account, customer_group_message_send
from messaging.groups.services import group_create, group_messages_send
from tests.talk.factories import make_persona, talk_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_group_room_shows_new_messages_by_name(browser, live_server, account):
    account.allow_group_join = True
    account.save(update_fields=["allow_group_join"])
    hanako, taro = make_persona("Hanako"), make_persona("Taro")
    group = group_create(creator=hanako, kind="group", name="Lunch", members=[taro])
    customer_group_invite_account(group=group, by=hanako, account=account)
    session = SessionStore()
    talk_session(session, taro)
    session.create()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto(f"/talk/groups/{group.pk}/")
        expect(page.get_by_test_id("group-title")).to_have_text("Lunch (2)")
        log = page.get_by_test_id("talk-log")
        # when Hanako writes and the bot pushes into the group
        customer_group_message_send(group=group, sender=hanako, text="Noodles?")
        group_messages_send(
            account=account,
            group=group,
            messages=[{"type": "text", "text": "Today's special: udon"}],
        )
        # then Taro's open room shows both, named, within a few seconds
        expect(log.locator(".msg.theirs .sender-name")).to_have_text(
            ["Hanako", "Demo Café"], timeout=8000
        )
        expect(log.locator(".msg.theirs")).to_contain_text(
            ["Noodles?", "Today's special: udon"]
        )
        # and Taro's own message is his bubble
        page.fill("textarea[name=text]", "Yes!")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(log.locator(".msg.mine")).to_contain_text(["Yes!"])
        # and "Leave" asks first (QA): dismissing keeps him in the group
        asked = []

        def dismiss(dialog):
            asked.append(dialog.message)
            dialog.dismiss()

        page.once("dialog", dismiss)
        page.get_by_test_id("group-members").locator("summary").click()
        page.get_by_role("button", name="Leave", exact=True).click()
        assert asked == ["Leave this chat?"]
        expect(page.get_by_test_id("group-title")).to_have_text("Lunch (2)")
        assert group.members.filter(line_user=taro, left_at=None).exists()
    finally:
        context.close()
