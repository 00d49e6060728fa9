"""Pages run under the Content-Security-Policy with no violation.

Every page below is loaded in Chromium with the policy the server sends;
the browser reports each blocked script, handler or style as a
``securitypolicyviolation`` event and a console error. The behaviours that
used to be inline (language switch, copy buttons, greeting preview,
usage bars) are exercised.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def _watch(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if "Content Security Policy" in m.text else None
        ),
    )
    page.add_init_script(WATCH)
    return errors


def _visit(page, path: str, errors: list[str]) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.evaluate("window.__csp") == [], path
    assert errors == [], path


def test_manager_pages_have_no_violations(page, alice, account):
    errors = _watch(page)
    browser_login(page, alice)
    slug = account.slug
    for name in (
        "analytics:home",
        "accounts:member-list",
        "accounts:plan-usage",
        "accounts:messaging-api",
        "friends:friend-list",
        "friends:friend-gain",
        "friends:friend-fields",
        "automation:greeting",
        "broadcasts:broadcast-list",
        "broadcasts:broadcast-create",
        "broadcasts:segment-list",
        "chat:inbox",
        "webhooks:webhook-settings",
    ):
        _visit(page, reverse(name, args=[slug]), errors)
    # the usage bar gets its widths from data-width
    page.goto(reverse("accounts:plan-usage", args=[slug]))
    width = page.locator(".usage .bar .used").evaluate("e => e.style.width")
    assert width.endswith("%")
    assert page.evaluate("window.__csp") == [] and errors == []


def test_moved_inline_behaviours_still_work(page, alice, account):
    errors = _watch(page)
    browser_login(page, alice)
    slug = account.slug
    # the greeting preview follows the text and the placeholder buttons
    page.goto(reverse("automation:greeting", args=[slug]))
    area = page.locator("[data-bubble]").first
    area.fill("Hello ")
    page.locator("[data-insert]").first.click()
    preview = page.get_by_test_id("greeting-preview")
    expect(preview).to_contain_text("Hello ")
    # the copy button selects and copies the add-friend URL
    page.goto(reverse("friends:friend-gain", args=[slug]))
    page.locator("[data-copy=add-url]").click()
    expect(page.locator("[data-copy=add-url]")).to_have_text("Copied")
    # the language switch submits its form
    page.goto(reverse("accounts:account-list"))
    page.select_option("select[name=language]", "ja")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert page.evaluate("window.__csp") == [] and errors == []
