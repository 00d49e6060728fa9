"""Coupon bubbles, supplied by the ``coupons`` app above ``messaging``.

``messaging`` may not import ``coupons`` (a higher layer), yet it validates
and draws ``{"type": "coupon", "couponId": …}`` messages. The coupons app
registers its answers here in ``AppConfig.ready`` (``coupons.hooks``), the
way segment conditions join ``messaging.audience.conditions``:

- ``is_open(account_id, coupon_id)``: the coupon exists, is the account's
  and is running (not closed, not expired);
- ``view(coupon_id)``: what the bubble shows (``title``, ``image``,
  ``reward``, ``until``, ``state``, ``url``), or ``None``;
- ``choices(account)``: ``[(couponId, title), …]`` the composer offers.

Without a registration every coupon is unknown.
"""

from collections.abc import Callable
from dataclasses import dataclass

from messaging.store.checks import MessagesInvalid

# LINE's answer for a couponId it does not know (or one that is closed).
COUPON_INVALID = "Invalid couponId"


@dataclass(frozen=True)
class CouponHooks:
    is_open: Callable[[int, str], bool]
    view: Callable[[str], dict | None]
    choices: Callable[[object], list[tuple[str, str]]]


_hooks: CouponHooks | None = None


def coupon_hooks_register(hooks: CouponHooks) -> None:
    global _hooks
    _hooks = hooks


def coupon_is_open(account_id: int, coupon_id) -> bool:
    return (
        _hooks is not None
        and isinstance(coupon_id, str)
        and bool(coupon_id)
        and _hooks.is_open(account_id, coupon_id)
    )


def coupon_view(coupon_id) -> dict | None:
    if _hooks is None or not isinstance(coupon_id, str) or not coupon_id:
        return None
    return _hooks.view(coupon_id)


def coupon_choices(account) -> list[tuple[str, str]]:
    return [] if _hooks is None else _hooks.choices(account)


def coupon_messages_check(*, account_id: int, messages, prop: str = "messages"):
    """Raise ``MessagesInvalid`` (LINE's 400 details) when a coupon message
    names a coupon that is unknown, another account's, closed or expired."""
    if not isinstance(messages, list):
        return
    errors = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or msg.get("type") != "coupon":
            continue
        if not coupon_is_open(account_id, msg.get("couponId")):
            errors.append(
                {"message": COUPON_INVALID, "property": f"{prop}[{i}].couponId"}
            )
    if errors:
        raise MessagesInvalid(errors)
