"""``/v2/bot/insight/...`` (composed by config/api_urls.py)."""

from django.urls import path

from analytics.api import views

urlpatterns = [
    path(
        "v2/bot/insight/followers",
        views.FollowersApi.as_view(),
        name="insight-followers",
    ),
    path(
        "v2/bot/insight/message/delivery",
        views.MessageDeliveriesApi.as_view(),
        name="insight-message-delivery",
    ),
    path(
        "v2/bot/insight/demographic",
        views.DemographicApi.as_view(),
        name="insight-demographic",
    ),
    path(
        "v2/bot/insight/message/event",
        views.MessageEventApi.as_view(),
        name="insight-message-event",
    ),
]
