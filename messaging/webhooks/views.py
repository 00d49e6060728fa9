"""Manager page for the bot's webhook: URL, switches, check, delivery log."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm
from core.exceptions import ApplicationError, NotFound
from core.forms import form_errors_from
from messaging.webhooks.services import (
    URL_MAX_LENGTH,
    webhook_delivery_list,
    webhook_delivery_redeliver,
    webhook_endpoint_get,
    webhook_endpoint_set,
    webhook_endpoint_test,
)

DELIVERIES_PER_PAGE = 50


class WebhookSettingsForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Webhook URL"),
        max_length=URL_MAX_LENGTH,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/callback"}),
    )
    active = forms.BooleanField(label=gettext_lazy("Use webhook"), required=False)
    redelivery = forms.BooleanField(
        label=gettext_lazy("Webhook redelivery"),
        required=False,
        help_text=gettext_lazy(
            "Send again, with backoff, when the bot times out or answers 5xx."
        ),
    )


def _to_page(request):
    return redirect("webhooks:webhook-settings", account_slug=request.account.slug)


@account_view(Perm.MANAGE_API)
def webhook_settings(request):
    account = request.account
    endpoint = webhook_endpoint_get(account=account)
    status = 200
    if request.method == "POST":
        form = WebhookSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                webhook_endpoint_set(
                    account=account,
                    actor=request.user,
                    url=data["url"],
                    active=data["active"],
                    redelivery=data["redelivery"],
                )
            except ApplicationError as exc:
                form_errors_from(form, exc, "url")
            else:
                messages.success(request, _("Webhook settings saved."))
                return _to_page(request)
        status = 400
    else:
        form = WebhookSettingsForm(
            initial={
                "url": endpoint.url,
                "active": endpoint.active,
                "redelivery": endpoint.redelivery,
            }
        )
    page = Paginator(
        webhook_delivery_list(account=account), DELIVERIES_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "messaging/webhooks/settings.html",
        {"form": form, "endpoint": endpoint, "page": page},
        status=status,
    )


@require_POST
@account_view(Perm.MANAGE_API)
def webhook_verify(request):
    try:
        result = webhook_endpoint_test(account=request.account)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _to_page(request)
    if result.success:
        messages.success(
            request,
            _("Success: the bot answered %(code)s.") % {"code": result.status_code},
        )
    else:
        messages.error(
            request,
            _("The check failed: %(reason)s (%(detail)s).")
            % {"reason": result.reason, "detail": result.detail},
        )
    return _to_page(request)


@require_POST
@account_view(Perm.MANAGE_API)
def webhook_redeliver(request, delivery_id: int):
    try:
        webhook_delivery_redeliver(
            account=request.account, actor=request.user, delivery_id=delivery_id
        )
    except NotFound:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The delivery was queued again."))
    return _to_page(request)
