"""The ``/v2/bot/...`` endpoints of messaging (composed by config/api_urls.py).

LINE serves content and rich-menu images from ``api-data.line.me`` and the
rest from ``api.line.me``; the SDK's ``Configuration(host=…)`` replaces
both, so both sets of paths are served here.
"""

from django.urls import path

from messaging.api import audiences, views
from messaging.api import group_views as g

M = "v2/bot/message/"
A = "v2/bot/audienceGroup/"

urlpatterns = [
    path(f"{A}upload", audiences.AudienceUploadApi.as_view(), name="audience-upload"),
    path(
        f"{A}upload/byFile",
        audiences.AudienceUploadFileApi.as_view(),
        name="audience-upload-file",
    ),
    path(f"{A}click", audiences.AudienceClickApi.as_view(), name="audience-click"),
    path(f"{A}imp", audiences.AudienceImpApi.as_view(), name="audience-imp"),
    path(f"{A}list", audiences.AudienceListApi.as_view(), name="audience-list"),
    path(
        f"{A}<str:audienceGroupId>/updateDescription",
        audiences.AudienceRenameApi.as_view(),
        name="audience-rename",
    ),
    path(
        f"{A}<str:audienceGroupId>",
        audiences.AudienceGroupApi.as_view(),
        name="audience-group",
    ),
    path(f"{M}reply", views.MessageReplyApi.as_view(), name="message-reply"),
    path(f"{M}push", views.MessagePushApi.as_view(), name="message-push"),
    path(
        f"{M}multicast", views.MessageMulticastApi.as_view(), name="message-multicast"
    ),
    path(
        f"{M}narrowcast",
        views.MessageNarrowcastApi.as_view(),
        name="message-narrowcast",
    ),
    path(
        f"{M}progress/narrowcast",
        views.NarrowcastProgressGetApi.as_view(),
        name="narrowcast-progress",
    ),
    path(
        f"{M}broadcast", views.MessageBroadcastApi.as_view(), name="message-broadcast"
    ),
    path(f"{M}validate/reply", views.ValidateReplyApi.as_view(), name="validate-reply"),
    path(f"{M}validate/push", views.ValidatePushApi.as_view(), name="validate-push"),
    path(
        f"{M}validate/multicast",
        views.ValidateMulticastApi.as_view(),
        name="validate-multicast",
    ),
    path(
        f"{M}validate/narrowcast",
        views.ValidateNarrowcastApi.as_view(),
        name="validate-narrowcast",
    ),
    path(
        f"{M}validate/broadcast",
        views.ValidateBroadcastApi.as_view(),
        name="validate-broadcast",
    ),
    path(f"{M}quota", views.QuotaGetApi.as_view(), name="quota-get"),
    path(
        f"{M}quota/consumption",
        views.QuotaConsumptionGetApi.as_view(),
        name="quota-consumption",
    ),
    path(
        f"{M}delivery/reply",
        views.ReplyDeliveryCountGetApi.as_view(),
        name="delivery-reply",
    ),
    path(
        f"{M}delivery/push",
        views.PushDeliveryCountGetApi.as_view(),
        name="delivery-push",
    ),
    path(
        f"{M}delivery/multicast",
        views.MulticastDeliveryCountGetApi.as_view(),
        name="delivery-multicast",
    ),
    path(
        f"{M}delivery/broadcast",
        views.BroadcastDeliveryCountGetApi.as_view(),
        name="delivery-broadcast",
    ),
    path(
        f"{M}<str:messageId>/content",
        views.MessageContentGetApi.as_view(),
        name="message-content",
    ),
    path(
        f"{M}<str:messageId>/content/preview",
        views.MessageContentPreviewGetApi.as_view(),
        name="message-content-preview",
    ),
    path(
        f"{M}<str:messageId>/content/transcoding",
        views.MessageContentTranscodingGetApi.as_view(),
        name="message-content-transcoding",
    ),
    path("v2/bot/profile/<str:userId>", views.ProfileGetApi.as_view(), name="profile"),
    path(
        "v2/bot/user/<str:userId>/linkToken",
        views.LinkTokenIssueApi.as_view(),
        name="link-token",
    ),
    path("v2/bot/followers/ids", views.FollowerListApi.as_view(), name="followers"),
    path("v2/bot/info", views.BotInfoGetApi.as_view(), name="bot-info"),
    path(
        "v2/bot/channel/webhook/endpoint",
        views.WebhookEndpointApi.as_view(),
        name="webhook-endpoint",
    ),
    path(
        "v2/bot/channel/webhook/test",
        views.WebhookEndpointTestApi.as_view(),
        name="webhook-test",
    ),
    path(
        "v2/bot/chat/loading/start",
        views.LoadingAnimationStartApi.as_view(),
        name="loading-start",
    ),
    path(
        "v2/bot/chat/markAsRead",
        views.MessagesMarkReadApi.as_view(),
        name="mark-as-read",
    ),
    # Group chats and rooms the account is in (docs/groups.md).
    path(
        "v2/bot/group/<str:groupId>/summary",
        g.GroupSummaryApi.as_view(),
        name="group-summary",
    ),
    *[
        path(f"v2/bot/{kind}/<str:{key}>/{tail}", view.as_view(), name=name)
        for kind, key, tail, view, name in (
            ("group", "groupId", "members/count", g.GroupMemberCountApi, "g-count"),
            ("group", "groupId", "members/ids", g.GroupMemberIdsApi, "g-ids"),
            (
                "group",
                "groupId",
                "member/<str:userId>",
                g.GroupMemberProfileApi,
                "g-member",
            ),
            ("group", "groupId", "leave", g.GroupLeaveApi, "g-leave"),
            ("room", "roomId", "members/count", g.RoomMemberCountApi, "r-count"),
            ("room", "roomId", "members/ids", g.RoomMemberIdsApi, "r-ids"),
            (
                "room",
                "roomId",
                "member/<str:userId>",
                g.RoomMemberProfileApi,
                "r-member",
            ),
            ("room", "roomId", "leave", g.RoomLeaveApi, "r-leave"),
        )
    ],
]
