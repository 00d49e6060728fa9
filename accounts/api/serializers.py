"""OpenAPI shapes of the channel access token endpoints (OAuth v2)."""

from rest_framework import serializers


class IssueShortLivedChannelAccessTokenRequestSerializer(serializers.Serializer):
    grant_type = serializers.ChoiceField(choices=["client_credentials"])
    client_id = serializers.CharField()
    client_secret = serializers.CharField()


class IssueShortLivedChannelAccessTokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    expires_in = serializers.IntegerField()
    token_type = serializers.CharField()


class AccessTokenRequestSerializer(serializers.Serializer):
    access_token = serializers.CharField()


class VerifyChannelAccessTokenResponseSerializer(serializers.Serializer):
    client_id = serializers.CharField()
    expires_in = serializers.IntegerField()
    scope = serializers.CharField(required=False)


class OAuthErrorResponseSerializer(serializers.Serializer):
    error = serializers.CharField()
    error_description = serializers.CharField(required=False)
