"""The Manager's coupon pages at ``/manager/<account>/coupons/``.

Every role sees the list; the counts are insights (hidden from "operator
without insights"); publishing and closing reach customers, so they need
``Perm.SEND``. Coupons are never edited: close and make a new one.
"""

import io

import qrcode
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm, request_can
from core.exceptions import ApplicationError
from core.forms import form_errors_from
from core.images import PICTURE, image_check, image_original
from core.selectors import get_or_not_found
from coupons import selectors, services
from coupons.forms import PROPERTY_FIELDS, CouponForm, manager_message
from coupons.models import Coupon
from coupons.zones import zone_code_for

LIST_MAX = 200


@account_view()
def coupon_list(request):
    coupons = list(selectors.coupon_list(account=request.account)[:LIST_MAX])
    counts = None
    if request_can(request, Perm.VIEW_INSIGHTS):
        counts = selectors.coupon_list_counts(account=request.account, coupons=coupons)
    return render(
        request,
        "coupons/list.html",
        {
            "rows": [(c, counts[c.pk] if counts else None) for c in coupons],
            "show_counts": counts is not None,
            "can_publish": request_can(request, Perm.SEND),
        },
    )


def _store_image(upload, account, kind: str) -> str:
    checked = image_check(upload, use=PICTURE)
    name = f"coupons/{account.pk}/{kind}-{get_random_string(16)}"
    content = image_original(upload, checked, name=name)
    return default_storage.url(default_storage.save(content.name, content))


@account_view(Perm.SEND)
def coupon_create(request):
    bound = request.method == "POST"
    form = CouponForm(
        request.POST if bound else None,
        request.FILES or None,
        # LINE's zone of the account's own time zone, else Tokyo
        initial={"time_zone": zone_code_for(str(request.account.tz))},
    )
    if bound and form.is_valid():
        try:
            # Every rule is checked before an image is stored.
            body = form.request_body()
            services.coupon_clean(body)
            image_url = barcode_url = ""
            if form.cleaned_data.get("image"):
                try:
                    image_url = _store_image(
                        form.cleaned_data["image"], request.account, "image"
                    )
                except ApplicationError as error:
                    raise ApplicationError(
                        error.message, {"image": error.message}
                    ) from None
            if form.cleaned_data.get("barcode"):
                try:
                    barcode_url = _store_image(
                        form.cleaned_data["barcode"], request.account, "barcode"
                    )
                except ApplicationError as error:
                    raise ApplicationError(
                        error.message, {"barcode": error.message}
                    ) from None
            coupon = services.coupon_create(
                account=request.account,
                data=form.request_body(image_url=image_url, barcode_url=barcode_url),
                actor=request.user,
            )
        except services.CouponInvalid as error:
            for prop, message in error.details.items():
                form.add_error(PROPERTY_FIELDS.get(prop), manager_message(message))
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Coupon published."))
            return redirect("coupons:coupon-detail", request.account.slug, coupon.pk)
    return render(
        request, "coupons/edit.html", {"form": form}, status=400 if form.errors else 200
    )


def _coupon(request, coupon_pk: int):
    return get_or_not_found(
        Coupon.objects.filter(account=request.account), pk=coupon_pk
    )


@account_view()
def coupon_detail(request, coupon_pk: int):
    coupon = _coupon(request, coupon_pk)
    can_insights = request_can(request, Perm.VIEW_INSIGHTS)
    return render(
        request,
        "coupons/detail.html",
        {
            "coupon": coupon,
            "counts": selectors.coupon_counts(coupon=coupon) if can_insights else None,
            "state": coupon.state(),
            "reward": selectors.reward_label(coupon),
            "period": selectors.period_label(coupon),
            "link": request.build_absolute_uri(
                reverse("talk:coupon", args=[coupon.coupon_id])
            ),
            "can_publish": request_can(request, Perm.SEND),
        },
    )


@account_view()
def coupon_qr(request, coupon_pk: int):
    """A PNG QR code of the coupon's link, to print or post."""
    coupon = _coupon(request, coupon_pk)
    link = request.build_absolute_uri(reverse("talk:coupon", args=[coupon.coupon_id]))
    out = io.BytesIO()
    qrcode.make(link, box_size=8, border=2).save(out, format="PNG")
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="coupon-{coupon.pk}.png"'
    return response


@account_view(Perm.SEND)
@require_POST
def coupon_close(request, coupon_pk: int):
    coupon = _coupon(request, coupon_pk)
    try:
        services.coupon_close(coupon=coupon, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Coupon closed."))
    return redirect("coupons:coupon-detail", request.account.slug, coupon.pk)
