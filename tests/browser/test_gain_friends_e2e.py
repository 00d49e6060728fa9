"""Issue 4's end-to-end path: Manager QR → customer scans → greeting → block."""

import pytest
from playwright.sync_api import expect

from messaging.automation.services import greeting_update
from messaging.friends.models import Friend
from tests.conftest import browser_login, talk_signup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_scans_the_managers_qr_is_greeted_blocks_and_staff_see_counts(
    page, browser, live_server, alice, account, tmp_path
):
    # given a greeting and staff looking at the console home
    greeting_update(
        account=account,
        actor=alice,
        enabled=True,
        send_on_unblock=True,
        messages=[
            {"type": "text", "text": "Hello {Nickname}, welcome to {AccountName}!"}
        ],
    )
    browser_login(page, alice)
    home = f"/manager/{account.slug}/"
    page.goto(home)
    expect(page.get_by_test_id("friend-count")).to_have_text("0")
    expect(page.get_by_test_id("blocked-count")).to_have_text("0")
    # when staff download the add-friend QR code as PNG
    page.goto(f"/manager/{account.slug}/friends/gain/")
    with page.expect_download() as download:
        page.get_by_test_id("qr-png").click()
    qr_png = tmp_path / "qr.png"
    download.value.save_as(qr_png)

    # and a customer uploads that picture in the talk app's Scan QR screen
    customer_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}
    )
    customer = customer_context.new_page()
    customer.set_default_timeout(10_000)
    customer.goto("/talk/")
    talk_signup(customer)
    customer.fill("input[name=display_name]", "Aoi")
    customer.get_by_test_id("persona-create").click()
    expect(customer.get_by_test_id("persona")).to_contain_text("Aoi")
    customer.get_by_role("link", name="Scan QR").first.click()
    customer.set_input_files("input[name=picture]", str(qr_png))
    customer.get_by_role("button", name="Open").click()
    customer.get_by_test_id("add-friend").click()

    # then the greeting arrives with the customer's name filled in
    expect(customer.get_by_test_id("talk-log")).to_contain_text(
        "Hello Aoi, welcome to Demo Café!"
    )
    page.goto(home)
    expect(page.get_by_test_id("friend-count")).to_have_text("1")
    expect(page.get_by_test_id("blocked-count")).to_have_text("0")

    # when the customer blocks the account
    customer.get_by_test_id("room-title").click()
    # LINE asks before blocking: dismissing keeps the friendship
    customer.once("dialog", lambda dialog: dialog.dismiss())
    customer.get_by_test_id("block").click()
    expect(customer.get_by_test_id("chat")).to_be_visible()
    assert not Friend.objects.filter(status=Friend.Status.BLOCKED).exists()
    prompts = []
    customer.once(
        "dialog", lambda dialog: (prompts.append(dialog.message), dialog.accept())
    )
    customer.get_by_test_id("block").click()
    expect(customer.get_by_test_id("unblock")).to_be_visible()
    assert prompts[0].startswith("Block ")

    # then staff see one blocked friend and none following
    page.goto(home)
    expect(page.get_by_test_id("friend-count")).to_have_text("0")
    expect(page.get_by_test_id("blocked-count")).to_have_text("1")
    friend = Friend.objects.get(account=account)
    assert (friend.line_user.display_name, friend.status) == ("Aoi", "blocked")
    customer_context.close()
