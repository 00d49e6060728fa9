"""Factories for the friends pages' rows (tags, sources, fields, notes)."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from messaging.friends.models import CustomField, FriendNote, FriendSource, Tag
from tests.factories import FriendFactory, LineUserFactory


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")


class FriendSourceFactory(DjangoModelFactory):
    class Meta:
        model = FriendSource

    name = factory.Sequence(lambda n: f"source{n}")
    code = factory.Sequence(lambda n: f"code{n:06d}")


class CustomFieldFactory(DjangoModelFactory):
    class Meta:
        model = CustomField

    name = factory.Sequence(lambda n: f"field{n}")
    kind = CustomField.Kind.TEXT


class FriendNoteFactory(DjangoModelFactory):
    class Meta:
        model = FriendNote

    body = "Prefers window seats."


def make_friend(account, *, since=None, tags=(), source=None, status=None, **user):
    """A friend of ``account`` whose LINE user has the ``user`` attributes.

    ``since`` is an aware datetime for ``friend_since``/``followed_at``.
    """
    since = since or dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)
    extra = {"status": status} if status else {}
    friend = FriendFactory(
        account=account,
        line_user=LineUserFactory(**user),
        friend_since=since,
        followed_at=since,
        source=source,
        **extra,
    )
    if tags:
        friend.tags.add(*tags)
    return friend
