"""Friend pages, under ``/manager/<account_slug>/friends/``."""

from django.urls import path

from messaging.friends import views

app_name = "friends"


urlpatterns = [
    path("friends/", views.friend_list, name="friend-list"),
    path("friends/export.csv", views.friend_export, name="friend-export"),
    path("friends/bulk-tag/", views.friend_bulk_tag, name="friend-bulk-tag"),
    path("friends/gain/", views.gain_friends, name="friend-gain"),
    path("friends/gain/qr.png", views.friend_qr, {"fmt": "png"}, name="friend-qr-png"),
    path("friends/gain/qr.svg", views.friend_qr, {"fmt": "svg"}, name="friend-qr-svg"),
    path(
        "friends/gain/sources/<int:source_id>/qr.png",
        views.source_qr,
        {"fmt": "png"},
        name="source-qr-png",
    ),
    path(
        "friends/gain/sources/<int:source_id>/qr.svg",
        views.source_qr,
        {"fmt": "svg"},
        name="source-qr-svg",
    ),
    path("friends/fields/", views.friend_fields, name="friend-fields"),
    path(
        "friends/fields/<int:field_id>/delete/",
        views.custom_field_delete,
        name="custom-field-delete",
    ),
    path("friends/tags/<int:tag_id>/delete/", views.tag_delete, name="tag-delete"),
    path("friends/<int:friend_id>/", views.friend_detail, name="friend-detail"),
    path(
        "friends/<int:friend_id>/staff-link/",
        views.friend_staff_link,
        name="friend-staff-link",
    ),
    path(
        "friends/<int:friend_id>/tags/",
        views.friend_tag_add,
        name="friend-tag-add",
    ),
    path(
        "friends/<int:friend_id>/tags/<int:tag_id>/remove/",
        views.friend_tag_remove,
        name="friend-tag-remove",
    ),
    path(
        "friends/<int:friend_id>/fields/",
        views.friend_fields_update,
        name="friend-fields-update",
    ),
    path(
        "friends/<int:friend_id>/notes/", views.friend_note_add, name="friend-note-add"
    ),
    path(
        "friends/<int:friend_id>/notes/<int:note_id>/delete/",
        views.friend_note_delete,
        name="friend-note-delete",
    ),
]
