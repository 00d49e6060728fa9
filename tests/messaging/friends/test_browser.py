"""The friends pages in Chromium at phone width (375 px)."""

import pytest
from playwright.sync_api import expect

from messaging.automation.models import Greeting
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_filter_then_tag_all_matching_friends_on_a_phone(page, alice, account, crowd):
    # given alice on the friends list
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/friends/")
    expect(page.get_by_test_id("match-count")).to_have_text("6 friends match.")
    # when she filters Android users and tags them all "regular"
    page.click("summary:has-text('Filters')")
    page.check("input[name=os][value=android]")
    page.click("text=Apply filters")
    expect(page.get_by_test_id("match-count")).to_have_text("2 friends match.")
    assert page_width(page) == 375
    page.select_option("select[name=bulk-tag]", label="regular")
    page.click("[data-testid=bulk-tag] button[type=submit]")
    # then the flash confirms, the filter is kept, and both are tagged
    expect(page.locator(".flash")).to_have_text("Added the tag regular to 1 friend.")
    expect(page.get_by_test_id("match-count")).to_have_text("2 friends match.")
    assert set(
        crowd["regular"].friends.values_list("line_user__display_name", flat=True)
    ) == {"Ben", "Cai", "Dan"}


def test_greeting_preview_follows_typing_and_placeholders(page, alice, account):
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/friends/greeting/")
    preview = page.get_by_test_id("greeting-preview")
    expect(preview.locator("[data-preview=text1]")).to_contain_text(
        "Hello Taro! Thank you for adding Demo Café as a friend."
    )
    page.fill("textarea[name=text2]", "See you soon, ")
    page.click("button[data-insert='{Nickname}']")
    expect(preview.locator("[data-preview=text2]")).to_have_text("See you soon, Taro")
    assert page_width(page) == 375
    page.click("form[data-testid=greeting-form] button.primary")
    expect(page.locator(".flash")).to_have_text("Greeting saved.")
    assert Greeting.objects.get(account=account).messages[1] == {
        "type": "text",
        "text": "See you soon, {Nickname}",
    }


def test_friends_pages_fit_a_phone_screen(page, alice, account, crowd):
    browser_login(page, alice)
    for path in ("", f"{crowd['cai'].pk}/", "gain/", "fields/"):
        page.goto(f"/manager/{account.slug}/friends/{path}")
        assert page_width(page) == 375, path
