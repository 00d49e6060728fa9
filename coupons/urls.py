"""Coupon pages, mounted at ``/manager/<account_slug>/coupons/``."""

from django.urls import path

from coupons import views

app_name = "coupons"

urlpatterns = [
    path("", views.coupon_list, name="coupon-list"),
    path("new/", views.coupon_create, name="coupon-create"),
    path("<int:coupon_pk>/", views.coupon_detail, name="coupon-detail"),
    path("<int:coupon_pk>/qr.png", views.coupon_qr, name="coupon-qr"),
    path("<int:coupon_pk>/close", views.coupon_close, name="coupon-close"),
]
