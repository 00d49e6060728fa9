"""Segment conditions on coupons: acquired, used, won or lost the lottery.

Registered with ``messaging.audience.conditions.register`` when the app is
ready (``coupons.apps``). Each takes coupons of the account (any of them
matches) and selects friends with a matching ticket.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coupons.models import Coupon, CouponTicket
from messaging.audience.conditions import Condition, _bad, _ints, register


class _CouponCondition(Condition):
    ticket: dict = {}

    def options(self, account):
        qs = Coupon.objects.filter(account=account)
        if self.lottery_only:
            qs = qs.filter(lottery=True)
        return list(qs.order_by("-id").values_list("pk", "title")[:100])

    lottery_only = False

    def clean(self, account, raw):
        ids = _ints(raw.get("values"))
        qs = Coupon.objects.filter(account=account, pk__in=ids)
        if self.lottery_only:
            qs = qs.filter(lottery=True)
        if set(qs.values_list("pk", flat=True)) != set(ids):
            raise _bad(_("A coupon in the audience no longer exists."))
        return {"values": ids}

    def q(self, account, cond, *, now):
        return Q(
            Exists(
                CouponTicket.objects.filter(
                    coupon_id__in=cond["values"],
                    friend_id=OuterRef("pk"),
                    **self.ticket,
                )
            )
        )

    def describe(self, account, cond):
        titles = Coupon.objects.filter(account=account, pk__in=cond["values"])
        return ", ".join(titles.order_by("title").values_list("title", flat=True))


@register
class CouponAcquiredCondition(_CouponCondition):
    key = "coupon_acquired"
    label = gettext_lazy("Acquired coupon")
    ticket = {"won": True}


@register
class CouponUsedCondition(_CouponCondition):
    key = "coupon_used"
    label = gettext_lazy("Used coupon")
    ticket = {"won": True, "used_count__gt": 0}


@register
class CouponLotteryWonCondition(_CouponCondition):
    key = "coupon_lottery_won"
    label = gettext_lazy("Won the lottery of coupon")
    ticket = {"won": True}
    lottery_only = True


@register
class CouponLotteryLostCondition(_CouponCondition):
    key = "coupon_lottery_lost"
    label = gettext_lazy("Lost the lottery of coupon")
    ticket = {"won": False}
    lottery_only = True
