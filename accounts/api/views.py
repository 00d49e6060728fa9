"""Channel access tokens over LINE's OAuth v2 endpoints (spec 1.2).

Form bodies, no bearer token, and OAuth error bodies
(``{"error", "error_description"}``) instead of LINE's usual ones.
"""

import datetime as dt
import hmac

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from accounts.api import serializers as s
from accounts.models import ChannelAccessToken, OfficialAccount
from accounts.selectors import channel_token_authenticate
from accounts.services import channel_token_issue, channel_token_revoke
from core.api.exceptions import LineApiError
from core.api.views import LineApiView
from core.text import text_storable

SHORT_LIVED_TTL = dt.timedelta(days=30)
# LINE's long-lived tokens never expire; verify reports the largest value.
NO_EXPIRY_SECONDS = 2**31 - 1


class OAuthError(LineApiError):
    """OAuth endpoints answer ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.message}


class OAuthApi(LineApiView):
    """OAuth v2 endpoints: form bodies, no bearer token, OAuth error bodies."""

    authentication_classes: list = []
    parser_classes = [FormParser]

    def form(self, request, *names: str) -> list[str]:
        values = []
        for name in names:
            value = request.data.get(name, "") if hasattr(request.data, "get") else ""
            if not value:
                raise OAuthError("invalid_request", f"'{name}' must be specified")
            if not isinstance(value, str) or not text_storable(value):
                # NUL or a lone surrogate: no channel ID, secret or token has one
                raise OAuthError("invalid_request", f"'{name}' is invalid")
            values.append(value)
        return values


class ChannelTokenIssueApi(OAuthApi):
    """Issue a 30-day token for ``client_credentials`` (channel ID, secret)."""

    @extend_schema(
        operation_id="issueChannelToken",
        request={
            "application/x-www-form-urlencoded": (
                s.IssueShortLivedChannelAccessTokenRequestSerializer
            )
        },
        responses={
            200: s.IssueShortLivedChannelAccessTokenResponseSerializer,
            400: s.OAuthErrorResponseSerializer,
        },
    )
    def post(self, request):
        grant_type, client_id, client_secret = self.form(
            request, "grant_type", "client_id", "client_secret"
        )
        if grant_type != "client_credentials":
            raise OAuthError("unsupported_grant_type", "unsupported grant_type")
        account = OfficialAccount.objects.filter(channel_id=client_id).first()
        if account is None:
            raise OAuthError("invalid_client", "invalid client_id")
        # Constant time: the answer's timing says nothing about how much of
        # the secret matched.
        if not hmac.compare_digest(
            account.channel_secret.encode(), client_secret.encode()
        ):
            raise OAuthError("invalid_client", "invalid client_secret")
        _record, token = channel_token_issue(
            account=account,
            actor=None,
            label="OAuth client_credentials",
            kind=ChannelAccessToken.Kind.SHORT_LIVED,
            ttl=SHORT_LIVED_TTL,
        )
        return Response(
            {
                "access_token": token,
                "expires_in": int(SHORT_LIVED_TTL.total_seconds()),
                "token_type": "Bearer",
            }
        )


class ChannelTokenVerifyApi(OAuthApi):
    """The channel and remaining lifetime of a token."""

    @extend_schema(
        operation_id="verifyChannelToken",
        request={"application/x-www-form-urlencoded": s.AccessTokenRequestSerializer},
        responses={
            200: s.VerifyChannelAccessTokenResponseSerializer,
            400: s.OAuthErrorResponseSerializer,
        },
    )
    def post(self, request):
        (token,) = self.form(request, "access_token")
        record = channel_token_authenticate(token=token)
        if record is None:
            raise OAuthError("invalid_request", "access token expired")
        if record.expires_at is None:
            expires_in = NO_EXPIRY_SECONDS
        else:
            expires_in = int((record.expires_at - timezone.now()).total_seconds())
        return Response(
            {"client_id": record.account.channel_id, "expires_in": expires_in}
        )


class ChannelTokenRevokeApi(OAuthApi):
    """Revoke a token."""

    @extend_schema(
        operation_id="revokeChannelToken",
        request={"application/x-www-form-urlencoded": s.AccessTokenRequestSerializer},
        responses={
            200: OpenApiResponse(description="Revoked"),
            400: s.OAuthErrorResponseSerializer,
        },
    )
    def post(self, request):
        (token,) = self.form(request, "access_token")
        record = channel_token_authenticate(token=token)
        if record is None:
            raise OAuthError("invalid_request", "invalid access token")
        channel_token_revoke(account=record.account, actor=None, token_id=record.pk)
        return Response({})
