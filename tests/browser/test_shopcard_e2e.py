"""Issue 11's shop card path: a printed point QR completes a customer's card,
the reward ticket arrives, and staff confirm its use on the customer's phone."""

import threading

import pytest
from django.db import connections
from playwright.sync_api import expect

from shopcard.models import PointCode, RewardTicket
from shopcard.services import points_staff_change
from tests.conftest import browser_login, talk_signup
from tests.shopcard.factories import published_card
from tests.talk.factories import befriend, make_persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_printed_point_qr_completes_card_and_staff_confirm_the_ticket(
    page, browser, live_server, alice, account, tmp_path
):
    published_card(
        account,
        alice,
        goal=3,
        rewards=[{"points": 3, "title": "Free coffee", "validity_days": 30}],
    )
    # Staff make a 3-point single-use code and print its sheet.
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/shopcard/")
    form = page.get_by_test_id("code-form")
    form.locator("input[name=label]").fill("Counter")
    form.locator("input[name=points]").fill("3")
    form.locator("input[name=single_use]").check()
    page.get_by_test_id("code-create").click()
    expect(page.get_by_test_id("code-row")).to_have_count(1)
    code = PointCode.objects.get(account=account)
    sheet = page.request.get(
        f"/manager/{account.slug}/shopcard/codes/sheet.png?ids={code.pk}"
    )
    assert sheet.headers["content-type"] == "image/png"
    printed = tmp_path / "sheet.png"
    printed.write_bytes(sheet.body())

    # A customer adds the account and scans the printed sheet.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}
    )
    customer = context.new_page()
    customer.set_default_timeout(10_000)
    customer.goto(f"/talk/add/@{account.basic_id[1:]}")
    talk_signup(customer)
    customer.fill("input[name=display_name]", "Aoi")
    customer.get_by_test_id("persona-create").click()
    customer.get_by_test_id("add-friend").click()
    customer.goto(f"/talk/accounts/@{account.basic_id[1:]}/")
    customer.get_by_test_id("shopcard-link").click()
    expect(customer.get_by_test_id("stamp")).to_have_count(3)
    customer.get_by_test_id("scan-points").click()
    customer.set_input_files("input[name=picture]", str(printed))
    customer.get_by_role("button", name="Open").click()
    expect(customer.locator(".toast")).to_have_text(
        "You got 3 points. Card completed! You received 1 ticket."
    )
    expect(customer.get_by_test_id("completed")).to_have_text("Completed 1 time")

    # The ticket is there; "Use" shows the screen staff confirm on.
    customer.get_by_test_id("tickets").click()
    customer.get_by_test_id("ticket").click()
    expect(customer.get_by_test_id("ticket-title")).to_have_text("Free coffee")
    customer.get_by_test_id("use-ticket").click()
    expect(customer.get_by_test_id("staff-confirm")).to_be_visible()
    assert RewardTicket.objects.get().status == "issued"
    customer.get_by_test_id("confirm-use").click()
    expect(customer.get_by_test_id("ticket-used")).to_be_visible()
    assert RewardTicket.objects.get().status == "used"

    # A second scan of the single-use code is refused with a clear message.
    customer.goto("/talk/scan/")
    customer.set_input_files("input[name=picture]", str(printed))
    customer.get_by_role("button", name="Open").click()
    expect(customer.locator(".toast.error")).to_have_text(
        "This point code has already been used."
    )

    # Staff see the customer's ledger on the friend page.
    friend_id = RewardTicket.objects.get().friend_id
    page.goto(f"/manager/{account.slug}/friends/{friend_id}/")
    expect(page.get_by_test_id("friend-points")).to_contain_text(
        "Coffee card: 0 / 3 points"
    )
    context.close()


def test_audience_builder_counts_friends_by_points(page, alice, account):
    """The audience builder's number widget: "Shop card points at least"."""

    def cast():
        published_card(
            account,
            alice,
            goal=10,
            rewards=[{"points": 10, "title": "Coffee", "validity_days": 30}],
        )
        for name, points in (("Aki", 2), ("Ben", 5)):
            friend = befriend(account, make_persona(name))
            points_staff_change(
                friend=friend, actor=alice, points=points, reason="Welcome"
            )

    thread = threading.Thread(target=lambda: (cast(), connections.close_all()))
    thread.start()
    thread.join()
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/broadcasts/new/")
    page.get_by_test_id("bubble-text-0").fill("For our regulars")
    page.get_by_label("Filter by conditions").check()
    builder = page.get_by_test_id("audience-builder")
    builder.get_by_test_id("condition-type").select_option("shopcard_points")
    estimate = page.get_by_test_id("estimate")
    number = builder.get_by_test_id("condition-number")
    expect(number).to_have_value("1")
    expect(estimate.locator('[data-est="recipients"]')).to_have_text("2")
    number.fill("3")
    expect(estimate.locator('[data-est="recipients"]')).to_have_text("1")
