"""Account-scoped reads of friends."""

from django.db.models import Count, Q

from accounts.models import OfficialAccount
from messaging.models import Friend


def friend_counts(*, account: OfficialAccount) -> dict[str, int]:
    """Friends (following) and blocked counts in one query."""
    return Friend.objects.filter(account=account).aggregate(
        following=Count("id", filter=Q(status=Friend.Status.FOLLOWING)),
        blocked=Count("id", filter=Q(status=Friend.Status.BLOCKED)),
    )
