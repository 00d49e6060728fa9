"""Writes on accounts, memberships, invitations and channel credentials.

Every service that a staff member triggers records an ``AuditLog`` row in
the same transaction as the change.
"""

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import quota
from accounts.channel_auth import channel_auth_changed
from accounts.ids import new_basic_id, new_channel_id, new_channel_secret, new_user_id
from accounts.models import (
    AuditLog,
    ChannelAccessToken,
    Invitation,
    Membership,
    OfficialAccount,
    Plan,
    User,
)
from core.exceptions import ApplicationError, NotFound
from core.images import PICTURE, image_check, image_square
from core.selectors import get_or_not_found
from core.services import model_update

PICTURE_LARGE = 640
PICTURE_SMALL = 160

logger = logging.getLogger(__name__)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def audit_record(
    *,
    account: OfficialAccount | None,
    actor: User | None,
    action: str,
    target: str = "",
    data: dict | None = None,
    target_label: str = "",
) -> AuditLog:
    """Append one audit entry. Call inside the service's transaction.

    ``action`` is a code with a label in ``accounts.audit``; ``target`` an
    ID or name; ``target_label`` what staff should read when ``target`` is
    an ID (a friend's display name).
    """
    return AuditLog.objects.create(
        account=account,
        actor=actor,
        action=action,
        target=target[:200],
        target_label=target_label[:200],
        data=data or {},
    )


@transaction.atomic
def account_create(
    *,
    actor: User,
    display_name: str,
    plan: Plan | None = None,
    time_zone: str = "Asia/Tokyo",
    status_message: str = "",
) -> OfficialAccount:
    """Create an account with fresh IDs and credentials; ``actor`` is admin."""
    plan = plan or Plan.objects.get(code=Plan.Code.COMMUNICATION)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                account = OfficialAccount.objects.create(
                    basic_id=new_basic_id(),
                    display_name=display_name,
                    status_message=status_message,
                    time_zone=time_zone,
                    channel_id=new_channel_id(),
                    channel_secret=new_channel_secret(),
                    bot_user_id=new_user_id(),
                    plan=plan,
                )
            break
        except IntegrityError:  # a random ID collided; draw again
            continue
    else:  # pragma: no cover - 36**8 IDs make five collisions implausible
        raise ApplicationError(_("Could not allocate a basic ID; try again."))
    Membership.objects.create(user=actor, account=account, role=Membership.Role.ADMIN)
    audit_record(
        account=account,
        actor=actor,
        action="account.create",
        target=account.basic_id,
        data={"display_name": display_name, "plan": plan.code},
    )
    return account


@transaction.atomic
def account_profile_update(
    *,
    account: OfficialAccount,
    actor: User,
    display_name: str,
    status_message: str,
    time_zone: str,
    allow_group_join: bool | None = None,
) -> OfficialAccount:
    """Save the account's name, status message, time zone and whether it
    may join group chats (``None``: unchanged).

    Returns the account. Only changed fields are written and audited; an
    unchanged form writes nothing.
    """
    data = {
        "display_name": display_name,
        "status_message": status_message,
        "time_zone": time_zone,
        "allow_group_join": (
            account.allow_group_join if allow_group_join is None else allow_group_join
        ),
    }
    changed = {
        name: value for name, value in data.items() if getattr(account, name) != value
    }
    account, updated = model_update(instance=account, fields=[*data], data=data)
    if not updated:
        return account
    audit_record(
        account=account,
        actor=actor,
        action="account.profile_update",
        target=account.basic_id,
        data=changed,
    )
    return account


def account_picture_set(*, account: OfficialAccount, actor: User, upload) -> None:
    """Store a JPEG/PNG profile picture as 640×640 and 160×160 squares.

    The upload is decoded completely before anything is written; a bad file
    raises ``ApplicationError`` and leaves storage and database untouched.
    """
    checked = image_check(upload, use=PICTURE)
    stem = f"{account.slug}-{secrets.token_hex(4)}"
    large = image_square(checked, side=PICTURE_LARGE, name=f"{stem}-640")
    small = image_square(checked, side=PICTURE_SMALL, name=f"{stem}-160")
    old = [f.name for f in (account.picture_large, account.picture_small) if f]
    saved: list[str] = []
    try:
        with transaction.atomic():
            account.picture_large.save(large.name, large, save=False)
            saved.append(account.picture_large.name)
            account.picture_small.save(small.name, small, save=False)
            saved.append(account.picture_small.name)
            account.save(update_fields=["picture_large", "picture_small", "updated_at"])
            audit_record(
                account=account,
                actor=actor,
                action="account.picture_update",
                target=account.basic_id,
            )
    except Exception:
        for name in saved:
            default_storage.delete(name)
        raise
    for name in old:
        default_storage.delete(name)


@transaction.atomic
def account_suspend(
    *, account: OfficialAccount, actor: User | None, reason: str = ""
) -> None:
    OfficialAccount.objects.filter(pk=account.pk).update(
        is_suspended=True, suspended_reason=reason[:200]
    )
    account.is_suspended, account.suspended_reason = True, reason[:200]
    channel_auth_changed()
    audit_record(
        account=account,
        actor=actor,
        action="account.suspend",
        target=account.basic_id,
        data={"reason": reason},
    )


@transaction.atomic
def account_resume(*, account: OfficialAccount, actor: User | None) -> None:
    OfficialAccount.objects.filter(pk=account.pk).update(
        is_suspended=False, suspended_reason=""
    )
    account.is_suspended, account.suspended_reason = False, ""
    channel_auth_changed()
    audit_record(
        account=account, actor=actor, action="account.resume", target=account.basic_id
    )


@transaction.atomic
def account_plan_change(
    *, account: OfficialAccount, actor: User, plan: Plan
) -> dt.date | None:
    """Schedule ``plan`` from the 1st of next month; return that date.

    Choosing the current plan cancels a pending change and returns None.
    """
    if plan.pk == account.plan_id:
        account.next_plan, account.next_plan_from = None, None
        effective = None
    else:
        effective = quota.next_month_start(quota.month_start(account))
        account.next_plan, account.next_plan_from = plan, effective
    account.save(update_fields=["next_plan", "next_plan_from", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action="account.plan_change",
        target=account.basic_id,
        data={
            "plan": plan.code,
            "effective": effective.isoformat() if effective else None,
        },
    )
    return effective


@transaction.atomic
def account_additional_cap_set(
    *, account: OfficialAccount, actor: User, cap: int
) -> None:
    """Set the admin's monthly cap on additional messages (Standard only)."""
    usage = quota.usage_get(account=account)
    if cap and not usage.plan.allows_additional:
        raise ApplicationError(
            _("The %(plan)s plan does not allow additional messages.")
            % {"plan": usage.plan.label},
            details={"additional_cap": "not allowed"},
        )
    model_update(
        instance=account, fields=["additional_cap"], data={"additional_cap": cap}
    )
    quota.usage_limits_refresh(account=account)
    audit_record(
        account=account,
        actor=actor,
        action="account.additional_cap_set",
        target=account.basic_id,
        data={"cap": cap},
    )


@transaction.atomic
def account_quota_override_set(
    *, account: OfficialAccount, actor: User | None, limit: int | None
) -> None:
    """Operator override of the monthly limit; None returns to the plan's."""
    model_update(
        instance=account, fields=["quota_override"], data={"quota_override": limit}
    )
    quota.usage_limits_refresh(account=account)
    audit_record(
        account=account,
        actor=actor,
        action="account.quota_override_set",
        target=account.basic_id,
        data={"limit": limit},
    )


@transaction.atomic
def account_badge_set(
    *, account: OfficialAccount, actor: User | None, badge: str
) -> bool:
    """Set the unverified / verified / premium badge (an operator's call).

    LINE offers some API features (follower IDs, group member IDs) only to
    verified and premium accounts. Raises ``ApplicationError`` for an unknown
    badge; returns whether it changed (only a change is audited).
    """
    if badge not in OfficialAccount.Badge.values:
        raise ApplicationError(_("Unknown badge."), {"badge": badge})
    _account, changed = model_update(
        instance=account, fields=["badge"], data={"badge": badge}
    )
    if changed:
        audit_record(
            account=account,
            actor=actor,
            action="account.badge_set",
            target=account.basic_id,
            data={"badge": badge},
        )
    return changed


# Members and invitations -------------------------------------------------


def _check_member_room(account: OfficialAccount) -> None:
    if account.memberships.count() >= settings.MAX_MEMBERS_PER_ACCOUNT:
        raise ApplicationError(
            _("An account can have at most %(max)s members.")
            % {"max": settings.MAX_MEMBERS_PER_ACCOUNT}
        )


@transaction.atomic
def member_invite(
    *, account: OfficialAccount, actor: User, role: str, email: str = ""
) -> tuple[Invitation, str]:
    """Create a single-use invitation; return it and its secret token."""
    if role not in Membership.Role.values:
        raise ApplicationError(_("Unknown role."), details={"role": role})
    _check_member_room(account)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        account=account,
        role=role,
        email=email,
        token_hash=token_hash(token),
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    audit_record(
        account=account,
        actor=actor,
        action="member.invite",
        target=email or role,
        data={"role": role, "invitation_id": invitation.pk},
    )
    return invitation, token


def invitation_email_send(*, invitation: Invitation, url: str) -> bool:
    """E-mail the invite link to ``invitation.email`` once the caller commits.

    ``url`` is the accept link with the secret token (the page shows the same
    one, so staff can still copy it if mail fails). Sent in the language
    active now; a mail server failure is logged, not raised. Returns whether
    an e-mail was scheduled (False without an address).
    """
    if not invitation.email:
        return False
    subject = _("Invitation to %(account)s on LINE OA Manager") % {
        "account": invitation.account.display_name
    }
    body = render_to_string(
        "emails/invitation.txt", {"invitation": invitation, "url": url}
    )

    def send() -> None:
        try:
            send_mail(subject, body, None, [invitation.email])
        except Exception:  # SMTP errors of every kind; the link is on the page
            logger.warning("invitation e-mail failed", exc_info=True)

    transaction.on_commit(send)
    return True


def quota_warning_email_send(*, usage, threshold: int) -> int:
    """E-mail every admin of ``usage.account`` that ``threshold`` % is used.

    ``usage`` is the month's ``MonthlyUsage`` (with ``account`` and ``plan``);
    ``threshold`` is 80 or 100. Called by ``accounts.quota.quota_warning_send``,
    which makes it once per threshold per month. A Standard account whose
    limit includes an additional-message cap is told the cap is what it
    nears. Returns the number of addresses mailed (0 on a mail error, which is
    logged: the Manager's banner still shows).
    """
    account = usage.account
    emails = list(
        Membership.objects.filter(account=account, role=Membership.Role.ADMIN)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    if not emails:
        return 0
    if threshold >= 100:
        subject = _("%(account)s has sent all of this month's messages") % {
            "account": account.display_name
        }
    else:
        subject = _("%(account)s has used %(percent)s%% of this month's messages") % {
            "account": account.display_name,
            "percent": threshold,
        }
    body = render_to_string(
        "emails/quota_warning.txt",
        {
            "account": account,
            "usage": usage,
            "threshold": threshold,
            "capped": usage.plan.allows_additional
            and usage.limit > usage.plan.free_messages,
            "next_month": quota.next_month_start(usage.month),
            "site_url": settings.SITE_URL,
        },
    )
    try:
        send_mail(subject, body, None, emails)
    except Exception:  # SMTP errors of every kind; the banner still shows
        logger.warning("quota warning e-mail failed", exc_info=True)
        return 0
    return len(emails)


class InvitationInvalid(ApplicationError):
    pass


class InvitationNotYours(ApplicationError):
    """The invitation was sent to another e-mail address than the user's."""


def invitation_check_user(*, invitation: Invitation, user: User) -> None:
    """Raise ``InvitationNotYours`` unless ``user`` may use ``invitation``.

    An invitation sent to an address is for a user with that address
    (compared case-insensitively); one without an address is for whoever
    staff gave the link to.
    """
    if invitation.email and invitation.email.lower() != (user.email or "").lower():
        raise InvitationNotYours(
            _(
                "This invitation was sent to %(email)s. Log in with the account "
                "of that address to accept it."
            )
            % {"email": invitation.email}
        )


def invitation_get(*, token: str) -> Invitation:
    """The invitation for ``token`` if it can still be accepted."""
    invitation = (
        Invitation.objects.select_related("account")
        .filter(token_hash=token_hash(token))
        .first()
    )
    _check_invitation(invitation)
    return invitation


def _check_invitation(invitation: Invitation | None) -> None:
    if invitation is None:
        raise InvitationInvalid(_("This invitation link is not valid."))
    if invitation.accepted_at is not None:
        raise InvitationInvalid(_("This invitation link has already been used."))
    if invitation.revoked_at is not None:
        raise InvitationInvalid(_("This invitation was withdrawn."))
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(
            _("This invitation link expired; ask an admin for a new one.")
        )


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the invitation's account; the link cannot be used again.

    Raises ``InvitationInvalid`` for a used, withdrawn or expired link and
    ``InvitationNotYours`` when it was sent to another address.
    """
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("account")
        .filter(token_hash=token_hash(token))
        .first()
    )
    _check_invitation(invitation)
    invitation_check_user(invitation=invitation, user=user)
    account = OfficialAccount.objects.select_for_update().get(pk=invitation.account_id)
    if account.memberships.filter(user=user).exists():
        raise InvitationInvalid(_("You are already a member of this account."))
    _check_member_room(account)
    membership = Membership.objects.create(
        user=user, account=account, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    audit_record(
        account=account,
        actor=user,
        action="member.join",
        target=user.username,
        data={"role": invitation.role, "invitation_id": invitation.pk},
    )
    return membership


@transaction.atomic
def invitation_revoke(
    *, account: OfficialAccount, actor: User, invitation_id: int
) -> None:
    """Withdraw an open invitation; ``NotFound`` unless one of ``account``."""
    invitation = get_or_not_found(
        Invitation.objects.select_for_update().filter(
            account=account, accepted_at=None
        ),
        pk=invitation_id,
    )
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action="member.invite_revoke",
        target=invitation.email or invitation.role,
        data={"invitation_id": invitation.pk},
    )


def _lock_members(account: OfficialAccount) -> list[Membership]:
    return list(
        Membership.objects.select_for_update()
        .filter(account=account)
        .order_by("pk")
        .select_related("user")
    )


def _check_keeps_an_admin(members: list[Membership], changed: Membership) -> None:
    admins = [m for m in members if m.role == Membership.Role.ADMIN]
    if changed.role == Membership.Role.ADMIN and len(admins) == 1:
        raise ApplicationError(_("An account needs at least one admin."))


@transaction.atomic
def member_role_change(
    *, account: OfficialAccount, actor: User, membership_id: int, role: str
) -> Membership:
    """Give a member another role; audited. Returns the membership.

    Raises ``NotFound`` for a membership of another account and
    ``ApplicationError`` for an unknown role or the last admin's demotion.
    """
    if role not in Membership.Role.values:
        raise ApplicationError(_("Unknown role."), details={"role": role})
    members = _lock_members(account)
    membership = next((m for m in members if m.pk == membership_id), None)
    if membership is None:
        raise NotFound()
    if role == membership.role:
        return membership
    if role != Membership.Role.ADMIN:
        _check_keeps_an_admin(members, membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action="member.role_change",
        target=membership.user.username,
        data={"from": old, "to": role},
    )
    return membership


@transaction.atomic
def member_remove(*, account: OfficialAccount, actor: User, membership_id: int) -> None:
    """Remove a member; audited.

    Raises ``NotFound`` for a membership of another account and
    ``ApplicationError`` for the last admin.
    """
    members = _lock_members(account)
    membership = next((m for m in members if m.pk == membership_id), None)
    if membership is None:
        raise NotFound()
    _check_keeps_an_admin(members, membership)
    membership.delete()
    audit_record(
        account=account,
        actor=actor,
        action="member.remove",
        target=membership.user.username,
        data={"role": membership.role},
    )


# Channel access tokens ---------------------------------------------------

# LINE: "up to 30 short-lived channel access tokens per channel; when more
# are issued, the oldest are revoked".
SHORT_LIVED_TOKENS_MAX = 30


@transaction.atomic
def channel_token_issue(
    *,
    account: OfficialAccount,
    actor: User | None,
    label: str = "",
    kind: str = ChannelAccessToken.Kind.LONG_LIVED,
    ttl: dt.timedelta | None = None,
) -> tuple[ChannelAccessToken, str]:
    """Issue a bearer token; the plain token is returned once, never stored.

    A channel keeps at most ``SHORT_LIVED_TOKENS_MAX`` active short-lived
    tokens, as LINE does: issuing another revokes the oldest.
    """
    if kind == ChannelAccessToken.Kind.SHORT_LIVED:
        # Serialises concurrent issues of one channel, so the cap holds.
        OfficialAccount.objects.select_for_update().filter(pk=account.pk).first()
    token = secrets.token_urlsafe(48)
    record = ChannelAccessToken.objects.create(
        account=account,
        kind=kind,
        token_hash=token_hash(token),
        hint=token[-6:],
        label=label,
        created_by=actor,
        expires_at=timezone.now() + ttl if ttl else None,
    )
    if kind == ChannelAccessToken.Kind.SHORT_LIVED:
        now = timezone.now()
        active = ChannelAccessToken.objects.filter(
            account=account, kind=kind, revoked_at=None, expires_at__gt=now
        )
        keep = active.order_by("-created_at", "-pk")[:SHORT_LIVED_TOKENS_MAX]
        if active.exclude(pk__in=keep.values("pk")).update(revoked_at=now):
            channel_auth_changed()
    if actor is not None:
        audit_record(
            account=account,
            actor=actor,
            action="channel_token.issue",
            target=f"…{record.hint}",
            data={"kind": kind, "label": label},
        )
    return record, token


@transaction.atomic
def channel_token_revoke(
    *, account: OfficialAccount, actor: User | None, token_id: int
) -> None:
    """Revoke an active token of ``account``; ``NotFound`` for any other id."""
    updated = ChannelAccessToken.objects.filter(
        account=account, pk=token_id, revoked_at=None
    ).update(revoked_at=timezone.now())
    if not updated:
        raise NotFound()
    channel_auth_changed()
    audit_record(
        account=account,
        actor=actor,
        action="channel_token.revoke",
        target=str(token_id),
    )


def channel_tokens_prune(*, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Delete tokens that expired or were revoked more than ``older_than`` ago."""
    cutoff = timezone.now() - older_than
    deleted, _rows = ChannelAccessToken.objects.filter(expires_at__lt=cutoff).delete()
    deleted_revoked, _rows = ChannelAccessToken.objects.filter(
        revoked_at__lt=cutoff
    ).delete()
    return deleted + deleted_revoked
