"""Reads of rich menus, always scoped to one account."""

from django.db.models import Case, IntegerField, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from accounts.models import OfficialAccount
from core.selectors import get_or_not_found
from messaging.friends.models import Friend
from richmenu.models import (
    FriendRichMenu,
    RichMenu,
    RichMenuAlias,
    RichMenuBatch,
    RichMenuDailyStat,
    RichMenuDefault,
    RichMenuTagRule,
)


def richmenu_get(
    *, account: OfficialAccount, rich_menu_id: str, origin=None
) -> RichMenu:
    """The account's menu with LINE ID ``rich_menu_id``, else ``NotFound``."""
    menus = RichMenu.objects.filter(account=account)
    if origin is not None:
        menus = menus.filter(origin=origin)
    return get_or_not_found(menus, rich_menu_id=rich_menu_id)


def richmenu_get_by_pk(*, account: OfficialAccount, pk: int) -> RichMenu:
    return get_or_not_found(RichMenu.objects.filter(account=account), pk=pk)


def richmenu_list(*, account: OfficialAccount, origin: str) -> QuerySet[RichMenu]:
    """The account's menus of one origin, newest first (index richmenu_list)."""
    return RichMenu.objects.filter(account=account, origin=origin).order_by("-id")


def richmenu_default_get(*, account: OfficialAccount, origin: str) -> RichMenu | None:
    row = (
        RichMenuDefault.objects.select_related("rich_menu")
        .filter(account=account, origin=origin)
        .first()
    )
    return row.rich_menu if row else None


def friend_by_user_id(*, account: OfficialAccount, user_id: str) -> Friend | None:
    """The account's friend with LINE user ID ``user_id``, else None."""
    return Friend.objects.filter(account=account, line_user__user_id=user_id).first()


def richmenu_linked_get(*, account: OfficialAccount, friend: Friend) -> RichMenu | None:
    """The menu linked to ``friend`` by the API, if any."""
    row = (
        FriendRichMenu.objects.select_related("rich_menu")
        .filter(friend=friend, rich_menu__account=account)
        .first()
    )
    return row.rich_menu if row else None


def richmenu_for_friend(*, account: OfficialAccount, friend_id: int) -> RichMenu | None:
    """The menu the friend sees now, in LINE's display priority; one query.

    Per-friend link (API) > tag rule (Manager; the oldest rule of the
    friend's tags) > default set by the API > default set in the Manager;
    a menu outside its display period or without an image is skipped in
    favour of the next. Four scalar subqueries, each on a unique index (the
    friend's link; the friend's tags and ``richmenu_tag_rule_unique``;
    ``richmenu_default_per_origin``), pick at most four menus by key.
    """
    now = timezone.now()
    link = FriendRichMenu.objects.filter(
        friend_id=friend_id, friend__account=account
    ).values("rich_menu_id")[:1]

    def default(origin):
        return RichMenuDefault.objects.filter(account=account, origin=origin).values(
            "rich_menu_id"
        )[:1]

    tag_rule = (
        RichMenuTagRule.objects.filter(
            account=account,
            tag_id__in=Friend.tags.through.objects.filter(friend_id=friend_id).values(
                "tag_id"
            ),
        )
        .order_by("id")
        .values("rich_menu_id")[:1]
    )
    ranks = [
        (Subquery(link), 0),
        (Subquery(tag_rule), 1),
        (Subquery(default(RichMenu.Origin.API)), 2),
        (Subquery(default(RichMenu.Origin.MANAGER)), 3),
    ]
    candidates = Q()
    for subquery, _rank in ranks:
        candidates |= Q(pk=subquery)
    return (
        RichMenu.objects.filter(candidates, account=account)
        .exclude(image="")
        .filter(Q(display_from__isnull=True) | Q(display_from__lte=now))
        .filter(Q(display_until__isnull=True) | Q(display_until__gt=now))
        .annotate(
            rank=Case(
                *[When(pk=subquery, then=Value(rank)) for subquery, rank in ranks],
                output_field=IntegerField(),
            )
        )
        .order_by("rank")
        .first()
    )


def alias_get(*, account: OfficialAccount, alias_id: str) -> RichMenuAlias:
    return get_or_not_found(
        RichMenuAlias.objects.select_related("rich_menu").filter(account=account),
        alias_id=alias_id,
    )


def alias_list(*, account: OfficialAccount) -> QuerySet[RichMenuAlias]:
    return (
        RichMenuAlias.objects.select_related("rich_menu")
        .filter(account=account)
        .order_by("alias_id")
    )


def richmenu_stats(*, menu: RichMenu) -> QuerySet[RichMenuDailyStat]:
    """The menu's daily rows (impressions are area -1), oldest first."""
    return RichMenuDailyStat.objects.filter(rich_menu=menu).order_by("day", "area")


def batch_progress(*, account: OfficialAccount, request_id: str) -> RichMenuBatch:
    """The account's batch accepted with ``request_id``, else ``NotFound``."""
    return get_or_not_found(
        RichMenuBatch.objects.filter(account=account), request_id=request_id
    )


def tag_rule_list(*, account: OfficialAccount) -> QuerySet[RichMenuTagRule]:
    return (
        RichMenuTagRule.objects.select_related("tag", "rich_menu")
        .filter(account=account)
        .order_by("id")
    )


def tag_rule_get(*, account: OfficialAccount, rule_id: int) -> RichMenuTagRule:
    return get_or_not_found(RichMenuTagRule.objects.filter(account=account), pk=rule_id)
