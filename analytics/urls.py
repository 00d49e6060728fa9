"""Analytics pages, mounted at ``/manager/<account_slug>/``."""

from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.home, name="home"),
    path("analytics/", views.dashboard, name="dashboard"),
]
