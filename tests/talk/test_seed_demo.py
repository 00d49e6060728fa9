import json
from io import StringIO

from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client

from accounts.models import ChannelAccessToken, OfficialAccount
from accounts.selectors import channel_token_authenticate
from messaging.automation.models import Greeting
from messaging.friends.models import Friend, LineUser

KEYS = {
    "account_id",
    "basic_id",
    "channel_id",
    "channel_secret",
    "channel_access_token",
    "staff_username",
    "staff_password",
    "base_url",
}


def _seed() -> dict:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_seed_demo_prints_one_json_line_and_is_idempotent(db):
    first = _seed()
    second = _seed()
    assert set(first) == KEYS
    assert first["account_id"] == second["account_id"]
    assert first["basic_id"] == second["basic_id"]
    account = OfficialAccount.objects.get(pk=first["account_id"])
    assert (account.display_name, account.plan.code) == ("Demo Café", "light")
    # verified, as LINE requires for getFollowers; audited once over two seeds
    assert account.badge == "verified"
    assert account.audit_entries.filter(action="account.badge_set").count() == 1
    assert OfficialAccount.objects.count() == 1
    assert LineUser.objects.count() == 200
    assert Friend.objects.filter(account=account).count() == 200
    # the newest token works, the previous seed token was revoked
    assert (
        channel_token_authenticate(token=second["channel_access_token"]).account
        == account
    )
    assert channel_token_authenticate(token=first["channel_access_token"]) is None
    assert ChannelAccessToken.objects.filter(revoked_at=None).count() == 1
    greeting = Greeting.objects.get(account=account)
    assert greeting.enabled and "{Nickname}" in greeting.messages[0]["text"]


def test_seed_demo_customers_vary(db):
    _seed()
    users = LineUser.objects.all()
    assert len({u.gender for u in users}) == 3
    assert len({u.os for u in users}) == 2
    assert len({u.region for u in users}) > 30
    assert min(u.age for u in users) < 25 < 60 < max(u.age for u in users)
    statuses = set(Friend.objects.values_list("status", flat=True))
    assert statuses == {"following", "blocked"}


def test_seed_demo_credentials_log_in(db):
    facts = _seed()
    client = Client()
    # django-axes counts logins per request; the test client has none.
    assert client.login(
        request=HttpRequest(),
        username=facts["staff_username"],
        password=facts["staff_password"],
    )
    slug = facts["basic_id"].lstrip("@")
    assert client.get(f"/manager/{slug}/").status_code == 200


def test_seed_demo_brings_the_console_to_life_once(transactional_db):
    """Issue 14 #18: a newcomer's first look is not a set of empty pages."""
    from chat.models import CannedReply, Conversation
    from coupons.models import Coupon
    from messaging.automation.models import AutoResponse, StepSequence
    from messaging.broadcasts.models import Broadcast
    from messaging.broadcasts.selectors import broadcast_report
    from messaging.friends.models import Tag
    from research.models import Survey
    from voom.models import Post

    facts = _seed()
    account = OfficialAccount.objects.get(pk=facts["account_id"])
    sent = Broadcast.objects.get(account=account, title="Autumn menu")
    report = broadcast_report(broadcast=sent)
    following = Friend.objects.filter(account=account, status="following").count()
    assert sent.status == Broadcast.Status.SENT
    assert report.delivered == following == 192
    assert 0 < report.opened < report.delivered
    assert 0 < report.clicked < report.opened
    scheduled = Broadcast.objects.get(account=account, title="Weekend cake fair")
    assert scheduled.status == Broadcast.Status.SCHEDULED
    conversations = Conversation.objects.filter(account=account)
    assert conversations.count() == 4
    assert conversations.filter(unread_count__gt=0).count() == 4
    assert conversations.filter(status=Conversation.Status.DONE).count() == 1
    assert set(Tag.objects.filter(account=account).values_list("name", flat=True)) == {
        "常連",
        "VIP",
    }
    assert CannedReply.objects.filter(account=account).count() == 3
    # hours, and the coupon sent for "クーポン" (issue 11)
    assert AutoResponse.objects.filter(account=account, is_active=True).count() == 2
    assert Coupon.objects.filter(account=account).count() == 1
    assert StepSequence.objects.filter(account=account, is_active=True).count() == 1
    # one VOOM post linking to one published survey with ten answers
    post = Post.objects.get(account=account)
    survey = Survey.objects.get(account=account)
    assert post.link_url.endswith(f"/talk/research/{survey.public_id}/")
    assert post.reactions.count() == 5
    assert post.comments.count() == 1
    assert survey.published_at is not None
    assert survey.questions.count() == 4
    assert survey.responses.count() == 10
    # a second run adds none of it again
    _seed()
    assert Post.objects.filter(account=account).count() == 1
    assert Survey.objects.filter(account=account).count() == 1
    assert Broadcast.objects.filter(account=account).count() == 2
    assert Conversation.objects.filter(account=account).count() == 4
    assert CannedReply.objects.filter(account=account).count() == 3
    assert Coupon.objects.filter(account=account).count() == 1
