"""Shapes of the Insight API's answers, for the OpenAPI schema (insight.yml)."""

from rest_framework import serializers

STATUSES = ["ready", "unready", "out_of_service"]


class GetNumberOfFollowersResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES)
    followers = serializers.IntegerField(required=False)
    targetedReaches = serializers.IntegerField(required=False)
    blocks = serializers.IntegerField(required=False)


class GetNumberOfMessageDeliveriesResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES)
    broadcast = serializers.IntegerField(required=False)
    targeting = serializers.IntegerField(required=False)
    autoResponse = serializers.IntegerField(required=False)
    welcomeResponse = serializers.IntegerField(required=False)
    chat = serializers.IntegerField(required=False)
    apiBroadcast = serializers.IntegerField(required=False)
    apiPush = serializers.IntegerField(required=False)
    apiMulticast = serializers.IntegerField(required=False)
    apiNarrowcast = serializers.IntegerField(required=False)
    apiReply = serializers.IntegerField(required=False)


def _tile(key: str) -> type[serializers.Serializer]:
    return type(
        f"{key[0].upper()}{key[1:]}TileSerializer",
        (serializers.Serializer,),
        {key: serializers.CharField(), "percentage": serializers.FloatField()},
    )


class GetFriendsDemographicsResponseSerializer(serializers.Serializer):
    available = serializers.BooleanField()
    genders = _tile("gender")(many=True, required=False)
    ages = _tile("age")(many=True, required=False)
    areas = _tile("area")(many=True, required=False)
    appTypes = _tile("appType")(many=True, required=False)
    subscriptionPeriods = _tile("subscriptionPeriod")(many=True, required=False)


class MessageEventOverviewSerializer(serializers.Serializer):
    requestId = serializers.CharField()
    timestamp = serializers.IntegerField()
    delivered = serializers.IntegerField(allow_null=True)
    uniqueImpression = serializers.IntegerField(allow_null=True)
    uniqueClick = serializers.IntegerField(allow_null=True)
    uniqueMediaPlayed = serializers.IntegerField(allow_null=True)
    uniqueMediaPlayed100Percent = serializers.IntegerField(allow_null=True)


class MessageEventMessageSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    impression = serializers.IntegerField(allow_null=True)
    mediaPlayed = serializers.IntegerField(allow_null=True)
    uniqueMediaPlayed = serializers.IntegerField(allow_null=True)


class MessageEventClickSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    url = serializers.CharField()
    click = serializers.IntegerField(allow_null=True)
    uniqueClick = serializers.IntegerField(allow_null=True)
    uniqueClickOfRequest = serializers.IntegerField(allow_null=True)


class GetMessageEventResponseSerializer(serializers.Serializer):
    overview = MessageEventOverviewSerializer()
    messages = MessageEventMessageSerializer(many=True)
    clicks = MessageEventClickSerializer(many=True)


class InsightErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
