"""Manager pages for broadcasts, segments, step messages, auto-responses.

Roles: every member may compose and save drafts (LINE's "operator without
delivery" prepares drafts only). Sending, scheduling, test sends and
controlling a running broadcast need ``Perm.SEND``; so do step messages and
auto-responses, which change what customers receive. The report needs
``Perm.VIEW_INSIGHTS``. Views parse input, call one service and render.
"""

import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm, role_has
from core.exceptions import ApplicationError
from messaging import broadcasts
from messaging.models import (
    AutoResponse,
    Broadcast,
    BroadcastAsset,
    Step,
    StepEnrollment,
)
from messaging.segments import condition_catalogue, segment_clean, segment_describe

BROADCASTS_PER_PAGE = 30
EMOJI = [
    "😀",
    "😊",
    "😍",
    "🥰",
    "😉",
    "😂",
    "👍",
    "🙏",
    "👏",
    "🎉",
    "🎁",
    "✨",
    "💐",
    "🌸",
    "☕",
    "🍰",
    "🍜",
    "🛍️",
    "📣",
    "⏰",
    "📅",
    "❤️",
    "⭐",
    "🆕",
]


def _can(request, perm: Perm) -> bool:
    return role_has(request.membership.role, perm)


def _require(request, perm: Perm) -> None:
    if not _can(request, perm):
        raise PermissionDenied


def _url(name: str, request, *args) -> str:
    return reverse(f"broadcasts:{name}", args=[request.account.slug, *args])


def _json_field(value: str, *, default=None):
    if value in (None, ""):
        return default
    try:
        return json.loads(value)
    except ValueError:
        raise ApplicationError(_("The form data could not be read.")) from None


# --- Forms (validation only) --------------------------------------------------


class BroadcastForm(forms.Form):
    AUDIENCE_CHOICES = [
        ("all", gettext_lazy("All friends")),
        ("segment", gettext_lazy("Filter by conditions")),
        ("saved", gettext_lazy("Saved segment")),
    ]

    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    messages = forms.CharField(
        label=gettext_lazy("Message bubbles (JSON)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    audience_mode = forms.ChoiceField(
        choices=AUDIENCE_CHOICES, initial="all", widget=forms.RadioSelect
    )
    audience = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    segment = forms.IntegerField(required=False)
    max_recipients = forms.IntegerField(
        label=gettext_lazy("Maximum recipients"), required=False, min_value=1
    )
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("Delivery time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    test_friends = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Test recipients"), required=False, coerce=int
    )
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("save", "send", "schedule", "test")],
        initial="save",
    )

    def __init__(self, *args, test_choices=(), tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["test_friends"].choices = test_choices
        self.tz = tz

    def clean_scheduled_at(self):
        value = self.cleaned_data.get("scheduled_at")
        if value is None:
            return None
        # The browser sends wall-clock time; it means the account's zone.
        return value.replace(tzinfo=None).replace(tzinfo=self.tz)


def _broadcast_form(request, broadcast: Broadcast | None, data=None):
    account = request.account
    choices = [
        (f.pk, f"{f.line_user.display_name} ({f.line_user.user_id[:9]}…)")
        for f in broadcasts.test_recipient_choices(account=account)
    ]
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
    return BroadcastForm(data, initial=initial, test_choices=choices, tz=account.tz)


def _form_audience(request, form) -> tuple:
    mode = form.cleaned_data["audience_mode"]
    if mode == "saved":
        segment_id = form.cleaned_data.get("segment")
        if not segment_id:
            msg = _("Choose a saved segment.")
            raise ApplicationError(msg, {"segment": msg})
        segment = broadcasts.segment_get(account=request.account, segment_id=segment_id)
        return None, segment
    if mode == "segment":
        return _json_field(form.cleaned_data["audience"]), None
    return None, None


def _preview_data(request) -> dict:
    """What the phone preview needs: stickers, a sample nickname, labels."""
    from talk.stickers import PACKAGE_ID, STICKERS

    account = request.account
    sample = broadcasts.test_recipient_choices(account=account, limit=1)
    return {
        "stickers": [
            {
                "packageId": PACKAGE_ID,
                "stickerId": s.sticker_id,
                "url": s.url,
                "label": str(s.label),
            }
            for s in STICKERS.values()
        ],
        "emoji": EMOJI,
        "nickname": sample[0].line_user.display_name if sample else "Taro",
        "accountName": account.display_name,
        "i18n": _compose_strings(),
    }


def _compose_context(request, form, broadcast):
    account = request.account
    return {
        "form": form,
        "broadcast": broadcast,
        "can_send": _can(request, Perm.SEND),
        "segments": broadcasts.segment_list(account=account),
        "compose_data": {
            **_preview_data(request),
            "catalogue": condition_catalogue(account=account),
            "estimateUrl": _url("audience-estimate", request),
            "uploadUrl": _url("image-upload", request),
        },
    }


def _compose_strings() -> dict:
    return {
        "text": _("Text"),
        "sticker": _("Sticker"),
        "image": _("Image"),
        "imagemap": _("Rich message"),
        "template": _("Card-type message"),
        "addBubble": _("Add bubble"),
        "remove": _("Remove"),
        "moveUp": _("Move up"),
        "insertNickname": _("Insert nickname"),
        "characters": _("characters"),
        "upload": _("Upload an image (JPEG or PNG)"),
        "uploading": _("Uploading…"),
        "layout": _("Layout"),
        "area": _("Area"),
        "link": _("Link"),
        "sendText": _("Send text"),
        "altText": _("Notification text"),
        "card": _("Card"),
        "addCard": _("Add card"),
        "title": _("Title"),
        "button": _("Button"),
        "addButton": _("Add button"),
        "label": _("Label"),
        "sameButtons": _(
            "Every card needs the same number of buttons and the "
            "same image/title presence."
        ),
        "addCondition": _("Add condition"),
        "addGroup": _("Add group"),
        "all": _("All of these (AND)"),
        "any": _("Any of these (OR)"),
        "not": _("not"),
        "minDays": _("at least (days)"),
        "maxDays": _("less than (days)"),
        "field": _("Field"),
        "value": _("Value"),
        "recipients": _("Recipients"),
        "cost": _("Quota cost"),
        "remaining": _("Left this month"),
        "notCovered": _("The plan cannot cover this broadcast this month."),
        "counting": _("Counting…"),
        "noOptions": _("None defined yet."),
        "addStep": _("Add step"),
        "delay": _("Delay"),
        "condition": _("Only to friends matching conditions"),
        "uploadFailed": _("The upload failed; try again."),
        "ops": {
            "eq": _("is"),
            "contains": _("contains"),
            "gt": _("is above"),
            "lt": _("is below"),
            "before": _("is before"),
            "after": _("is after"),
            "set": _("is set"),
            "unset": _("is not set"),
        },
        "layouts": {
            "1": _("One area"),
            "2v": _("Two columns"),
            "2h": _("Two rows"),
            "3": _("One on top, two below"),
            "4": _("Four (2 × 2)"),
            "6": _("Six (3 × 2)"),
        },
    }


# --- Broadcast list, compose, detail ----------------------------------------


@require_GET
@account_view()
def broadcast_list(request):
    qs = broadcasts.broadcast_list(account=request.account)
    before = request.GET.get("before")
    if before and before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs.select_related("segment")[: BROADCASTS_PER_PAGE + 1])
    more = len(rows) > BROADCASTS_PER_PAGE
    rows = rows[:BROADCASTS_PER_PAGE]
    return render(
        request,
        "messaging/broadcast_list.html",
        {
            "broadcasts": rows,
            "next_before": rows[-1].pk if more else None,
            "can_send": _can(request, Perm.SEND),
        },
    )


@account_view()
def broadcast_compose(request, broadcast_id: int | None = None):
    account = request.account
    broadcast = None
    if broadcast_id is not None:
        broadcast = broadcasts.broadcast_get(account=account, broadcast_id=broadcast_id)
        if request.method == "GET" and not broadcast.is_editable:
            return redirect(_url("broadcast-detail", request, broadcast.pk))
    if request.method != "POST":
        form = _broadcast_form(request, broadcast)
        return render(
            request,
            "messaging/broadcast_compose.html",
            _compose_context(request, form, broadcast),
        )
    form = _broadcast_form(request, broadcast, request.POST)
    if not form.is_valid():
        return _compose_error(request, form, broadcast)
    action = form.cleaned_data["action"]
    if action != "save":
        _require(request, Perm.SEND)
    try:
        audience, segment = _form_audience(request, form)
        broadcast = broadcasts.broadcast_save(
            account=account,
            actor=request.user,
            title=form.cleaned_data["title"],
            messages=_json_field(form.cleaned_data["messages"], default=[]),
            audience=audience,
            segment=segment,
            max_recipients=form.cleaned_data["max_recipients"],
            broadcast=broadcast,
        )
    except ApplicationError as exc:
        _place_error(form, exc)
        return _compose_error(request, form, broadcast)
    try:
        return _compose_action(request, form, broadcast, action)
    except ApplicationError as exc:
        _place_error(form, exc)
        messages.info(request, _("The draft was saved; it was not sent."))
        return _compose_error(request, form, broadcast)


def _compose_action(request, form, broadcast, action):
    if action == "send":
        broadcasts.broadcast_send_now(broadcast=broadcast, actor=request.user)
        messages.success(request, _("Sending started."))
        return redirect(_url("broadcast-detail", request, broadcast.pk))
    if action == "schedule":
        when = form.cleaned_data.get("scheduled_at")
        if when is None:
            msg = _("Choose a delivery time.")
            raise ApplicationError(msg, {"scheduled_at": msg})
        broadcasts.broadcast_schedule(
            broadcast=broadcast, actor=request.user, when=when
        )
        messages.success(request, _("The broadcast is scheduled."))
        return redirect(_url("broadcast-detail", request, broadcast.pk))
    if action == "test":
        rows = broadcasts.broadcast_test_send(
            broadcast=broadcast,
            actor=request.user,
            friend_ids=form.cleaned_data["test_friends"],
        )
        people = len({r.friend_id for r in rows})
        messages.success(
            request,
            _("Test sent to %(n)d friend(s); it counted against the quota.")
            % {"n": people},
        )
        return redirect(_url("broadcast-edit", request, broadcast.pk))
    messages.success(request, _("Draft saved."))
    return redirect(_url("broadcast-edit", request, broadcast.pk))


def _place_error(form, exc: ApplicationError) -> None:
    placed = False
    for key, message in exc.details.items():
        if key in form.fields:
            form.add_error(key, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _compose_error(request, form, broadcast):
    return render(
        request,
        "messaging/broadcast_compose.html",
        _compose_context(request, form, broadcast),
        status=400,
    )


@require_GET
@account_view()
def broadcast_detail(request, broadcast_id: int):
    account = request.account
    broadcast = broadcasts.broadcast_get(account=account, broadcast_id=broadcast_id)
    if broadcast.is_editable:
        return redirect(_url("broadcast-edit", request, broadcast.pk))
    can_insights = _can(request, Perm.VIEW_INSIGHTS)
    report = None
    if can_insights and broadcast.status in (
        Broadcast.Status.SENT,
        Broadcast.Status.CANCELLED,
        Broadcast.Status.SENDING,
        Broadcast.Status.PAUSED,
    ):
        report = broadcasts.broadcast_report(broadcast=broadcast)
    return render(
        request,
        "messaging/broadcast_detail.html",
        {
            "broadcast": broadcast,
            "progress": broadcasts.broadcast_progress(broadcast=broadcast),
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
            "can_send": _can(request, Perm.SEND),
            "can_insights": can_insights,
            "compose_data": _preview_data(request),
        },
    )


@require_GET
@account_view()
def broadcast_progress(request, broadcast_id: int):
    broadcast = broadcasts.broadcast_get(
        account=request.account, broadcast_id=broadcast_id
    )
    return JsonResponse(broadcasts.broadcast_progress(broadcast=broadcast))


def _control(service, success: str):
    @require_POST
    @account_view(Perm.SEND)
    def view(request, broadcast_id: int):
        broadcast = broadcasts.broadcast_get(
            account=request.account, broadcast_id=broadcast_id
        )
        try:
            service(broadcast=broadcast, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, success)
        return redirect(_url("broadcast-detail", request, broadcast.pk))

    return view


broadcast_pause = _control(broadcasts.broadcast_pause, gettext_lazy("Paused."))
broadcast_resume = _control(broadcasts.broadcast_resume, gettext_lazy("Resumed."))
broadcast_cancel = _control(broadcasts.broadcast_cancel, gettext_lazy("Cancelled."))


@require_POST
@account_view()
def broadcast_copy(request, broadcast_id: int):
    broadcast = broadcasts.broadcast_get(
        account=request.account, broadcast_id=broadcast_id
    )
    copy = broadcasts.broadcast_copy(broadcast=broadcast, actor=request.user)
    messages.success(request, _("Copied to a new draft."))
    return redirect(_url("broadcast-edit", request, copy.pk))


@require_POST
@account_view()
def broadcast_delete(request, broadcast_id: int):
    broadcast = broadcasts.broadcast_get(
        account=request.account, broadcast_id=broadcast_id
    )
    try:
        broadcasts.broadcast_delete(broadcast=broadcast, actor=request.user)
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
        segment = None
        audience = None
        if body.get("mode") == "saved":
            segment = broadcasts.segment_get(
                account=account, segment_id=int(body.get("segment") or 0)
            )
        elif body.get("mode") == "segment":
            audience = segment_clean(account=account, definition=body.get("audience"))
        cap = body.get("max_recipients")
        cap = int(cap) if cap not in (None, "") else None
        when = None
        if body.get("scheduled_at"):
            when = dt.datetime.fromisoformat(body["scheduled_at"]).replace(
                tzinfo=account.tz
            )
        estimate = broadcasts.audience_estimate(
            account=account,
            audience=audience,
            segment=segment,
            max_recipients=cap,
            when=when,
        )
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
def image_upload(request):
    """Store an image for a bubble; returns the URLs the composer needs."""
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"error": _("Choose an image to upload.")}, status=400)
    try:
        asset = broadcasts.broadcast_asset_upload(
            account=request.account,
            actor=request.user,
            upload=upload,
            kind=request.POST.get("kind", BroadcastAsset.Kind.IMAGE),
        )
    except ApplicationError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse(
        {
            "key": asset.key,
            "kind": asset.kind,
            "originalContentUrl": asset.original_url,
            "previewImageUrl": asset.preview_url,
            "baseUrl": asset.base_url,
            "width": asset.width,
            "height": asset.height,
        }
    )


# --- Saved segments --------------------------------------------------------------


@account_view()
def segment_list(request):
    account = request.account
    error = None
    status = 200
    if request.method == "POST":
        try:
            segment = None
            if request.POST.get("segment_id"):
                segment = broadcasts.segment_get(
                    account=account, segment_id=int(request.POST["segment_id"])
                )
            broadcasts.segment_save(
                account=account,
                actor=request.user,
                name=request.POST.get("name", ""),
                definition=_json_field(request.POST.get("definition", "")),
                segment=segment,
            )
        except ApplicationError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, _("Segment saved."))
            return redirect(request.POST.get("next") or _url("segment-list", request))
    rows = [
        (s, segment_describe(account=account, definition=s.definition))
        for s in broadcasts.segment_list(account=account)
    ]
    return render(
        request,
        "messaging/broadcast_segments.html",
        {
            "rows": rows,
            "error": error,
            "compose_data": {
                "catalogue": condition_catalogue(account=account),
                "estimateUrl": _url("audience-estimate", request),
                "i18n": _compose_strings(),
            },
        },
        status=status,
    )


@require_POST
@account_view()
def segment_delete(request, segment_id: int):
    account = request.account
    segment = broadcasts.segment_get(account=account, segment_id=segment_id)
    try:
        broadcasts.segment_delete(account=account, actor=request.user, segment=segment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Segment deleted."))
    return redirect(_url("segment-list", request))


# --- Click tracking --------------------------------------------------------------


@require_GET
def click_redirect(request, token: str):
    """``/r/<token>``: record the click, then forward to the real URL."""
    url = broadcasts.link_click_record(token=token)
    return HttpResponseRedirect(url)


# --- Step messages ---------------------------------------------------------------


@require_GET
@account_view()
def step_list(request):
    return render(
        request,
        "messaging/broadcast_steps.html",
        {
            "sequences": broadcasts.step_sequence_list(account=request.account),
            "can_send": _can(request, Perm.SEND),
        },
    )


def _steps_initial(sequence) -> list[dict]:
    if sequence is None:
        return [
            {
                "delay_value": 1,
                "delay_unit": Step.Unit.DAYS,
                "messages": [{"type": "text", "text": ""}],
                "condition": None,
            }
        ]
    return [
        {
            "delay_value": s.delay_value,
            "delay_unit": s.delay_unit,
            "messages": s.messages,
            "condition": s.condition,
        }
        for s in sequence.steps.order_by("position")
    ]


@account_view()
def step_edit(request, sequence_id: int | None = None):
    account = request.account
    sequence = None
    if sequence_id is not None:
        sequence = broadcasts.step_sequence_get(
            account=account, sequence_id=sequence_id
        )
    error = None
    status = 200
    steps_json = json.dumps(_steps_initial(sequence), ensure_ascii=False)
    name = sequence.name if sequence else ""
    is_active = sequence.is_active if sequence else True
    if request.method == "POST":
        _require(request, Perm.SEND)
        name = request.POST.get("name", "")
        is_active = request.POST.get("is_active") == "on"
        steps_json = request.POST.get("steps", "")
        try:
            sequence = broadcasts.step_sequence_save(
                account=account,
                actor=request.user,
                name=name,
                is_active=is_active,
                steps=_json_field(steps_json, default=[]),
                sequence=sequence,
            )
        except ApplicationError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, _("Step messages saved."))
            return redirect(_url("step-edit", request, sequence.pk))
    enrollments = []
    if sequence is not None:
        enrollments = list(
            StepEnrollment.objects.filter(sequence=sequence)
            .select_related("friend__line_user")
            .order_by("-id")[:50]
        )
    ctx = _compose_context(request, None, None)
    return render(
        request,
        "messaging/broadcast_step_edit.html",
        {
            **ctx,
            "sequence": sequence,
            "name": name,
            "is_active": is_active,
            "steps_json": steps_json,
            "units": Step.Unit.choices,
            "error": error,
            "enrollments": enrollments,
        },
        status=status,
    )


@require_POST
@account_view(Perm.SEND)
def step_stop(request, sequence_id: int):
    sequence = broadcasts.step_sequence_get(
        account=request.account, sequence_id=sequence_id
    )
    stopped = broadcasts.step_sequence_stop(
        account=request.account, actor=request.user, sequence=sequence
    )
    messages.success(
        request,
        _("The sequence is stopped; %(n)d friend(s) will get no more steps.")
        % {"n": stopped},
    )
    return redirect(_url("step-edit", request, sequence.pk))


@require_POST
@account_view(Perm.SEND)
def step_enrollment_stop(request, enrollment_id: int):
    enrollment = broadcasts.step_enrollment_get(
        account=request.account, enrollment_id=enrollment_id
    )
    broadcasts.step_enrollment_stop(
        account=request.account, actor=request.user, enrollment=enrollment
    )
    messages.success(request, _("Stopped for this friend."))
    return redirect(_url("step-edit", request, enrollment.sequence_id))


# --- Auto-responses --------------------------------------------------------------


class AutoResponseForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    match = forms.ChoiceField(
        label=gettext_lazy("Match"), choices=AutoResponse.Match.choices
    )
    keywords = forms.CharField(
        label=gettext_lazy("Keywords (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    messages = forms.CharField(
        label=gettext_lazy("Reply bubbles (JSON)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)
    active_from = forms.TimeField(
        label=gettext_lazy("Active from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    active_to = forms.TimeField(
        label=gettext_lazy("Active until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    position = forms.IntegerField(
        label=gettext_lazy("Order"), min_value=0, max_value=999, initial=0
    )


@account_view()
def autoresponse_list(request):
    return render(
        request,
        "messaging/broadcast_autoresponses.html",
        {
            "rules": broadcasts.autoresponse_list(account=request.account),
            "can_send": _can(request, Perm.SEND),
        },
    )


@account_view()
def autoresponse_edit(request, rule_id: int | None = None):
    account = request.account
    rule = None
    if rule_id is not None:
        rule = broadcasts.autoresponse_get(account=account, rule_id=rule_id)
    initial = {
        "is_active": True,
        "match": AutoResponse.Match.EXACT,
        "position": 0,
        "messages": '[{"type": "text", "text": ""}]',
    }
    if rule is not None:
        initial = {
            "name": rule.name,
            "match": rule.match,
            "keywords": "\n".join(rule.keywords),
            "messages": json.dumps(rule.messages, ensure_ascii=False),
            "is_active": rule.is_active,
            "active_from": rule.active_from,
            "active_to": rule.active_to,
            "position": rule.position,
        }
    form = AutoResponseForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        _require(request, Perm.SEND)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rule = broadcasts.autoresponse_save(
                    account=account,
                    actor=request.user,
                    name=data["name"],
                    match=data["match"],
                    keywords=data["keywords"].splitlines(),
                    messages=_json_field(data["messages"], default=[]),
                    is_active=data["is_active"],
                    active_from=data["active_from"],
                    active_to=data["active_to"],
                    position=data["position"],
                    rule=rule,
                )
            except ApplicationError as exc:
                _place_error(form, exc)
            else:
                messages.success(request, _("Auto-response saved."))
                return redirect(_url("autoresponse-list", request))
        status = 400
    ctx = _compose_context(request, None, None)
    return render(
        request,
        "messaging/broadcast_autoresponse_edit.html",
        {**ctx, "form": form, "rule": rule, "can_send": _can(request, Perm.SEND)},
        status=status,
    )


@require_POST
@account_view(Perm.SEND)
def autoresponse_delete(request, rule_id: int):
    rule = broadcasts.autoresponse_get(account=request.account, rule_id=rule_id)
    broadcasts.autoresponse_delete(
        account=request.account, actor=request.user, rule=rule
    )
    messages.success(request, _("Auto-response deleted."))
    return redirect(_url("autoresponse-list", request))
