"""The LINE-compatible Messaging API (spec section 1).

Each view parses the request with LINE's error rules, calls one service
or selector, and renders LINE's camelCase JSON. Domain errors become
LINE's status codes and messages in ``BotApiView.handle_exception``.
"""

import datetime as dt
import mimetypes
import re

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework.response import Response

from accounts import quota
from accounts.ids import USER_ID
from accounts.models import OfficialAccount
from core.api.body import Body
from core.api.exceptions import (
    MONTHLY_LIMIT,
    NOT_AVAILABLE,
    NOT_FOUND,
    RETRY_KEY_ACCEPTED,
    BodyInvalid,
    LineApiError,
    PropertyInvalid,
)
from core.api.views import ACCEPTED_REQUEST_ID_HEADER, LineApiView
from core.exceptions import ApplicationError
from messaging.api import selectors, services
from messaging.api import serializers as s
from messaging.friends.linking import link_token_issue
from messaging.friends.services import AccountUnavailable
from messaging.store.checks import MessagesInvalid
from messaging.store.validators import messages_validate
from messaging.webhooks.services import (
    WebhookUrlInvalid,
    webhook_endpoint_get,
    webhook_endpoint_set,
    webhook_endpoint_test,
)

AGGREGATION_UNIT = r"[a-zA-Z0-9_]{1,30}"
# Push goes to a user, group or room ID (spec 1.4).
RECIPIENT_ID = r"[UCR][0-9a-f]{32}"
RETRY_KEY_PARAM = OpenApiParameter(
    "X-Line-Retry-Key",
    OpenApiTypes.UUID,
    OpenApiParameter.HEADER,
    description="Retry key (UUID); a repeat within 24 hours is answered 409.",
)
ERRORS = {
    400: s.ErrorResponseSerializer,
    401: s.ErrorResponseSerializer,
    403: s.ErrorResponseSerializer,
    409: s.ErrorResponseSerializer,
    429: s.ErrorResponseSerializer,
}


def _line_time(when: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as LINE writes times."""
    return (
        when.astimezone(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _query_param_invalid(name: str) -> LineApiError:
    return LineApiError(f"The value for the '{name}' parameter is invalid")


MESSAGE_ID = r"[0-9]{1,18}"  # ASCII digits that fit the bigint key


def _path_id(kwargs: dict, name: str, pattern: str) -> str:
    """A path parameter of LINE's ID form, else LINE's 400 for it."""
    value = kwargs[name]
    if not re.fullmatch(pattern, value):
        raise _query_param_invalid(name)
    return value


class BotApiView(LineApiView):
    """A Messaging API endpoint: domain errors answered as LINE does."""

    def handle_exception(self, exc):
        return super().handle_exception(_as_line_error(exc))

    def read_messages(self, body: Body) -> list:
        """``messages``, validated; errors join the body's other errors."""
        messages = body.array("messages")
        try:
            messages_validate(messages, api=True, account_id=self.request.account.pk)
        except MessagesInvalid as exc:
            if exc.type_error:
                raise PropertyInvalid(exc.type_error) from exc
            if exc.per_message:
                body.deferred = _as_line_error(exc)
            else:
                body.errors.extend(exc.errors)
        return messages or []


def _as_line_error(exc: Exception) -> Exception:
    if isinstance(exc, services.RetryKeyAccepted):
        return LineApiError(
            RETRY_KEY_ACCEPTED,
            status=409,
            extra=exc.response,
            headers={ACCEPTED_REQUEST_ID_HEADER: exc.request_id},
        )
    if isinstance(exc, MessagesInvalid):
        if exc.type_error:
            return PropertyInvalid(exc.type_error)
        return LineApiError(exc.message, details=exc.errors)
    if isinstance(exc, quota.QuotaExceeded):
        return LineApiError(MONTHLY_LIMIT, status=429)
    if isinstance(exc, quota.AccountSuspended | AccountUnavailable):
        return LineApiError(NOT_AVAILABLE, status=403)
    if isinstance(exc, services.NotEnoughFriends):
        return LineApiError(exc.message, status=403)
    if isinstance(exc, WebhookUrlInvalid):
        return BodyInvalid([{"message": "Invalid URL", "property": "endpoint"}])
    if isinstance(exc, ApplicationError):
        return LineApiError(exc.message)
    return exc


# --- Sending -----------------------------------------------------------------------


class MessageReplyApi(BotApiView):
    """Reply to a webhook event with its reply token (free of quota)."""

    @extend_schema(
        operation_id="replyMessage",
        request=s.ReplyMessageRequestSerializer,
        responses={200: s.PushMessageResponseSerializer, **ERRORS},
    )
    def post(self, request):
        body = Body(request.data)
        reply_token = body.string("replyToken", required=True)
        messages = self.read_messages(body)
        body.boolean("notificationDisabled")
        body.check()
        sent = services.message_reply(
            account=request.account, reply_token=reply_token, messages=messages
        )
        return Response({"sentMessages": sent})


def _aggregation_units(body: Body) -> None:
    units = body.array("customAggregationUnits", max_items=1)
    for i, unit in enumerate(units or []):
        if not isinstance(unit, str):
            raise PropertyInvalid(f"customAggregationUnits[{i}]")
        nested = body.nested({"unit": unit}, f"customAggregationUnits[{i}]")
        nested.string("unit", pattern=AGGREGATION_UNIT)


class MessagePushApi(BotApiView):
    """Send to one user (counted)."""

    retry_key_allowed = True

    @extend_schema(
        operation_id="pushMessage",
        request=s.PushMessageRequestSerializer,
        parameters=[RETRY_KEY_PARAM],
        responses={200: s.PushMessageResponseSerializer, **ERRORS},
    )
    def post(self, request):
        retry_key = self.retry_key(request)
        body = Body(request.data)
        to = body.string("to", required=True)
        if to and not re.fullmatch(RECIPIENT_ID, to):
            # Only a well-formed ID that is no friend is "Failed to send".
            raise PropertyInvalid("to", located=False)
        messages = self.read_messages(body)
        body.boolean("notificationDisabled")
        _aggregation_units(body)
        body.check()
        sent = services.message_push(
            account=request.account,
            to=to,
            messages=messages,
            request_id=request.line_request_id,
            retry_key=retry_key,
        )
        return Response({"sentMessages": sent})


class MessageMulticastApi(BotApiView):
    """Send to up to 500 user IDs (counted per friend reached)."""

    retry_key_allowed = True
    rate_scope = "multicast"

    @extend_schema(
        operation_id="multicast",
        request=s.MulticastRequestSerializer,
        parameters=[RETRY_KEY_PARAM],
        responses={200: s.EmptySerializer, **ERRORS},
    )
    def post(self, request):
        retry_key = self.retry_key(request)
        body = Body(request.data)
        to = body.array("to", required=True, min_items=1, max_items=500)
        for i, user_id in enumerate(to or []):
            if not isinstance(user_id, str):
                raise PropertyInvalid(f"to[{i}]")
            if not _is_user_id(user_id):
                raise PropertyInvalid(f"to[{i}]", located=False)
        messages = self.read_messages(body)
        body.boolean("notificationDisabled")
        _aggregation_units(body)
        body.check()
        services.messages_multicast(
            account=request.account,
            to=to,
            messages=messages,
            request_id=request.line_request_id,
            retry_key=retry_key,
        )
        return Response({})


def _is_user_id(value: str) -> bool:
    return re.fullmatch(USER_ID, value) is not None


_AREAS = tuple(
    [f"jp_{i:02d}" for i in range(1, 48)]
    + [f"tw_{i:02d}" for i in range(1, 23)]
    + [f"th_{i:02d}" for i in range(1, 9)]
    + [f"id_{i:02d}" for i in range(1, 13)]
)
_AGES = tuple(f"age_{n}" for n in range(15, 75, 5))
_PERIODS = ("day_7", "day_30", "day_90", "day_180", "day_365")


def _read_operator(node: Body, read_child) -> None:
    present = [key for key in ("and", "or", "not") if node.data.get(key) is not None]
    if len(present) != 1:
        node.error("type", "Exactly one of and, or and not must be specified")
        return
    key = present[0]
    if key == "not":
        child = node.object("not")
        if child is not None:
            read_child(child)
        return
    for i, item in enumerate(node.array(key, min_items=1) or []):
        read_child(node.nested(item, f"{key}[{i}]"))


def _read_recipient(node: Body) -> None:
    kind = node.string(
        "type", required=True, choices=("audience", "redelivery", "operator")
    )
    if kind == "audience":
        node.integer("audienceGroupId", required=True)
    elif kind == "redelivery":
        node.string("requestId", required=True)
    elif kind == "operator":
        _read_operator(node, _read_recipient)


def _read_range(node: Body, allowed: tuple[str, ...]) -> None:
    gte = node.string("gte", choices=allowed)
    lt = node.string("lt", choices=allowed)
    if gte is None and lt is None:
        node.error("gte", "gte or lt must be specified")
    elif gte in allowed and lt in allowed and allowed.index(gte) >= allowed.index(lt):
        node.error("lt", "Must be greater than gte")


def _read_demographic(node: Body) -> None:
    kind = node.string(
        "type",
        required=True,
        choices=("gender", "age", "appType", "area", "subscriptionPeriod", "operator"),
    )
    if kind == "gender":
        node.choices("oneOf", ("male", "female"), required=True)
    elif kind == "appType":
        node.choices("oneOf", ("ios", "android"), required=True)
    elif kind == "area":
        node.choices("oneOf", _AREAS, required=True)
    elif kind == "age":
        _read_range(node, _AGES)
    elif kind == "subscriptionPeriod":
        _read_range(node, _PERIODS)
    elif kind == "operator":
        _read_operator(node, _read_demographic)


class MessageNarrowcastApi(BotApiView):
    """Send to a targeted subset of friends, asynchronously (202)."""

    retry_key_allowed = True
    rate_scope = "narrowcast"

    @extend_schema(
        operation_id="narrowcast",
        request=s.NarrowcastRequestSerializer,
        parameters=[RETRY_KEY_PARAM],
        responses={202: s.EmptySerializer, **ERRORS},
    )
    def post(self, request):
        retry_key = self.retry_key(request)
        body = Body(request.data)
        messages = self.read_messages(body)
        recipient = body.object("recipient")
        if recipient is not None:
            _read_recipient(recipient)
        filter_ = body.object("filter")
        demographic = filter_.object("demographic") if filter_ else None
        if demographic is not None:
            _read_demographic(demographic)
        limit = body.object("limit") or body.nested({}, "limit")
        limit_max = limit.integer("max", minimum=1)
        up_to = limit.boolean("upToRemainingQuota")
        forbid = limit.boolean("forbidPartialDelivery")
        notification_disabled = body.boolean("notificationDisabled")
        body.check()
        if forbid and not up_to:
            raise LineApiError(
                "The option forbidPartialDelivery must be used with upToRemainingQuota."
            )
        services.narrowcast_accept(
            account=request.account,
            messages=messages,
            audience=services.Audience(
                recipient=recipient.data if recipient else None,
                demographic=demographic.data if demographic else None,
                limit_max=limit_max,
                up_to_remaining_quota=up_to,
                forbid_partial_delivery=forbid,
            ),
            request_id=request.line_request_id,
            notification_disabled=notification_disabled,
            retry_key=retry_key,
        )
        return Response({}, status=202)


class NarrowcastProgressGetApi(BotApiView):
    """The phase and counts of a narrowcast, by its request ID."""

    @extend_schema(
        operation_id="getNarrowcastProgress",
        parameters=[OpenApiParameter("requestId", str, required=True)],
        responses={
            200: s.NarrowcastProgressResponseSerializer,
            404: s.ErrorResponseSerializer,
        },
    )
    def get(self, request):
        request_id = request.query_params.get("requestId", "")
        if not request_id:
            raise _query_param_invalid("requestId")
        progress = selectors.narrowcast_progress(
            account=request.account, request_id=request_id
        )
        if progress is None:
            raise LineApiError(NOT_FOUND, status=404)
        data: dict = {
            "phase": progress["phase"],
            "acceptedTime": _line_time(progress["accepted_at"]),
        }
        if "success" in progress:
            data["successCount"] = progress["success"]
            data["failureCount"] = progress["failure"]
            data["targetCount"] = progress["target"]
        if "error_code" in progress:
            data["errorCode"] = progress["error_code"]
            data["failedDescription"] = progress["failed_description"]
        if progress["completed_at"]:
            data["completedTime"] = _line_time(progress["completed_at"])
        return Response(data)


class MessageBroadcastApi(BotApiView):
    """Send to every friend."""

    retry_key_allowed = True
    rate_scope = "broadcast"

    @extend_schema(
        operation_id="broadcast",
        request=s.BroadcastRequestSerializer,
        parameters=[RETRY_KEY_PARAM],
        responses={200: s.EmptySerializer, **ERRORS},
    )
    def post(self, request):
        retry_key = self.retry_key(request)
        body = Body(request.data)
        messages = self.read_messages(body)
        notification_disabled = body.boolean("notificationDisabled")
        body.check()
        services.broadcast_accept(
            account=request.account,
            messages=messages,
            request_id=request.line_request_id,
            notification_disabled=notification_disabled,
            retry_key=retry_key,
        )
        return Response({})


class MessagesValidateApi(BotApiView):
    """Dry-run validation of ``messages`` for one kind of send."""

    def post(self, request):
        body = Body(request.data)
        self.read_messages(body)
        body.check()
        return Response({})


def _validate_view(kind: str) -> type[MessagesValidateApi]:
    schema = extend_schema(
        operation_id=f"validate{kind.capitalize()}",
        request=s.ValidateMessageRequestSerializer,
        responses={200: s.EmptySerializer, 400: s.ErrorResponseSerializer},
    )
    return extend_schema_view(post=schema)(
        type(f"Validate{kind.capitalize()}Api", (MessagesValidateApi,), {})
    )


ValidateReplyApi = _validate_view("reply")
ValidatePushApi = _validate_view("push")
ValidateMulticastApi = _validate_view("multicast")
ValidateNarrowcastApi = _validate_view("narrowcast")
ValidateBroadcastApi = _validate_view("broadcast")


# --- Quota and statistics ----------------------------------------------------------


class QuotaGetApi(BotApiView):
    """This month's message limit."""

    @extend_schema(
        operation_id="getMessageQuota",
        responses={200: s.MessageQuotaResponseSerializer},
    )
    def get(self, request):
        usage = quota.usage_get(account=request.account)
        return Response({"type": "limited", "value": usage.limit})


class QuotaConsumptionGetApi(BotApiView):
    """Messages counted this month."""

    @extend_schema(
        operation_id="getMessageQuotaConsumption",
        responses={200: s.QuotaConsumptionResponseSerializer},
    )
    def get(self, request):
        usage = quota.usage_get(account=request.account)
        return Response({"totalUsage": usage.used})


class DeliveryCountGetApi(BotApiView):
    """Messages sent on one day (``date=yyyyMMdd``, UTC+9) by one kind."""

    kind = ""

    def get(self, request):
        raw = request.query_params.get("date", "")
        try:
            day = dt.datetime.strptime(raw, "%Y%m%d").date()
        except ValueError as exc:
            raise _query_param_invalid("date") from exc
        return Response(
            selectors.delivery_count(account=request.account, kind=self.kind, day=day)
        )


def _delivery_view(kind: str) -> type[DeliveryCountGetApi]:
    schema = extend_schema(
        operation_id=f"getNumberOfSent{kind.capitalize()}Messages",
        parameters=[
            OpenApiParameter("date", str, required=True, description="yyyyMMdd, UTC+9")
        ],
        responses={200: s.NumberOfMessagesResponseSerializer},
    )
    return extend_schema_view(get=schema)(
        type(
            f"{kind.capitalize()}DeliveryCountGetApi",
            (DeliveryCountGetApi,),
            {"kind": kind},
        )
    )


ReplyDeliveryCountGetApi = _delivery_view("reply")
PushDeliveryCountGetApi = _delivery_view("push")
MulticastDeliveryCountGetApi = _delivery_view("multicast")
BroadcastDeliveryCountGetApi = _delivery_view("broadcast")


# --- Users and the bot -------------------------------------------------------------


def _absolute(request, field) -> str | None:
    return request.build_absolute_uri(field.url) if field else None


class ProfileGetApi(BotApiView):
    """The profile of a user who follows the account."""

    @extend_schema(
        operation_id="getProfile",
        responses={
            200: s.UserProfileResponseSerializer,
            404: s.ErrorResponseSerializer,
        },
    )
    def get(self, request, **kwargs):
        # Path parameters keep LINE's names (``userId``) for the schema.
        friend = selectors.friend_profile_get(
            account=request.account, user_id=_path_id(kwargs, "userId", USER_ID)
        )
        if friend is None:
            raise LineApiError(NOT_FOUND, status=404)
        user = friend.line_user
        data = {"displayName": user.display_name, "userId": user.user_id}
        if user.picture:
            data["pictureUrl"] = _absolute(request, user.picture)
        if user.status_message:
            data["statusMessage"] = user.status_message
        if user.language:
            data["language"] = user.language
        return Response(data)


class LinkTokenIssueApi(BotApiView):
    """A single-use link token for account linking, valid 10 minutes."""

    @extend_schema(
        operation_id="issueLinkToken",
        request=None,
        responses={
            200: s.IssueLinkTokenResponseSerializer,
            400: s.ErrorResponseSerializer,
            404: s.ErrorResponseSerializer,
        },
    )
    def post(self, request, **kwargs):
        friend = selectors.friend_profile_get(
            account=request.account, user_id=_path_id(kwargs, "userId", USER_ID)
        )
        if friend is None:
            raise LineApiError(NOT_FOUND, status=404)
        return Response({"linkToken": link_token_issue(friend=friend).token})


class FollowerListApi(BotApiView):
    """User IDs of the account's friends, paged (verified accounts)."""

    @extend_schema(
        operation_id="getFollowers",
        parameters=[
            OpenApiParameter("start", str),
            OpenApiParameter("limit", int, description="1–1000, default 300"),
        ],
        responses={
            200: s.GetFollowersResponseSerializer,
            403: s.ErrorResponseSerializer,
        },
    )
    def get(self, request):
        account: OfficialAccount = request.account
        # LINE offers follower IDs to verified and premium accounts only.
        if account.badge == OfficialAccount.Badge.UNVERIFIED:
            raise LineApiError(NOT_AVAILABLE, status=403)
        raw_limit = request.query_params.get("limit")
        limit = selectors.FOLLOWERS_DEFAULT_LIMIT
        if raw_limit is not None:
            if not raw_limit.isdigit() or not (
                1 <= int(raw_limit) <= selectors.FOLLOWERS_MAX_LIMIT
            ):
                raise _query_param_invalid("limit")
            limit = int(raw_limit)
        after = None
        start = request.query_params.get("start")
        if start:
            after = selectors.followers_cursor_decode(start)
            if after is None:
                raise _query_param_invalid("start")
        user_ids, token = selectors.followers_page(
            account=account, after=after, limit=limit
        )
        data: dict = {"userIds": user_ids}
        if token:
            data["next"] = token
        return Response(data)


class BotInfoGetApi(BotApiView):
    """The bot's user ID, basic ID, name and chat settings."""

    @extend_schema(
        operation_id="getBotInfo", responses={200: s.BotInfoResponseSerializer}
    )
    def get(self, request):
        account: OfficialAccount = request.account
        data = {
            "userId": account.bot_user_id,
            "basicId": account.basic_id,
            "displayName": account.display_name,
            # Staff chat and the bot work side by side here: chat is "on",
            # so messages are marked read by staff or the bot, not at once.
            "chatMode": "chat",
            "markAsReadMode": "manual",
        }
        if account.premium_id:
            data["premiumId"] = account.premium_id
        if account.picture_large:
            data["pictureUrl"] = _absolute(request, account.picture_large)
        return Response(data)


# --- Webhook settings --------------------------------------------------------------


class WebhookEndpointApi(BotApiView):
    """Read or set the webhook URL."""

    rate_scope = "webhook_endpoint"

    @extend_schema(
        operation_id="getWebhookEndpoint",
        responses={200: s.GetWebhookEndpointResponseSerializer},
    )
    def get(self, request):
        endpoint = webhook_endpoint_get(account=request.account)
        return Response({"endpoint": endpoint.url, "active": endpoint.active})

    @extend_schema(
        operation_id="setWebhookEndpoint",
        request=s.SetWebhookEndpointRequestSerializer,
        responses={200: s.EmptySerializer, 400: s.ErrorResponseSerializer},
    )
    def put(self, request):
        body = Body(request.data)
        url = body.string("endpoint", required=True, max_length=500)
        body.check()
        # A URL set through the API is used at once, so a bot works after
        # this one call; the Manager can still switch the webhook off.
        webhook_endpoint_set(account=request.account, actor=None, url=url, active=True)
        return Response({})


class WebhookEndpointTestApi(BotApiView):
    """POST the empty-events check to the webhook URL and report."""

    rate_scope = "webhook_test"

    @extend_schema(
        operation_id="testWebhookEndpoint",
        request=s.TestWebhookEndpointRequestSerializer,
        responses={200: s.TestWebhookEndpointResponseSerializer},
    )
    def post(self, request):
        body = Body(request.data)
        url = body.string("endpoint", max_length=500)
        body.check()
        if url is None and not webhook_endpoint_get(account=request.account).url:
            raise LineApiError("The webhook endpoint URL is not set")
        result = webhook_endpoint_test(account=request.account, url=url)
        return Response(
            {
                "success": result.success,
                "timestamp": _line_time(result.timestamp),
                "statusCode": result.status_code,
                "reason": result.reason,
                "detail": result.detail,
            }
        )


# --- Content (api-data) ------------------------------------------------------------


class MessageContentGetApi(BotApiView):
    """The file a customer sent (api-data host; same host here)."""

    preview = False

    @extend_schema(
        operation_id="getMessageContent",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: s.ErrorResponseSerializer,
        },
    )
    def get(self, request, **kwargs):
        message = selectors.message_content_get(
            account=request.account,
            message_id=_path_id(kwargs, "messageId", MESSAGE_ID),
        )
        if message is None:
            raise LineApiError(NOT_FOUND, status=404)
        field = message.preview if self.preview and message.preview else message.content
        content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
        return FileResponse(field.open("rb"), content_type=content_type)


@extend_schema_view(
    get=extend_schema(
        operation_id="getMessageContentPreview",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: s.ErrorResponseSerializer,
        },
    )
)
class MessageContentPreviewGetApi(MessageContentGetApi):
    preview = True


class MessageContentTranscodingGetApi(BotApiView):
    """Whether a customer's video or audio is ready to download
    (REF#verify-video-or-audio-preparation-status): stored files are
    ready at once, so ``{"status": "succeeded"}``."""

    @extend_schema(
        operation_id="getMessageContentTranscodingByMessageId",
        responses={200: OpenApiTypes.OBJECT, 404: s.ErrorResponseSerializer},
    )
    def get(self, request, **kwargs):
        message = selectors.message_content_get(
            account=request.account,
            message_id=_path_id(kwargs, "messageId", MESSAGE_ID),
        )
        if message is None or message.type not in ("video", "audio"):
            raise LineApiError(NOT_FOUND, status=404)
        return Response({"status": "succeeded"})


# --- Chat ----------------------------------------------------------------------------


class LoadingAnimationStartApi(BotApiView):
    """Show the loading indicator in a customer's talk room."""

    rate_scope = "loading"

    @extend_schema(
        operation_id="showLoadingAnimation",
        request=s.ShowLoadingAnimationRequestSerializer,
        responses={202: s.EmptySerializer, 400: s.ErrorResponseSerializer},
    )
    def post(self, request):
        body = Body(request.data)
        chat_id = body.string("chatId", required=True, pattern=USER_ID)
        seconds = body.integer("loadingSeconds", minimum=5, maximum=60)
        if seconds is not None and seconds % 5:
            body.error("loadingSeconds", "Must be a multiple of 5")
        body.check()
        services.loading_animation_show(
            account=request.account, user_id=chat_id, seconds=seconds or 20
        )
        return Response({}, status=202)


class MessagesMarkReadApi(BotApiView):
    """Mark a customer's messages read with a webhook's markAsReadToken."""

    @extend_schema(
        operation_id="markMessagesAsReadByToken",
        request=s.MarkMessagesAsReadByTokenRequestSerializer,
        responses={200: s.EmptySerializer, 400: s.ErrorResponseSerializer},
    )
    def post(self, request):
        body = Body(request.data)
        token = body.string("markAsReadToken", required=True)
        body.check()
        services.messages_mark_read_by_token(account=request.account, token=token)
        return Response({})
