"""Writes on LINE users and friendships."""

from django.db import transaction

from accounts.ids import new_user_id
from messaging.models import LineUser


@transaction.atomic
def line_user_create(*, display_name: str, **profile) -> LineUser:
    """Create a simulated LINE user with a fresh ``U…`` ID."""
    user = LineUser(user_id=new_user_id(), display_name=display_name, **profile)
    user.full_clean()
    user.save()
    return user
