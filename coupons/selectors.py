"""Reads for coupons, always scoped to one account (or one friend)."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount
from core.selectors import get_or_not_found
from coupons.models import Coupon, CouponTicket
from coupons.services import coupon_zone
from messaging.friends.models import Friend
from messaging.store.models import Message


def coupon_get(*, account: OfficialAccount, coupon_id: str, **filters) -> Coupon:
    """The account's coupon ``coupon_id``; ``NotFound`` otherwise."""
    return get_or_not_found(
        Coupon.objects.filter(account=account, **filters), coupon_id=coupon_id
    )


def coupon_get_public(*, coupon_id: str) -> Coupon | None:
    """A coupon by its ID with its account (the talk app's coupon link)."""
    return Coupon.objects.select_related("account").filter(coupon_id=coupon_id).first()


def coupon_list(*, account: OfficialAccount, statuses=None, origin: str | None = None):
    qs = Coupon.objects.filter(account=account)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if origin:
        qs = qs.filter(origin=origin)
    return qs.order_by("-id")


def public_coupons(*, account: OfficialAccount, limit: int = 20) -> list[Coupon]:
    """Running public coupons of the account, for its profile in the talk
    app (unlisted ones are reached only by a bubble, a link or a QR)."""
    return list(
        Coupon.objects.filter(
            account=account,
            status=Coupon.Status.RUNNING,
            visibility=Coupon.Visibility.PUBLIC,
            start_at__lte=timezone.now(),
            end_at__gt=timezone.now(),
        ).order_by("end_at", "id")[:limit]
    )


def coupon_counts(*, coupon: Coupon) -> dict:
    """Delivered, opened (the bubble was displayed), acquired (won), lost
    (lottery) and used (tickets used at least once; uses in total)."""
    sent = Message.objects.filter(
        account_id=coupon.account_id,
        direction=Message.Direction.OUTBOUND,
        type="coupon",
        payload__couponId=coupon.coupon_id,
    ).aggregate(
        delivered=Count("id"), opened=Count("id", filter=Q(read_at__isnull=False))
    )
    tickets = CouponTicket.objects.filter(coupon=coupon).aggregate(
        acquired=Count("id", filter=Q(won=True)),
        lost=Count("id", filter=Q(won=False)),
        used=Count("id", filter=Q(used_count__gt=0)),
    )
    return {**sent, **tickets}


def coupon_list_counts(*, account: OfficialAccount, coupons: list[Coupon]) -> dict:
    """``{coupon pk: counts}`` of ``coupon_counts`` for a page of coupons,
    in two queries whatever the page's size."""
    by_id = {c.coupon_id: c.pk for c in coupons}
    counts = {
        c.pk: {"delivered": 0, "opened": 0, "acquired": 0, "lost": 0, "used": 0}
        for c in coupons
    }
    if not coupons:
        return counts
    sent = (
        Message.objects.filter(
            account=account,
            direction=Message.Direction.OUTBOUND,
            type="coupon",
            payload__couponId__in=list(by_id),
        )
        .values("payload__couponId")
        .annotate(
            delivered=Count("id"),
            opened=Count("id", filter=Q(read_at__isnull=False)),
        )
    )
    for row in sent:
        pk = by_id.get(row["payload__couponId"])
        if pk is not None:
            counts[pk].update(delivered=row["delivered"], opened=row["opened"])
    tickets = (
        CouponTicket.objects.filter(coupon_id__in=list(counts))
        .values("coupon_id")
        .annotate(
            acquired=Count("id", filter=Q(won=True)),
            lost=Count("id", filter=Q(won=False)),
            used=Count("id", filter=Q(used_count__gt=0)),
        )
    )
    for row in tickets:
        counts[row["coupon_id"]].update(
            acquired=row["acquired"], lost=row["lost"], used=row["used"]
        )
    return counts


def ticket_for(*, coupon: Coupon, friend: Friend) -> CouponTicket | None:
    return CouponTicket.objects.filter(coupon=coupon, friend=friend).first()


def reward_label(coupon: Coupon) -> str:
    """What the customer gets, in a few words ("¥500 off", "10% off")."""
    kind, price = coupon.reward_type, coupon.price_type
    if kind == Coupon.Reward.FREE:
        return _("Free")
    if kind == Coupon.Reward.GIFT:
        return _("Gift")
    if kind == Coupon.Reward.OTHERS:
        return _("Special offer")
    if price == "fixed" and coupon.fixed_amount:
        amount = f"¥{coupon.fixed_amount:,}"
        if kind == Coupon.Reward.CASH_BACK:
            return _("%(amount)s cash back") % {"amount": amount}
        return _("%(amount)s off") % {"amount": amount}
    if price == "percentage" and coupon.percentage:
        if kind == Coupon.Reward.CASH_BACK:
            return _("%(n)d%% cash back") % {"n": coupon.percentage}
        return _("%(n)d%% off") % {"n": coupon.percentage}
    if price == "explicit" and coupon.original_price is not None:
        return _("¥%(before)s → ¥%(after)s") % {
            "before": f"{coupon.original_price:,}",
            "after": f"{coupon.price_after_discount or 0:,}",
        }
    return str(Coupon.Reward(kind).label)


def period_label(coupon: Coupon) -> str:
    """The validity period in the coupon's own time zone."""
    zone = coupon_zone(coupon)
    start = date_format(timezone.localtime(coupon.start_at, zone), "DATETIME_FORMAT")
    end = date_format(timezone.localtime(coupon.end_at, zone), "DATETIME_FORMAT")
    return f"{start} – {end} ({zone.key})"


def until_label(coupon: Coupon) -> str:
    zone = coupon_zone(coupon)
    return date_format(timezone.localtime(coupon.end_at, zone), "DATETIME_FORMAT")
