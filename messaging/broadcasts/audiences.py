"""Audiences made from broadcasts: click and impression retargeting, and a
saved segment exported as an audience.

Here rather than in ``messaging.audience`` because they read broadcasts'
delivery ledger; the audience itself is written by
``messaging.audience.services.audience_group_create``. Members are the
friends who matched when the audience was made (LINE's audiences are
lists too).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from messaging.audience.conditions import audience_friends
from messaging.audience.models import AudienceGroup, Segment
from messaging.audience.services import AudienceError, audience_group_create
from messaging.broadcasts.models import Broadcast, Delivery, LinkClick
from messaging.friends.models import Friend

RETARGET_WINDOW = dt.timedelta(days=60)


def _api_send(account: OfficialAccount, request_id: str) -> Broadcast:
    """The account's API broadcast or narrowcast of the last 60 days."""
    broadcast = Broadcast.objects.filter(
        account=account,
        request_id=request_id,
        origin__in=[Broadcast.Origin.API_NARROWCAST, Broadcast.Origin.API_BROADCAST],
        created_at__gt=timezone.now() - RETARGET_WINDOW,
    ).first()
    if broadcast is None:
        raise AudienceError("request not found", "REQUEST_NOT_FOUND")
    return broadcast


def _user_ids(friend_ids) -> list[str]:
    return list(
        Friend.objects.filter(pk__in=friend_ids)
        .order_by("pk")
        .values_list("line_user__user_id", flat=True)
    )


@transaction.atomic
def audience_click_create(
    *,
    account: OfficialAccount,
    description: str,
    request_id: str,
    click_url: str = "",
) -> AudienceGroup:
    """Friends who clicked a link of an earlier API send (``click_url``:
    only that link; empty: any link)."""
    broadcast = _api_send(account, request_id)
    if click_url:
        friend_ids = LinkClick.objects.filter(
            link__broadcast=broadcast, link__url=click_url
        ).values_list("friend_id", flat=True)
    else:
        friend_ids = Delivery.objects.filter(
            broadcast=broadcast, clicked_at__isnull=False
        ).values_list("friend_id", flat=True)
    return audience_group_create(
        account=account,
        description=description,
        type=AudienceGroup.Type.CLICK,
        user_ids=_user_ids(friend_ids),
        request_id=request_id,
        click_url=click_url,
    )


@transaction.atomic
def audience_imp_create(
    *, account: OfficialAccount, description: str, request_id: str
) -> AudienceGroup:
    """Friends who opened (displayed) an earlier API send."""
    broadcast = _api_send(account, request_id)
    friend_ids = Delivery.objects.filter(
        broadcast=broadcast,
        status=Delivery.Status.SENT,
        message__read_at__isnull=False,
    ).values_list("friend_id", flat=True)
    return audience_group_create(
        account=account,
        description=description,
        type=AudienceGroup.Type.IMP,
        user_ids=_user_ids(friend_ids),
        request_id=request_id,
    )


@transaction.atomic
def segment_export_audience(
    *, account: OfficialAccount, actor: User, segment: Segment
) -> AudienceGroup:
    """The friends a saved segment matches now, as an audience bots can
    narrowcast to (type UPLOAD, route OA_MANAGER, named after the segment)."""
    friend_ids = audience_friends(
        account=account, definition=segment.definition, now=timezone.now()
    ).values_list("pk", flat=True)
    group = audience_group_create(
        account=account,
        description=segment.name,
        user_ids=_user_ids(friend_ids),
        create_route=AudienceGroup.Route.OA_MANAGER,
        upload_description=f"segment:{segment.pk}",
    )
    audit_record(
        account=account,
        actor=actor,
        action="audience.export",
        target=segment.name,
        data={"segment_id": segment.pk, "audience_id": group.pk},
    )
    return group
