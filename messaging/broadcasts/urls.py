"""Broadcast pages under ``/manager/<slug>/broadcasts/`` and ``/r/<token>``."""

from django.urls import path

from messaging.broadcasts import views

app_name = "broadcasts"


urlpatterns = [
    path("", views.broadcast_list, name="broadcast-list"),
    path("new/", views.broadcast_compose, name="broadcast-create"),
    path("<int:broadcast_id>/", views.broadcast_detail, name="broadcast-detail"),
    path("<int:broadcast_id>/edit/", views.broadcast_compose, name="broadcast-edit"),
    path(
        "<int:broadcast_id>/progress",
        views.broadcast_progress,
        name="broadcast-progress",
    ),
    path("<int:broadcast_id>/pause/", views.broadcast_pause, name="broadcast-pause"),
    path("<int:broadcast_id>/resume/", views.broadcast_resume, name="broadcast-resume"),
    path("<int:broadcast_id>/cancel/", views.broadcast_cancel, name="broadcast-cancel"),
    path("<int:broadcast_id>/copy/", views.broadcast_copy, name="broadcast-copy"),
    path("<int:broadcast_id>/delete/", views.broadcast_delete, name="broadcast-delete"),
    path("estimate", views.audience_estimate, name="audience-estimate"),
    path("images/", views.image_upload, name="image-upload"),
    path("preview", views.bubbles_preview, name="bubbles-preview"),
    path("segments/", views.segment_list, name="segment-list"),
    path(
        "segments/<int:segment_id>/export/",
        views.segment_export,
        name="segment-export",
    ),
    path(
        "segments/<int:segment_id>/delete/",
        views.segment_delete,
        name="segment-delete",
    ),
]


# Mounted at ``r/`` by config/urls.py: tracking links in broadcasts.
click_urlpatterns = [
    path("<str:code>/<str:token>", views.click_redirect, name="click"),
    # Links sent before opaque tokens: <code>.<friend id>.<signature>.
    path("<str:code>", views.click_redirect, name="click-old"),
]
