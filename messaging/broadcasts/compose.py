"""Composing broadcasts: bubble checks, drafts, copies, deletion."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError, NotFound
from messaging.audience.conditions import segment_clean
from messaging.audience.models import Segment
from messaging.broadcasts.models import Broadcast
from messaging.store.bubbles import bubbles_clean

TITLE_MAX = 100


def _title_clean(title: str) -> str:
    title = (title or "").strip()
    if not title:
        msg = _("Give the broadcast a title (only staff see it).")
        raise ApplicationError(msg, {"title": msg})
    if len(title) > TITLE_MAX:
        msg = _("Use at most %(n)d characters.") % {"n": TITLE_MAX}
        raise ApplicationError(msg, {"title": msg})
    return title


def _audience_clean(
    account: OfficialAccount, audience, segment: Segment | None
) -> tuple[dict | None, Segment | None]:
    if segment is not None:
        if segment.account_id != account.pk:
            raise NotFound()
        return None, segment
    if audience is None:
        return None, None
    return segment_clean(account=account, definition=audience), None


# Recipient caps are stored in a 32-bit column.
MAX_RECIPIENTS_LIMIT = 2**31 - 1


def max_recipients_clean(max_recipients) -> int | None:
    """The broadcast's recipient cap: None (no cap) or a whole number ≥ 1.

    The one check for saving and for the live estimate; raises
    ``ApplicationError`` (on the ``max_recipients`` field) otherwise.
    """
    if max_recipients in (None, ""):
        return None
    try:
        value = int(str(max_recipients).strip())
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_RECIPIENTS_LIMIT:
        msg = _("The maximum number of recipients must be a whole number above 0.")
        raise ApplicationError(msg, {"max_recipients": msg})
    return value


@transaction.atomic
def broadcast_save(
    *,
    account: OfficialAccount,
    actor: User,
    title: str,
    messages: list[dict],
    audience: dict | None = None,
    segment: Segment | None = None,
    max_recipients: int | None = None,
    broadcast: Broadcast | None = None,
) -> Broadcast:
    """Create a draft, or change one that has not been scheduled or sent.

    ``audience`` is a segment definition (None with no ``segment``: all
    friends). Raises ``ApplicationError`` for bad input or when the
    broadcast is no longer a draft (someone sent or scheduled it).
    """
    title = _title_clean(title)
    messages = bubbles_clean(account=account, messages=messages)
    audience, segment = _audience_clean(account, audience, segment)
    max_recipients = max_recipients_clean(max_recipients)
    fields = {
        "title": title,
        "messages": messages,
        "audience": audience,
        "segment": segment,
        "max_recipients": max_recipients,
    }
    if broadcast is None:
        broadcast = Broadcast.objects.create(
            account=account, created_by=actor, **fields
        )
        action = "broadcast.create"
    else:
        if broadcast.account_id != account.pk:
            raise NotFound()
        locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if locked.status != Broadcast.Status.DRAFT:
            raise ApplicationError(
                _(
                    "This broadcast was already scheduled or sent; it can no longer "
                    "be edited. Copy it to a new draft instead."
                )
            )
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*fields, "updated_at"])
        broadcast = locked
        action = "broadcast.update"
    audit_record(
        account=account,
        actor=actor,
        action=action,
        target=broadcast.title,
        data={"broadcast_id": broadcast.pk},
    )
    return broadcast


@transaction.atomic
def broadcast_copy(*, broadcast: Broadcast, actor: User) -> Broadcast:
    """A new draft with the same bubbles and audience.

    Raises ``ApplicationError`` for a Messaging API send: its messages may be
    of kinds the composer cannot edit (Flex, templates…).
    """
    if broadcast.origin != Broadcast.Origin.MANAGER:
        raise ApplicationError(
            _("A message sent through the Messaging API cannot be copied.")
        )
    copy = Broadcast.objects.create(
        account_id=broadcast.account_id,
        title=(_("Copy of %(title)s") % {"title": broadcast.title})[:TITLE_MAX],
        messages=broadcast.messages,
        audience=broadcast.audience,
        segment=broadcast.segment,
        max_recipients=broadcast.max_recipients,
        created_by=actor,
    )
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.copy",
        target=copy.title,
        data={"from": broadcast.pk, "broadcast_id": copy.pk},
    )
    return copy


@transaction.atomic
def broadcast_delete(*, broadcast: Broadcast, actor: User) -> None:
    """Delete a draft (only drafts: the rest is history)."""
    locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
    if locked.status != Broadcast.Status.DRAFT:
        raise ApplicationError(_("Only drafts can be deleted."))
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.delete",
        target=locked.title,
        data={"broadcast_id": locked.pk},
    )
    locked.delete()
