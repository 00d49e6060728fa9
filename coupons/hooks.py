"""The coupons app's answers to ``messaging.store.coupons`` (registered in
``CouponsConfig.ready``): validation, the bubble and the composer's list."""

from django.urls import reverse
from django.utils import timezone

from coupons.models import Coupon
from coupons.selectors import reward_label, until_label
from messaging.store.coupons import CouponHooks, coupon_hooks_register


def _is_open(account_id: int, coupon_id: str) -> bool:
    return Coupon.objects.filter(
        account_id=account_id,
        coupon_id=coupon_id,
        status=Coupon.Status.RUNNING,
        end_at__gt=timezone.now(),
    ).exists()


def _view(coupon_id: str) -> dict | None:
    coupon = Coupon.objects.filter(coupon_id=coupon_id).first()
    if coupon is None:
        return None
    return {
        "id": coupon.coupon_id,
        "title": coupon.title,
        "image": coupon.image_url,
        "reward": reward_label(coupon),
        "until": until_label(coupon),
        "state": coupon.state(),
        "url": reverse("talk:coupon", args=[coupon.coupon_id]),
    }


def _choices(account) -> list[tuple[str, str]]:
    return list(
        Coupon.objects.filter(
            account=account, status=Coupon.Status.RUNNING, end_at__gt=timezone.now()
        )
        .order_by("-id")
        .values_list("coupon_id", "title")[:100]
    )


def register() -> None:
    coupon_hooks_register(CouponHooks(is_open=_is_open, view=_view, choices=_choices))
