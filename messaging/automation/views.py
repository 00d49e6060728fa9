"""Manager pages for the greeting, step messages and auto-responses.

Every member may read them. Changing them changes what customers receive,
so it needs ``Perm.SEND`` (LINE's "operator without delivery" may read
only). Views parse input, call one service and render.
"""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm, request_can, request_require
from core.exceptions import ApplicationError
from core.forms import form_errors_from
from messaging.audience.conditions import condition_catalogue
from messaging.audience.selectors import segment_list
from messaging.automation import selectors, services
from messaging.automation.forms import AutoResponseForm, GreetingForm
from messaging.automation.models import (
    AutoResponse,
    Step,
    StepEnrollment,
    StepSequence,
)
from messaging.automation.selectors import (
    autoresponse_get,
    step_enrollment_get,
    step_sequence_get,
    step_sequence_list,
)
from messaging.automation.services import (
    autoresponse_save,
    step_sequence_save,
    step_sequence_stop,
)
from messaging.store.checks import MessagesInvalid
from messaging.store.composer import composer_data, json_field, preview_names
from messaging.store.coupons import coupon_choices
from messaging.store.placeholders import PLACEHOLDERS


def _url(name: str, request, *args) -> str:
    return reverse(f"automation:{name}", args=[request.account.slug, *args])


def _compose_context(request) -> dict:
    """The bubble composer's context (the broadcast composer's, no draft)."""
    account = request.account
    slug = [account.slug]
    return {
        "form": None,
        "broadcast": None,
        "can_send": request_can(request, Perm.SEND),
        "segments": segment_list(account=account),
        "compose_data": {
            **composer_data(account=account),
            "catalogue": condition_catalogue(account=account),
            "estimateUrl": reverse("broadcasts:audience-estimate", args=slug),
            "uploadUrl": reverse("broadcasts:image-upload", args=slug),
        },
    }


@require_GET
@account_view()
def step_list(request):
    return render(
        request,
        "messaging/automation/steps.html",
        {
            "sequences": step_sequence_list(account=request.account),
            "can_send": request_can(request, Perm.SEND),
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
        sequence = step_sequence_get(account=account, sequence_id=sequence_id)
    error = None
    status = 200
    steps_json = json.dumps(_steps_initial(sequence), ensure_ascii=False)
    name = sequence.name if sequence else ""
    is_active = sequence.is_active if sequence else True
    trigger = {
        "trigger": sequence.trigger if sequence else StepSequence.Trigger.FRIEND_ADD,
        "trigger_ref": sequence.trigger_ref if sequence else "",
        "trigger_days": sequence.trigger_days if sequence else None,
    }
    if request.method == "POST":
        request_require(request, Perm.SEND)
        name = request.POST.get("name", "")
        is_active = request.POST.get("is_active") == "on"
        trigger = request.POST.get("trigger", StepSequence.Trigger.FRIEND_ADD)
        steps_json = request.POST.get("steps", "")
        trigger = {
            "trigger": request.POST.get("trigger", StepSequence.Trigger.FRIEND_ADD),
            "trigger_ref": request.POST.get("trigger_ref", ""),
            "trigger_days": request.POST.get("trigger_days") or None,
        }
        try:
            sequence = step_sequence_save(
                account=account,
                actor=request.user,
                name=name,
                is_active=is_active,
                steps=json_field(steps_json, default=[]),
                sequence=sequence,
                **trigger,
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
    ctx = _compose_context(request)
    return render(
        request,
        "messaging/automation/step_edit.html",
        {
            **ctx,
            "sequence": sequence,
            "name": name,
            "is_active": is_active,
            "steps_json": steps_json,
            "units": Step.Unit.choices,
            "triggers": StepSequence.Trigger.choices,
            "trigger": trigger,
            "trigger_coupons": coupon_choices(account),
            "error": error,
            "enrollments": enrollments,
        },
        status=status,
    )


@require_POST
@account_view(Perm.SEND)
def step_stop(request, sequence_id: int):
    sequence = step_sequence_get(account=request.account, sequence_id=sequence_id)
    stopped = step_sequence_stop(
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
    enrollment = step_enrollment_get(
        account=request.account, enrollment_id=enrollment_id
    )
    services.step_enrollment_stop(
        account=request.account, actor=request.user, enrollment=enrollment
    )
    messages.success(request, _("Stopped for this friend."))
    return redirect(_url("step-edit", request, enrollment.sequence_id))


@account_view()
def autoresponse_list(request):
    return render(
        request,
        "messaging/automation/autoresponses.html",
        {
            "rules": selectors.autoresponse_list(account=request.account),
            "can_send": request_can(request, Perm.SEND),
        },
    )


@account_view()
def autoresponse_edit(request, rule_id: int | None = None):
    account = request.account
    rule = None
    if rule_id is not None:
        rule = autoresponse_get(account=account, rule_id=rule_id)
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
        request_require(request, Perm.SEND)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rule = autoresponse_save(
                    account=account,
                    actor=request.user,
                    name=data["name"],
                    match=data["match"],
                    keywords=data["keywords"].splitlines(),
                    messages=json_field(data["messages"], default=[]),
                    is_active=data["is_active"],
                    active_from=data["active_from"],
                    active_to=data["active_to"],
                    position=data["position"],
                    rule=rule,
                )
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("Auto-response saved."))
                return redirect(_url("autoresponse-list", request))
        status = 400
    ctx = _compose_context(request)
    return render(
        request,
        "messaging/automation/autoresponse_edit.html",
        {
            **ctx,
            "form": form,
            "rule": rule,
            "can_send": request_can(request, Perm.SEND),
        },
        status=status,
    )


@require_POST
@account_view(Perm.SEND)
def autoresponse_delete(request, rule_id: int):
    rule = autoresponse_get(account=request.account, rule_id=rule_id)
    services.autoresponse_delete(account=request.account, actor=request.user, rule=rule)
    messages.success(request, _("Auto-response deleted."))
    return redirect(_url("autoresponse-list", request))


@account_view()
def greeting_edit(request):
    account = request.account
    greeting = selectors.greeting_get(account=account)
    can_send = request_can(request, Perm.SEND)
    status = 200
    if request.method == "POST":
        request_require(request, Perm.SEND)
        form = GreetingForm(request.POST)
        if form.is_valid():
            try:
                services.greeting_update(
                    account=account,
                    actor=request.user,
                    enabled=form.cleaned_data["enabled"],
                    send_on_unblock=form.cleaned_data["send_on_unblock"],
                    messages=form.messages(),
                )
            except MessagesInvalid as exc:
                for error in exc.errors:
                    form.add_error(None, f"{error['property']}: {error['message']}")
            else:
                messages.success(request, _("Greeting saved."))
                return redirect(_url("greeting", request))
        status = 400
    elif greeting is None:
        form = GreetingForm(
            initial={
                "enabled": True,
                "send_on_unblock": True,
                "text1": _(
                    "Hello {Nickname}! Thank you for adding {AccountName} as a "
                    "friend. We will send you news and offers here."
                ),
            }
        )
    else:
        texts = [
            m.get("text", "") for m in greeting.messages if m.get("type") == "text"
        ]
        form = GreetingForm(
            initial={
                "enabled": greeting.enabled,
                "send_on_unblock": greeting.send_on_unblock,
                **dict(zip(GreetingForm.TEXT_FIELDS, texts, strict=False)),
            }
        )
    if not can_send:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "messaging/automation/greeting.html",
        {
            "form": form,
            "greeting": greeting,
            "can_send": can_send,
            "placeholders": PLACEHOLDERS,
            # Stands in for the customer's LINE name in the preview.
            "sample_nickname": preview_names(request.account)["nickname"],
        },
        status=status,
    )
