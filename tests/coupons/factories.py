import datetime as dt

from django.utils import timezone

from coupons.models import Coupon
from coupons.services import coupon_create


def coupon_body(**overrides) -> dict:
    """A valid ``CouponCreateRequest`` (running now, for a week)."""
    now = int(timezone.now().timestamp())
    body = {
        "title": "Coffee 100 yen off",
        "description": "Any size.",
        "usageCondition": "One per visit",
        "startTimestamp": now - 60,
        "endTimestamp": now + 7 * 24 * 3600,
        "timezone": "ASIA_TOKYO",
        "visibility": "UNLISTED",
        "maxUseCountPerTicket": 1,
        "acquisitionCondition": {"type": "normal"},
        "reward": {
            "type": "discount",
            "priceInfo": {"type": "fixed", "fixedAmount": 100},
        },
    }
    body.update(overrides)
    return body


def lottery(probability: int = 50, most: int = -1) -> dict:
    return {
        "type": "lottery",
        "lotteryProbability": probability,
        "maxAcquireCount": most,
    }


def make_coupon(account, **overrides) -> Coupon:
    return coupon_create(account=account, data=coupon_body(**overrides))


def expire(coupon: Coupon) -> None:
    Coupon.objects.filter(pk=coupon.pk).update(
        end_at=timezone.now() - dt.timedelta(seconds=1)
    )
    coupon.refresh_from_db()
