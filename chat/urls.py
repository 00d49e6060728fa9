"""Chat pages, under ``/manager/<account_slug>/chat/``."""

from django.urls import path

from chat import group_views, views

app_name = "chat"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox.json", views.inbox_json, name="inbox-json"),
    path("unread.json", views.unread_json, name="unread-json"),
    path("export.csv", views.export_csv, name="export"),
    path("canned/", views.canned_list, name="canned-list"),
    path("canned/<int:reply_id>/", views.canned_edit, name="canned-edit"),
    path("canned/<int:reply_id>/delete/", views.canned_delete, name="canned-delete"),
    path("settings/", views.chat_settings, name="settings"),
    path("groups/", group_views.group_list, name="groups"),
    path("groups/<int:group_id>/", group_views.group_detail, name="group"),
    path("<int:conversation_id>/", views.conversation, name="conversation"),
    path(
        "<int:conversation_id>/messages.json",
        views.conversation_messages,
        name="conversation-messages",
    ),
    path("<int:conversation_id>/read/", views.conversation_read, name="read"),
    path("<int:conversation_id>/send/", views.conversation_send, name="send"),
    path("<int:conversation_id>/status/", views.conversation_status, name="status"),
    path("<int:conversation_id>/snooze/", views.conversation_snooze, name="snooze"),
    path("<int:conversation_id>/assign/", views.conversation_assign, name="assign"),
    path("<int:conversation_id>/notes/", views.conversation_note_add, name="note-add"),
    path("<int:conversation_id>/tags/", views.conversation_tag_add, name="tag-add"),
    path(
        "<int:conversation_id>/tags/<int:tag_id>/remove/",
        views.conversation_tag_remove,
        name="tag-remove",
    ),
]

# The response settings page lives beside chat, not under it: it stays
# reachable while chat is off.
response_urlpatterns = [
    path("", views.response_settings, name="settings"),
]
