from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from accounts import views

app_name = "accounts"

account_patterns = [
    path("settings/", views.account_settings, name="account-settings"),
    path("members/", views.member_list, name="member-list"),
    path("members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path(
        "members/<int:membership_id>/remove/", views.member_remove, name="member-remove"
    ),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("plan/", views.plan_usage, name="plan-usage"),
    path("audit/", views.audit_log, name="audit-log"),
    path("messaging-api/", views.messaging_api, name="messaging-api"),
    path(
        "messaging-api/tokens/<int:token_id>/revoke/",
        views.channel_token_revoke,
        name="channel-token-revoke",
    ),
]

urlpatterns = [
    path("", views.account_list, name="account-list"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="emails/password_reset.txt",
            success_url=reverse_lazy("accounts:password-reset-done"),
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/password_reset_done.html"
        ),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password-reset-complete"),
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
    path("invite/<str:token>/", views.invite_accept, name="invite-accept"),
    path("<slug:account_slug>/", include(account_patterns)),
]
