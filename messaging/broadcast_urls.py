"""Broadcast pages under ``/manager/<slug>/broadcasts/`` and ``/r/<token>``."""

from django.urls import path

from messaging import broadcast_views as views

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
    path("segments/", views.segment_list, name="segment-list"),
    path(
        "segments/<int:segment_id>/delete/",
        views.segment_delete,
        name="segment-delete",
    ),
    path("steps/", views.step_list, name="step-list"),
    path("steps/new/", views.step_edit, name="step-create"),
    path("steps/<int:sequence_id>/", views.step_edit, name="step-edit"),
    path("steps/<int:sequence_id>/stop/", views.step_stop, name="step-stop"),
    path(
        "steps/enrollments/<int:enrollment_id>/stop/",
        views.step_enrollment_stop,
        name="step-enrollment-stop",
    ),
    path("auto-responses/", views.autoresponse_list, name="autoresponse-list"),
    path("auto-responses/new/", views.autoresponse_edit, name="autoresponse-create"),
    path(
        "auto-responses/<int:rule_id>/",
        views.autoresponse_edit,
        name="autoresponse-edit",
    ),
    path(
        "auto-responses/<int:rule_id>/delete/",
        views.autoresponse_delete,
        name="autoresponse-delete",
    ),
]

# Mounted at ``r/`` by config/urls.py: tracking links in broadcasts.
click_urlpatterns = [
    path("<str:token>", views.click_redirect, name="click"),
]
