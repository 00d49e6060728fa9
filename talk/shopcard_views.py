"""The talk app's shop card pages: the card with its stamps, the point
history, reward tickets (used with staff confirmation) and point QR codes
(docs/shopcard.md). Views read with ``shopcard.selectors`` and act through
``shopcard.services``.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from messaging.friends.models import Friend
from messaging.friends.services import AccountUnavailable
from shopcard import selectors as cards
from shopcard import services as card_services
from talk import selectors
from talk.decorators import talk_view
from talk.views import _account_or_page, points_grant


def _friend(request, account) -> Friend | None:
    return selectors.friend_get_for(line_user=request.persona, account=account)


def _stamps(point_card, card) -> list[dict]:
    rewards = {r.points: r for r in card.rewards.all()}
    points = point_card.points if point_card else 0
    return [
        {"n": n, "filled": n <= points, "reward": rewards.get(n)}
        for n in range(1, card.goal + 1)
    ]


@talk_view()
def card(request, basic_id: str):
    """The customer's card; POST takes the card (and its welcome bonus)."""
    account, page = _account_or_page(request, basic_id)
    if page:
        return page
    friend = _friend(request, account)
    if request.method == "POST":
        if friend is None:
            raise Http404
        try:
            card_services.point_card_get_or_create(friend=friend)
        except (ApplicationError, AccountUnavailable) as error:
            messages.error(request, error.message)
        return redirect("talk:card", basic_id=basic_id)
    point_card = cards.point_card_for(friend=friend) if friend else None
    shown = point_card.card if point_card else cards.card_entry(account=account)
    return render(
        request,
        "talk/shopcard/card.html",
        {
            "account": account,
            "friend": friend,
            "point_card": point_card,
            "card": shown,
            "stamps": _stamps(point_card, shown) if shown else [],
            "ticket_count": cards.usable_ticket_count(friend=friend) if friend else 0,
        },
    )


def _friend_or_404(request, basic_id):
    account, page = _account_or_page(request, basic_id)
    if page:
        return None, None, page
    friend = _friend(request, account)
    if friend is None:
        raise Http404
    return account, friend, None


@talk_view()
def card_history(request, basic_id: str):
    account, friend, page = _friend_or_404(request, basic_id)
    if page:
        return page
    return render(
        request,
        "talk/shopcard/history.html",
        {"account": account, "entries": cards.history(friend=friend)},
    )


@talk_view()
def ticket_list(request, basic_id: str):
    account, friend, page = _friend_or_404(request, basic_id)
    if page:
        return page
    return render(
        request,
        "talk/shopcard/tickets.html",
        {"account": account, "tickets": cards.tickets(friend=friend)},
    )


@talk_view()
def ticket_detail(request, basic_id: str, ticket_id: int):
    """A ticket; ``?confirm=1`` is the screen the customer shows staff,
    whose "Confirm use" button (POST) uses the ticket."""
    account, friend, page = _friend_or_404(request, basic_id)
    if page:
        return page
    ticket = cards.ticket_get(friend=friend, ticket_id=ticket_id)
    confirm = request.GET.get("confirm") == "1" and ticket.is_usable
    return render(
        request,
        "talk/shopcard/ticket.html",
        {"account": account, "ticket": ticket, "confirm": confirm},
    )


@talk_view()
@require_POST
def ticket_use(request, basic_id: str, ticket_id: int):
    account, friend, page = _friend_or_404(request, basic_id)
    if page:
        return page
    try:
        card_services.ticket_use(friend=friend, ticket_id=ticket_id)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The ticket was used. Thank you!"))
    return redirect("talk:ticket", basic_id=basic_id, ticket_id=ticket_id)


@talk_view()
def points(request, token: str):
    """A point QR code's link: GET shows what it gives, POST collects."""
    code = card_services.point_code_find(token)
    if code is None or code.account.is_suspended:
        raise Http404
    if request.method == "POST":
        return points_grant(request, code)
    # Say before the tap what the tap would say (QA): a used single-use
    # code and an expired one collect nothing.
    spent = code.single_use and code.used_at is not None
    expired = code.expires_at <= timezone.now()
    return render(
        request,
        "talk/shopcard/points.html",
        {"code": code, "account": code.account, "spent": spent, "expired": expired},
    )
