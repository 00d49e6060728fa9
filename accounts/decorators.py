"""Tenant resolution for Manager views: membership or 404, role or 403."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.permissions import Perm, role_has
from accounts.selectors import membership_get


def account_view(perm: Perm = Perm.VIEW):
    """Resolve ``account_slug`` to ``request.account`` for a member.

    Staff who are not members of the account get 404 (the account is not
    theirs, so it does not exist for them); members whose role lacks
    ``perm`` get 403.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, account_slug, *args, **kwargs):
            membership = membership_get(user=request.user, account_slug=account_slug)
            # Set first, so that the 403 page keeps the account's navigation.
            request.account = membership.account
            request.membership = membership
            if not role_has(membership.role, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
