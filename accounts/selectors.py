"""Account-scoped reads. "Not yours" and "not there" are the same ``NotFound``."""

from django.db.models import Count

from accounts.channel_auth import channel_token_lookup
from accounts.models import (
    AuditLog,
    ChannelAccessToken,
    Invitation,
    Membership,
    OfficialAccount,
    User,
)
from core.exceptions import NotFound
from core.selectors import get_or_not_found


def account_list_for_user(*, user: User):
    """Accounts ``user`` is a member of, with their role, for the switcher."""
    return (
        OfficialAccount.objects.filter(memberships__user=user)
        .select_related("plan")
        .annotate(
            member_count=Count("memberships", distinct=True),
        )
        .order_by("display_name", "id")
    )


def membership_get(*, user: User, account_slug: str) -> Membership:
    """The user's membership in the account with basic ID ``@account_slug``.

    Raises ``NotFound`` for a stranger, an anonymous user or no such account.
    """
    if not user.is_authenticated:
        raise NotFound()
    return get_or_not_found(
        Membership.objects.select_related("account", "account__plan"),
        user=user,
        account__basic_id="@" + account_slug,
    )


def member_list(*, account: OfficialAccount):
    return (
        Membership.objects.filter(account=account)
        .select_related("user")
        .order_by("user__username")
    )


def member_get(*, account: OfficialAccount, membership_id: int) -> Membership:
    """A membership of ``account`` with its user; ``NotFound`` otherwise."""
    return get_or_not_found(member_list(account=account), pk=membership_id)


def invitation_list_open(*, account: OfficialAccount):
    from django.utils import timezone

    return Invitation.objects.filter(
        account=account,
        accepted_at=None,
        revoked_at=None,
        expires_at__gt=timezone.now(),
    ).select_related("created_by")


def audit_list(*, account: OfficialAccount, action_prefix: str = ""):
    qs = AuditLog.objects.filter(account=account).select_related("actor")
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    return qs


def channel_token_list(*, account: OfficialAccount):
    return ChannelAccessToken.objects.filter(
        account=account, kind=ChannelAccessToken.Kind.LONG_LIVED
    ).select_related("created_by")


def channel_token_authenticate(*, token: str) -> ChannelAccessToken | None:
    """The active token record for a bearer token, with its account and plan.

    None for an unknown, revoked or expired token. Served from the process
    cache of ``accounts.channel_auth`` when it may be.
    """
    from accounts.services import token_hash

    return channel_token_lookup(token_hash=token_hash(token))
