"""The talk app's coupon screen (docs/coupons.md).

A coupon bubble, a rich-menu area or a coupon link/QR opens
``/talk/coupons/<couponId>/``. The customer (a friend of the coupon's
account) gets the coupon here — a lottery is drawn once — and uses it in
the store: "Use" shows a confirmation step that staff confirm by tapping
on the customer's phone, as on LINE. Acquiring and using send no webhook
(LINE has no such event).
"""

import re
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from coupons import selectors as coupon_selectors
from coupons import services as coupon_services
from coupons.models import UNLIMITED
from messaging.friends.models import Friend
from talk import selectors
from talk.decorators import talk_view

_COUPON_PATH = re.compile(r"/talk/coupons/(COUPON_[0-9A-Z]{26})/?")


def coupon_link_path(text: str) -> str | None:
    """The talk app path of a coupon link or QR text (any host), else None:
    the scanner opens it instead of reading an add-friend link."""
    parts = urlsplit(text.strip())
    match = _COUPON_PATH.fullmatch(parts.path)
    if parts.scheme not in ("", "http", "https") or match is None:
        return None
    return reverse("talk:coupon", args=[match.group(1)])


def _coupon_and_friend(request, coupon_id: str):
    coupon = coupon_selectors.coupon_get_public(coupon_id=coupon_id)
    if coupon is None or (
        request.talk.scope and coupon.account_id != request.talk.scope
    ):
        raise Http404
    friend = selectors.friend_get_for(line_user=request.persona, account=coupon.account)
    return coupon, friend


@talk_view()
def coupon(request, coupon_id: str):
    """The coupon, the customer's ticket and what they may do with it."""
    coupon, friend = _coupon_and_friend(request, coupon_id)
    following = friend is not None and friend.status == Friend.Status.FOLLOWING
    ticket = (
        coupon_selectors.ticket_for(coupon=coupon, friend=friend) if friend else None
    )
    state = coupon.state()
    usable = bool(
        ticket
        and ticket.won
        and state == "open"
        and (coupon.max_use_count_per_ticket == -1 or ticket.used_count < 1)
    )
    confirming = usable and request.GET.get("step") == "confirm"
    return render(
        request,
        "talk/coupon.html",
        {
            "coupon": coupon,
            "account": coupon.account,
            "friend": friend,
            "following": following,
            "ticket": ticket,
            "state": state,
            "usable": usable,
            "confirming": confirming,
            # A lottery whose last prize is gone offers no draw (QA).
            "prizes_left": not coupon.lottery
            or coupon.max_acquire_count == UNLIMITED
            or coupon.winners < coupon.max_acquire_count,
            "reward": coupon_selectors.reward_label(coupon),
            "period": coupon_selectors.period_label(coupon),
        },
    )


@talk_view()
@require_POST
def coupon_acquire(request, coupon_id: str):
    coupon, friend = _coupon_and_friend(request, coupon_id)
    if friend is None or friend.status != Friend.Status.FOLLOWING:
        messages.error(request, _("Add the account as a friend to get its coupons."))
        return redirect("talk:coupon", coupon_id)
    try:
        ticket = coupon_services.coupon_acquire(coupon=coupon, friend=friend)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        # A loss is said once, on the coupon itself (coupon-lost).
        if coupon.lottery and ticket.won:
            messages.info(request, _("You won! The coupon is yours."))
    return redirect("talk:coupon", coupon_id)


@talk_view()
@require_POST
def coupon_use(request, coupon_id: str):
    """Staff tapped "Confirm" on the customer's screen: one use counted."""
    coupon, friend = _coupon_and_friend(request, coupon_id)
    ticket = (
        coupon_selectors.ticket_for(coupon=coupon, friend=friend) if friend else None
    )
    if ticket is None:
        messages.error(request, _("Get the coupon first."))
        return redirect("talk:coupon", coupon_id)
    try:
        coupon_services.coupon_use(ticket=ticket)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The coupon was used. Thank you!"))
    return redirect("talk:coupon", coupon_id)
