"""Shapes of the Messaging API for the OpenAPI schema (drf-spectacular).

Request bodies are read with ``core.api.body.Body`` (LINE's error rules);
these serializers describe the wire format, named after the components of
LINE's ``messaging-api.yml`` so generated clients line up.
"""

from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    message = serializers.CharField(required=False)
    property = serializers.CharField(required=False)


class SentMessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    quoteToken = serializers.CharField(required=False)


class ErrorResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    details = ErrorDetailSerializer(many=True, required=False)
    sentMessages = SentMessageSerializer(many=True, required=False)


class MessageSerializer(serializers.Serializer):
    """A message object (spec section 2); other keys depend on ``type``."""

    type = serializers.ChoiceField(
        choices=[
            "text",
            "textV2",
            "sticker",
            "image",
            "video",
            "audio",
            "location",
            "imagemap",
            "template",
            "flex",
            "coupon",
        ]
    )
    quickReply = serializers.JSONField(required=False)
    sender = serializers.JSONField(required=False)


class ReplyMessageRequestSerializer(serializers.Serializer):
    replyToken = serializers.CharField()
    messages = MessageSerializer(many=True)
    notificationDisabled = serializers.BooleanField(required=False)


class PushMessageRequestSerializer(serializers.Serializer):
    to = serializers.CharField()
    messages = MessageSerializer(many=True)
    notificationDisabled = serializers.BooleanField(required=False)
    customAggregationUnits = serializers.ListField(
        child=serializers.CharField(), required=False
    )


class MulticastRequestSerializer(serializers.Serializer):
    to = serializers.ListField(child=serializers.CharField(), max_length=500)
    messages = MessageSerializer(many=True)
    notificationDisabled = serializers.BooleanField(required=False)
    customAggregationUnits = serializers.ListField(
        child=serializers.CharField(), required=False
    )


class LimitSerializer(serializers.Serializer):
    max = serializers.IntegerField(required=False, min_value=1)
    upToRemainingQuota = serializers.BooleanField(required=False)
    forbidPartialDelivery = serializers.BooleanField(required=False)


class NarrowcastRequestSerializer(serializers.Serializer):
    messages = MessageSerializer(many=True)
    recipient = serializers.JSONField(required=False)
    filter = serializers.JSONField(required=False)
    limit = LimitSerializer(required=False)
    notificationDisabled = serializers.BooleanField(required=False)


class BroadcastRequestSerializer(serializers.Serializer):
    messages = MessageSerializer(many=True)
    notificationDisabled = serializers.BooleanField(required=False)


class ValidateMessageRequestSerializer(serializers.Serializer):
    messages = MessageSerializer(many=True)


class PushMessageResponseSerializer(serializers.Serializer):
    sentMessages = SentMessageSerializer(many=True)


class NarrowcastProgressResponseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(
        choices=["waiting", "sending", "succeeded", "failed"]
    )
    successCount = serializers.IntegerField(required=False)
    failureCount = serializers.IntegerField(required=False)
    targetCount = serializers.IntegerField(required=False)
    failedDescription = serializers.CharField(required=False)
    errorCode = serializers.IntegerField(required=False)
    acceptedTime = serializers.DateTimeField()
    completedTime = serializers.DateTimeField(required=False)


class MessageQuotaResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["none", "limited"])
    value = serializers.IntegerField(required=False)


class QuotaConsumptionResponseSerializer(serializers.Serializer):
    totalUsage = serializers.IntegerField()


class NumberOfMessagesResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["ready", "unready", "unavailable_for_privacy", "out_of_service"]
    )
    success = serializers.IntegerField(required=False)


class UserProfileResponseSerializer(serializers.Serializer):
    displayName = serializers.CharField()
    userId = serializers.CharField()
    pictureUrl = serializers.URLField(required=False)
    statusMessage = serializers.CharField(required=False)
    language = serializers.CharField(required=False)


class IssueLinkTokenResponseSerializer(serializers.Serializer):
    linkToken = serializers.CharField()


class GetFollowersResponseSerializer(serializers.Serializer):
    userIds = serializers.ListField(child=serializers.CharField())
    next = serializers.CharField(required=False)


class BotInfoResponseSerializer(serializers.Serializer):
    userId = serializers.CharField()
    basicId = serializers.CharField()
    premiumId = serializers.CharField(required=False)
    displayName = serializers.CharField()
    pictureUrl = serializers.URLField(required=False)
    chatMode = serializers.ChoiceField(choices=["chat", "bot"])
    markAsReadMode = serializers.ChoiceField(choices=["auto", "manual"])


class GetWebhookEndpointResponseSerializer(serializers.Serializer):
    endpoint = serializers.CharField()
    active = serializers.BooleanField()


class SetWebhookEndpointRequestSerializer(serializers.Serializer):
    endpoint = serializers.CharField(max_length=500)


class TestWebhookEndpointRequestSerializer(serializers.Serializer):
    endpoint = serializers.CharField(max_length=500, required=False)


class TestWebhookEndpointResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField(required=False)
    timestamp = serializers.DateTimeField()
    statusCode = serializers.IntegerField()
    reason = serializers.CharField()
    detail = serializers.CharField()


class ShowLoadingAnimationRequestSerializer(serializers.Serializer):
    chatId = serializers.CharField()
    loadingSeconds = serializers.IntegerField(required=False, min_value=5, max_value=60)


class MarkMessagesAsReadByTokenRequestSerializer(serializers.Serializer):
    markAsReadToken = serializers.CharField()


class EmptySerializer(serializers.Serializer):
    """``{}``: the body of many successful sends."""
