from django.contrib import admin

from coupons.models import Coupon, CouponTicket


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ("title", "account", "status", "lottery", "winners", "end_at")
    list_filter = ("status", "lottery", "origin")
    search_fields = ("title", "coupon_id")
    raw_id_fields = ("account",)


@admin.register(CouponTicket)
class CouponTicketAdmin(admin.ModelAdmin):
    list_display = ("coupon", "friend", "won", "used_count", "acquired_at")
    list_filter = ("won",)
    raw_id_fields = ("coupon", "friend")
