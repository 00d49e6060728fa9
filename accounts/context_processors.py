from django.utils.functional import SimpleLazyObject

from accounts.permissions import Perm, role_has
from accounts.quota import quota_warning_get
from accounts.selectors import account_list_for_user


def manager(request):
    """Switcher entries and the current role's permissions for Manager pages."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "manager_accounts": account_list_for_user(user=request.user),
        "perms_here": {p.value: role_has(membership.role, p) for p in Perm},
        "quota_warning": SimpleLazyObject(
            lambda: quota_warning_get(account=request.account) or False
        ),
    }
