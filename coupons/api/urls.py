"""``/v2/bot/coupon…`` (config/api_urls.py)."""

from django.urls import path

from coupons.api import views

urlpatterns = [
    path("v2/bot/coupon", views.CouponListCreateApi.as_view(), name="coupon-list"),
    path(
        "v2/bot/coupon/<str:couponId>/close",
        views.CouponCloseApi.as_view(),
        name="coupon-close",
    ),
    path(
        "v2/bot/coupon/<str:couponId>",
        views.CouponDetailApi.as_view(),
        name="coupon-detail",
    ),
]
