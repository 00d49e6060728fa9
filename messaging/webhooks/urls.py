"""The bot's webhook settings and delivery log, under ``<slug>/webhook/``."""

from django.urls import path

from messaging.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_settings, name="webhook-settings"),
    path("verify/", views.webhook_verify, name="webhook-verify"),
    path(
        "deliveries/<int:delivery_id>/redeliver/",
        views.webhook_redeliver,
        name="webhook-redeliver",
    ),
]
