"""Reads of group chats and rooms (docs/groups.md)."""

from accounts.models import OfficialAccount
from messaging.friends.models import LineUser
from messaging.groups.models import ChatGroup, GroupMember, GroupMessage

MEMBER_IDS_PAGE = 100  # LINE's page of member IDs


def group_for_account(
    *, account: OfficialAccount, line_id: str, kind: str
) -> ChatGroup | None:
    """The chat ``line_id`` of ``kind`` the account is in now, else None."""
    return (
        ChatGroup.objects.filter(
            line_id=line_id,
            kind=kind,
            account=account,
            account_left_at__isnull=True,
        )
        .select_related("account")
        .first()
    )


def group_member_count(*, group: ChatGroup) -> int:
    return GroupMember.objects.filter(group=group, left_at__isnull=True).count()


def group_member_ids_page(
    *, group: ChatGroup, after: int | None
) -> tuple[list[str], int | None]:
    """Up to 100 member user IDs in joining order, and the member pk the
    next page starts after (None on the last page)."""
    qs = GroupMember.objects.filter(group=group, left_at__isnull=True)
    if after is not None:
        qs = qs.filter(pk__gt=after)
    rows = list(
        qs.order_by("pk").values_list("pk", "line_user__user_id")[: MEMBER_IDS_PAGE + 1]
    )
    page = rows[:MEMBER_IDS_PAGE]
    more = page[-1][0] if len(rows) > MEMBER_IDS_PAGE else None
    return [user_id for _pk, user_id in page], more


def group_member_get(*, group: ChatGroup, user_id: str) -> LineUser | None:
    row = (
        GroupMember.objects.filter(
            group=group, left_at__isnull=True, line_user__user_id=user_id
        )
        .select_related("line_user")
        .first()
    )
    return row.line_user if row else None


def groups_of_user(*, line_user: LineUser) -> list[ChatGroup]:
    """The chats ``line_user`` is in, newest first."""
    return list(
        ChatGroup.objects.filter(
            members__line_user=line_user, members__left_at__isnull=True
        )
        .select_related("account")
        .order_by("-created_at")
    )


def group_of_user(*, line_user: LineUser, group_id: int) -> ChatGroup | None:
    return (
        ChatGroup.objects.filter(
            pk=group_id, members__line_user=line_user, members__left_at__isnull=True
        )
        .select_related("account")
        .first()
    )


def group_members(*, group: ChatGroup) -> list[LineUser]:
    return [
        m.line_user
        for m in GroupMember.objects.filter(group=group, left_at__isnull=True)
        .select_related("line_user")
        .order_by("pk")
    ]


def group_messages(*, group: ChatGroup, limit: int = 200) -> list[GroupMessage]:
    rows = list(
        GroupMessage.objects.filter(group=group)
        .select_related("sender", "account")
        .order_by("-pk")[:limit]
    )
    return rows[::-1]


def groups_of_account(*, account: OfficialAccount) -> list[ChatGroup]:
    """Chats the account is or was in, for the Manager's read-only list."""
    return list(
        ChatGroup.objects.filter(account=account).order_by("-account_joined_at")
    )


def group_of_account(*, account: OfficialAccount, group_id: int) -> ChatGroup | None:
    return ChatGroup.objects.filter(account=account, pk=group_id).first()
