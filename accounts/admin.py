"""Operator admin: plans, accounts with usage, suspension, quota overrides."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from accounts import quota, services
from accounts.models import (
    AuditLog,
    ChannelAccessToken,
    Invitation,
    Membership,
    MonthlyUsage,
    OfficialAccount,
    Plan,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "monthly_fee_yen",
        "free_messages",
        "allows_additional",
    ]
    ordering = ["sort_order"]


@admin.register(OfficialAccount)
class OfficialAccountAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "basic_id",
        "plan",
        "badge",
        "usage_this_month",
        "is_suspended",
    ]
    list_filter = ["plan", "badge", "is_suspended"]
    search_fields = ["display_name", "basic_id", "premium_id", "channel_id"]
    readonly_fields = [
        "basic_id",
        "channel_id",
        "bot_user_id",
        "is_suspended",
        "suspended_reason",
        "created_at",
    ]
    fields = [
        "display_name",
        "basic_id",
        "premium_id",
        "badge",
        "status_message",
        "time_zone",
        "plan",
        "next_plan",
        "next_plan_from",
        "additional_cap",
        "quota_override",
        "channel_id",
        "bot_user_id",
        "is_suspended",
        "suspended_reason",
        "created_at",
    ]
    inlines = [MembershipInline]
    actions = ["suspend", "resume"]

    def get_queryset(self, request):
        # One subquery instead of a query per row: the current month of
        # each account's own time zone is close enough to "latest row".
        latest = MonthlyUsage.objects.filter(account=OuterRef("pk")).order_by("-month")
        return (
            super()
            .get_queryset(request)
            .select_related("plan")
            .annotate(
                _used=Subquery(latest.values("used")[:1]),
                _limit=Subquery(latest.values("limit")[:1]),
                _month=Subquery(latest.values("month")[:1]),
            )
        )

    @admin.display(description=_("Usage this month"))
    def usage_this_month(self, obj):
        if obj._month != quota.month_start(obj):
            return "0"
        return f"{obj._used:,} / {obj._limit:,}"

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Route the quota override through its service (audit + usage row)."""
        if not change or "quota_override" not in form.changed_data:
            return super().save_model(request, obj, form, change)
        new_limit = obj.quota_override
        obj.quota_override = form.initial.get("quota_override")
        super().save_model(request, obj, form, change)
        services.account_quota_override_set(
            account=obj, actor=request.user, limit=new_limit
        )

    @admin.action(description=_("Suspend selected accounts"))
    def suspend(self, request, queryset):
        for account in queryset:
            services.account_suspend(
                account=account, actor=request.user, reason="suspended by operator"
            )
        self.message_user(request, _("Suspended."), messages.SUCCESS)

    @admin.action(description=_("Resume selected accounts"))
    def resume(self, request, queryset):
        for account in queryset:
            services.account_resume(account=account, actor=request.user)
        self.message_user(request, _("Resumed."), messages.SUCCESS)


@admin.register(MonthlyUsage)
class MonthlyUsageAdmin(admin.ModelAdmin):
    list_display = ["account", "month", "plan", "used", "reserved", "limit"]
    list_filter = ["month", "plan"]
    search_fields = ["account__basic_id", "account__display_name"]
    readonly_fields = ["account", "month", "plan", "used", "reserved", "limit"]

    def has_add_permission(self, request):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "actor", "action", "target"]
    list_filter = ["action"]
    search_fields = ["account__basic_id", "actor__username", "target"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["account", "role", "email", "expires_at", "accepted_at"]
    readonly_fields = ["token_hash"]


@admin.register(ChannelAccessToken)
class ChannelAccessTokenAdmin(admin.ModelAdmin):
    list_display = ["account", "kind", "hint", "label", "created_at", "revoked_at"]
    list_filter = ["kind"]
    readonly_fields = ["token_hash", "hint"]


admin.site.register(Membership)
