"""What each LINE role may do. Checked on the server by every Manager view."""

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from accounts.models import Membership


class Perm(StrEnum):
    VIEW = "view"
    EDIT_PROFILE = "edit_profile"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_PLAN = "manage_plan"
    MANAGE_API = "manage_api"
    SEND = "send"
    VIEW_INSIGHTS = "view_insights"
    CHAT = "chat"


_ALL = frozenset(Perm)
_OPERATOR = _ALL - {Perm.MANAGE_MEMBERS, Perm.MANAGE_PLAN, Perm.MANAGE_API}

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Membership.Role.ADMIN: _ALL,
    # "All but member management" (LINE): billing and API credentials are
    # treated as member-level security settings and kept for admins too.
    Membership.Role.OPERATOR: _OPERATOR,
    # May prepare drafts but never send to customers.
    Membership.Role.OPERATOR_NO_DELIVERY: _OPERATOR - {Perm.SEND},
    Membership.Role.OPERATOR_NO_INSIGHTS: _OPERATOR - {Perm.VIEW_INSIGHTS},
}


def role_has(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMS.get(role, frozenset())


def request_can(request, perm: Perm) -> bool:
    """Whether the Manager request's member (``request.membership``) may."""
    return role_has(request.membership.role, perm)


def request_require(request, perm: Perm) -> None:
    """Raise ``PermissionDenied`` (403) unless the member may ``perm``."""
    if not request_can(request, perm):
        raise PermissionDenied
