"""The coupon API through the official SDK (v3) against a live server."""

import json

import httpx
import pytest
from django.test import Client
from linebot.v3.messaging import (
    ApiException,
    BroadcastRequest,
    CouponCreateRequest,
    CouponMessage,
    MulticastRequest,
    PushMessageRequest,
)

from coupons.models import Coupon
from coupons.services import coupon_close
from messaging.broadcasts.models import Broadcast
from messaging.store.models import Message
from tests.coupons.factories import coupon_body, lottery, make_coupon
from tests.messaging.api.factories import customer, token_for
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)


def _error(excinfo) -> tuple[int, dict]:
    return excinfo.value.status, json.loads(excinfo.value.body)


def test_create_detail_list_close(line, account):
    body = coupon_body(
        acquisitionCondition=lottery(25, 100),
        couponCode="CAFE",
        imageUrl="https://example.com/c.png",
    )
    created = line.create_coupon(CouponCreateRequest.from_dict(body))
    coupon = Coupon.objects.get()
    assert created.coupon_id == coupon.coupon_id
    assert coupon.origin == "api"

    detail = line.get_coupon_detail(created.coupon_id)
    assert detail.to_dict() == {
        "acquisitionCondition": {
            "type": "lottery",
            "lotteryProbability": 25,
            "maxAcquireCount": 100,
        },
        "couponCode": "CAFE",
        "description": "Any size.",
        "endTimestamp": body["endTimestamp"],
        "imageUrl": "https://example.com/c.png",
        "maxAcquireCount": 100,
        "maxUseCountPerTicket": 1,
        "maxTicketPerUser": 1,
        "startTimestamp": body["startTimestamp"],
        "title": "Coffee 100 yen off",
        "usageCondition": "One per visit",
        "reward": {
            "type": "discount",
            "priceInfo": {"type": "fixed", "currency": "JPY", "fixedAmount": 100},
        },
        "visibility": "UNLISTED",
        "timezone": "ASIA_TOKYO",
        "couponId": created.coupon_id,
        "createdTimestamp": int(coupon.created_at.timestamp()),
        "status": "RUNNING",
    }

    listed = line.list_coupon()
    assert [(i.coupon_id, i.title) for i in listed.items] == [
        (created.coupon_id, "Coffee 100 yen off")
    ]
    assert listed.next is None

    line.close_coupon(created.coupon_id)
    assert line.get_coupon_detail(created.coupon_id).status == "CLOSED"
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.close_coupon(created.coupon_id)
    assert _error(excinfo) == (410, {"message": "The coupon is already closed"})


def test_list_filters_by_status_and_pages(line, account, other_account):
    made = [make_coupon(account, title=f"C{i}") for i in range(5)]
    coupon_close(coupon=made[1])
    make_coupon(other_account, title="Not ours")
    page = line.list_coupon(limit=2)
    assert [i.title for i in page.items] == ["C4", "C3"]
    page2 = line.list_coupon(start=page.next, limit=2)
    assert [i.title for i in page2.items] == ["C2", "C1"]
    page3 = line.list_coupon(start=page2.next, limit=2)
    assert ([i.title for i in page3.items], page3.next) == (["C0"], None)
    running = line.list_coupon(status=["RUNNING"])
    assert [i.title for i in running.items] == ["C4", "C3", "C2", "C0"]
    closed = line.list_coupon(status=["CLOSED"])
    assert [i.title for i in closed.items] == ["C1"]


def test_bad_coupons_are_lines_400_and_nothing_is_saved(live_server, account):
    headers = {"Authorization": f"Bearer {token_for(account)}"}
    bad = coupon_body(
        title="x" * 61, acquisitionCondition=lottery(0, 5), maxUseCountPerTicket=3
    )
    with assert_unchanged():
        response = httpx.post(
            f"{live_server.url}/v2/bot/coupon", json=bad, headers=headers
        )
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "The request body has 3 error(s)",
            "details": [
                {"message": "size must be between 0 and 60", "property": "title"},
                {"message": "must be 1 or -1", "property": "maxUseCountPerTicket"},
                {
                    "message": "must be between 1 and 99",
                    "property": "acquisitionCondition.lotteryProbability",
                },
            ],
        },
    )
    response = httpx.get(
        f"{live_server.url}/v2/bot/coupon?status=OPEN&limit=101", headers=headers
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "The request has 2 error(s)",
            "details": [
                {
                    "message": "must be one of DRAFT, RUNNING, CLOSED",
                    "property": "status[0]",
                },
                {"message": "must be between 1 and 100", "property": "limit"},
            ],
        },
    )
    assert Coupon.objects.count() == 0


def test_another_accounts_coupon_is_404(line, other_account):
    theirs = make_coupon(other_account)
    for call in (line.get_coupon_detail, line.close_coupon):
        with assert_unchanged(), pytest.raises(ApiException) as excinfo:
            call(theirs.coupon_id)
        assert _error(excinfo) == (404, {"message": "Not found"})
    assert Coupon.objects.get().status == "RUNNING"


def test_coupon_messages_are_sent_and_drawn(line, account):
    friend = customer(account)
    coupon = make_coupon(account)
    message = CouponMessage(couponId=coupon.coupon_id)
    line.push_message(
        PushMessageRequest(to=friend.line_user.user_id, messages=[message])
    )
    line.multicast(MulticastRequest(to=[friend.line_user.user_id], messages=[message]))
    stored = Message.objects.filter(friend=friend, type="coupon")
    assert [m.payload for m in stored] == [
        {"type": "coupon", "couponId": coupon.coupon_id}
    ] * 2
    line.broadcast(BroadcastRequest(messages=[message]))
    assert Broadcast.objects.get().messages == [
        {"type": "coupon", "couponId": coupon.coupon_id}
    ]


def test_unknown_closed_and_other_accounts_coupons_are_refused(
    line, account, other_account
):
    friend = customer(account)
    closed = make_coupon(account)
    coupon_close(coupon=closed)
    theirs = make_coupon(other_account)
    for coupon_id in ("COUPON_NOPE", closed.coupon_id, theirs.coupon_id):
        with assert_unchanged(), pytest.raises(ApiException) as excinfo:
            line.push_message(
                PushMessageRequest(
                    to=friend.line_user.user_id,
                    messages=[CouponMessage(couponId=coupon_id)],
                )
            )
        assert _error(excinfo) == (
            400,
            {
                "message": "The request body has 1 error(s)",
                "details": [
                    {"message": "Invalid couponId", "property": "messages[0].couponId"}
                ],
            },
        )
    assert Message.objects.filter(type="coupon").count() == 0


def test_a_published_coupon_cannot_be_edited(live_server, account):
    coupon = make_coupon(account)
    headers = {"Authorization": f"Bearer {token_for(account)}"}
    url = f"{live_server.url}/v2/bot/coupon/{coupon.coupon_id}"
    with assert_unchanged():
        response = httpx.put(url, json=coupon_body(title="Changed"), headers=headers)
    assert response.status_code == 405
    assert response.json() == {"message": 'Method "PUT" not allowed.'}
    coupon.refresh_from_db()
    assert coupon.title == "Coffee 100 yen off"


@pytest.mark.parametrize("zone", [{}, [], 9, None, "Asia/Tokyo"])
def test_a_time_zone_that_is_no_line_zone_name_is_a_400(zone, account):
    # An object here was a 500 (a dict is unhashable); the fuzzer found it.
    token = token_for(account)
    with assert_unchanged():
        response = Client().post(
            "/v2/bot/coupon",
            json.dumps(coupon_body(timezone=zone)),
            "application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "The request body has 1 error(s)",
            "details": [
                {
                    "message": "must be one of the LINE time zones",
                    "property": "timezone",
                }
            ],
        },
    )
    assert Coupon.objects.count() == 0
