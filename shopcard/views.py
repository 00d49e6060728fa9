"""The Manager's shop card pages at ``/manager/<account>/shopcard/``.

Every role may look; changing cards and making point QR codes needs
``Perm.SEND`` (it reaches customers); giving or taking back a friend's
points on the friend's page needs ``Perm.CHAT``. Another account's card,
code or friend is 404.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm, request_can
from core.exceptions import ApplicationError
from core.forms import form_errors_from
from messaging.friends.selectors import friend_get
from shopcard import selectors, services
from shopcard.forms import REWARD_ROWS, CardForm, CodeForm, PointsForm
from shopcard.sheet import sheet_make


@account_view()
def card_list(request):
    account = request.account
    return render(
        request,
        "shopcard/list.html",
        {
            "cards": selectors.card_list(account=account),
            "codes": selectors.code_list(account=account)[:100],
            "code_form": CodeForm(),
            "can_edit": request_can(request, Perm.SEND),
            "now": timezone.now(),
            # For a rich menu URI area, a message or a poster.
            "card_url": settings.SITE_URL
            + reverse("talk:card", kwargs={"basic_id": account.basic_id[1:]}),
        },
    )


def _initial(card) -> dict:
    if card is None:
        return {"validity_basis": "last_use", "scan_limit": "daily"}
    initial = {
        name: getattr(card, name)
        for name in (
            "name",
            "goal",
            "rank_up",
            "validity_basis",
            "validity_months",
            "welcome_points",
            "scan_limit",
            "scan_limit_hours",
            "color",
            "stamp_color",
        )
    }
    for i, reward in enumerate(card.rewards.all()[:REWARD_ROWS]):
        initial[f"reward_points_{i}"] = reward.points
        initial[f"reward_title_{i}"] = reward.title
        initial[f"reward_days_{i}"] = reward.validity_days
    return initial


@account_view()
def card_edit(request, card_id: int | None = None):
    account = request.account
    card = selectors.card_get(account=account, card_id=card_id) if card_id else None
    published = bool(card and card.is_published)
    bound = request.method == "POST"
    form = CardForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        initial=_initial(card),
        published=published,
    )
    can_edit = request_can(request, Perm.SEND)
    if bound and not can_edit:
        raise PermissionDenied
    if bound and form.is_valid():
        try:
            card = services.card_save(
                account=account,
                actor=request.user,
                data=form.cleaned_data,
                rewards=None if published else form.rewards(),
                background=form.cleaned_data["background"],
                card=card,
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Shop card saved."))
            return redirect("shopcard:card-edit", account.slug, card.pk)
    return render(
        request,
        "shopcard/edit.html",
        {"card": card, "form": form, "can_edit": can_edit, "published": published},
        status=400 if form.errors else 200,
    )


@account_view(Perm.SEND)
@require_POST
def card_publish(request, card_id: int):
    card = selectors.card_get(account=request.account, card_id=card_id)
    try:
        services.card_publish(card=card, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The card is published."))
    return redirect("shopcard:card-list", request.account.slug)


@account_view(Perm.SEND)
@require_POST
def code_create(request):
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the point code settings."))
    else:
        try:
            codes = services.point_codes_create(
                account=request.account, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(n)d point codes made.") % {"n": len(codes)})
    return redirect("shopcard:card-list", request.account.slug)


def _sheet(request, fmt: str):
    account = request.account
    codes = selectors.code_list(account=account)
    raw = request.GET.get("ids", "")
    ids = [int(p) for p in raw.split(",") if p.strip().isdigit()][:60]
    if ids:
        codes = codes.filter(pk__in=ids)
    else:
        codes = codes.filter(expires_at__gt=timezone.now(), used_at__isnull=True)
    codes = list(codes.order_by("id")[:60])
    data = sheet_make(
        codes=codes,
        urls=[services.point_code_url(c) for c in codes],
        name=account.display_name,
        fmt=fmt,
    )
    response = HttpResponse(
        data, content_type="application/pdf" if fmt == "PDF" else "image/png"
    )
    ext = fmt.lower()
    response["Content-Disposition"] = f'inline; filename="point-codes.{ext}"'
    return response


@account_view()
def code_sheet_pdf(request):
    return _sheet(request, "PDF")


@account_view()
def code_sheet_png(request):
    return _sheet(request, "PNG")


@account_view(Perm.CHAT)
@require_POST
def friend_points(request, friend_id: int):
    """Staff give or take back points on the friend's page, with a reason."""
    friend = friend_get(account=request.account, friend_id=friend_id)
    form = PointsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the points and a reason."))
    else:
        data = form.cleaned_data
        try:
            services.points_staff_change(
                friend=friend,
                actor=request.user,
                points=data["points"],
                reason=data["reason"],
                revoke=data["action"] == "revoke",
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Points updated."))
    return redirect("friends:friend-detail", request.account.slug, friend.pk)
