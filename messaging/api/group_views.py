"""``/v2/bot/group/…`` and ``/v2/bot/room/…``: the chats the account is in
(docs/groups.md). A chat the account is not (or no longer) in is LINE's
404; an ID of the wrong form (a user ID, say) LINE's 400 for the path."""

import base64
import binascii

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.ids import USER_ID
from accounts.models import OfficialAccount
from core.api.exceptions import NOT_AVAILABLE, NOT_FOUND, LineApiError
from messaging.api import serializers as s
from messaging.api.views import BotApiView, _path_id, _query_param_invalid
from messaging.groups import selectors
from messaging.groups.models import ChatGroup
from messaging.groups.services import group_account_leave

GROUP_ID = r"C[0-9a-f]{32}"
ROOM_ID = r"R[0-9a-f]{32}"


class GroupSummarySerializer(serializers.Serializer):
    groupId = serializers.CharField()
    groupName = serializers.CharField()
    pictureUrl = serializers.URLField(required=False)


class MemberCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class MemberIdsSerializer(serializers.Serializer):
    memberIds = serializers.ListField(child=serializers.CharField())
    next = serializers.CharField(required=False)


class MemberProfileSerializer(serializers.Serializer):
    displayName = serializers.CharField()
    userId = serializers.CharField()
    pictureUrl = serializers.URLField(required=False)


def _chat(request, kwargs: dict, kind: str) -> ChatGroup:
    name, pattern = ("groupId", GROUP_ID) if kind == "group" else ("roomId", ROOM_ID)
    line_id = _path_id(kwargs, name, pattern)
    group = selectors.group_for_account(
        account=request.account, line_id=line_id, kind=kind
    )
    if group is None:
        raise LineApiError(NOT_FOUND, status=404)
    return group


def _cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"m{pk}".encode()).decode().rstrip("=")


def _cursor_decode(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not raw.startswith("m") or not raw[1:].isdigit():
        return None
    return int(raw[1:])


class _ChatApi(BotApiView):
    kind = "group"


class GroupSummaryApi(_ChatApi):
    """The group's ID, name and picture."""

    @extend_schema(
        operation_id="getGroupSummary",
        responses={200: GroupSummarySerializer, 404: s.ErrorResponseSerializer},
    )
    def get(self, request, **kwargs):
        group = _chat(request, kwargs, "group")
        return Response({"groupId": group.line_id, "groupName": group.name})


def _count_view(kind: str, operation_id: str):
    class MemberCountApi(_ChatApi):
        __doc__ = "How many people are in the chat (the account not counted)."

        @extend_schema(
            operation_id=operation_id,
            responses={200: MemberCountSerializer, 404: s.ErrorResponseSerializer},
        )
        def get(self, request, **kwargs):
            group = _chat(request, kwargs, kind)
            return Response({"count": selectors.group_member_count(group=group)})

    MemberCountApi.__name__ = f"{kind.title()}MemberCountApi"
    return MemberCountApi


def _ids_view(kind: str, operation_id: str):
    class MemberIdsApi(_ChatApi):
        __doc__ = "Member user IDs, 100 a page (verified and premium accounts)."

        @extend_schema(
            operation_id=operation_id,
            parameters=[OpenApiParameter("start", str)],
            responses={
                200: MemberIdsSerializer,
                403: s.ErrorResponseSerializer,
                404: s.ErrorResponseSerializer,
            },
        )
        def get(self, request, **kwargs):
            account: OfficialAccount = request.account
            if account.badge == OfficialAccount.Badge.UNVERIFIED:
                raise LineApiError(NOT_AVAILABLE, status=403)
            group = _chat(request, kwargs, kind)
            after = None
            start = request.query_params.get("start")
            if start:
                after = _cursor_decode(start)
                if after is None:
                    raise _query_param_invalid("start")
            ids, more = selectors.group_member_ids_page(group=group, after=after)
            data: dict = {"memberIds": ids}
            if more is not None:
                data["next"] = _cursor(more)
            return Response(data)

    MemberIdsApi.__name__ = f"{kind.title()}MemberIdsApi"
    return MemberIdsApi


def _profile_view(kind: str, operation_id: str):
    class MemberProfileApi(_ChatApi):
        __doc__ = "The profile of one member of the chat."

        @extend_schema(
            operation_id=operation_id,
            responses={200: MemberProfileSerializer, 404: s.ErrorResponseSerializer},
        )
        def get(self, request, **kwargs):
            group = _chat(request, kwargs, kind)
            user = selectors.group_member_get(
                group=group, user_id=_path_id(kwargs, "userId", USER_ID)
            )
            if user is None:
                raise LineApiError(NOT_FOUND, status=404)
            data = {"displayName": user.display_name, "userId": user.user_id}
            if user.picture:
                data["pictureUrl"] = request.build_absolute_uri(user.picture.url)
            return Response(data)

    MemberProfileApi.__name__ = f"{kind.title()}MemberProfileApi"
    return MemberProfileApi


def _leave_view(kind: str, operation_id: str):
    class LeaveApi(_ChatApi):
        __doc__ = "The account leaves the chat (the ``leave`` event is sent)."

        @extend_schema(
            operation_id=operation_id,
            request=None,
            responses={200: s.EmptySerializer, 404: s.ErrorResponseSerializer},
        )
        def post(self, request, **kwargs):
            group = _chat(request, kwargs, kind)
            group_account_leave(account=request.account, group=group)
            return Response({})

    LeaveApi.__name__ = f"{kind.title()}LeaveApi"
    return LeaveApi


GroupMemberCountApi = _count_view("group", "getGroupMemberCount")
RoomMemberCountApi = _count_view("room", "getRoomMemberCount")
GroupMemberIdsApi = _ids_view("group", "getGroupMembersIds")
RoomMemberIdsApi = _ids_view("room", "getRoomMembersIds")
GroupMemberProfileApi = _profile_view("group", "getGroupMemberProfile")
RoomMemberProfileApi = _profile_view("room", "getRoomMemberProfile")
GroupLeaveApi = _leave_view("group", "leaveGroup")
RoomLeaveApi = _leave_view("room", "leaveRoom")
