"""Writes on saved segments (Manager > Broadcasts > Segments).

Here rather than in ``messaging.audience`` because a segment in use by a
scheduled broadcast cannot be deleted.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError, NotFound
from messaging.audience.conditions import segment_clean
from messaging.audience.models import Segment
from messaging.broadcasts.models import Broadcast

SEGMENT_NAME_MAX = 60


@transaction.atomic
def segment_save(
    *,
    account: OfficialAccount,
    actor: User,
    name: str,
    definition: dict,
    segment: Segment | None = None,
) -> Segment:
    """Save a reusable audience under a unique name (new or changed)."""
    name = (name or "").strip()
    if not name or len(name) > SEGMENT_NAME_MAX:
        msg = _("Give the segment a name of at most %(n)d characters.") % {
            "n": SEGMENT_NAME_MAX
        }
        raise ApplicationError(msg, {"name": msg})
    definition = segment_clean(account=account, definition=definition)
    clash = Segment.objects.filter(account=account, name=name)
    if segment is not None:
        if segment.account_id != account.pk:
            raise NotFound()
        clash = clash.exclude(pk=segment.pk)
    if clash.exists():
        msg = _("A segment with this name already exists.")
        raise ApplicationError(msg, {"name": msg})
    if segment is None:
        segment = Segment.objects.create(
            account=account, name=name, definition=definition, created_by=actor
        )
    else:
        segment.name = name
        segment.definition = definition
        segment.save(update_fields=["name", "definition", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action="segment.save",
        target=name,
        data={"segment_id": segment.pk},
    )
    return segment


@transaction.atomic
def segment_delete(*, account: OfficialAccount, actor: User, segment: Segment) -> None:
    """Delete a saved segment; drafts using it keep its conditions inline.

    Refused while a scheduled broadcast uses it; a broadcast that already
    started keeps the definition it used.
    """
    if segment.account_id != account.pk:
        raise NotFound()
    in_use = Broadcast.objects.filter(
        segment=segment, status=Broadcast.Status.SCHEDULED
    ).exists()
    if in_use:
        raise ApplicationError(
            _("A scheduled broadcast uses this segment; cancel it first.")
        )
    Broadcast.objects.filter(segment=segment, status=Broadcast.Status.DRAFT).update(
        audience=segment.definition, segment=None
    )
    name = segment.name
    segment.delete()
    audit_record(account=account, actor=actor, action="segment.delete", target=name)
