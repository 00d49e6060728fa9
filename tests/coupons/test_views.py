"""The talk app's coupon screen and the Manager's coupon pages."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditLog, Membership
from coupons.models import Coupon, CouponTicket, CouponUse
from coupons.services import coupon_acquire, coupon_close
from messaging.store.services import messages_send
from tests.coupons.factories import expire, lottery, make_coupon
from tests.factories import UserFactory, add_member
from tests.htmlquery import parse
from tests.talk.factories import befriend, make_persona, qr_png, talk_client, upload
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora_client(account):
    """An operator without delivery: may not publish or close coupons."""
    user = UserFactory(username="dora")
    add_member(account, user, Membership.Role.OPERATOR_NO_DELIVERY)
    client = Client()
    client.force_login(user)
    return client


def _page(client, coupon):
    response = client.get(f"/talk/coupons/{coupon.coupon_id}/")
    assert response.status_code == 200
    return parse(response.content.decode())


# --- Talk app ---------------------------------------------------------------


def test_customer_gets_and_uses_a_coupon_with_staff_confirmation(account):
    persona = make_persona()
    friend = befriend(account, persona)
    coupon = make_coupon(account, couponCode="CAFE100")
    client = talk_client(persona)
    doc = _page(client, coupon)
    assert (
        doc.cssselect("[data-testid='coupon-title']")[0].text_content()
        == "Coffee 100 yen off"
    )
    assert (
        doc.cssselect("[data-testid='coupon-reward']")[0].text_content() == "¥100 off"
    )
    assert doc.cssselect("[data-testid='coupon-acquire']")
    client.post(f"/talk/coupons/{coupon.coupon_id}/acquire")
    doc = _page(client, coupon)
    assert doc.cssselect("[data-testid='coupon-code']")[0].text_content() == "CAFE100"
    assert doc.cssselect("[data-testid='coupon-use']")
    # "Use" shows the staff confirmation step; nothing is used yet
    response = client.get(f"/talk/coupons/{coupon.coupon_id}/?step=confirm")
    doc = parse(response.content.decode())
    assert doc.cssselect("[data-testid='coupon-staff-confirm']")
    assert CouponTicket.objects.get(friend=friend).used_count == 0
    client.post(f"/talk/coupons/{coupon.coupon_id}/use")
    doc = _page(client, coupon)
    assert doc.cssselect("[data-testid='coupon-used']")
    assert not doc.cssselect("[data-testid='coupon-use']")
    # a second confirmation (another device) is refused, nothing written
    response = client.post(f"/talk/coupons/{coupon.coupon_id}/use", follow=True)
    assert "This coupon has already been used." in response.content.decode()
    assert CouponUse.objects.count() == 1


def test_lottery_result_is_shown_and_drawn_once(account):
    persona = make_persona()
    friend = befriend(account, persona)
    coupon = make_coupon(account, acquisitionCondition=lottery(1, 5))
    coupon_acquire(coupon=coupon, friend=friend, draw=0.5)  # lost
    client = talk_client(persona)
    doc = _page(client, coupon)
    assert doc.cssselect("[data-testid='coupon-lost']")
    assert not doc.cssselect("[data-testid='coupon-acquire']")
    client.post(f"/talk/coupons/{coupon.coupon_id}/acquire")
    assert CouponTicket.objects.filter(friend=friend).count() == 1
    assert CouponTicket.objects.get().won is False


def test_closed_and_expired_coupons_say_so(account):
    persona = make_persona()
    befriend(account, persona)
    client = talk_client(persona)
    closed = make_coupon(account)
    coupon_close(coupon=closed)
    doc = _page(client, closed)
    assert doc.cssselect("[data-testid='coupon-state']")[0].text_content() == (
        "This coupon has been closed."
    )
    assert not doc.cssselect("[data-testid='coupon-acquire']")
    response = client.post(f"/talk/coupons/{closed.coupon_id}/acquire", follow=True)
    assert "This coupon has been closed." in response.content.decode()
    expired = make_coupon(account)
    expire(expired)
    doc = _page(client, expired)
    assert doc.cssselect("[data-testid='coupon-state']")[0].text_content() == (
        "This coupon has expired."
    )
    assert CouponTicket.objects.count() == 0


def test_non_friends_are_asked_to_add_the_account(account):
    coupon = make_coupon(account)
    client = talk_client(make_persona())
    doc = _page(client, coupon)
    assert not doc.cssselect("[data-testid='coupon-acquire']")
    client.post(f"/talk/coupons/{coupon.coupon_id}/acquire")
    assert CouponTicket.objects.count() == 0
    assert client.get("/talk/coupons/COUPON_NOPE/").status_code == 404


def test_the_coupon_bubble_links_to_the_coupon(account):
    persona = make_persona()
    friend = befriend(account, persona)
    coupon = make_coupon(account)
    messages_send(
        account=account,
        friends=[friend],
        messages=[{"type": "coupon", "couponId": coupon.coupon_id}],
        source="broadcast",
    )
    response = talk_client(persona).get(f"/talk/rooms/{friend.pk}/")
    doc = parse(response.content.decode())
    bubble = doc.cssselect(".lb-coupon")[0]
    assert (
        bubble.cssselect(".lb-coupon-title")[0].text_content() == "Coffee 100 yen off"
    )
    assert bubble.cssselect("[data-testid='coupon-open']")[0].get("href") == (
        f"/talk/coupons/{coupon.coupon_id}/"
    )


# --- Manager ----------------------------------------------------------------


def _form(**overrides) -> dict:
    start = timezone.localtime(timezone.now()).replace(tzinfo=None)
    data = {
        "title": "Cake set 10% off",
        "description": "Weekdays only",
        "usage_condition": "",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "ASIA_TOKYO",
        "reward_type": "discount",
        "price_type": "percentage",
        "percentage": "10",
        "visibility": "PUBLIC",
        "lottery": "on",
        "lottery_probability": "30",
        "max_acquire_count": "50",
        "coupon_code": "",
    }
    data.update(overrides)
    return data


def test_staff_publish_a_coupon_and_see_its_counts(alice_client, account):
    slug = account.slug
    response = alice_client.post(f"/manager/{slug}/coupons/new/", _form())
    coupon = Coupon.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/manager/{slug}/coupons/{coupon.pk}/"
    assert (
        coupon.title,
        coupon.percentage,
        coupon.lottery_probability,
        coupon.max_acquire_count,
        coupon.visibility,
        coupon.origin,
    ) == ("Cake set 10% off", 10, 30, 50, "PUBLIC", "manager")
    persona = make_persona()
    friend = befriend(account, persona)
    coupon_acquire(coupon=coupon, friend=friend, draw=0.0)
    doc = parse(
        alice_client.get(f"/manager/{slug}/coupons/{coupon.pk}/").content.decode()
    )
    counts = {
        key: doc.cssselect(f"[data-testid='count-{key}']")[0].text_content()
        for key in ("delivered", "opened", "acquired", "used", "lost")
    }
    assert counts == {
        "delivered": "0",
        "opened": "0",
        "acquired": "1",
        "used": "0",
        "lost": "0",
    }
    qr = alice_client.get(f"/manager/{slug}/coupons/{coupon.pk}/qr.png")
    assert (qr.status_code, qr["Content-Type"], qr.content[:4]) == (
        200,
        "image/png",
        b"\x89PNG",
    )
    listed = parse(alice_client.get(f"/manager/{slug}/coupons/").content.decode())
    assert [
        a.text_content() for a in listed.cssselect("[data-testid='coupon-list'] a")
    ] == ["Cake set 10% off"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"lottery_probability": "100"},
            "lottery_probability",
            "Enter a number from 1 to 99.",
        ),
        ({"percentage": "0"}, "percentage", "Enter a number from 1 to 99."),
        ({"end": "2020-01-01T00:00"}, "end", "The end must be after the start."),
        (
            {"title": "x" * 61},
            "title",
            "Ensure this value has at most 60 characters (it has 61).",
        ),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(
    alice_client, account, overrides, field, message
):
    with assert_unchanged():
        response = alice_client.post(
            f"/manager/{account.slug}/coupons/new/", _form(**overrides)
        )
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert Coupon.objects.count() == 0


def test_close_from_the_manager(alice_client, account):
    coupon = make_coupon(account)
    url = f"/manager/{account.slug}/coupons/{coupon.pk}/close"
    alice_client.post(url)
    coupon.refresh_from_db()
    assert coupon.status == "CLOSED"
    assert AuditLog.objects.filter(action="coupon.close").count() == 1
    response = alice_client.post(url, follow=True)
    assert "This coupon is already closed." in response.content.decode()


def test_drafts_only_roles_may_not_publish_or_close(dora_client, account):
    coupon = make_coupon(account)
    slug = account.slug
    assert dora_client.get(f"/manager/{slug}/coupons/").status_code == 200
    with assert_unchanged():
        assert (
            dora_client.post(f"/manager/{slug}/coupons/new/", _form()).status_code
            == 403
        )
        assert (
            dora_client.post(f"/manager/{slug}/coupons/{coupon.pk}/close").status_code
            == 403
        )
    assert Coupon.objects.get().status == "RUNNING"
    assert Coupon.objects.count() == 1


def test_another_accounts_coupon_is_404(charlie_client, account):
    coupon = make_coupon(account)
    slug = account.slug
    for path in ("", "qr.png"):
        assert (
            charlie_client.get(
                f"/manager/{slug}/coupons/{coupon.pk}/{path}"
            ).status_code
            == 404
        )


def test_public_running_coupons_are_listed_on_the_accounts_profile(account):
    make_coupon(account, title="Public one", visibility="PUBLIC")
    make_coupon(account, title="Unlisted one", visibility="UNLISTED")
    closed = make_coupon(account, title="Closed one", visibility="PUBLIC")
    coupon_close(coupon=closed)
    client = talk_client(make_persona())
    response = client.get(f"/talk/accounts/{account.basic_id}/")
    doc = parse(response.content.decode())
    links = doc.cssselect("[data-testid='profile-coupons'] a")
    assert [a.text_content() for a in links] == ["Public one"]


def test_the_scanner_opens_a_coupon_qr(account):
    coupon = make_coupon(account)
    persona = make_persona()
    befriend(account, persona)
    client = talk_client(persona)
    png = qr_png(f"https://shop.example/talk/coupons/{coupon.coupon_id}/")
    response = client.post(
        "/talk/scan/", {"picture": upload(png, "qr.png", "image/png")}
    )
    assert (response.status_code, response["Location"]) == (
        302,
        f"/talk/coupons/{coupon.coupon_id}/",
    )


def test_the_period_is_typed_in_the_coupons_time_zone(alice_client, account):
    alice_client.post(
        f"/manager/{account.slug}/coupons/new/",
        _form(
            start="2026-12-01T09:00",
            end="2099-12-31T18:00",
            time_zone="EUROPE_LONDON",
            lottery="",
        ),
    )
    coupon = Coupon.objects.get()
    assert coupon.start_at == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    assert coupon.time_zone == "EUROPE_LONDON"


def test_list_shows_counts_in_a_constant_number_of_queries(
    alice_client, account, django_assert_num_queries
):
    persona = make_persona()
    friend = befriend(account, persona)
    first = make_coupon(account, title="First")
    coupon_acquire(coupon=first, friend=friend)
    messages_send(
        account=account,
        friends=[friend],
        messages=[{"type": "coupon", "couponId": first.coupon_id}],
        source="broadcast",
    )
    url = f"/manager/{account.slug}/coupons/"

    def cells():
        doc = parse(alice_client.get(url).content.decode())
        return [
            [td.text_content() for td in tr.cssselect("td")][4:]
            for tr in doc.cssselect("[data-testid='coupon-list'] tbody tr")
        ]

    # session, user, membership and the page's account reads, coupons,
    # message counts, ticket counts: the same for 1 or 6 coupons
    with django_assert_num_queries(8):
        assert cells() == [["1", "0", "1", "0"]]
    for i in range(5):
        make_coupon(account, title=f"More {i}")
    with django_assert_num_queries(8):
        assert cells()[-1] == ["1", "0", "1", "0"]


def test_a_lottery_whose_prizes_are_gone_offers_no_draw(account):
    """Found by QA: the last prize won, newcomers were still offered the draw."""
    coupon = make_coupon(account, acquisitionCondition=lottery(99, 1))
    winner = befriend(account, make_persona("Winner"))
    assert coupon_acquire(coupon=coupon, friend=winner, draw=0.0).won
    late = make_persona("Late")
    befriend(account, late)
    doc = _page(talk_client(late), Coupon.objects.get(pk=coupon.pk))
    [note] = doc.cssselect("[data-testid='coupon-no-prizes']")
    assert note.text_content() == "All the prizes of this lottery have been won."
    assert not doc.cssselect("[data-testid='coupon-acquire']")
    assert CouponTicket.objects.count() == 1


def test_the_manager_form_starts_in_the_accounts_time_zone(alice_client, account):
    """Found by QA: the zone defaulted to the list's first, Etc/GMT+12."""
    page = alice_client.get(f"/manager/{account.slug}/coupons/new/")
    doc = parse(page.content.decode())
    [zone] = doc.cssselect("select[name='time_zone'] option[selected]")
    [kind] = doc.cssselect("select[name='price_type'] option[selected]")
    assert (zone.get("value"), kind.get("value")) == ("ASIA_TOKYO", "fixed")
