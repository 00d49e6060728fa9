"""``Authorization: Bearer <channel access token>`` for the LINE API."""

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ChannelAccessToken, OfficialAccount
from accounts.selectors import channel_token_authenticate
from core.api.exceptions import INVALID_TOKEN, MISSING_TOKEN


@dataclass(frozen=True)
class Channel:
    """The caller of the API: a channel (account), never a staff user.

    Stands in ``request.user``; the account is also ``request.account``.
    """

    account: OfficialAccount
    token: ChannelAccessToken
    is_authenticated: bool = True
    is_anonymous: bool = False


class ChannelTokenAuthentication(BaseAuthentication):
    """Resolve the bearer token to ``request.account`` or answer 401."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationFailed(MISSING_TOKEN)
        record = channel_token_authenticate(token=token)
        if record is None:
            raise AuthenticationFailed(INVALID_TOKEN)
        # DRF's Request falls back to the HttpRequest for unknown attributes,
        # so views and services read ``request.account`` either way.
        request._request.account = record.account
        return Channel(account=record.account, token=record), record

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="line"'


class ChannelTokenScheme(OpenApiAuthenticationExtension):
    """Documents ``ChannelTokenAuthentication`` as LINE's ``Bearer`` scheme."""

    target_class = ChannelTokenAuthentication
    name = "Bearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
