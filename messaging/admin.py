"""Operator views of customers and friendships (read-mostly).

Domain writes go through the packages' services; the admin lists and
searches rows for support, and does not add or edit customers' data.
"""

from django.contrib import admin

from messaging.automation.models import Greeting
from messaging.broadcasts.models import Broadcast, BroadcastBatch, Delivery
from messaging.friends.models import CustomField, Friend, FriendSource, LineUser, Tag
from messaging.store.models import Message
from messaging.webhooks.models import WebhookAttempt, WebhookDelivery


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


# Delivery jobs and webhook failures, for operators --------------------------


class BroadcastBatchInline(admin.TabularInline):
    model = BroadcastBatch
    extra = 0
    can_delete = False
    fields = ["seq", "status", "planned", "sent", "blocked", "enqueued_at", "done_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "account",
        "status",
        "scheduled_at",
        "target_count",
        "sent_count",
        "blocked_count",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status"]
    search_fields = ["title", "account__basic_id", "account__display_name"]
    list_select_related = ["account"]
    inlines = [BroadcastBatchInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["broadcast", "friend", "status"]
    list_filter = ["status"]
    raw_id_fields = ["broadcast", "friend"]
    search_fields = ["friend__line_user__user_id"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "is_redelivery",
        "status_code",
        "latency_ms",
        "error",
        "created_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "account",
        "event_types",
        "status",
        "attempt_count",
        "last_status_code",
        "last_error",
    ]
    list_filter = ["status", "is_test"]
    search_fields = ["account__basic_id", "url"]
    list_select_related = ["account"]
    inlines = [WebhookAttemptInline]
