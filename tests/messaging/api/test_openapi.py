"""The API's OpenAPI document (drf-spectacular) at /v2/openapi.json."""

import re

import pytest
from linebot.v3.audience import ManageAudience, ManageAudienceBlob
from linebot.v3.insight import Insight
from linebot.v3.messaging import MessagingApi, MessagingApiBlob

from config.api_urls import urlpatterns

pytestmark = pytest.mark.django_db

# operationId per implemented path+method, as in LINE's messaging-api.yml
# (the SDK method names are their snake_case).
EXPECTED = {
    ("/v2/bot/audienceGroup/upload", "post"): "createAudienceGroup",
    ("/v2/bot/audienceGroup/upload", "put"): "addAudienceToAudienceGroup",
    (
        "/v2/bot/audienceGroup/upload/byFile",
        "post",
    ): "createAudienceForUploadingUserIds",
    ("/v2/bot/audienceGroup/upload/byFile", "put"): "addUserIdsToAudience",
    ("/v2/bot/audienceGroup/click", "post"): "createClickBasedAudienceGroup",
    ("/v2/bot/audienceGroup/imp", "post"): "createImpBasedAudienceGroup",
    ("/v2/bot/audienceGroup/list", "get"): "getAudienceGroups",
    (
        "/v2/bot/audienceGroup/{audienceGroupId}/updateDescription",
        "put",
    ): "updateAudienceGroupDescription",
    ("/v2/bot/audienceGroup/{audienceGroupId}", "get"): "getAudienceData",
    ("/v2/bot/audienceGroup/{audienceGroupId}", "delete"): "deleteAudienceGroup",
    ("/v2/bot/coupon", "post"): "createCoupon",
    ("/v2/bot/coupon", "get"): "listCoupon",
    ("/v2/bot/coupon/{couponId}", "get"): "getCouponDetail",
    ("/v2/bot/coupon/{couponId}/close", "put"): "closeCoupon",
    ("/v2/bot/message/reply", "post"): "replyMessage",
    ("/v2/bot/user/{userId}/linkToken", "post"): "issueLinkToken",
    ("/v2/bot/group/{groupId}/summary", "get"): "getGroupSummary",
    ("/v2/bot/group/{groupId}/members/count", "get"): "getGroupMemberCount",
    ("/v2/bot/group/{groupId}/members/ids", "get"): "getGroupMembersIds",
    ("/v2/bot/group/{groupId}/member/{userId}", "get"): "getGroupMemberProfile",
    ("/v2/bot/group/{groupId}/leave", "post"): "leaveGroup",
    ("/v2/bot/room/{roomId}/members/count", "get"): "getRoomMemberCount",
    ("/v2/bot/room/{roomId}/members/ids", "get"): "getRoomMembersIds",
    ("/v2/bot/room/{roomId}/member/{userId}", "get"): "getRoomMemberProfile",
    ("/v2/bot/room/{roomId}/leave", "post"): "leaveRoom",
    ("/v2/bot/message/push", "post"): "pushMessage",
    ("/v2/bot/message/multicast", "post"): "multicast",
    ("/v2/bot/message/narrowcast", "post"): "narrowcast",
    ("/v2/bot/message/progress/narrowcast", "get"): "getNarrowcastProgress",
    ("/v2/bot/message/broadcast", "post"): "broadcast",
    ("/v2/bot/message/validate/reply", "post"): "validateReply",
    ("/v2/bot/message/validate/push", "post"): "validatePush",
    ("/v2/bot/message/validate/multicast", "post"): "validateMulticast",
    ("/v2/bot/message/validate/narrowcast", "post"): "validateNarrowcast",
    ("/v2/bot/message/validate/broadcast", "post"): "validateBroadcast",
    ("/v2/bot/message/quota", "get"): "getMessageQuota",
    ("/v2/bot/message/quota/consumption", "get"): "getMessageQuotaConsumption",
    ("/v2/bot/message/delivery/reply", "get"): "getNumberOfSentReplyMessages",
    ("/v2/bot/message/delivery/push", "get"): "getNumberOfSentPushMessages",
    ("/v2/bot/message/delivery/multicast", "get"): "getNumberOfSentMulticastMessages",
    ("/v2/bot/message/delivery/broadcast", "get"): "getNumberOfSentBroadcastMessages",
    ("/v2/bot/message/{messageId}/content", "get"): "getMessageContent",
    ("/v2/bot/message/{messageId}/content/preview", "get"): "getMessageContentPreview",
    (
        "/v2/bot/message/{messageId}/content/transcoding",
        "get",
    ): "getMessageContentTranscodingByMessageId",
    ("/v2/bot/profile/{userId}", "get"): "getProfile",
    ("/v2/bot/followers/ids", "get"): "getFollowers",
    ("/v2/bot/info", "get"): "getBotInfo",
    ("/v2/bot/channel/webhook/endpoint", "get"): "getWebhookEndpoint",
    ("/v2/bot/channel/webhook/endpoint", "put"): "setWebhookEndpoint",
    ("/v2/bot/channel/webhook/test", "post"): "testWebhookEndpoint",
    ("/v2/bot/chat/loading/start", "post"): "showLoadingAnimation",
    ("/v2/bot/chat/markAsRead", "post"): "markMessagesAsReadByToken",
    ("/v2/bot/insight/followers", "get"): "getNumberOfFollowers",
    ("/v2/bot/insight/message/delivery", "get"): "getNumberOfMessageDeliveries",
    ("/v2/bot/insight/demographic", "get"): "getFriendsDemographics",
    ("/v2/bot/insight/message/event", "get"): "getMessageEvent",
    ("/v2/bot/richmenu", "post"): "createRichMenu",
    ("/v2/bot/richmenu/validate", "post"): "validateRichMenuObject",
    ("/v2/bot/richmenu/list", "get"): "getRichMenuList",
    ("/v2/bot/richmenu/{richMenuId}", "get"): "getRichMenu",
    ("/v2/bot/richmenu/{richMenuId}", "delete"): "deleteRichMenu",
    ("/v2/bot/richmenu/{richMenuId}/content", "post"): "setRichMenuImage",
    ("/v2/bot/richmenu/{richMenuId}/content", "get"): "getRichMenuImage",
    ("/v2/bot/user/all/richmenu", "get"): "getDefaultRichMenuId",
    ("/v2/bot/user/all/richmenu", "delete"): "cancelDefaultRichMenu",
    ("/v2/bot/user/all/richmenu/{richMenuId}", "post"): "setDefaultRichMenu",
    ("/v2/bot/user/{userId}/richmenu", "get"): "getRichMenuIdOfUser",
    ("/v2/bot/user/{userId}/richmenu", "delete"): "unlinkRichMenuIdFromUser",
    ("/v2/bot/user/{userId}/richmenu/{richMenuId}", "post"): "linkRichMenuIdToUser",
    ("/v2/bot/richmenu/bulk/link", "post"): "linkRichMenuIdToUsers",
    ("/v2/bot/richmenu/bulk/unlink", "post"): "unlinkRichMenuIdFromUsers",
    ("/v2/bot/richmenu/batch", "post"): "richMenuBatch",
    ("/v2/bot/richmenu/validate/batch", "post"): "validateRichMenuBatchRequest",
    ("/v2/bot/richmenu/progress/batch", "get"): "getRichMenuBatchProgress",
    ("/v2/bot/richmenu/alias", "post"): "createRichMenuAlias",
    ("/v2/bot/richmenu/alias/list", "get"): "getRichMenuAliasList",
    ("/v2/bot/richmenu/alias/{richMenuAliasId}", "get"): "getRichMenuAlias",
    ("/v2/bot/richmenu/alias/{richMenuAliasId}", "post"): "updateRichMenuAlias",
    ("/v2/bot/richmenu/alias/{richMenuAliasId}", "delete"): "deleteRichMenuAlias",
    ("/v2/oauth/accessToken", "post"): "issueChannelToken",
    ("/v2/oauth/verify", "post"): "verifyChannelToken",
    ("/v2/oauth/revoke", "post"): "revokeChannelToken",
}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@pytest.fixture
def schema(client):
    response = client.get("/v2/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_schema_lists_every_implemented_operation(schema):
    found = {
        (path, method): op["operationId"]
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }
    assert found == EXPECTED


def test_bot_operation_ids_are_the_sdk_methods(schema):
    for (path, _method), operation_id in EXPECTED.items():
        if path.startswith("/v2/bot/"):
            assert (
                hasattr(MessagingApi, _snake(operation_id))
                or hasattr(MessagingApiBlob, _snake(operation_id))
                or hasattr(Insight, _snake(operation_id))
                or hasattr(ManageAudience, _snake(operation_id))
                or hasattr(ManageAudienceBlob, _snake(operation_id))
                or operation_id
                in (
                    "getMessageContent",
                    "getMessageContentPreview",
                    "getMessageContentTranscodingByMessageId",
                )
            )


def test_push_is_documented_with_line_shapes(schema):
    push = schema["paths"]["/v2/bot/message/push"]["post"]
    params = {p["name"]: p for p in push["parameters"]}
    assert params["X-Line-Retry-Key"]["in"] == "header"
    ok = push["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok == "#/components/schemas/PushMessageResponse"
    sent = schema["components"]["schemas"]["SentMessage"]
    assert set(sent["properties"]) == {"id", "quoteToken"}
    error = schema["components"]["schemas"]["ErrorResponse"]
    assert set(error["properties"]) == {"message", "details", "sentMessages"}
    assert push["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert schema["paths"]["/v2/bot/message/narrowcast"]["post"][
        "responses"
    ].keys() >= {"202"}


def test_schema_covers_only_the_api_urls(schema):
    """Every documented path is under /v2 (no Manager page leaks in), and
    every /v2 route (but the schema itself and the catch-all 404) is
    documented."""
    documented = set(schema["paths"])
    assert documented and all(p.startswith("/v2/") for p in documented)
    routes = {
        "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern))
        for p in urlpatterns
        if p.name not in ("openapi", "not-found")
    }
    assert routes == documented
