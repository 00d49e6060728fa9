"""Account-scoped reads of friends, their tags, fields, notes and sources.

Every function takes the tenant (``account``) explicitly; an id of another
account's row raises the same ``NotFound`` as a missing id.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Membership, OfficialAccount, User
from core.selectors import get_or_not_found
from messaging.friends.filters import FriendFilters, friend_filters_q
from messaging.friends.models import (
    CustomField,
    Friend,
    FriendFieldValue,
    FriendNote,
    FriendSource,
    Tag,
)

# One page of the friends list. The page itself costs two queries whatever
# its size (rows + their tags); 50 rows keep the HTML small on a phone.
FRIEND_PAGE_SIZE = 50


def friend_counts(
    *, account: OfficialAccount, since: dt.datetime | None = None
) -> dict[str, int]:
    """Friends (following) and blocked counts in one query.

    With ``since`` (e.g. today's local midnight) also ``added``: friends
    made since then who still follow, and ``blocked_since``: friends who
    blocked since then and still do.
    """
    figures = {
        "following": Count("id", filter=Q(status=Friend.Status.FOLLOWING)),
        "blocked": Count("id", filter=Q(status=Friend.Status.BLOCKED)),
    }
    if since is not None:
        figures["added"] = Count(
            "id",
            filter=Q(status=Friend.Status.FOLLOWING, friend_since__gte=since),
        )
        figures["blocked_since"] = Count(
            "id", filter=Q(status=Friend.Status.BLOCKED, blocked_at__gte=since)
        )
    return Friend.objects.filter(account=account).aggregate(**figures)


def friend_list(*, account: OfficialAccount, filters: FriendFilters) -> QuerySet:
    """The account's friends matching ``filters``, newest first."""
    return (
        Friend.objects.filter(account=account)
        .filter(friend_filters_q(filters, tz=account.tz))
        .select_related("line_user", "source")
        .order_by("-id")
    )


@dataclass(frozen=True)
class FriendPage:
    friends: list[Friend]
    total: int
    # Keyset cursors: pass as ``after`` / ``before`` to get the next or
    # previous page; ``None`` when there is no such page.
    next_after: int | None
    prev_before: int | None


def friend_page(
    *,
    account: OfficialAccount,
    filters: FriendFilters,
    after: int | None = None,
    before: int | None = None,
    size: int = FRIEND_PAGE_SIZE,
) -> FriendPage:
    """One page of ``friend_list`` by keyset (``id``) — no OFFSET scans.

    Costs exactly three queries: the match count, the page rows (with
    profile and source joined) and the tags of those rows.
    """
    base = friend_list(account=account, filters=filters)
    total = base.count()
    qs = base.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    if before is not None:
        rows = list(qs.filter(id__gt=before).order_by("id")[: size + 1])
        has_more_before = len(rows) > size
        rows = rows[:size][::-1]
        return FriendPage(
            friends=rows,
            total=total,
            next_after=rows[-1].pk if rows else None,
            prev_before=rows[0].pk if rows and has_more_before else None,
        )
    if after is not None:
        qs = qs.filter(id__lt=after)
    rows = list(qs[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return FriendPage(
        friends=rows,
        total=total,
        next_after=rows[-1].pk if rows and has_more else None,
        prev_before=rows[0].pk if rows and after is not None else None,
    )


def friend_get(*, account: OfficialAccount, friend_id: int) -> Friend:
    """The account's friend with profile and source; ``NotFound`` otherwise."""
    return get_or_not_found(
        Friend.objects.filter(account=account).select_related(
            "line_user", "source", "staff_user"
        ),
        pk=friend_id,
    )


def friend_tags(*, friend: Friend) -> list[Tag]:
    return list(friend.tags.order_by("name"))


def friend_field_values(*, friend: Friend) -> dict[int, FriendFieldValue]:
    """The friend's custom field values by field id."""
    return {v.field_id: v for v in FriendFieldValue.objects.filter(friend=friend)}


def friend_notes(*, friend: Friend) -> QuerySet:
    return FriendNote.objects.filter(friend=friend).select_related("author")


def friend_note_get(
    *, account: OfficialAccount, friend: Friend, note_id: int
) -> FriendNote:
    """A note on ``friend`` (of ``account``); ``NotFound`` otherwise."""
    return get_or_not_found(
        FriendNote.objects.filter(friend=friend, friend__account=account), pk=note_id
    )


def tag_list(*, account: OfficialAccount) -> QuerySet:
    return Tag.objects.filter(account=account).order_by("name")


def tag_list_with_counts(*, account: OfficialAccount) -> QuerySet:
    return tag_list(account=account).annotate(friend_count=Count("friends"))


def tag_get(*, account: OfficialAccount, tag_id: int) -> Tag:
    """The account's tag; ``NotFound`` otherwise."""
    return get_or_not_found(Tag.objects.filter(account=account), pk=tag_id)


def custom_field_list(*, account: OfficialAccount) -> QuerySet:
    return CustomField.objects.filter(account=account).order_by("name")


def custom_field_get(*, account: OfficialAccount, field_id: int) -> CustomField:
    """The account's custom field; ``NotFound`` otherwise."""
    return get_or_not_found(CustomField.objects.filter(account=account), pk=field_id)


def friend_source_list(*, account: OfficialAccount) -> QuerySet:
    """Sources with how many friends each brought (following / blocked)."""
    return (
        FriendSource.objects.filter(account=account)
        .annotate(
            following=Count(
                "friends", filter=Q(friends__status=Friend.Status.FOLLOWING)
            ),
            blocked=Count("friends", filter=Q(friends__status=Friend.Status.BLOCKED)),
        )
        .order_by("name")
    )


def friend_source_names(*, account: OfficialAccount) -> QuerySet:
    return FriendSource.objects.filter(account=account).order_by("name")


def friend_source_get(*, account: OfficialAccount, source_id: int) -> FriendSource:
    """The account's friend source; ``NotFound`` otherwise."""
    return get_or_not_found(FriendSource.objects.filter(account=account), pk=source_id)


def friend_add_url(
    *, account: OfficialAccount, source: FriendSource | None = None
) -> str:
    """The add-friend URL (LINE's ``line.me/R/ti/p/@id``) served by the talk app."""
    url = f"{settings.SITE_URL}/talk/add/{account.basic_id}"
    if source is not None:
        url += "?" + urlencode({"src": source.code})
    return url


def friend_export_rows(
    *, account: OfficialAccount, filters: FriendFilters, chunk_size: int
) -> Iterator[Friend]:
    """Matching friends, oldest first, streamed ``chunk_size`` rows at a time.

    Tags and custom field values are prefetched per chunk, so memory stays
    constant however many friends match (two extra queries per chunk).
    They land in plain lists (``tag_list``, ``field_value_list``): a related
    manager per row would cost more than the CSV formatting itself.
    """
    return (
        friend_list(account=account, filters=filters)
        .order_by("id")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name"), to_attr="tag_list"),
            Prefetch(
                "field_values",
                queryset=FriendFieldValue.objects.all(),
                to_attr="field_value_list",
            ),
        )
        .iterator(chunk_size=chunk_size)
    )


def friend_newest(*, account: OfficialAccount) -> Friend | None:
    """The account's newest friend, or ``None`` (a sample for previews)."""
    return (
        Friend.objects.filter(account=account)
        .select_related("line_user")
        .order_by("-id")
        .first()
    )


def staff_test_friends(
    *, account: OfficialAccount, user: User | None = None
) -> list[Friend]:
    """Friends that current members of ``account`` linked as their own LINE.

    Only following friends; with ``user``, that member's friend alone (at
    most one). Ordered by id; one query.
    """
    qs = Friend.objects.filter(
        account=account,
        status=Friend.Status.FOLLOWING,
        staff_user__in=Membership.objects.filter(account=account).values("user"),
    )
    if user is not None:
        qs = qs.filter(staff_user=user)
    return list(qs.select_related("line_user", "staff_user").order_by("id"))
