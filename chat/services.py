"""Writes of the chat inbox: customer messages, replies, status, settings.

Messages are stored by ``messaging.store.services`` (the one message store);
this module keeps each friend's ``Conversation`` in step and publishes
``conversation.updated`` (``chat.events``). Rules are in docs/chat.md.

Lock order, to rule out deadlocks between a customer message and a staff
reply arriving together: the ``Friend`` row first, then the
``Conversation`` row. Services that touch only the conversation lock only
it.
"""

import datetime as dt
import re
import secrets

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, OfficialAccount, User
from accounts.services import audit_record
from chat import selectors
from chat.events import conversation_publish
from chat.models import (
    AwayMessageSent,
    BusinessHours,
    CannedReply,
    ChatSettings,
    Conversation,
    ResponseTime,
)
from core.exceptions import ApplicationError, NotFound
from core.images import (
    PHOTO,
    PREVIEW_SIDE,
    image_check,
    image_original,
    image_preview,
)
from core.selectors import get_or_not_found
from core.services import model_update
from core.text import text_storable
from messaging.automation.services import greeting_enabled_set
from messaging.friends.models import Friend, FriendNote, Tag
from messaging.friends.services import (
    friend_note_add,
    friend_tag_add,
    friend_tag_remove,
)
from messaging.store.checks import MAX_TEXT, text_length
from messaging.store.coupons import coupon_is_open
from messaging.store.models import Message
from messaging.store.services import messages_mark_read, messages_send
from messaging.store.stickers import sticker_get
from messaging.store.validators import messages_validate
from messaging.webhooks.services import WebhookUrlInvalid, webhook_endpoint_set

CANNED_TITLE_MAX = 50
CANNED_SHORTCUT_RE = re.compile(r"^[a-z0-9_-]{1,20}$")
# Open intervals per weekday; a day split more finely than this is a typo.
HOURS_PER_DAY_MAX = 6
# Snoozes woken per batch by the beat task (one UPDATE, one event each).
WAKE_BATCH_SIZE = 500


class ReplyWindowClosed(ApplicationError):
    """The customer is not a friend and wrote more than 7 days ago."""


def _now() -> dt.datetime:
    return timezone.now()


def _check_not_suspended(account: OfficialAccount) -> None:
    if account.is_suspended:
        raise ApplicationError(
            _("This account is suspended by the operator and cannot send messages.")
        )


def _lock(account: OfficialAccount, conversation_id) -> Conversation:
    """The account's conversation, locked; ``NotFound`` for any other id."""
    return get_or_not_found(
        Conversation.objects.select_for_update().filter(account=account),
        pk=conversation_id,
    )


def _save(conversation: Conversation, *fields: str) -> None:
    conversation.updated_at = _now()
    conversation.save(update_fields=[*fields, "updated_at"])


# --- Customer messages ------------------------------------------------------


def conversation_customer_message(
    *, friend: Friend, at: dt.datetime
) -> tuple[Conversation, str]:
    """Bring the friend's conversation to the inbox for a customer message.

    Creates the conversation on the first message; otherwise sets it to
    "needs action", wakes it from a snooze and, if nobody was waiting yet,
    starts the waiting period. The caller holds the ``Friend`` row lock
    (lock order: friend, then conversation). Returns the conversation and
    the change to publish (``"created"`` or ``"customer_message"``).
    """
    conversation = (
        Conversation.objects.select_for_update().filter(friend=friend).first()
    )
    if conversation is None:
        conversation = Conversation.objects.create(
            account_id=friend.account_id,
            friend=friend,
            status=Conversation.Status.NEEDS_ACTION,
            waiting_since=at,
            last_message_at=at,
            last_customer_message_at=at,
            unread_count=1,
            created_at=at,
            updated_at=at,
        )
        return conversation, "created"
    conversation.status = Conversation.Status.NEEDS_ACTION
    conversation.snoozed_until = None
    if conversation.waiting_since is None:
        conversation.waiting_since = at
    conversation.last_message_at = at
    conversation.last_customer_message_at = at
    conversation.unread_count += 1  # the row is locked
    _save(
        conversation,
        "status",
        "snoozed_until",
        "waiting_since",
        "last_message_at",
        "last_customer_message_at",
        "unread_count",
    )
    return conversation, "customer_message"


def away_message_send_once(
    *,
    friend: Friend,
    conversation: Conversation,
    at: dt.datetime,
    chat_settings: ChatSettings | None = None,
) -> None:
    """Send the away message outside business hours or while chat is off
    (free of quota), at most once per conversation per period
    (docs/chat.md). ``chat_settings`` saves a query when already read."""
    account = friend.account
    away = selectors.away_message_due(
        account=account, at=at, chat_settings=chat_settings
    )
    if away is None:
        return
    _sent, created = AwayMessageSent.objects.get_or_create(
        conversation=conversation,
        period_start=away.period_start,
        defaults={"sent_at": at},
    )
    if not created:
        return
    messages_send(
        account=account,
        friends=[friend],
        messages=[{"type": "text", "text": away.text}],
        source=Message.Source.AWAY,
    )


# --- Staff replies ----------------------------------------------------------


def _reply_clean(message: dict, *, account_id: int) -> dict:
    """The message object of a staff reply, or ``ApplicationError``.

    Staff send text (1 to 5,000 characters), the talk app's stickers,
    images stored by ``chat_image_send``, or a running coupon of the
    account.
    """
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApplicationError(
                _("Type a message first."), {"text": _("Type a message first.")}
            )
        if not text_storable(text):
            msg = _("The message contains a character that cannot be sent.")
            raise ApplicationError(msg, {"text": msg})
        if text_length(text) > MAX_TEXT:
            msg = _("A message can be at most %(max)s characters long.") % {
                "max": MAX_TEXT
            }
            raise ApplicationError(msg, {"text": msg})
        return {"type": "text", "text": text}
    if kind == "sticker":
        package_id = str(message.get("packageId", ""))
        sticker_id = str(message.get("stickerId", ""))
        if sticker_get(package_id, sticker_id) is None:
            raise ApplicationError(_("There is no such sticker."))
        return {"type": "sticker", "packageId": package_id, "stickerId": sticker_id}
    if kind == "image":
        clean = {
            "type": "image",
            "originalContentUrl": message.get("originalContentUrl"),
            "previewImageUrl": message.get("previewImageUrl"),
        }
        messages_validate([clean], max_count=1)
        return clean
    if kind == "coupon":
        coupon_id = message.get("couponId")
        if not coupon_is_open(account_id, coupon_id):
            raise ApplicationError(_("Choose a coupon that is running."))
        return {"type": "coupon", "couponId": coupon_id}
    raise ApplicationError(_("Send a text, a sticker or an image."))


@transaction.atomic
def chat_message_send(
    *,
    account: OfficialAccount,
    actor: User,
    conversation_id: int,
    message: dict,
) -> Message:
    """Send a staff reply (text, sticker or image) in a conversation.

    Free of quota, like every Manager chat reply on LINE. A customer who
    is not (or no longer) a friend can be answered only within 7 days of
    their last message (``ReplyWindowClosed`` after that). The first reply
    after customer messages ends their waiting period and records its
    response time.
    """
    _check_not_suspended(account)
    message = _reply_clean(message, account_id=account.pk)
    found = selectors.conversation_get(account=account, conversation_id=conversation_id)
    friend = Friend.objects.select_for_update().get(pk=found.friend_id)
    conversation = _lock(account, found.pk)
    now = _now()
    window = selectors.reply_window(
        account=account, conversation=conversation, friend=friend, now=now
    )
    if not window.open:
        raise ReplyWindowClosed(window.reason)
    # The reply window above already allowed a friend who blocked the
    # account (7 days after their last message), so include them.
    [row] = messages_send(
        account=account,
        friends=[friend],
        messages=[message],
        source=Message.Source.CHAT,
        sent_by=actor,
        include_blocked=True,
    )
    fields = ["last_message_at"]
    conversation.last_message_at = row.created_at
    if conversation.waiting_since is not None:
        seconds = max(
            0, int((row.created_at - conversation.waiting_since).total_seconds())
        )
        ResponseTime.objects.create(
            account=account,
            conversation=conversation,
            waiting_since=conversation.waiting_since,
            responded_at=row.created_at,
            seconds=seconds,
            responder=actor,
        )
        conversation.first_response_at = row.created_at
        conversation.first_response_seconds = seconds
        conversation.waiting_since = None
        fields += ["first_response_at", "first_response_seconds", "waiting_since"]
    _save(conversation, *fields)
    conversation_publish(conversation, change="reply")
    return row


def chat_image_send(
    *, account: OfficialAccount, actor: User, conversation_id: int, upload
) -> Message:
    """Send a JPEG/PNG photo (at most 10 MB) as a staff reply.

    The upload is decoded completely before anything is written; the
    original and a preview are stored under ``chat/`` and the image message
    points at their served URLs. Not atomic itself: the files are written
    before (and removed if) the reply's transaction fails.
    """
    _check_not_suspended(account)
    conversation = selectors.conversation_get(
        account=account, conversation_id=conversation_id
    )
    window = selectors.reply_window(
        account=account, conversation=conversation, friend=conversation.friend
    )
    if not window.open:
        raise ReplyWindowClosed(window.reason)
    checked = image_check(upload, use=PHOTO)
    stem = secrets.token_hex(8)
    ext = "png" if checked.format == "PNG" else "jpg"
    folder = timezone.now().strftime("chat/%Y/%m/")
    original = image_original(upload, checked, name=stem)
    names = [default_storage.save(f"{folder}{stem}.{ext}", original)]
    try:
        preview = image_preview(checked, side=PREVIEW_SIDE, name=stem)
        names.append(default_storage.save(f"{folder}{preview.name}", preview))
        return chat_message_send(
            account=account,
            actor=actor,
            conversation_id=conversation.pk,
            message={
                "type": "image",
                "originalContentUrl": default_storage.url(names[0]),
                "previewImageUrl": default_storage.url(names[1]),
            },
        )
    except Exception:
        for name in names:
            default_storage.delete(name)
        raise


# --- Conversation state -------------------------------------------------------


@transaction.atomic
def conversation_mark_read(
    *, account: OfficialAccount, conversation_id: int, up_to_id: int | None = None
) -> int:
    """Staff saw the conversation: its customer messages become 既読.

    Only messages up to ``up_to_id`` (the last one shown) when given, so a
    message that arrived after the page showed stays unread; the unread
    count becomes the number of customer messages still unread. Returns
    how many messages were marked; publishes only on a change. Raises
    ``NotFound`` for another account's conversation.
    """
    conversation = _lock(account, conversation_id)
    friend = Friend.objects.get(pk=conversation.friend_id)
    count = messages_mark_read(friend=friend, up_to_id=up_to_id)
    unread = 0
    if up_to_id is not None:
        unread = Message.objects.filter(
            friend=friend, direction=Message.Direction.INBOUND, read_at=None
        ).count()
    if conversation.unread_count != unread or count:
        conversation.unread_count = unread
        _save(conversation, "unread_count")
        conversation_publish(conversation, change="read")
    return count


@transaction.atomic
def conversation_set_status(
    *, account: OfficialAccount, actor: User, conversation_id: int, status: str
) -> Conversation:
    """Mark a conversation "needs action" or "done" (either clears a snooze).

    Done also ends the customer's waiting period, without a response time:
    nobody is waiting for an answer to a closed matter.
    """
    if status not in (Conversation.Status.NEEDS_ACTION, Conversation.Status.DONE):
        raise ApplicationError(_("Choose a valid status."))
    conversation = _lock(account, conversation_id)
    if conversation.status == status:
        return conversation
    conversation.status = status
    conversation.snoozed_until = None
    fields = ["status", "snoozed_until"]
    if status == Conversation.Status.DONE:
        conversation.waiting_since = None
        fields.append("waiting_since")
    _save(conversation, *fields)
    conversation_publish(conversation, change="status")
    return conversation


@transaction.atomic
def conversation_snooze(
    *,
    account: OfficialAccount,
    actor: User,
    conversation_id: int,
    until: dt.datetime | None,
) -> Conversation:
    """Hide a conversation until ``until``, or until the customer's next
    message when ``until`` is None. ``until`` must be in the future."""
    if until is not None:
        if timezone.is_naive(until):
            raise ApplicationError(_("Give the snooze time with a time zone."))
        if until <= _now():
            msg = _("Choose a time in the future.")
            raise ApplicationError(msg, {"until": msg})
    conversation = _lock(account, conversation_id)
    conversation.status = Conversation.Status.SNOOZED
    conversation.snoozed_until = until
    _save(conversation, "status", "snoozed_until")
    conversation_publish(conversation, change="snooze")
    return conversation


def conversations_wake_due(*, now: dt.datetime | None = None) -> int:
    """Bring back every snoozed conversation whose time has come.

    Safe to run twice or concurrently: each batch claims its rows with
    ``SKIP LOCKED`` and re-checks them under the lock. Returns how many
    conversations woke.
    """
    now = now or _now()
    woken = 0
    while True:
        with transaction.atomic():
            batch = list(
                Conversation.objects.select_for_update(skip_locked=True)
                .filter(
                    status=Conversation.Status.SNOOZED,
                    snoozed_until__isnull=False,
                    snoozed_until__lte=now,
                )
                .order_by("snoozed_until", "id")[:WAKE_BATCH_SIZE]
            )
            if not batch:
                return woken
            stamp = _now()
            Conversation.objects.filter(pk__in=[c.pk for c in batch]).update(
                status=Conversation.Status.NEEDS_ACTION,
                snoozed_until=None,
                updated_at=stamp,
            )
            for conversation in batch:
                conversation.status = Conversation.Status.NEEDS_ACTION
                conversation.snoozed_until = None
                conversation.updated_at = stamp
                conversation_publish(conversation, change="woke")
            woken += len(batch)


@transaction.atomic
def conversation_assign(
    *,
    account: OfficialAccount,
    actor: User,
    conversation_id: int,
    assignee_id: int | None,
) -> Conversation:
    """Assign the conversation to a staff member of the account, or nobody.

    Anyone who is not a member of ``account`` is refused, whatever else
    they may be.
    """
    assignee = None
    if assignee_id is not None:
        membership = (
            Membership.objects.select_related("user")
            .filter(account=account, user_id=assignee_id)
            .first()
        )
        if membership is None:
            msg = _("Choose a staff member of this account.")
            raise ApplicationError(msg, {"assignee": msg})
        assignee = membership.user
    conversation = _lock(account, conversation_id)
    if conversation.assignee_id == assignee_id:
        return conversation
    conversation.assignee = assignee
    _save(conversation, "assignee")
    audit_record(
        account=account,
        actor=actor,
        action="conversation.assign",
        target=str(conversation.pk),
        data={"assignee": assignee.username if assignee else None},
    )
    conversation_publish(conversation, change="assignee")
    return conversation


@transaction.atomic
def conversation_note_add(
    *, account: OfficialAccount, actor: User, conversation_id: int, body: str
) -> FriendNote:
    """An internal note on the customer (``messaging.FriendNote``).

    Notes belong to the friend, so the friends page shows them too; they
    are never sent to the customer.
    """
    conversation = _lock(account, conversation_id)
    note = friend_note_add(
        account=account, actor=actor, friend=conversation.friend, body=body
    )
    _save(conversation)
    conversation_publish(conversation, change="note")
    return note


@transaction.atomic
def conversation_tag_add(
    *, account: OfficialAccount, actor: User, conversation_id: int, name: str
) -> Tag:
    """Tag the conversation's customer (creating the tag if new)."""
    conversation = _lock(account, conversation_id)
    tag = friend_tag_add(
        account=account, actor=actor, friend=conversation.friend, name=name
    )
    _save(conversation)
    conversation_publish(conversation, change="tags")
    return tag


@transaction.atomic
def conversation_tag_remove(
    *, account: OfficialAccount, actor: User, conversation_id: int, tag: Tag
) -> None:
    conversation = _lock(account, conversation_id)
    friend_tag_remove(account=account, actor=actor, friend=conversation.friend, tag=tag)
    _save(conversation)
    conversation_publish(conversation, change="tags")


# --- Canned replies -----------------------------------------------------------


def _canned_clean(
    account: OfficialAccount,
    *,
    title: str,
    text: str,
    shortcut: str,
    exclude_id: int | None = None,
) -> tuple[str, str, str]:
    title = (title or "").strip()
    shortcut = (shortcut or "").strip().lstrip("/").lower()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Enter a title.")
    elif len(title) > CANNED_TITLE_MAX:
        errors["title"] = _("Use at most %(n)d characters.") % {"n": CANNED_TITLE_MAX}
    if not (text or "").strip():
        errors["text"] = _("Write the reply.")
    elif text_length(text) > MAX_TEXT:
        errors["text"] = _("Use at most %(n)d characters.") % {"n": MAX_TEXT}
    if shortcut:
        if not CANNED_SHORTCUT_RE.fullmatch(shortcut):
            errors["shortcut"] = _(
                "Use 1 to 20 lowercase letters, digits, hyphens or underscores."
            )
        elif (
            CannedReply.objects.filter(account=account, shortcut=shortcut)
            .exclude(pk=exclude_id)
            .exists()
        ):
            errors["shortcut"] = _("Another canned reply uses this shortcut.")
    if errors:
        raise ApplicationError(next(iter(errors.values())), errors)
    return title, text, shortcut


@transaction.atomic
def canned_reply_create(
    *, account: OfficialAccount, actor: User, title: str, text: str, shortcut: str = ""
) -> CannedReply:
    title, text, shortcut = _canned_clean(
        account, title=title, text=text, shortcut=shortcut
    )
    try:
        with transaction.atomic():
            reply = CannedReply.objects.create(
                account=account, title=title, text=text, shortcut=shortcut
            )
    except IntegrityError:  # the same shortcut saved concurrently
        msg = _("Another canned reply uses this shortcut.")
        raise ApplicationError(msg, {"shortcut": msg}) from None
    audit_record(
        account=account, actor=actor, action="canned_reply.create", target=title
    )
    return reply


@transaction.atomic
def canned_reply_update(
    *,
    account: OfficialAccount,
    actor: User,
    reply: CannedReply,
    title: str,
    text: str,
    shortcut: str = "",
) -> CannedReply:
    """Save a canned reply's title, text and shortcut; audited.

    Returns the reply. Raises ``NotFound`` for another account's reply and
    ``ApplicationError`` for a bad title, text or a shortcut in use.
    """
    if reply.account_id != account.pk:
        raise NotFound()
    title, text, shortcut = _canned_clean(
        account, title=title, text=text, shortcut=shortcut, exclude_id=reply.pk
    )
    try:
        with transaction.atomic():
            model_update(
                instance=reply,
                fields=["title", "text", "shortcut"],
                data={"title": title, "text": text, "shortcut": shortcut},
            )
    except IntegrityError:
        msg = _("Another canned reply uses this shortcut.")
        raise ApplicationError(msg, {"shortcut": msg}) from None
    audit_record(
        account=account, actor=actor, action="canned_reply.update", target=title
    )
    return reply


@transaction.atomic
def canned_reply_delete(
    *, account: OfficialAccount, actor: User, reply: CannedReply
) -> None:
    """Delete a canned reply; audited. ``NotFound`` for another account's."""
    if reply.account_id != account.pk:
        raise NotFound()
    title = reply.title
    reply.delete()
    audit_record(
        account=account, actor=actor, action="canned_reply.delete", target=title
    )


# --- Business hours and the away message ---------------------------------------


def _intervals_clean(
    intervals: list[tuple[int, int, int]],
) -> list[tuple[int, int, int]]:
    cleaned = sorted(set(intervals))
    by_day: dict[int, list[tuple[int, int]]] = {}
    for weekday, opens, closes in cleaned:
        if weekday not in range(7):
            raise ApplicationError(_("Choose a day of the week."))
        if not (0 <= opens < closes <= 1440):
            msg = _("Each interval must open before it closes (00:00 to 24:00).")
            raise ApplicationError(msg, {"hours": msg})
        by_day.setdefault(weekday, []).append((opens, closes))
    for weekday, spans in by_day.items():
        if len(spans) > HOURS_PER_DAY_MAX:
            msg = _("Use at most %(n)d intervals per day.") % {"n": HOURS_PER_DAY_MAX}
            raise ApplicationError(msg, {"hours": msg})
        for (_o1, c1), (o2, _c2) in zip(spans, spans[1:], strict=False):
            if o2 < c1:
                msg = _("Intervals of %(day)s overlap.") % {
                    "day": BusinessHours.Weekday(weekday).label
                }
                raise ApplicationError(msg, {"hours": msg})
    return cleaned


@transaction.atomic
def chat_settings_update(
    *,
    account: OfficialAccount,
    actor: User,
    business_hours_enabled: bool,
    away_message_enabled: bool,
    away_message: str,
    intervals: list[tuple[int, int, int]],
) -> ChatSettings:
    """Save response hours and the away message; replaces every interval.

    ``intervals`` are ``(weekday, opens_minute, closes_minute)`` in the
    account's time zone, Monday = 0, minutes 0 to 1440. Several per day are
    fine; overlapping ones are refused. Nothing is saved on any error.
    """
    intervals = _intervals_clean(intervals)
    away_message = (away_message or "").strip()
    if away_message_enabled and not away_message:
        msg = _("Write the away message, or turn it off.")
        raise ApplicationError(msg, {"away_message": msg})
    if text_length(away_message) > MAX_TEXT:
        msg = _("Use at most %(n)d characters.") % {"n": MAX_TEXT}
        raise ApplicationError(msg, {"away_message": msg})
    chat_settings, _created = ChatSettings.objects.update_or_create(
        account=account,
        defaults={
            "business_hours_enabled": business_hours_enabled,
            "away_message_enabled": away_message_enabled,
            "away_message": away_message,
            "updated_at": _now(),
        },
    )
    BusinessHours.objects.filter(account=account).delete()
    BusinessHours.objects.bulk_create(
        BusinessHours(account=account, weekday=w, opens_minute=o, closes_minute=c)
        for w, o, c in intervals
    )
    audit_record(
        account=account,
        actor=actor,
        action="chat_settings.update",
        target=account.basic_id,
        data={
            "business_hours_enabled": business_hours_enabled,
            "away_message_enabled": away_message_enabled,
            "intervals": len(intervals),
        },
    )
    return chat_settings


@transaction.atomic
def response_mode_set(
    *,
    account: OfficialAccount,
    actor: User,
    chat: bool,
    auto_response: bool,
    greeting: bool,
    webhook: bool | None,
) -> selectors.ResponseMode:
    """Set LINE's response switches (応答設定) together; all or nothing.

    ``webhook=None`` leaves the webhook switch as it is (for roles that may
    not change API settings). Refuses with ``ApplicationError`` (details
    keyed ``greeting`` or ``webhook``) to turn on a greeting with no bubble
    or a webhook with no URL; then nothing is saved. Turning chat off starts
    a new away period (``chat_off_since``). One audit entry
    ``response_mode.update`` with the new values.
    """
    settings, _created = ChatSettings.objects.select_for_update().get_or_create(
        account=account
    )
    if settings.chat_enabled and not chat:
        settings.chat_off_since = _now()
    elif chat:
        settings.chat_off_since = None
    settings.chat_enabled = chat
    settings.auto_response_enabled = auto_response
    settings.updated_at = _now()
    settings.save()
    greeting_enabled_set(account=account, enabled=greeting)
    if webhook is not None:
        try:
            webhook_endpoint_set(account=account, actor=actor, active=webhook)
        except WebhookUrlInvalid as error:
            raise ApplicationError(error.message, {"webhook": error.message}) from None
    mode = selectors.response_mode_get(account=account)
    audit_record(
        account=account,
        actor=actor,
        action="response_mode.update",
        target=account.basic_id,
        data={
            "chat": mode.chat,
            "auto_response": mode.auto_response,
            "greeting": mode.greeting,
            "webhook": mode.webhook,
        },
    )
    return mode
