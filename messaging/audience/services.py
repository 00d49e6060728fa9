"""Writes on LINE audiences (``AudienceGroup``): upload, add, rename, delete.

Audiences made from an earlier broadcast (click, impression) and from a
saved segment are made in ``messaging.broadcasts.audiences``, which knows
broadcasts; they share ``audience_group_create`` below.

Errors are ``AudienceError`` with LINE's code (``code``) and message; the
API answers them as LINE's 400 body (``{"message", "details": [{"message":
code}]}``), the Manager shows ``message``.
"""

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from core.exceptions import ApplicationError
from messaging.audience.models import AudienceGroup, AudienceJob, AudienceMember

MAX_AUDIENCES = 1000  # per account
MAX_IDS_PER_UPLOAD = 1_500_000  # a file; a JSON body takes 10,000
MAX_IDS_PER_JSON = 10_000
MAX_DESCRIPTION = 120
MIN_RECIPIENTS = 50  # a click or impression audience below this cannot be used
_USER_ID = re.compile(r"U[0-9a-f]{32}")
_IFA = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_INSERT_BATCH = 5000


class AudienceError(ApplicationError):
    """LINE's audience error: ``code`` (such as ``AUDIENCE_GROUP_NOT_FOUND``)."""

    def __init__(self, message: str, code: str):
        super().__init__(message, {"audience": message})
        self.code = code


def not_found() -> AudienceError:
    return AudienceError("audience group not found", "AUDIENCE_GROUP_NOT_FOUND")


def _check_description(description: str) -> str:
    description = (description or "").strip()
    if not description:
        raise AudienceError(
            str(_("Give the audience a name.")), "AUDIENCE_GROUP_NAME_WRONG"
        )
    if len(description) > MAX_DESCRIPTION:
        raise AudienceError(
            str(_("An audience name has at most 120 characters.")),
            "AUDIENCE_GROUP_NAME_SIZE_OVER",
        )
    return description


def audience_ids_clean(raw: Iterable[str], *, is_ifa: bool) -> list[str]:
    """Distinct, well-formed user IDs (or IFAs), in upload order.

    Blank entries are skipped; a malformed one refuses the whole upload.
    """
    pattern = _IFA if is_ifa else _USER_ID
    seen: dict[str, None] = {}
    for value in raw:
        value = (value or "").strip()
        if not value:
            continue
        if not pattern.fullmatch(value):
            raise AudienceError(
                "invalid audience id format",
                "UPLOAD_AUDIENCE_GROUP_INVALID_AUDIENCE_ID_FORMAT",
            )
        seen[value.lower() if is_ifa else value] = None
        if len(seen) > MAX_IDS_PER_UPLOAD:
            raise _too_many()
    return list(seen)


def _too_many() -> AudienceError:
    return AudienceError(
        "too many audience ids", "UPLOAD_AUDIENCE_GROUP_TOO_MANY_AUDIENCE_IDS"
    )


def _members_add(group: AudienceGroup, user_ids: list[str]) -> int:
    """Insert the new members; returns how many were new."""
    before = group.audience_count
    for start in range(0, len(user_ids), _INSERT_BATCH):
        AudienceMember.objects.bulk_create(
            [
                AudienceMember(group=group, user_id=user_id)
                for user_id in user_ids[start : start + _INSERT_BATCH]
            ],
            ignore_conflicts=True,
        )
    group.audience_count = AudienceMember.objects.filter(group=group).count()
    group.save(update_fields=["audience_count"])
    return group.audience_count - before


@transaction.atomic
def audience_group_create(
    *,
    account: OfficialAccount,
    description: str,
    type: str = AudienceGroup.Type.UPLOAD,
    user_ids: list[str],
    is_ifa_audience: bool = False,
    upload_description: str = "",
    create_route: str = AudienceGroup.Route.MESSAGING_API,
    request_id: str = "",
    click_url: str = "",
) -> AudienceGroup:
    """A new READY audience with ``user_ids`` (already cleaned).

    Refused past 1,000 audiences per account (``AUDIENCE_GROUP_COUNT_MAX_OVER``).
    An upload records its job (``jobs`` of the get answer).
    """
    description = _check_description(description)
    # One creator at a time per account, so the limit holds under races.
    OfficialAccount.objects.select_for_update().filter(pk=account.pk).first()
    if AudienceGroup.objects.filter(account=account).count() >= MAX_AUDIENCES:
        raise AudienceError(
            "audience group count max over", "AUDIENCE_GROUP_COUNT_MAX_OVER"
        )
    group = AudienceGroup.objects.create(
        account=account,
        description=description,
        type=type,
        is_ifa_audience=is_ifa_audience,
        create_route=create_route,
        request_id=request_id,
        click_url=click_url,
    )
    added = _members_add(group, user_ids)
    if type == AudienceGroup.Type.UPLOAD:
        AudienceJob.objects.create(
            group=group, description=upload_description[:300], audience_count=added
        )
    return group


def _writable(account: OfficialAccount, group_id: int) -> AudienceGroup:
    group = (
        AudienceGroup.objects.select_for_update()
        .filter(account=account, pk=group_id)
        .first()
    )
    if group is None:
        raise not_found()
    return group


@transaction.atomic
def audience_group_add(
    *,
    account: OfficialAccount,
    group_id: int,
    user_ids: list[str],
    upload_description: str = "",
) -> AudienceGroup:
    """Add cleaned user IDs to an upload audience (one more job)."""
    group = _writable(account, group_id)
    if group.type != AudienceGroup.Type.UPLOAD:
        raise AudienceError(
            "audience group type is not UPLOAD", "AUDIENCE_GROUP_INVALID_TYPE"
        )
    if group.status == AudienceGroup.Status.EXPIRED:
        raise AudienceError(
            "audience group can not upload: status expired",
            "AUDIENCE_GROUP_CAN_NOT_UPLOAD_STATUS_EXPIRED",
        )
    added = _members_add(group, user_ids)
    AudienceJob.objects.create(
        group=group, description=upload_description[:300], audience_count=added
    )
    return group


@transaction.atomic
def audience_group_rename(
    *, account: OfficialAccount, group_id: int, description: str
) -> AudienceGroup:
    group = _writable(account, group_id)
    group.description = _check_description(description)
    group.save(update_fields=["description"])
    return group


@transaction.atomic
def audience_group_delete(*, account: OfficialAccount, group_id: int) -> None:
    """Delete an audience and its members; later narrowcasts naming it are
    refused (``Invalid audience group id``), started ones keep their
    recipients (batches read the members, so they stop matching)."""
    _writable(account, group_id).delete()
