"""The friend row's copies of its LINE user's targeting attributes.

Audiences filter ``Friend.user_gender``/``user_age``/``user_region``/
``user_os``; database triggers (migration 0018) keep them equal to the
``LineUser``'s whoever writes, so a segment never reads a stale profile.
"""

from messaging.friends.models import Friend, LineUser
from tests.factories import FriendFactory, LineUserFactory
from tests.messaging.broadcasts.helpers import bulk_friends

COPIES = ("user_gender", "user_age", "user_region", "user_os")


def copies(friend_id: int) -> tuple:
    return Friend.objects.values_list(*COPIES).get(pk=friend_id)


def test_a_new_friend_row_takes_its_users_attributes(account):
    """Created by the ORM (defaults in the instance) or in bulk."""
    # given a LINE user with a full profile
    user = LineUserFactory(gender="male", age=41, region="jp_27", os="android")
    # when friend rows are inserted, one by one and in bulk
    friend = FriendFactory(account=account, line_user=user)
    [bulk_id] = bulk_friends(account, 1, gender="female", age=None, region="jp_01")
    # then each row holds its user's attributes
    assert copies(friend.pk) == ("male", 41, "jp_27", "android")
    assert copies(bulk_id) == ("female", None, "jp_01", "ios")


def test_a_profile_change_reaches_every_friendship_of_the_user(account, other_account):
    """As a survey answer writes it: one UPDATE of the LINE user."""
    # given one person who is a friend of two accounts
    user = LineUserFactory(gender="unknown", age=None, region="", os="ios")
    here = FriendFactory(account=account, line_user=user)
    there = FriendFactory(account=other_account, line_user=user)
    bystander = FriendFactory(account=account)
    # when the person's profile changes
    LineUser.objects.filter(pk=user.pk).update(gender="female", age=33, region="jp_13")
    # then both friend rows follow, and nobody else's changes
    assert copies(here.pk) == ("female", 33, "jp_13", "ios")
    assert copies(there.pk) == ("female", 33, "jp_13", "ios")
    assert copies(bystander.pk) == ("female", 30, "jp_13", "ios")


def test_saving_a_stale_friend_instance_cannot_overwrite_the_copies(account):
    """A full ``save()`` writes every column; the row keeps the user's."""
    # given a friend loaded before its user's profile changed
    user = LineUserFactory(gender="male", age=25, region="jp_27", os="ios")
    friend = FriendFactory(account=account, line_user=user)
    stale = Friend.objects.get(pk=friend.pk)
    LineUser.objects.filter(pk=user.pk).update(os="android", age=26)
    # when the stale instance is saved in full (no update_fields)
    stale.last_message_at = None
    stale.save()
    # then the copies are still the user's current values
    assert copies(friend.pk) == ("male", 26, "jp_27", "android")


def test_a_user_saved_through_the_orm_updates_its_friends(account):
    """``LineUser.save()`` (Django admin) is an UPDATE like any other."""
    # given
    friend = FriendFactory(account=account)
    user = friend.line_user
    # when
    user.region = "jp_40"
    user.gender = "male"
    user.save()
    # then
    assert copies(friend.pk) == ("male", 30, "jp_40", "ios")
