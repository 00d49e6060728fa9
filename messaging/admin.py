"""Operator views of customers and friendships (read-mostly).

Domain writes go through ``messaging.services``; the admin lists and
searches rows for support, and does not add or edit customers' data.
"""

from django.contrib import admin

from messaging.models import (
    CustomField,
    Friend,
    FriendSource,
    Greeting,
    LineUser,
    Message,
    Tag,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    # Friends and messages reach millions of rows: no full COUNT per page.
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LineUser)
class LineUserAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "display_name", "gender", "age", "region", "os"]
    list_filter = ["gender", "os"]
    search_fields = ["user_id", "display_name"]


@admin.register(Friend)
class FriendAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "line_user", "status", "friend_since", "source"]
    list_filter = ["status"]
    list_select_related = ["account", "line_user", "source"]
    search_fields = ["line_user__user_id", "line_user__display_name"]
    raw_id_fields = ["account", "line_user", "source"]


@admin.register(FriendSource)
class FriendSourceAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "account", "created_at"]
    list_select_related = ["account"]
    search_fields = ["name", "code"]


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ["name", "account"]
    list_select_related = ["account"]
    search_fields = ["name"]


@admin.register(CustomField)
class CustomFieldAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "account"]
    list_select_related = ["account"]


@admin.register(Greeting)
class GreetingAdmin(ReadOnlyAdmin):
    list_display = ["account", "enabled", "send_on_unblock", "updated_at"]
    list_select_related = ["account"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "account",
        "friend",
        "direction",
        "source",
        "type",
        "created_at",
    ]
    list_filter = ["direction", "source"]
    list_select_related = ["account", "friend"]
    raw_id_fields = ["account", "friend", "sent_by"]
    search_fields = ["text"]
