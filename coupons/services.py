"""Writes for coupons: create (one set of rules for the Manager and the
API), close, acquire (the lottery, drawn once per friend) and use.

Coupons are immutable once published: there is no update. Acquiring and
using are single conditional ``UPDATE``s, so concurrent taps can never pass
a lottery's max winners or a ticket's uses.
"""

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ulid import ULID

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError
from coupons.models import (
    CODE_MAX,
    DESCRIPTION_MAX,
    MAX_ACQUIRE_COUNT,
    TITLE_MAX,
    UNLIMITED,
    USAGE_CONDITION_MAX,
    Coupon,
    CouponTicket,
    CouponUse,
)
from coupons.zones import ZONES
from messaging.friends.models import Friend

URL_MAX = 2000
REWARD_PRICES = {
    Coupon.Reward.DISCOUNT: ("fixed", "percentage", "explicit"),
    Coupon.Reward.CASH_BACK: ("fixed", "percentage"),
}
# LINE's epoch-seconds bounds; later than this is not a date we can store.
MAX_TIMESTAMP = 253402300799


class CouponInvalid(ApplicationError):
    """The coupon object breaks LINE's rules; ``errors`` are LINE's details
    entries (``message``, ``property``)."""

    def __init__(self, errors: list[dict]):
        first = errors[0]
        super().__init__(
            f"{first['property']}: {first['message']}",
            {e["property"]: e["message"] for e in errors},
        )
        self.errors = errors


class CouponUnavailable(ApplicationError):
    """The coupon cannot be acquired or used now (closed, expired, used up)."""


def _new_coupon_id() -> str:
    return f"COUPON_{ULID()}"


class _Errors:
    def __init__(self):
        self.errors: list[dict] = []

    def add(self, prop: str, message: str) -> None:
        self.errors.append({"message": message, "property": prop})

    def string(self, data: dict, key: str, *, required=False, max_length=None):
        value = data.get(key)
        if value is None:
            if required:
                self.add(key, "must be specified")
            return ""
        if not isinstance(value, str):
            self.add(key, "must be a string")
            return ""
        if required and not value.strip():
            self.add(key, "must not be blank")
        if max_length is not None and len(value) > max_length:
            self.add(key, f"size must be between 0 and {max_length}")
        if "\x00" in value:
            self.add(key, "contains characters that cannot be stored")
        return value

    def integer(self, data: dict, key: str, prop: str, *, required=True):
        value = data.get(key)
        if value is None:
            if required:
                self.add(prop, "must be specified")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(prop, "must be an integer")
            return None
        return value


def coupon_clean(data) -> dict:
    """LINE's ``CouponCreateRequest`` JSON → ``Coupon`` fields, or raise
    ``CouponInvalid`` with every broken property."""
    if not isinstance(data, dict):
        raise CouponInvalid([{"message": "must be a JSON object", "property": ""}])
    e = _Errors()
    fields: dict = {
        "title": e.string(data, "title", required=True, max_length=TITLE_MAX),
        "description": e.string(data, "description", max_length=DESCRIPTION_MAX),
        "usage_condition": e.string(
            data, "usageCondition", max_length=USAGE_CONDITION_MAX
        ),
        "image_url": e.string(data, "imageUrl", max_length=URL_MAX),
        "barcode_image_url": e.string(data, "barcodeImageUrl", max_length=URL_MAX),
        "coupon_code": e.string(data, "couponCode", max_length=CODE_MAX),
    }
    for key in ("imageUrl", "barcodeImageUrl"):
        url = data.get(key)
        if isinstance(url, str) and url and not url.startswith(("https://", "/")):
            e.add(key, "must be an https URL")
    zone = data.get("timezone")
    if not isinstance(zone, str) or zone not in ZONES:
        e.add("timezone", "must be one of the LINE time zones")
        zone = "ASIA_TOKYO"
    fields["time_zone"] = zone
    visibility = data.get("visibility")
    if visibility not in Coupon.Visibility.values:
        e.add("visibility", "must be one of UNLISTED, PUBLIC")
    fields["visibility"] = visibility
    start = e.integer(data, "startTimestamp", "startTimestamp")
    end = e.integer(data, "endTimestamp", "endTimestamp")
    for key, value in (("startTimestamp", start), ("endTimestamp", end)):
        if value is not None and not 0 <= value <= MAX_TIMESTAMP:
            e.add(key, "is out of range")
    if start is not None and end is not None and 0 <= start < end <= MAX_TIMESTAMP:
        fields["start_at"] = dt.datetime.fromtimestamp(start, tz=dt.UTC)
        fields["end_at"] = dt.datetime.fromtimestamp(end, tz=dt.UTC)
    elif start is not None and end is not None and start >= end:
        e.add("endTimestamp", "must be after startTimestamp")
    uses = e.integer(data, "maxUseCountPerTicket", "maxUseCountPerTicket")
    if uses is not None and uses not in (1, UNLIMITED):
        e.add("maxUseCountPerTicket", "must be 1 or -1")
    fields["max_use_count_per_ticket"] = uses
    _acquisition(data.get("acquisitionCondition"), fields, e)
    _reward(data.get("reward"), fields, e)
    if e.errors:
        raise CouponInvalid(e.errors)
    return fields


def _acquisition(raw, fields: dict, e: _Errors) -> None:
    prop = "acquisitionCondition"
    fields.update(lottery=False, lottery_probability=None, max_acquire_count=UNLIMITED)
    if not isinstance(raw, dict):
        e.add(prop, "must be specified")
        return
    kind = raw.get("type")
    if kind == "normal":
        return
    if kind != "lottery":
        e.add(f"{prop}.type", "must be one of normal, lottery")
        return
    probability = e.integer(raw, "lotteryProbability", f"{prop}.lotteryProbability")
    if probability is not None and not 1 <= probability <= 99:
        e.add(f"{prop}.lotteryProbability", "must be between 1 and 99")
    most = e.integer(raw, "maxAcquireCount", f"{prop}.maxAcquireCount")
    if most is not None and most != UNLIMITED and not 1 <= most <= MAX_ACQUIRE_COUNT:
        e.add(f"{prop}.maxAcquireCount", "must be -1 or between 1 and 999999")
    fields.update(lottery=True, lottery_probability=probability, max_acquire_count=most)


def _reward(raw, fields: dict, e: _Errors) -> None:
    fields.update(
        reward_type=Coupon.Reward.OTHERS,
        price_type="",
        fixed_amount=None,
        percentage=None,
        original_price=None,
        price_after_discount=None,
    )
    if raw is None:
        return
    if not isinstance(raw, dict) or raw.get("type") not in Coupon.Reward.values:
        e.add("reward.type", "must be one of cashBack, discount, free, gift, others")
        return
    kind = raw["type"]
    fields["reward_type"] = kind
    info = raw.get("priceInfo")
    allowed = REWARD_PRICES.get(kind, ())
    if info is None:
        if allowed:
            e.add("reward.priceInfo", "must be specified")
        return
    prop = "reward.priceInfo"
    if not allowed:
        e.add(prop, "is not allowed for this reward type")
        return
    if not isinstance(info, dict) or info.get("type") not in allowed:
        e.add(f"{prop}.type", f"must be one of {', '.join(allowed)}")
        return
    price = info["type"]
    fields["price_type"] = price
    if price == "fixed":
        amount = e.integer(info, "fixedAmount", f"{prop}.fixedAmount")
        if amount is not None and not 1 <= amount <= 10_000_000:
            e.add(f"{prop}.fixedAmount", "must be between 1 and 10000000")
        fields["fixed_amount"] = amount
    elif price == "percentage":
        rate = e.integer(info, "percentage", f"{prop}.percentage")
        if rate is not None and not 1 <= rate <= 99:
            e.add(f"{prop}.percentage", "must be between 1 and 99")
        fields["percentage"] = rate
    else:
        before = e.integer(info, "originalPrice", f"{prop}.originalPrice")
        after = e.integer(info, "priceAfterDiscount", f"{prop}.priceAfterDiscount")
        if before is not None and after is not None and not 0 <= after < before:
            e.add(f"{prop}.priceAfterDiscount", "must be less than originalPrice")
        fields.update(original_price=before, price_after_discount=after)


@transaction.atomic
def coupon_create(
    *,
    account: OfficialAccount,
    data: dict,
    origin: str = Coupon.Origin.MANAGER,
    actor: User | None = None,
) -> Coupon:
    """Publish a coupon from LINE's ``CouponCreateRequest`` JSON.

    Raises ``CouponInvalid`` (nothing written) when ``data`` breaks a rule.
    """
    fields = coupon_clean(data)
    coupon = Coupon.objects.create(
        account=account, coupon_id=_new_coupon_id(), origin=origin, **fields
    )
    audit_record(
        account=account,
        actor=actor,
        action="coupon.create",
        target=coupon.coupon_id,
        target_label=coupon.title,
    )
    return coupon


class CouponAlreadyClosed(ApplicationError):
    """LINE answers 410 Gone when a closed coupon is closed again."""


@transaction.atomic
def coupon_close(*, coupon: Coupon, actor: User | None = None) -> Coupon:
    """Close a running coupon (it can no longer be acquired or used).

    Raises ``CouponAlreadyClosed`` when it was closed before.
    """
    now = timezone.now()
    changed = Coupon.objects.filter(pk=coupon.pk, status=Coupon.Status.RUNNING).update(
        status=Coupon.Status.CLOSED, closed_at=now
    )
    if not changed:
        raise CouponAlreadyClosed(_("This coupon is already closed."))
    coupon.status, coupon.closed_at = Coupon.Status.CLOSED, now
    audit_record(
        account=coupon.account,
        actor=actor,
        action="coupon.close",
        target=coupon.coupon_id,
        target_label=coupon.title,
    )
    return coupon


def _unavailable(coupon: Coupon, now) -> CouponUnavailable | None:
    state = coupon.state(now)
    if state == "closed":
        return CouponUnavailable(_("This coupon has been closed."))
    if state == "expired":
        return CouponUnavailable(_("This coupon has expired."))
    if state == "upcoming":
        return CouponUnavailable(_("This coupon cannot be used yet."))
    return None


def coupon_acquire(
    *, coupon: Coupon, friend: Friend, draw: float | None = None
) -> CouponTicket:
    """The friend takes the coupon; a lottery is drawn here, once.

    A friend's second call returns their first ticket (won or lost). A
    lottery win takes one of the ``max_acquire_count`` places with one
    conditional ``UPDATE`` (the last statement of its transaction, so the
    coupon's row is locked briefly), so concurrent draws never pass it;
    past it the draw is lost. Constant queries: the ticket lookup, the
    insert, the gate; then the coupon's step triggers for a winner.
    ``draw`` (0–1) replaces the random number in tests. Raises
    ``CouponUnavailable`` for a closed, expired or upcoming coupon, or one
    of another account.
    """
    if friend.account_id != coupon.account_id:
        raise CouponUnavailable(_("This coupon is not available."))
    existing = CouponTicket.objects.filter(coupon=coupon, friend=friend).first()
    if existing is not None:
        return existing
    error = _unavailable(coupon, timezone.now())
    if error is not None:
        raise error
    if draw is None:
        draw = secrets.randbelow(10_000) / 10_000
    wins = not coupon.lottery or draw * 100 < (coupon.lottery_probability or 0)
    try:
        with transaction.atomic():
            ticket = CouponTicket.objects.create(coupon=coupon, friend=friend, won=wins)
            if coupon.lottery and wins:
                # The gate comes last: the coupon's row stays locked only
                # from here to COMMIT. Past the maximum the draw is lost.
                gate = Coupon.objects.filter(pk=coupon.pk).filter(
                    Q(max_acquire_count=UNLIMITED)
                    | Q(winners__lt=F("max_acquire_count"))
                )
                if not gate.update(winners=F("winners") + 1):
                    CouponTicket.objects.filter(pk=ticket.pk).update(won=False)
                    ticket.won = False
    except IntegrityError:
        # The same friend's other device drew first; that draw stands.
        return CouponTicket.objects.get(coupon=coupon, friend=friend)
    if ticket.won:
        _on_acquired(ticket)
    return ticket


def _on_acquired(ticket: CouponTicket) -> None:
    """Step sequences triggered by acquiring this coupon (coupons.triggers)."""
    from coupons.triggers import coupon_acquired_start

    coupon_acquired_start(ticket=ticket)


def coupon_use(*, ticket: CouponTicket) -> CouponTicket:
    """Staff confirmed the use on the customer's screen: count one use.

    One conditional ``UPDATE``: a 1-use ticket confirmed from two devices at
    once is used exactly once. Raises ``CouponUnavailable`` for a lost
    lottery, a used-up ticket, or a closed, expired or not-yet-valid coupon.
    """
    coupon = ticket.coupon
    if not ticket.won:
        raise CouponUnavailable(_("This coupon was not won."))
    now = timezone.now()
    error = _unavailable(coupon, now)
    if error is not None:
        raise error
    with transaction.atomic():
        rows = CouponTicket.objects.filter(pk=ticket.pk, won=True)
        if coupon.max_use_count_per_ticket != UNLIMITED:
            rows = rows.filter(used_count__lt=coupon.max_use_count_per_ticket)
        if not rows.update(used_count=F("used_count") + 1, last_used_at=now):
            raise CouponUnavailable(_("This coupon has already been used."))
        CouponUse.objects.create(ticket=ticket, created_at=now)
    ticket.refresh_from_db(fields=["used_count", "last_used_at"])
    return ticket


def coupon_zone(coupon: Coupon) -> ZoneInfo:
    return ZoneInfo(ZONES.get(coupon.time_zone, "Asia/Tokyo"))
