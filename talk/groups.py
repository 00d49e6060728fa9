"""Group chats and multi-person chats in the talk app (docs/groups.md).

Every action goes through ``chat.inbound`` (the customer door). Groups are
made among the personas of one talk login; the official account joins only
when a member invites it and its settings allow group chats.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chat.inbound import (
    customer_group_invite,
    customer_group_invite_account,
    customer_group_leave,
    customer_group_message_send,
    customer_group_remove_account,
)
from core.exceptions import ApplicationError
from messaging.groups import selectors as groups
from messaging.groups.models import ChatGroup
from messaging.groups.services import group_create
from talk import selectors
from talk.decorators import talk_view


def _talk_account(request) -> int:
    # Groups are among the personas of one talk login (not in a rehearsal).
    if request.talk.talk_account_id is None:
        raise Http404
    return request.talk.talk_account_id


def _others(request) -> list:
    return [
        p
        for p in selectors.persona_list(talk_account_id=_talk_account(request))
        if p.pk != request.persona.pk
    ]


def _picked(request, people) -> list:
    wanted = set(request.POST.getlist("member"))
    return [p for p in people if str(p.pk) in wanted]


@talk_view()
def group_list(request):
    """The persona's group chats and rooms, and a form to start one."""
    others = _others(request)
    if request.method == "POST":
        try:
            group = group_create(
                creator=request.persona,
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                members=_picked(request, others),
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            return redirect("talk:group", group.pk)
    return render(
        request,
        "talk/groups.html",
        {
            "tab": "groups",
            "groups": groups.groups_of_user(line_user=request.persona),
            "others": others,
            "kinds": ChatGroup.Kind.choices,
        },
        status=400 if request.method == "POST" else 200,
    )


def _group(request, group_id: int) -> ChatGroup:
    _talk_account(request)
    group = groups.group_of_user(line_user=request.persona, group_id=group_id)
    if group is None:
        raise Http404
    return group


@talk_view()
def group_room(request, group_id: int):
    """One chat: its members, the account if it is in, the messages."""
    group = _group(request, group_id)
    members = groups.group_members(group=group)
    in_ids = {m.pk for m in members}
    account_in = group.account if group.account_left_at is None else None
    return render(
        request,
        "talk/group_room.html",
        {
            "group": group,
            "members": members,
            "account_in": account_in,
            "rows": groups.group_messages(group=group),
            "invitable": [p for p in _others(request) if p.pk not in in_ids],
            "accounts": [
                f.account
                for f in selectors.room_list(line_user=request.persona)
                if f.status == f.Status.FOLLOWING
            ],
        },
    )


@require_POST
@talk_view()
def group_act(request, group_id: int, action: str):
    """Send, invite people or the account, remove the account, or leave."""
    group = _group(request, group_id)
    try:
        if action == "send":
            customer_group_message_send(
                group=group, sender=request.persona, text=request.POST.get("text", "")
            )
        elif action == "invite":
            customer_group_invite(
                group=group,
                by=request.persona,
                users=_picked(request, _others(request)),
            )
        elif action == "invite-account":
            account = next(
                (
                    f.account
                    for f in selectors.room_list(line_user=request.persona)
                    if str(f.account_id) == request.POST.get("account")
                ),
                None,
            )
            if account is None:
                raise ApplicationError(_("Choose an account you are friends with."))
            customer_group_invite_account(
                group=group, by=request.persona, account=account
            )
        elif action == "remove-account":
            customer_group_remove_account(group=group, by=request.persona)
        elif action == "leave":
            customer_group_leave(group=group, user=request.persona)
            return redirect("talk:groups")
        else:
            raise Http404
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("talk:group", group.pk)
