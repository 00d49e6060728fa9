"""Manager pages of the chat inbox, under ``/manager/<account_slug>/chat/``.

Views parse the request, call one selector or service, and render. Every
action works as a plain form post (redirecting back) and as ``fetch`` from
static/chat/inbox.js, which asks for JSON with ``X-Requested-With: fetch``.
GET views never write: opening a conversation reads nothing as 既読 by
itself; inbox.js posts to ``conversation_read`` once the messages are on
a visible screen.

Roles: chat needs ``Perm.CHAT`` (every LINE role has it, "operator without
delivery" included: chat replies are not deliveries). Changing business
hours and the away message changes what customers receive automatically,
so it needs ``Perm.SEND``, like the greeting message.
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm, role_has
from chat import selectors, services
from chat.forms import (
    AssignForm,
    CannedReplyForm,
    ChatSettingsForm,
    ExportForm,
    InboxFilterForm,
    NoteForm,
    ResponseModeForm,
    SnoozeForm,
    StatusForm,
    TagForm,
)
from chat.hours import off_hours_period_start
from core.csv_export import csv_cell, csv_response
from core.exceptions import ApplicationError, NotFound
from core.forms import form_errors_from
from messaging.friends.models import Tag
from messaging.friends.selectors import friend_notes, friend_tags, tag_get, tag_list
from messaging.store.coupons import coupon_choices
from messaging.store.stickers import STICKERS, sticker_packages

CHAT = Perm.CHAT
# Message ids are bigints; a larger "up to" id is as malformed as a word.
MAX_MESSAGE_ID = 2**63 - 1
# Rows per server-side cursor fetch of the CSV export; memory stays flat
# at this many messages whatever the date range.
EXPORT_CHUNK_SIZE = 2000


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _filter_form(request) -> InboxFilterForm:
    form = InboxFilterForm(
        request.GET,
        tags=list(tag_list(account=request.account).values_list("pk", "name")),
    )
    form.is_valid()
    return form


def _list_query(request) -> str:
    """The inbox filters of the current URL, for links that keep them."""
    params = request.GET.copy()
    for key in ("cursor", "before", "after", "read"):
        params.pop(key, None)
    return params.urlencode()


def _inbox_context(request, form: InboxFilterForm, *, cursor=None) -> dict:
    account, user = request.account, request.user
    filters = form.filters()
    return {
        "page": selectors.inbox_page(
            account=account, user=user, cursor=cursor, **filters
        ),
        "counts": selectors.inbox_counts(
            account=account,
            user=user,
            view=filters["view"],
            status=filters["status"],
        ),
        "filter_form": form,
        "query": _list_query(request),
    }


def _back(request, conversation_id: int):
    """Back to the conversation (keeping the list filters) after a post."""
    url = request.POST.get("next", "")
    base = reverse("chat:conversation", args=[request.account.slug, conversation_id])
    if url.startswith(base) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}
    ):
        return redirect(url)
    return redirect(base)


def _done(request, conversation_id: int, success: str = ""):
    if _wants_json(request):
        return JsonResponse({"ok": True})
    if success:
        messages.success(request, success)
    return _back(request, conversation_id)


def _failed(request, conversation_id: int, error: str):
    if _wants_json(request):
        return JsonResponse({"error": error}, status=400)
    messages.error(request, error)
    return _back(request, conversation_id)


def _form_error(form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("Check the form.")  # pragma: no cover - a bound invalid form has errors


# --- Inbox --------------------------------------------------------------------


@require_GET
@account_view(CHAT)
def inbox(request):
    if not selectors.chat_enabled(account=request.account):
        # Response mode "chat off" (issue 14, #15): no inbox to work.
        return render(request, "chat/off.html")
    form = _filter_form(request)
    context = _inbox_context(request, form, cursor=request.GET.get("cursor"))
    today = timezone.localtime(timezone.now(), request.account.tz).date()
    export_form = ExportForm(
        initial={"start": today - dt.timedelta(days=30), "end": today}
    )
    return render(
        request,
        "chat/inbox.html",
        {**context, "export_form": export_form, "current": None},
    )


@require_GET
@account_view(CHAT)
def inbox_json(request):
    """The first page of the list as rendered rows, for live refreshes."""
    form = _filter_form(request)
    context = _inbox_context(request, form)
    try:
        current = int(request.GET.get("current", ""))
    except ValueError:
        current = None
    html = render_to_string(
        "chat/_rows.html", {**context, "current": current}, request=request
    )
    return JsonResponse({"html": html, "counts": context["counts"]})


@require_GET
@account_view(CHAT)
def unread_json(request):
    """Conversations with unread customer messages (the nav badge); 0 while
    chat is off (response mode)."""
    account = request.account
    unread = (
        selectors.unread_conversation_count(account=account)
        if selectors.chat_enabled(account=account)
        else 0
    )
    return JsonResponse({"unread": unread})


# --- Conversation pane ----------------------------------------------------------


def _own(request, conversation_id: int) -> None:
    """404 for a conversation that is not the account's, before the posted
    data is even looked at (no answer may tell another account's ids apart)."""
    selectors.conversation_get(account=request.account, conversation_id=conversation_id)


def _int_param(request, name: str) -> int | None:
    try:
        return int(request.GET[name])
    except (KeyError, ValueError):
        return None


def _pane_context(request, conversation) -> dict:
    """What the state bar and the side panel show (shared with polling)."""
    account = request.account
    friend = conversation.friend
    query = _list_query(request)
    pane_url = reverse("chat:conversation", args=[account.slug, conversation.pk])
    return {
        "pane_url": f"{pane_url}?{query}" if query else pane_url,
        "conversation": conversation,
        "friend": friend,
        "line_user": friend.line_user,
        "staff": selectors.staff_list(account=account),
        "window": selectors.reply_window(
            account=account, conversation=conversation, friend=friend
        ),
        "tags": friend_tags(friend=friend),
        "all_tags": tag_list(account=account),
        "notes": friend_notes(friend=friend),
        "status_form": StatusForm(initial={"status": conversation.status}),
        "snooze_form": SnoozeForm(tz=account.tz),
        "note_form": NoteForm(),
        "tag_form": TagForm(),
        "query": query,
    }


@require_GET
@account_view(CHAT)
def conversation(request, conversation_id: int):
    account = request.account
    found = selectors.conversation_get(account=account, conversation_id=conversation_id)
    page = selectors.conversation_messages(
        conversation=found, before=_int_param(request, "before")
    )
    form = _filter_form(request)
    canned = [
        {"title": r.title, "shortcut": r.shortcut, "text": r.text}
        for r in selectors.canned_reply_list(account=account)
    ]
    return render(
        request,
        "chat/conversation.html",
        {
            **_inbox_context(request, form),
            **_pane_context(request, found),
            "current": found.pk,
            "rows": page.messages,
            "earlier_cursor": page.earlier_cursor,
            "last_id": page.messages[-1].pk if page.messages else 0,
            "canned": canned,
            "sticker_packages": sticker_packages(),
            "coupons": coupon_choices(request.account),
        },
    )


@require_GET
@account_view(CHAT)
def conversation_messages(request, conversation_id: int):
    """New messages after ``?after=<id>`` (or a page before ``?before=``),
    with the state bar and side panel, for inbox.js."""
    account = request.account
    found = selectors.conversation_get(account=account, conversation_id=conversation_id)
    before = _int_param(request, "before")
    earlier = None
    if before is not None:
        page = selectors.conversation_messages(conversation=found, before=before)
        rows, earlier = page.messages, page.earlier_cursor
    else:
        rows = selectors.conversation_messages_after(
            conversation=found, after=_int_param(request, "after") or 0
        )
    context = _pane_context(request, found)
    item = {"account": account, "request": request}
    return JsonResponse(
        {
            "messages": [
                {
                    "id": m.pk,
                    "html": render_to_string("chat/_message.html", {**item, "m": m}),
                }
                for m in rows
            ],
            "earlier_cursor": earlier,
            "more": before is None and len(rows) == selectors.MESSAGE_CATCH_UP_LIMIT,
            "status": found.status,
            "version": found.updated_at.isoformat(),
            "seen_up_to": selectors.conversation_seen_up_to(conversation=found),
            "state_html": render_to_string(
                "chat/_state.html", context, request=request
            ),
            "side_html": render_to_string("chat/_side.html", context, request=request),
            "composer_open": context["window"].open,
            "composer_reason": context["window"].reason,
        }
    )


def _up_to_id(request) -> int | None:
    """The posted ``up_to_id`` (a message id, 0 or more); None if malformed."""
    try:
        value = int(request.POST.get("up_to_id", ""))
    except ValueError:
        return None
    return value if 0 <= value <= MAX_MESSAGE_ID else None


@require_POST
@account_view(CHAT)
def conversation_read(request, conversation_id: int):
    """inbox.js showed the conversation up to message ``up_to_id`` in a
    visible pane: the customer's messages become 既読 and unread clears."""
    _own(request, conversation_id)  # another account's id: 404 first
    up_to_id = _up_to_id(request)
    if up_to_id is None:
        return JsonResponse(
            {"error": _("Give the id of the last message shown.")}, status=400
        )
    read = services.conversation_mark_read(
        account=request.account, conversation_id=conversation_id, up_to_id=up_to_id
    )
    return JsonResponse({"read": read})


@require_POST
@account_view(CHAT)
def conversation_send(request, conversation_id: int):
    """A staff reply: text, a sticker of the talk app's set, or a photo."""
    _own(request, conversation_id)  # another account's id: 404 first
    account = request.account
    try:
        if "image" in request.FILES:
            services.chat_image_send(
                account=account,
                actor=request.user,
                conversation_id=conversation_id,
                upload=request.FILES["image"],
            )
        else:
            if "coupon_id" in request.POST:
                message = {"type": "coupon", "couponId": request.POST["coupon_id"]}
            elif "sticker_id" in request.POST:
                sticker = STICKERS.get(request.POST["sticker_id"])
                message = {
                    "type": "sticker",
                    "packageId": sticker.package_id if sticker else "",
                    "stickerId": request.POST["sticker_id"],
                }
            elif request.POST.get("kind") == "image":
                raise ApplicationError(_("Choose a photo to send."))
            else:
                message = {"type": "text", "text": request.POST.get("text", "")}
            services.chat_message_send(
                account=account,
                actor=request.user,
                conversation_id=conversation_id,
                message=message,
            )
    except NotFound:
        raise
    except ApplicationError as error:
        return _failed(request, conversation_id, error.message)
    return _done(request, conversation_id)


@require_POST
@account_view(CHAT)
def conversation_status(request, conversation_id: int):
    _own(request, conversation_id)  # another account's id: 404 first
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _failed(request, conversation_id, _("Choose a valid status."))
    try:
        found = services.conversation_set_status(
            account=request.account,
            actor=request.user,
            conversation_id=conversation_id,
            status=form.cleaned_data["status"],
        )
    except NotFound:
        raise
    except ApplicationError as error:
        return _failed(request, conversation_id, error.message)
    return _done(
        request,
        conversation_id,
        _("Marked as %(status)s.") % {"status": found.get_status_display()},
    )


@require_POST
@account_view(CHAT)
def conversation_snooze(request, conversation_id: int):
    _own(request, conversation_id)  # another account's id: 404 first
    form = SnoozeForm(request.POST, tz=request.account.tz)
    if not form.is_valid():
        return _failed(request, conversation_id, _form_error(form))
    try:
        services.conversation_snooze(
            account=request.account,
            actor=request.user,
            conversation_id=conversation_id,
            until=form.until_value(),
        )
    except NotFound:
        raise
    except ApplicationError as error:
        return _failed(request, conversation_id, error.message)
    return _done(request, conversation_id, _("Snoozed."))


@require_POST
@account_view(CHAT)
def conversation_assign(request, conversation_id: int):
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _failed(
            request, conversation_id, _("Choose a staff member of this account.")
        )
    try:
        services.conversation_assign(
            account=request.account,
            actor=request.user,
            conversation_id=conversation_id,
            assignee_id=form.cleaned_data["assignee"],
        )
    except NotFound:
        raise
    except ApplicationError as error:
        return _failed(request, conversation_id, error.message)
    return _done(request, conversation_id, _("Assignee saved."))


@require_POST
@account_view(CHAT)
def conversation_note_add(request, conversation_id: int):
    _own(request, conversation_id)  # another account's id: 404 first
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _failed(request, conversation_id, _("Write something."))
    try:
        services.conversation_note_add(
            account=request.account,
            actor=request.user,
            conversation_id=conversation_id,
            body=form.cleaned_data["body"],
        )
    except NotFound:
        raise
    except ApplicationError as error:
        return _failed(request, conversation_id, error.message)
    return _done(request, conversation_id, _("Note added."))


@require_POST
@account_view(CHAT)
def conversation_tag_add(request, conversation_id: int):
    _own(request, conversation_id)  # another account's id: 404 first
    form = TagForm(request.POST)
    if not form.is_valid():
        return _failed(request, conversation_id, _("Enter a name."))
    try:
        tag = services.conversation_tag_add(
            account=request.account,
            actor=request.user,
            conversation_id=conversation_id,
            name=form.cleaned_data["name"],
        )
    except NotFound:
        raise
    except ApplicationError as error:
        return _failed(request, conversation_id, error.message)
    return _done(
        request, conversation_id, _("Tagged with %(tag)s.") % {"tag": tag.name}
    )


@require_POST
@account_view(CHAT)
def conversation_tag_remove(request, conversation_id: int, tag_id: int):
    tag: Tag = tag_get(account=request.account, tag_id=tag_id)
    services.conversation_tag_remove(
        account=request.account,
        actor=request.user,
        conversation_id=conversation_id,
        tag=tag,
    )
    return _done(
        request, conversation_id, _("Removed the tag %(tag)s.") % {"tag": tag.name}
    )


# --- CSV export -------------------------------------------------------------------


def _export_table(account, start: dt.datetime, end: dt.datetime):
    """Header and lazily built rows of the messages in [start, end)."""
    tz = account.tz

    def when(value):
        return (
            timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M:%S") if value else ""
        )

    header = [
        _("Time"),
        _("User ID"),
        _("Display name"),
        _("Direction"),
        _("Source"),
        _("Type"),
        _("Text"),
        _("Staff"),
        _("Read at"),
    ]

    def rows():
        messages = selectors.export_messages(
            account=account, start=start, end=end, chunk_size=EXPORT_CHUNK_SIZE
        )
        for m in messages:
            yield [
                when(m.created_at),
                m.friend.line_user.user_id,
                csv_cell(m.friend.line_user.display_name),
                m.get_direction_display(),
                m.get_source_display(),
                m.type,
                csv_cell(m.text),
                m.sent_by.username if m.sent_by else "",
                when(m.read_at),
            ]

    return header, rows()


@require_GET
@account_view(CHAT)
def export_csv(request):
    """Every message of every conversation in a date range (account's days)."""
    account = request.account
    form = ExportForm(request.GET)
    if not form.is_valid():
        context = _inbox_context(request, _filter_form(request))
        return render(
            request,
            "chat/inbox.html",
            {**context, "export_form": form, "current": None, "export_open": True},
            status=400,
        )
    tz = account.tz
    start = dt.datetime.combine(form.cleaned_data["start"], dt.time(), tzinfo=tz)
    end = dt.datetime.combine(
        form.cleaned_data["end"] + dt.timedelta(days=1), dt.time(), tzinfo=tz
    )
    header, rows = _export_table(account, start, end)
    name = (
        f"chat-{account.slug}-{form.cleaned_data['start']:%Y%m%d}-"
        f"{form.cleaned_data['end']:%Y%m%d}.csv"
    )
    return csv_response(request, header=header, rows=rows, filename=name)


# --- Canned replies ---------------------------------------------------------------


@account_view(CHAT)
def canned_list(request):
    account = request.account
    form = CannedReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.canned_reply_create(
                account=account, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Canned reply saved."))
            return redirect("chat:canned-list", account_slug=account.slug)
    return render(
        request,
        "chat/canned_list.html",
        {"form": form, "replies": selectors.canned_reply_list(account=account)},
        status=400 if form.errors else 200,
    )


@account_view(CHAT)
def canned_edit(request, reply_id: int):
    account = request.account
    reply = selectors.canned_reply_get(account=account, reply_id=reply_id)
    if request.method == "POST":
        form = CannedReplyForm(request.POST)
        if form.is_valid():
            try:
                services.canned_reply_update(
                    account=account,
                    actor=request.user,
                    reply=reply,
                    **form.cleaned_data,
                )
            except NotFound:
                raise
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("Canned reply saved."))
                return redirect("chat:canned-list", account_slug=account.slug)
    else:
        form = CannedReplyForm(
            initial={
                "title": reply.title,
                "shortcut": reply.shortcut,
                "text": reply.text,
            }
        )
    return render(
        request,
        "chat/canned_edit.html",
        {"form": form, "reply": reply},
        status=400 if form.errors else 200,
    )


@require_POST
@account_view(CHAT)
def canned_delete(request, reply_id: int):
    account = request.account
    reply = selectors.canned_reply_get(account=account, reply_id=reply_id)
    services.canned_reply_delete(account=account, actor=request.user, reply=reply)
    messages.success(request, _("Canned reply deleted."))
    return redirect("chat:canned-list", account_slug=account.slug)


# --- Business hours and the away message ---------------------------------------------


@account_view(CHAT)
def chat_settings(request):
    account = request.account
    can_edit = role_has(request.membership.role, Perm.SEND)
    current = selectors.chat_settings_get(account=account)
    hours = selectors.business_hours_list(account=account)
    initial = {
        "business_hours_enabled": current.business_hours_enabled,
        "away_message_enabled": current.away_message_enabled,
        "away_message": current.away_message,
    }
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = ChatSettingsForm(request.POST, initial_hours=hours)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.chat_settings_update(
                    account=account,
                    actor=request.user,
                    business_hours_enabled=data["business_hours_enabled"],
                    away_message_enabled=data["away_message_enabled"],
                    away_message=data["away_message"],
                    intervals=data["intervals"],
                )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("Chat settings saved."))
                return redirect("chat:settings", account_slug=account.slug)
    else:
        form = ChatSettingsForm(initial=initial, initial_hours=hours)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "chat/settings.html",
        {
            "form": form,
            "can_edit": can_edit,
            "open_now": _open_now(account, current, hours),
        },
        status=400 if form.errors else 200,
    )


def _open_now(account, current, hours) -> bool | None:
    """Whether the account is open now; None when hours are off."""
    if not current.business_hours_enabled:
        return None
    return off_hours_period_start(hours, tz=account.tz, at=timezone.now()) is None


# --- Response mode (応答設定) ---------------------------------------------------


@account_view()
def response_settings(request):
    """``/manager/<slug>/response/``: LINE's chat / bot switches on one page.

    Members with the send right change chat, auto-response and greeting;
    the webhook switch needs the API right (admins), like the webhook page.
    """
    account = request.account
    can_edit = role_has(request.membership.role, Perm.SEND)
    can_webhook = role_has(request.membership.role, Perm.MANAGE_API)
    mode = selectors.response_mode_get(account=account)
    initial = {
        "chat": mode.chat,
        "auto_response": mode.auto_response,
        "greeting": mode.greeting,
        "webhook": mode.webhook,
    }
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = ResponseModeForm(request.POST, initial=initial)
        if not can_webhook:
            form.fields["webhook"].disabled = True
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.response_mode_set(
                    account=account,
                    actor=request.user,
                    chat=data["chat"],
                    auto_response=data["auto_response"],
                    greeting=data["greeting"],
                    webhook=data["webhook"] if can_webhook else None,
                )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("Response settings saved."))
                return redirect("response:settings", account_slug=account.slug)
    else:
        form = ResponseModeForm(initial=initial)
    for name, field in form.fields.items():
        if not can_edit or (name == "webhook" and not can_webhook):
            field.disabled = True
    return render(
        request,
        "chat/response_settings.html",
        {"form": form, "mode": mode, "can_edit": can_edit},
        status=400 if form.errors else 200,
    )
