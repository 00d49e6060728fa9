"""Automatic-reply pages, mounted at ``/manager/<account_slug>/``."""

from django.urls import path

from messaging.automation import views

app_name = "automation"

urlpatterns = [
    path("friends/greeting/", views.greeting_edit, name="greeting"),
    path("broadcasts/steps/", views.step_list, name="step-list"),
    path("broadcasts/steps/new/", views.step_edit, name="step-create"),
    path("broadcasts/steps/<int:sequence_id>/", views.step_edit, name="step-edit"),
    path("broadcasts/steps/<int:sequence_id>/stop/", views.step_stop, name="step-stop"),
    path(
        "broadcasts/steps/enrollments/<int:enrollment_id>/stop/",
        views.step_enrollment_stop,
        name="step-enrollment-stop",
    ),
    path(
        "broadcasts/auto-responses/", views.autoresponse_list, name="autoresponse-list"
    ),
    path(
        "broadcasts/auto-responses/new/",
        views.autoresponse_edit,
        name="autoresponse-create",
    ),
    path(
        "broadcasts/auto-responses/<int:rule_id>/",
        views.autoresponse_edit,
        name="autoresponse-edit",
    ),
    path(
        "broadcasts/auto-responses/<int:rule_id>/delete/",
        views.autoresponse_delete,
        name="autoresponse-delete",
    ),
]
