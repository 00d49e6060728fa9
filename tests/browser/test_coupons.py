"""A customer gets a coupon from a broadcast; staff confirm its use.

``live_server`` runs Celery eagerly (tests/conftest.py), so "Send now"
fans out in the server thread after the commit.
"""

import pytest
from playwright.sync_api import expect

from coupons.models import CouponTicket, CouponUse
from messaging.store.models import Message
from tests.browser.test_broadcasts import _customer_page, _in_thread
from tests.conftest import browser_login
from tests.coupons.factories import make_coupon
from tests.talk.factories import befriend, make_persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_acquires_a_coupon_from_a_broadcast_and_staff_confirm_its_use(
    page, browser, live_server, account, alice, settings
):
    settings.SITE_URL = live_server.url

    def setup():
        hanako = make_persona("Hanako")
        room = befriend(account, hanako)
        coupon = make_coupon(account, title="Latte 100 yen off")
        return hanako, room, coupon

    hanako, room, coupon = _in_thread(setup)
    # staff compose a broadcast whose bubble is the coupon
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/broadcasts/")
    page.get_by_test_id("new-broadcast").click()
    page.fill("input[name=title]", "Coupon week")
    page.get_by_test_id("bubble-type-0").select_option("coupon")
    expect(page.get_by_test_id("bubble-coupon-0")).to_have_value(coupon.coupon_id)
    expect(page.get_by_test_id("phone-preview")).to_contain_text("Latte 100 yen off")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("send-now").click()
    expect(page.get_by_test_id("broadcast-status")).to_have_text("Sent")
    assert Message.objects.get(friend=room, source="broadcast").payload == {
        "type": "coupon",
        "couponId": coupon.coupon_id,
    }
    context = _customer_page(browser, live_server, hanako)
    try:
        talk = context.new_page()
        talk.goto(f"/talk/rooms/{room.pk}/")
        bubble = talk.locator(".lb-coupon")
        expect(bubble.locator(".lb-coupon-title")).to_have_text("Latte 100 yen off")
        expect(bubble.locator(".lb-coupon-reward")).to_have_text("¥100 off")
        # the customer opens the coupon and gets it
        bubble.get_by_test_id("coupon-open").click()
        talk.get_by_test_id("coupon-acquire").click()
        # at the counter: "Use" asks for the staff's confirmation
        talk.get_by_test_id("coupon-use").click()
        expect(talk.get_by_test_id("coupon-confirm")).to_contain_text(
            "Show this screen to the staff."
        )
        assert CouponTicket.objects.get().used_count == 0
        talk.get_by_test_id("coupon-staff-confirm").click()
        expect(talk.get_by_test_id("coupon-used")).to_contain_text("Used")
        expect(talk.get_by_test_id("coupon-use")).to_have_count(0)
    finally:
        context.close()
    assert (CouponTicket.objects.get().used_count, CouponUse.objects.count()) == (1, 1)
    # the Manager counts it: delivered, opened, acquired, used
    page.goto(f"/manager/{account.slug}/coupons/{coupon.pk}/")
    for key in ("delivered", "opened", "acquired", "used"):
        expect(page.get_by_test_id(f"count-{key}")).to_have_text("1")
