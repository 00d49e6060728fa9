import pytest
from django.urls import reverse

from accounts import quota
from accounts.models import AuditLog, MonthlyUsage, OfficialAccount
from tests.factories import UserFactory
from tests.unchanged import assert_unchanged


@pytest.fixture
def operator_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_account_list_shows_this_months_usage(operator_client, account, other_account):
    quota.quota_consume(account=account, count=42)
    response = operator_client.get(reverse("admin:accounts_officialaccount_changelist"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "42 / 5,000" in html
    assert html.count('class="field-usage_this_month">0<') == 1  # charlie's


def test_suspend_and_resume_actions(operator_client, account):
    url = reverse("admin:accounts_officialaccount_changelist")
    operator_client.post(url, {"action": "suspend", "_selected_action": [account.pk]})
    account.refresh_from_db()
    assert account.is_suspended is True
    with assert_unchanged(), pytest.raises(quota.AccountSuspended):
        quota.quota_reserve(account=account, count=1)
    operator_client.post(url, {"action": "resume", "_selected_action": [account.pk]})
    account.refresh_from_db()
    assert account.is_suspended is False
    assert list(
        AuditLog.objects.filter(
            account=account, action__in=["account.suspend", "account.resume"]
        )
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["account.suspend", "account.resume"]


def test_suspended_account_shows_banner_to_staff(alice_client, account):
    from accounts.services import account_suspend

    account_suspend(account=account, actor=None, reason="unpaid")
    html = alice_client.get(reverse("analytics:home", args=[account.slug]))
    assert 'data-testid="suspended-banner"' in html.content.decode()


def test_quota_override_from_admin_updates_this_month(operator_client, account):
    quota.quota_consume(account=account, count=10)
    url = reverse("admin:accounts_officialaccount_change", args=[account.pk])
    form = operator_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "plan": account.plan_id,
            "quota_override": 12,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        }
    )
    data.pop("next_plan", None)
    data.pop("next_plan_from", None)
    response = operator_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert OfficialAccount.objects.get(pk=account.pk).quota_override == 12
    assert MonthlyUsage.objects.get(account=account).limit == 12
    assert AuditLog.objects.filter(
        account=account, action="account.quota_override_set", data={"limit": 12}
    ).exists()


def test_every_admin_list_and_change_page_renders(operator_client, account):
    """Operators can open every registered model's list (and an object)."""
    from django.contrib import admin

    from chat.inbound import customer_follow, customer_message_send
    from tests.factories import LineUserFactory

    friend = customer_follow(account=account, line_user=LineUserFactory()).friend
    customer_message_send(friend=friend, message={"type": "text", "text": "hi"})
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert operator_client.get(url).status_code == 200, url
        first = model._default_manager.first()
        if first is not None:
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]
            )
            assert operator_client.get(url).status_code == 200, url


def test_the_admin_names_models_and_itself_properly(operator_client):
    """No "Deliverys", no "Django administration" (English and Japanese)."""
    html = operator_client.get("/admin/").content.decode()
    assert "LINE OA operators" in html
    assert "Django administration" not in html
    for plural in ("Deliveries", "Webhook deliveries", "Canned replies"):
        assert f">{plural}<" in html
    assert "ys<" not in html.replace("Days<", "")
    operator_client.post("/i18n/setlang/", {"language": "ja", "next": "/admin/"})
    html_ja = operator_client.get("/admin/").content.decode()
    assert "LINE OA 運営者" in html_ja
    assert ">Webhook送信<" in html_ja
