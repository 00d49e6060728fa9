"""Manager pages for broadcasts and saved segments, and the click redirect.

Roles: every member may compose and save drafts (LINE's "operator without
delivery" prepares drafts only). Sending, scheduling, test sends and
controlling a running broadcast need ``Perm.SEND``. The report needs
``Perm.VIEW_INSIGHTS``. Views parse input, call one service and render.
"""

import datetime as dt
import json

from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import quota
from accounts.decorators import account_view
from accounts.permissions import Perm, request_can, request_require
from core.exceptions import ApplicationError, NotFound
from core.forms import form_errors_from
from messaging.audience import selectors as segment_selectors
from messaging.audience.conditions import (
    condition_catalogue,
    segment_clean,
    segment_describe,
    segment_uses_insights,
)
from messaging.audience.selectors import segment_get
from messaging.broadcasts import compose, segments, selectors
from messaging.broadcasts.audiences import segment_export_audience
from messaging.broadcasts.compose import broadcast_save
from messaging.broadcasts.control import (
    TestTo,
    broadcast_cancel,
    broadcast_pause,
    broadcast_resume,
    broadcast_schedule,
    broadcast_send_now,
    broadcast_test_send,
)
from messaging.broadcasts.forms import BroadcastForm
from messaging.broadcasts.links import link_click_record
from messaging.broadcasts.models import Broadcast
from messaging.broadcasts.segments import segment_save
from messaging.broadcasts.selectors import (
    broadcast_get,
    broadcast_report,
)
from messaging.friends.selectors import staff_test_friends
from messaging.store.assets import asset_upload, media_asset_upload
from messaging.store.composer import (
    composer_data,
    composer_strings,
    json_field,
    preview_html,
)
from messaging.store.models import BroadcastAsset

BROADCASTS_PER_PAGE = 30


def _url(name: str, request, *args) -> str:
    return reverse(f"broadcasts:{name}", args=[request.account.slug, *args])


def _broadcast_form(request, broadcast: Broadcast | None, data=None):
    account = request.account
    initial = {}
    if broadcast is not None:
        mode = "all"
        if broadcast.segment_id:
            mode = "saved"
        elif broadcast.audience is not None:
            mode = "segment"
        initial = {
            "title": broadcast.title,
            "messages": json.dumps(broadcast.messages, ensure_ascii=False),
            "audience_mode": mode,
            "audience": json.dumps(broadcast.audience, ensure_ascii=False)
            if broadcast.audience
            else "",
            "segment": broadcast.segment_id,
            "max_recipients": broadcast.max_recipients,
        }
    return BroadcastForm(data, initial=initial, tz=account.tz)


def _insights_check(request, definition) -> None:
    """Opened/clicked conditions are insights: refused to members without.

    A broadcast's page shows its recipient count, so targeting "opened X"
    would read the insight as surely as the estimate would.
    """
    if segment_uses_insights(definition) and not request_can(
        request, Perm.VIEW_INSIGHTS
    ):
        msg = _("Opened and clicked conditions need the insights permission.")
        raise ApplicationError(msg, {"audience": msg})


def _form_audience(request, form) -> tuple:
    audience, segment = _form_audience_read(request, form)
    _insights_check(request, segment.definition if segment else audience)
    return audience, segment


def _form_audience_read(request, form) -> tuple:
    mode = form.cleaned_data["audience_mode"]
    if mode == "saved":
        segment_id = form.cleaned_data.get("segment")
        if not segment_id:
            msg = _("Choose a saved segment.")
            raise ApplicationError(msg, {"segment": msg})
        segment = segment_get(account=request.account, segment_id=segment_id)
        return None, segment
    if mode == "segment":
        return json_field(form.cleaned_data["audience"]), None
    return None, None


def _compose_context(request, form, broadcast):
    account = request.account
    return {
        "form": form,
        "broadcast": broadcast,
        "can_send": request_can(request, Perm.SEND),
        "summary": quota.usage_summary(account=account),
        "test_friends": staff_test_friends(account=account),
        "segments": segment_selectors.segment_list(account=account),
        "compose_data": {
            **composer_data(account=account),
            "catalogue": condition_catalogue(account=account),
            "estimateUrl": _url("audience-estimate", request),
            "uploadUrl": _url("image-upload", request),
        },
    }


@require_GET
@account_view()
def broadcast_list(request):
    qs = selectors.broadcast_list(account=request.account)
    before = request.GET.get("before")
    if before and before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs.select_related("segment")[: BROADCASTS_PER_PAGE + 1])
    more = len(rows) > BROADCASTS_PER_PAGE
    rows = rows[:BROADCASTS_PER_PAGE]
    return render(
        request,
        "messaging/broadcasts/list.html",
        {
            "broadcasts": rows,
            "next_before": rows[-1].pk if more else None,
            "can_send": request_can(request, Perm.SEND),
            "summary": quota.usage_summary(account=request.account),
        },
    )


@account_view()
def broadcast_compose(request, broadcast_id: int | None = None):
    account = request.account
    broadcast = None
    if broadcast_id is not None:
        broadcast = broadcast_get(account=account, broadcast_id=broadcast_id)
        if request.method == "GET" and not broadcast.is_editable:
            return redirect(_url("broadcast-detail", request, broadcast.pk))
    if request.method != "POST":
        form = _broadcast_form(request, broadcast)
        return render(
            request,
            "messaging/broadcasts/compose.html",
            _compose_context(request, form, broadcast),
        )
    form = _broadcast_form(request, broadcast, request.POST)
    if not form.is_valid():
        return _compose_error(request, form, broadcast)
    action = form.cleaned_data["action"]
    if action != "save":
        request_require(request, Perm.SEND)
    try:
        audience, segment = _form_audience(request, form)
        broadcast = broadcast_save(
            account=account,
            actor=request.user,
            title=form.cleaned_data["title"],
            messages=json_field(form.cleaned_data["messages"], default=[]),
            audience=audience,
            segment=segment,
            max_recipients=form.cleaned_data["max_recipients"],
            broadcast=broadcast,
        )
    except NotFound:
        raise
    except ApplicationError as exc:
        form_errors_from(form, exc)
        return _compose_error(request, form, broadcast)
    try:
        return _compose_action(request, form, broadcast, action)
    except ApplicationError as exc:
        messages.info(request, _("The draft was saved; it was not sent."))
        if action in ("test_me", "test_staff"):
            # The error goes next to the test buttons that were pressed.
            return _compose_error(request, form, broadcast, test_error=exc.message)
        form_errors_from(form, exc)
        return _compose_error(request, form, broadcast)


def _compose_action(request, form, broadcast, action):
    if action == "send":
        broadcast_send_now(broadcast=broadcast, actor=request.user)
        messages.success(request, _("Sending started."))
        return redirect(_url("broadcast-detail", request, broadcast.pk))
    if action == "schedule":
        when = form.cleaned_data.get("scheduled_at")
        if when is None:
            msg = _("Choose a delivery time.")
            raise ApplicationError(msg, {"scheduled_at": msg})
        broadcast_schedule(broadcast=broadcast, actor=request.user, when=when)
        messages.success(request, _("The broadcast is scheduled."))
        return redirect(_url("broadcast-detail", request, broadcast.pk))
    if action in ("test_me", "test_staff"):
        rows = broadcast_test_send(
            broadcast=broadcast,
            actor=request.user,
            to=TestTo.ME if action == "test_me" else TestTo.STAFF,
        )
        people = len({r.friend_id for r in rows})
        messages.success(
            request,
            _("Test sent to %(n)d member(s); it counted against the quota.")
            % {"n": people},
        )
        return redirect(_url("broadcast-edit", request, broadcast.pk))
    messages.success(request, _("Draft saved."))
    return redirect(_url("broadcast-edit", request, broadcast.pk))


def _compose_error(request, form, broadcast, **extra):
    return render(
        request,
        "messaging/broadcasts/compose.html",
        {**_compose_context(request, form, broadcast), **extra},
        status=400,
    )


def _progress_fields(progress: dict) -> dict:
    """The live figures as the spans ``progress.js`` updates, to place in
    one translated sentence ("193 of 193 recipients · 8 skipped")."""
    return {
        key: format_html(
            '<span data-progress-field="{}" data-testid="progress-{}">{}</span>',
            key,
            key,
            progress[key],
        )
        for key in ("sent", "total", "blocked")
    }


@require_GET
@account_view()
def broadcast_detail(request, broadcast_id: int):
    account = request.account
    broadcast = broadcast_get(account=account, broadcast_id=broadcast_id)
    if broadcast.is_editable:
        return redirect(_url("broadcast-edit", request, broadcast.pk))
    can_insights = request_can(request, Perm.VIEW_INSIGHTS)
    report = None
    if can_insights and broadcast.status in (
        Broadcast.Status.SENT,
        Broadcast.Status.CANCELLED,
        Broadcast.Status.SENDING,
        Broadcast.Status.PAUSED,
    ):
        report = broadcast_report(broadcast=broadcast)
    progress = selectors.broadcast_progress(broadcast=broadcast)
    return render(
        request,
        "messaging/broadcasts/detail.html",
        {
            "broadcast": broadcast,
            "progress": progress,
            "progress_fields": _progress_fields(progress),
            "audience": segment_describe(
                account=account,
                definition=broadcast.audience_used
                if broadcast.started_at
                else (
                    broadcast.segment.definition
                    if broadcast.segment_id
                    else broadcast.audience
                ),
            ),
            "report": report,
            "can_send": request_can(request, Perm.SEND),
            "can_insights": can_insights,
            "compose_data": composer_data(account=request.account),
            "preview": preview_html(account=account, messages=broadcast.messages),
        },
    )


@require_GET
@account_view()
def broadcast_progress(request, broadcast_id: int):
    broadcast = broadcast_get(account=request.account, broadcast_id=broadcast_id)
    return JsonResponse(selectors.broadcast_progress(broadcast=broadcast))


def _control(service, success: str):
    @require_POST
    @account_view(Perm.SEND)
    def view(request, broadcast_id: int):
        broadcast = broadcast_get(account=request.account, broadcast_id=broadcast_id)
        try:
            service(broadcast=broadcast, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, success)
        return redirect(_url("broadcast-detail", request, broadcast.pk))

    return view


broadcast_pause = _control(broadcast_pause, gettext_lazy("Paused."))


broadcast_resume = _control(broadcast_resume, gettext_lazy("Resumed."))


broadcast_cancel = _control(broadcast_cancel, gettext_lazy("Cancelled."))


@require_POST
@account_view()
def broadcast_copy(request, broadcast_id: int):
    broadcast = broadcast_get(account=request.account, broadcast_id=broadcast_id)
    try:
        copy = compose.broadcast_copy(broadcast=broadcast, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(_url("broadcast-detail", request, broadcast.pk))
    messages.success(request, _("Copied to a new draft."))
    return redirect(_url("broadcast-edit", request, copy.pk))


@require_POST
@account_view()
def broadcast_delete(request, broadcast_id: int):
    broadcast = broadcast_get(account=request.account, broadcast_id=broadcast_id)
    try:
        compose.broadcast_delete(broadcast=broadcast, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(_url("broadcast-detail", request, broadcast.pk))
    messages.success(request, _("Draft deleted."))
    return redirect(_url("broadcast-list", request))


@require_POST
@account_view()
def audience_estimate(request):
    """Live recipient count and quota cost for the composer (JSON)."""
    account = request.account
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise TypeError("the body is not a JSON object")
        segment = None
        audience = None
        if body.get("mode") == "saved":
            segment = segment_get(
                account=account, segment_id=int(body.get("segment") or 0)
            )
        elif body.get("mode") == "segment":
            audience = segment_clean(account=account, definition=body.get("audience"))
        definition = segment.definition if segment else audience
        if segment_uses_insights(definition):
            # Counting who opened or clicked is reading insights.
            request_require(request, Perm.VIEW_INSIGHTS)
        cap = compose.max_recipients_clean(body.get("max_recipients"))
        when = None
        if body.get("scheduled_at"):
            when = dt.datetime.fromisoformat(str(body["scheduled_at"])).replace(
                tzinfo=account.tz
            )
        estimate = selectors.audience_estimate(
            account=account,
            audience=audience,
            segment=segment,
            max_recipients=cap,
            when=when,
        )
    except NotFound:
        raise
    except ApplicationError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    except (ValueError, TypeError):
        return JsonResponse({"error": _("The audience could not be read.")}, status=400)
    return JsonResponse(
        {
            "matching": estimate.matching,
            "recipients": estimate.recipients,
            "cost": estimate.recipients,
            "remaining": estimate.remaining,
            "limit": estimate.limit,
            "plan": estimate.plan_name,
            "covered": estimate.covered,
            "additional_cost_yen": str(estimate.additional_cost_yen),
        }
    )


@require_POST
@account_view()
def bubbles_preview(request):
    """The phone preview of the posted draft bubbles, as the talk app draws
    them: ``{"messages": [...]}`` → ``{"html": "..."}``."""
    try:
        body = json.loads(request.body or b"{}")
        drafts = body.get("messages") if isinstance(body, dict) else None
        html = preview_html(account=request.account, messages=drafts)
    except (ValueError, ApplicationError) as exc:
        error = getattr(exc, "message", None) or _("The form data could not be read.")
        return JsonResponse({"error": error}, status=400)
    return JsonResponse({"html": html})


@require_POST
@account_view()
def image_upload(request):
    """Store an image, video or audio file for a bubble (``kind``); returns
    the URLs the composer needs (and an audio file's ``duration``)."""
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"error": _("Choose an image to upload.")}, status=400)
    kind = request.POST.get("kind", BroadcastAsset.Kind.IMAGE)
    duration = None
    try:
        if kind in (BroadcastAsset.Kind.VIDEO, BroadcastAsset.Kind.AUDIO):
            uploaded = media_asset_upload(
                account=request.account, actor=request.user, upload=upload, kind=kind
            )
            asset, duration = uploaded.asset, uploaded.duration_ms
        else:
            asset = asset_upload(
                account=request.account, actor=request.user, upload=upload, kind=kind
            )
    except ApplicationError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse(
        {
            "duration": duration,
            "key": asset.key,
            "kind": asset.kind,
            "originalContentUrl": asset.original_url,
            "previewImageUrl": asset.preview_url,
            "baseUrl": asset.base_url,
            "width": asset.width,
            "height": asset.height,
        }
    )


@require_GET
def click_redirect(request, code: str, token: str = ""):
    """``/r/<code>/<token>`` (and the older ``/r/<code>.<friend>.<sig>``):
    record the click, then forward to the real URL."""
    url = link_click_record(code=code, token=token)
    return HttpResponseRedirect(url)


def _next_or(request, default: str) -> str:
    """``next`` when it is a page of this site, else ``default``."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


@account_view()
def segment_list(request):
    account = request.account
    error = None
    status = 200
    if request.method == "POST":
        try:
            segment = None
            if request.POST.get("segment_id"):
                segment = segment_get(
                    account=account, segment_id=int(request.POST["segment_id"])
                )
            definition = json_field(request.POST.get("definition", ""))
            _insights_check(request, definition)
            segment_save(
                account=account,
                actor=request.user,
                name=request.POST.get("name", ""),
                definition=definition,
                segment=segment,
            )
        except NotFound:
            raise
        except ApplicationError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, _("Segment saved."))
            return redirect(_next_or(request, _url("segment-list", request)))
    rows = [
        (s, segment_describe(account=account, definition=s.definition))
        for s in segment_selectors.segment_list(account=account)
    ]
    audience_groups = segment_selectors.audience_group_list(account=account)[:100]
    return render(
        request,
        "messaging/broadcasts/segments.html",
        {
            "rows": rows,
            "audience_groups": audience_groups,
            "error": error,
            "compose_data": {
                "catalogue": condition_catalogue(account=account),
                "estimateUrl": _url("audience-estimate", request),
                "i18n": composer_strings(),
            },
        },
        status=status,
    )


@require_POST
@account_view(Perm.SEND)
def segment_export(request, segment_id: int):
    """Save the friends a segment matches now as an audience bots can
    narrowcast to (Messaging API ``audienceGroupId``)."""
    account = request.account
    segment = segment_get(account=account, segment_id=segment_id)
    try:
        _insights_check(request, segment.definition)
        group = segment_export_audience(
            account=account, actor=request.user, segment=segment
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Exported as audience %(id)s with %(n)d people.")
            % {"id": group.public_id, "n": group.audience_count},
        )
    return redirect(_url("segment-list", request))


@require_POST
@account_view()
def segment_delete(request, segment_id: int):
    account = request.account
    segment = segment_get(account=account, segment_id=segment_id)
    try:
        segments.segment_delete(account=account, actor=request.user, segment=segment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Segment deleted."))
    return redirect(_url("segment-list", request))
