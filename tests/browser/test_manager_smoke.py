import re

import pytest
from playwright.sync_api import expect

from accounts.models import OfficialAccount
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_switch_to_japanese_create_account_and_see_basic_id(page, alice):
    # given alice logs in
    browser_login(page, alice)
    expect(page.locator("h1")).to_have_text("Your LINE Official Accounts")
    # when she switches to Japanese and creates an account
    page.select_option("select[name=language]", "ja")
    expect(page.locator("h1")).to_have_text("LINE公式アカウント一覧")
    page.fill("input[name=display_name]", "Sakura Salon")
    page.click("form button.primary")
    # then the account home shows its basic ID
    expect(page.get_by_test_id("basic-id")).to_be_visible()
    account = OfficialAccount.objects.get(display_name="Sakura Salon")
    expect(page.get_by_test_id("basic-id")).to_have_text(account.basic_id)
    assert re.fullmatch(r"@[a-z0-9]{8}", account.basic_id)
    expect(page.locator("html")).to_have_attribute("lang", "ja")
