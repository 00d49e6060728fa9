"""Group chats in the Manager, read-only as in LINE's Official Account
Manager: staff see what was said in the groups the account is in, and
cannot write there (the bot answers through the API). docs/groups.md."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import account_view
from accounts.permissions import Perm
from core.exceptions import NotFound
from messaging.groups import selectors


@require_GET
@account_view(Perm.CHAT)
def group_list(request):
    return render(
        request,
        "chat/groups.html",
        {"groups": selectors.groups_of_account(account=request.account)},
    )


@require_GET
@account_view(Perm.CHAT)
def group_detail(request, group_id: int):
    group = selectors.group_of_account(account=request.account, group_id=group_id)
    if group is None:
        raise NotFound
    return render(
        request,
        "chat/group.html",
        {
            "group": group,
            "members": selectors.group_members(group=group),
            "rows": selectors.group_messages(group=group),
        },
    )
