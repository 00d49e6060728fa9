import io
import struct
import zlib

import pytest
from django.urls import reverse
from PIL import Image

from accounts.models import (
    AuditLog,
    ChannelAccessToken,
    Invitation,
    Membership,
    OfficialAccount,
)
from accounts.services import member_invite
from core.logging import ExpectedForbidden
from tests.unchanged import assert_unchanged

ACCOUNT_PAGES = [
    "analytics:home",
    "account-settings",
    "member-list",
    "plan-usage",
    "audit-log",
    "messaging-api",
]


def url(name, account, *args):
    name = name if ":" in name else f"accounts:{name}"
    return reverse(name, args=[account.slug, *args])


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_staff_of_another_account_get_404(charlie_client, account, name):
    response = charlie_client.get(url(name, account))
    assert response.status_code == 404
    assert account.display_name not in response.content.decode()


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_admin_sees_every_page(alice_client, account, name):
    assert alice_client.get(url(name, account)).status_code == 200


def test_anonymous_is_sent_to_login(client, account):
    response = client.get(url("analytics:home", account))
    assert response.status_code == 302
    assert response.url.startswith("/manager/login/")


def test_charlie_cannot_post_to_demo_cafe(charlie_client, account, alice):
    before = AuditLog.objects.count()
    alices = account.memberships.get(user=alice)
    posts = [
        (url("account-settings", account), {"display_name": "Pwned"}),
        (url("member-list", account), {"role": "admin"}),
        (url("member-remove", account, alices.pk), {}),
        (url("member-role", account, alices.pk), {"role": "operator"}),
        (url("plan-usage", account), {"plan": 1}),
        (url("messaging-api", account), {"label": "x"}),
    ]
    with assert_unchanged():
        for path, data in posts:
            assert charlie_client.post(path, data).status_code == 404, path
    assert AuditLog.objects.count() == before
    assert OfficialAccount.objects.get(pk=account.pk).display_name == "Demo Café"


def test_operator_cannot_manage_members_plan_or_tokens(bob_client, account, alice):
    alices = account.memberships.get(user=alice)
    assert bob_client.get(url("member-list", account)).status_code == 200
    with assert_unchanged():
        assert (
            bob_client.post(url("member-list", account), {"role": "admin"}).status_code
            == 403
        )
        assert (
            bob_client.post(
                url("member-role", account, alices.pk), {"role": "operator"}
            )
        ).status_code == 403
        assert (
            bob_client.post(url("member-remove", account, alices.pk)).status_code == 403
        )
        assert (
            bob_client.post(url("plan-usage", account), {"plan": 3}).status_code == 403
        )
    assert bob_client.get(url("messaging-api", account)).status_code == 403
    assert bob_client.get(url("audit-log", account)).status_code == 403
    assert Invitation.objects.count() == 0
    assert account.memberships.get(user=alice).role == "admin"
    assert OfficialAccount.objects.get(pk=account.pk).next_plan is None


def test_operator_page_hides_member_controls(bob_client, account):
    html = bob_client.get(url("member-list", account)).content.decode()
    assert "Invite a member" not in html
    assert "member-remove" not in html and "/remove/" not in html


def test_create_account_from_the_list(alice_client, alice):
    response = alice_client.post(
        reverse("accounts:account-list"),
        {"display_name": "Sakura Salon", "time_zone": "Asia/Tokyo"},
    )
    account = OfficialAccount.objects.get(display_name="Sakura Salon")
    assert response.status_code == 302
    assert response.url == url("analytics:home", account)
    assert account.memberships.get().user == alice


@pytest.mark.parametrize(
    "data",
    [
        {"display_name": "", "time_zone": "Asia/Tokyo"},
        {"display_name": "   ", "time_zone": "Asia/Tokyo"},
        {"display_name": "x" * 21, "time_zone": "Asia/Tokyo"},
        {"display_name": "Fine", "time_zone": "Mars/Olympus"},
    ],
)
def test_create_account_bad_input_shows_errors_and_saves_nothing(alice_client, data):
    before = OfficialAccount.objects.count()
    response = alice_client.post(reverse("accounts:account-list"), data)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert OfficialAccount.objects.count() == before


def test_settings_update_is_saved_and_audited(alice_client, account):
    response = alice_client.post(
        url("account-settings", account),
        {
            "display_name": "Café Two",
            "status_message": "Open 9-18",
            "time_zone": "Asia/Seoul",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.display_name, account.status_message, account.time_zone) == (
        "Café Two",
        "Open 9-18",
        "Asia/Seoul",
    )
    assert AuditLog.objects.filter(
        account=account, action="account.profile_update"
    ).exists()


def test_settings_bad_input_changes_nothing(alice_client, account):
    before = AuditLog.objects.count()
    with assert_unchanged():
        response = alice_client.post(
            url("account-settings", account),
            {"display_name": "", "status_message": "x" * 501, "time_zone": "Nowhere"},
        )
    assert response.status_code == 400
    form = response.context["profile_form"]
    assert set(form.errors) == {"display_name", "status_message", "time_zone"}
    account.refresh_from_db()
    assert (account.display_name, account.time_zone) == ("Demo Café", "Asia/Tokyo")
    assert AuditLog.objects.count() == before


# Uploads -----------------------------------------------------------------


def _png(width=800, height=600, color=(6, 199, 85)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def _upload(client, account, name, data, content_type="image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        url("account-settings", account),
        {"picture": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_picture_upload_is_stored_as_two_squares(alice_client, account, settings):
    response = _upload(alice_client, account, "me.png", _png(800, 600))
    assert response.status_code == 302
    account.refresh_from_db()
    with Image.open(account.picture_large.path) as large:
        assert large.size == (640, 640)
    with Image.open(account.picture_small.path) as small:
        assert small.size == (160, 160)
    assert len(_media_files(settings)) == 2


def _bomb_png() -> bytes:
    """A tiny PNG whose header claims 20000×20000 pixels."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * 20000
    idat = zlib.compress(row * 50)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"hello, not an image", "not a valid JPEG/PNG image"),
        ("cut.png", _png()[:400], "not a valid JPEG/PNG image"),
        ("anim.gif", _gif(), "Upload a JPEG/PNG image."),
        ("bomb.png", _bomb_png(), "too large"),
        ("big.png", b"\x89PNG" + b"\x00" * (3 * 1024 * 1024 + 1), "the limit is 3 MB"),
    ],
)
def test_bad_picture_gives_field_error_and_leaves_no_file(
    alice_client, account, settings, name, data, message
):
    with assert_unchanged():
        response = _upload(alice_client, account, name, data)
    assert response.status_code == 400
    errors = response.context["picture_form"].errors["picture"]
    assert len(errors) == 1 and message in errors[0]
    account.refresh_from_db()
    assert not account.picture_large and not account.picture_small
    assert _media_files(settings) == []
    assert not AuditLog.objects.filter(action="account.picture_update").exists()


# Members -------------------------------------------------------------------


def test_invite_then_accept_as_new_user(alice_client, client, account):
    response = alice_client.post(url("member-list", account), {"role": "operator"})
    invite_url = response.context["invite_url"]
    path = invite_url.split("testserver", 1)[1]
    response = client.post(
        path,
        {
            "username": "dave",
            "email": "dave@example.com",
            "password1": "a-Long-pass-123",
            "password2": "a-Long-pass-123",
        },
    )
    # signing up on the invite page joins at once
    assert response.status_code == 302
    assert response.url == url("analytics:home", account)
    assert account.memberships.get(user__username="dave").role == "operator"
    # the link cannot be used again
    with assert_unchanged():
        assert client.get(path).status_code == 410


def test_invite_for_another_account_does_not_grant_this_one(
    charlie_client, account, other_account, charlie
):
    invitation, token = member_invite(
        account=other_account, actor=charlie, role="operator"
    )
    response = charlie_client.get(reverse("accounts:invite-accept", args=[token]))
    assert response.context["invitation"].account == other_account
    assert not account.memberships.filter(user=charlie).exists()


def test_expired_invite_page_is_clear(client, account, alice):
    from freezegun import freeze_time

    with freeze_time("2026-01-01"):
        _inv, token = member_invite(account=account, actor=alice, role="operator")
    response = client.get(reverse("accounts:invite-accept", args=[token]))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_invite_bad_role_is_a_form_error(alice_client, account):
    with assert_unchanged():
        response = alice_client.post(url("member-list", account), {"role": "owner"})
    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    assert Invitation.objects.count() == 0


def test_member_page_of_another_accounts_membership_is_404(
    alice_client, account, other_account
):
    charlies = other_account.memberships.get()
    with assert_unchanged():
        response = alice_client.post(
            url("member-role", account, charlies.pk), {"role": "operator"}
        )
    assert response.status_code == 404
    assert Membership.objects.get(pk=charlies.pk).role == "admin"


# Plan, tokens ----------------------------------------------------------------


def test_plan_page_shows_usage_and_schedules_change(alice_client, account):
    from accounts import quota

    quota.quota_consume(account=account, count=1200)
    quota.quota_reserve(account=account, count=300)
    response = alice_client.get(url("plan-usage", account))
    html = response.content.decode()
    assert 'data-testid="usage-used">1,200<' in html
    assert 'data-testid="usage-reserved">300<' in html
    assert 'data-testid="usage-remaining">3,500<' in html
    response = alice_client.post(url("plan-usage", account), {"plan": 3})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.next_plan.code == "standard"
    assert account.plan.code == "light"


def test_cap_on_light_plan_is_a_field_error(alice_client, account):
    with assert_unchanged():
        response = alice_client.post(
            url("plan-usage", account), {"additional_cap": "500"}
        )
    assert response.status_code == 400
    assert "does not allow additional" in str(response.context["cap_form"].errors)
    account.refresh_from_db()
    assert account.additional_cap == 0


def test_issue_token_shows_it_once(alice_client, account):
    response = alice_client.post(url("messaging-api", account), {"label": "my bot"})
    token = response.context["new_token"]
    record = ChannelAccessToken.objects.get(account=account)
    assert record.hint == token[-6:] and record.label == "my bot"
    page = alice_client.get(url("messaging-api", account)).content.decode()
    assert token not in page
    response = alice_client.post(url("channel-token-revoke", account, record.pk))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.revoked_at is not None


def test_password_reset_mails_a_working_link(client, alice, mailoutbox):
    response = client.post(
        reverse("accounts:password-reset"), {"email": "alice@example.com"}
    )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    link = next(
        line for line in mailoutbox[0].body.splitlines() if "/password-reset/" in line
    )
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_url,
        {"new_password1": "n3w-Secret-pass", "new_password2": "n3w-Secret-pass"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("n3w-Secret-pass")


def test_a_403_keeps_the_account_navigation_and_logs_one_line(
    bob_client, account, caplog
):
    """A role refused a page still sees the Manager around the refusal."""
    with caplog.at_level("WARNING", logger="django.request"):
        response = bob_client.get(url("messaging-api", account))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Your role in this account does not allow this." in html
    assert 'class="sidenav"' in html
    assert f'href="{url("analytics:home", account)}"' in html
    forbidden = [r for r in caplog.records if r.name == "django.request"]
    assert len(forbidden) == 1
    record = forbidden[0]
    assert record.getMessage().startswith("Forbidden (Permission denied): ")
    # the console handler's filter drops the traceback of an expected 403
    assert ExpectedForbidden().filter(record) is True
    assert record.exc_info is None


def test_upload_without_a_file_says_so_and_changes_nothing(alice_client, account):
    before = (account.display_name, account.picture_large.name)
    with assert_unchanged():
        response = alice_client.post(
            url("account-settings", account), {"upload_picture": "1"}
        )
    assert response.status_code == 400
    assert response.context["picture_form"].errors == {
        "picture": ["This field is required."]
    }
    assert response.context["profile_form"].errors == {}
    account.refresh_from_db()
    assert (account.display_name, account.picture_large.name) == before


def test_an_invite_with_an_address_is_e_mailed_once(
    alice_client, client, account, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            url("member-list", account),
            {"role": "operator", "email": "dave@example.com"},
        )
    assert response.status_code == 200
    link = response.context["invite_url"]
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["dave@example.com"]
    assert mail.subject == f"Invitation to {account.display_name} on LINE OA Manager"
    assert link in mail.body
    assert "as Operator" in mail.body
    assert "The invitation was e-mailed to dave@example.com." in (
        response.content.decode()
    )
    # the sign-up form on the link is pre-filled with that address
    page = client.get(link.split("testserver", 1)[1])
    assert page.context["signup_form"].initial == {"email": "dave@example.com"}


def test_an_invite_without_an_address_sends_nothing(
    alice_client, account, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url("member-list", account), {"role": "operator"})
    assert response.context["invite_url"]
    assert mailoutbox == []


def test_allow_group_join_is_a_setting(alice_client, account):
    """LINE's "allow bot to join group chats": off by default, audited."""
    assert account.allow_group_join is False
    data = {
        "display_name": account.display_name,
        "status_message": "",
        "time_zone": account.time_zone,
        "allow_group_join": "on",
    }
    assert alice_client.post(url("account-settings", account), data).status_code == 302
    account.refresh_from_db()
    assert account.allow_group_join is True
    entry = AuditLog.objects.get(account=account, action="account.profile_update")
    assert entry.data == {"allow_group_join": True}
