"""Operator views of chat state (read-only; staff work in the Manager)."""

from django.contrib import admin

from chat.models import CannedReply, Conversation


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "friend",
        "account",
        "status",
        "assignee",
        "waiting_since",
        "unread_count",
        "last_message_at",
    ]
    list_filter = ["status"]
    list_select_related = ["friend__line_user", "account", "assignee"]
    search_fields = ["account__basic_id", "friend__line_user__display_name"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "shortcut"]
    search_fields = ["title", "account__basic_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
