"""``/v2/oauth/...``: channel access tokens (composed by config/api_urls.py)."""

from django.urls import path

from accounts.api import views

urlpatterns = [
    path(
        "v2/oauth/accessToken",
        views.ChannelTokenIssueApi.as_view(),
        name="oauth-token-issue",
    ),
    path("v2/oauth/verify", views.ChannelTokenVerifyApi.as_view(), name="oauth-verify"),
    path("v2/oauth/revoke", views.ChannelTokenRevokeApi.as_view(), name="oauth-revoke"),
]
