"""The demo data ``manage.py seed_demo`` creates. Safe to run repeatedly."""

import datetime as dt
import hashlib
import os
import random

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ChannelAccessToken, Membership, OfficialAccount, Plan, User
from messaging.automation.models import Greeting
from messaging.automation.services import greeting_update
from messaging.friends.models import Friend, LineUser
from messaging.friends.regions import PREFECTURES

DEMO_ACCOUNT_NAME = "Demo Café"
DEMO_STAFF_USERNAME = "demo-admin"
DEMO_TOKEN_LABEL = "seed_demo"
DEMO_CUSTOMERS = 200

_FAMILY = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "Smith",
]
_GIVEN = [
    "陽菜",
    "結衣",
    "葵",
    "さくら",
    "美咲",
    "蓮",
    "大翔",
    "悠真",
    "湊",
    "樹",
    "Aoi",
    "Ken",
    "Mika",
    "Yuki",
    "Sora",
    "Hana",
    "Riku",
    "Emma",
    "Leo",
    "Nao",
]


def _demo_user_id(index: int) -> str:
    return "U" + hashlib.md5(f"demo-customer-{index}".encode()).hexdigest()


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "demo-cafe-2026")


@transaction.atomic
def demo_seed() -> dict:
    """Create or refresh the demo account, staff login and customers.

    Returns the facts a person or a script needs to use the demo. A fresh
    channel access token replaces the previous seed token on every run.
    """
    staff, _created = User.objects.get_or_create(
        username=DEMO_STAFF_USERNAME, defaults={"email": "demo-admin@example.com"}
    )
    staff.set_password(demo_password())
    staff.save(update_fields=["password"])

    account = OfficialAccount.objects.filter(
        display_name=DEMO_ACCOUNT_NAME,
        memberships__user=staff,
        memberships__role=Membership.Role.ADMIN,
    ).first()
    if account is None:
        account = account_services.account_create(
            actor=staff,
            display_name=DEMO_ACCOUNT_NAME,
            plan=Plan.objects.get(code=Plan.Code.LIGHT),
            status_message="Coffee, cake and a shop card ☕",
        )

    # Verified, so that bot developers can list followers out of the box
    # (LINE offers getFollowers to verified and premium accounts only).
    account_services.account_badge_set(
        account=account, actor=None, badge=OfficialAccount.Badge.VERIFIED
    )
    ChannelAccessToken.objects.filter(
        account=account, label=DEMO_TOKEN_LABEL, revoked_at=None
    ).update(revoked_at=timezone.now())
    _record, token = account_services.channel_token_issue(
        account=account, actor=None, label=DEMO_TOKEN_LABEL
    )

    if not Greeting.objects.filter(account=account).exists():
        greeting_update(
            account=account,
            actor=staff,
            enabled=True,
            send_on_unblock=True,
            messages=[
                {
                    "type": "text",
                    "text": "{Nickname}さん、{AccountName}を友だち追加していただき"
                    "ありがとうございます！☕ Thanks for adding us, {Nickname}!",
                }
            ],
        )
    _seed_customers(account)
    return {
        "account_id": account.pk,
        "basic_id": account.basic_id,
        "channel_id": account.channel_id,
        "channel_secret": account.channel_secret,
        "channel_access_token": token,
        "staff_username": staff.username,
        "staff_password": demo_password(),
        "base_url": settings.SITE_URL,
    }


def _seed_customers(account: OfficialAccount) -> None:
    rng = random.Random(20261124)
    now = timezone.now()
    users = []
    for i in range(DEMO_CUSTOMERS):
        users.append(
            LineUser(
                user_id=_demo_user_id(i),
                display_name=f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}",
                gender=rng.choices(LineUser.Gender.values, weights=[45, 50, 5])[0],
                age=rng.randint(16, 78),
                region=rng.choice(PREFECTURES)[0],
                os=rng.choice(LineUser.OS.values),
                language=rng.choices(["ja", "en"], weights=[9, 1])[0],
                created_at=now - dt.timedelta(days=500),
            )
        )
    LineUser.objects.bulk_create(users, ignore_conflicts=True)
    by_id = dict(
        LineUser.objects.filter(user_id__in=[u.user_id for u in users]).values_list(
            "user_id", "pk"
        )
    )
    friends = []
    for i, user in enumerate(users):
        since = now - dt.timedelta(
            days=rng.randint(0, 400), minutes=rng.randint(0, 1440)
        )
        blocked = i % 25 == 7
        friends.append(
            Friend(
                account=account,
                line_user_id=by_id[user.user_id],
                status=Friend.Status.BLOCKED if blocked else Friend.Status.FOLLOWING,
                followed_at=since,
                friend_since=since,
                blocked_at=since + dt.timedelta(days=3) if blocked else None,
            )
        )
    Friend.objects.bulk_create(friends, ignore_conflicts=True)
