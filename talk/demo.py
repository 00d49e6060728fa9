"""The demo data ``manage.py seed_demo`` creates. Safe to run repeatedly."""

import datetime as dt
import hashlib
import os
import random
import re

from celery import current_app as celery_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ChannelAccessToken, Membership, OfficialAccount, Plan, User
from chat.inbound import (
    customer_group_invite_account,
    customer_group_message_send,
    customer_message_send,
)
from chat.models import Conversation
from chat.services import (
    canned_reply_create,
    chat_message_send,
    conversation_set_status,
)
from coupons.models import Coupon
from coupons.services import coupon_create
from messaging.automation.models import Greeting
from messaging.automation.services import (
    autoresponse_save,
    greeting_update,
    step_sequence_save,
)
from messaging.broadcasts.compose import broadcast_save
from messaging.broadcasts.control import broadcast_schedule, broadcast_send_now
from messaging.broadcasts.links import link_click_record
from messaging.broadcasts.models import Broadcast, Delivery
from messaging.friends.filters import age_band_of
from messaging.friends.models import Friend, LineUser
from messaging.friends.regions import PREFECTURES
from messaging.friends.services import friend_staff_link_set, friend_tag_add
from messaging.groups.services import group_create
from messaging.store.services import messages_mark_opened
from research.models import Survey
from research.services import (
    question_add,
    survey_answer,
    survey_create,
    survey_publish,
)
from shopcard.models import ShopCard
from shopcard.services import (
    card_publish,
    card_save,
    point_codes_create,
    points_staff_change,
)
from talk.models import PersonaOwner
from talk.services import talk_demo_account
from voom.services import comment_create, post_create, post_react

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


def demo_seed() -> dict:
    """Create or refresh the demo account, staff login and customers.

    On the first run also some life (issue 14, #18): tags, canned replies,
    an auto-response, a step sequence, conversations with unread messages,
    a sent broadcast with opens and clicks and a scheduled one, all made
    through the same services staff and customers use. The sent broadcast
    fans out in this process (Celery eager for the duration), so the demo
    shows figures before any worker runs.

    Returns the facts a person or a script needs to use the demo. A fresh
    channel access token replaces the previous seed token on every run.
    """
    facts, account, staff = _demo_seed_base()
    if not Coupon.objects.filter(account=account).exists():
        _seed_coupon(account, staff)
    if not Broadcast.objects.filter(account=account).exists():
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        try:
            _seed_activity(account, staff)
        finally:
            celery_app.conf.task_always_eager = eager
    if not Survey.objects.filter(account=account).exists():
        _seed_voom_and_research(account, staff)
    if not ShopCard.objects.filter(account=account).exists():
        _seed_shopcard(account, staff)
    return facts


@transaction.atomic
def _seed_shopcard(account: OfficialAccount, staff: User) -> None:
    """A published point card with a gold rank, point QR codes and a few
    customers part of the way (docs/shopcard.md)."""
    base = {
        "rank_up": True,
        "validity_basis": ShopCard.ValidityBasis.LAST_USE,
        "validity_months": 12,
        "scan_limit": ShopCard.ScanLimit.DAILY,
        "scan_limit_hours": 1,
        "stamp_color": "#ffffff",
    }
    first = card_save(
        account=account,
        actor=staff,
        data={
            **base,
            "name": "コーヒーカード",
            "goal": 10,
            "welcome_points": 1,
            "color": "#7a4b2a",
        },
        rewards=[
            {"points": 5, "title": "クッキー1枚", "validity_days": 60},
            {"points": 10, "title": "ドリンク1杯無料", "validity_days": 90},
        ],
    )
    gold = card_save(
        account=account,
        actor=staff,
        data={
            **base,
            "rank_up": False,
            "name": "ゴールドカード",
            "goal": 10,
            "welcome_points": 0,
            "color": "#b8860b",
        },
        rewards=[{"points": 10, "title": "ケーキセット無料", "validity_days": 90}],
    )
    card_publish(card=first, actor=staff)
    card_publish(card=gold, actor=staff)
    point_codes_create(
        account=account,
        actor=staff,
        points=1,
        single_use=False,
        valid_days=365,
        label="レジ横",
    )
    point_codes_create(
        account=account,
        actor=staff,
        points=2,
        single_use=True,
        valid_days=30,
        count=6,
        label="キャンペーン",
    )
    following = (
        Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
        .select_related("account", "line_user")
        .order_by("id")
    )
    for friend, points in zip(following[:8], [3, 6, 9, 12, 2, 4, 7, 1], strict=False):
        points_staff_change(friend=friend, actor=staff, points=points, reason="デモ")


@transaction.atomic
def _demo_seed_base() -> tuple[dict, OfficialAccount, User]:
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
    facts = {
        "account_id": account.pk,
        "basic_id": account.basic_id,
        "channel_id": account.channel_id,
        "channel_secret": account.channel_secret,
        "channel_access_token": token,
        "staff_username": staff.username,
        "staff_password": demo_password(),
        "base_url": settings.SITE_URL,
    }
    return facts, account, staff


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
    # The talk app's one-click demo login acts as these customers.
    demo = talk_demo_account()
    PersonaOwner.objects.bulk_create(
        [PersonaOwner(line_user_id=pk, owner=demo) for pk in by_id.values()],
        ignore_conflicts=True,
    )


_CONVERSATIONS = [
    ("今日は何時まで営業していますか？", None, False),
    ("Do you have oat milk?", "Yes! Oat and soy, no extra charge.", False),
    ("ケーキの予約はできますか？", "はい、2日前までにご連絡ください。", True),
    ("Can I bring my dog to the terrace?", None, False),
]
_TRACKING = re.compile(r"/r/([A-Za-z0-9]+)/([A-Za-z0-9_-]+)")


def _seed_coupon(account: OfficialAccount, staff: User) -> None:
    """A running coupon, and an auto-response that sends it ("クーポン")."""
    now = int(timezone.now().timestamp())
    coupon = coupon_create(
        account=account,
        actor=staff,
        data={
            "title": "ドリンク 100円引き / 100 yen off a drink",
            "description": "お好きなドリンクが100円引きになります。",
            "usageCondition": "1会計につき1回",
            "startTimestamp": now - 3600,
            "endTimestamp": now + 90 * 24 * 3600,
            "timezone": "ASIA_TOKYO",
            "visibility": "PUBLIC",
            "maxUseCountPerTicket": 1,
            "acquisitionCondition": {"type": "normal"},
            "reward": {
                "type": "discount",
                "priceInfo": {"type": "fixed", "fixedAmount": 100},
            },
        },
    )
    autoresponse_save(
        account=account,
        actor=staff,
        name="クーポン / coupon",
        match="partial",
        keywords=["クーポン", "coupon"],
        messages=[{"type": "coupon", "couponId": coupon.coupon_id}],
    )


def _seed_activity(account: OfficialAccount, staff: User) -> None:
    """Tags, replies, rules, conversations and broadcasts (first run only)."""
    following = list(
        Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
        .select_related("line_user")
        .order_by("id")
    )
    # The demo admin's own LINE, so "Send test to me" works at once.
    friend_staff_link_set(
        account=account, actor=staff, friend=following[0], linked=True
    )
    for friend in following[:30]:
        friend_tag_add(account=account, actor=staff, friend=friend, name="常連")
    for friend in following[::9]:
        friend_tag_add(account=account, actor=staff, friend=friend, name="VIP")
    for title, text in [
        ("営業時間", "営業時間は 8:00〜19:00 です（火曜定休）。"),
        ("Opening hours", "We are open 8:00-19:00, closed on Tuesdays."),
        ("お礼", "ご来店ありがとうございました！またお待ちしております☕"),
    ]:
        canned_reply_create(account=account, actor=staff, title=title, text=text)
    autoresponse_save(
        account=account,
        actor=staff,
        name="営業時間 / hours",
        match="partial",
        keywords=["営業時間", "hours"],
        messages=[{"type": "text", "text": "8:00〜19:00（火曜定休） / 8:00-19:00"}],
    )
    step_sequence_save(
        account=account,
        actor=staff,
        name="Welcome",
        is_active=True,
        steps=[
            {
                "delay_value": 1,
                "delay_unit": "days",
                "messages": [
                    {
                        "type": "text",
                        "text": "{Nickname}さん、おすすめはカフェラテです☕",
                    }
                ],
            },
            {
                "delay_value": 7,
                "delay_unit": "days",
                "messages": [{"type": "text", "text": "今週のケーキ: 季節のタルト 🍓"}],
            },
        ],
    )
    sent = broadcast_save(
        account=account,
        actor=staff,
        title="Autumn menu",
        messages=[
            {
                "type": "text",
                "text": "秋の新メニュー🌰 モンブランラテ始めました！\n"
                "https://example.com/menu",
            }
        ],
    )
    broadcast_send_now(broadcast=sent, actor=staff)
    # (eager: the fan-out ran when the send's transaction committed)
    _seed_opens_and_clicks(sent)
    scheduled = broadcast_save(
        account=account,
        actor=staff,
        title="Weekend cake fair",
        messages=[{"type": "text", "text": "週末はケーキフェア🍰 全品10%OFF"}],
    )
    tomorrow = timezone.localtime(timezone.now(), account.tz) + dt.timedelta(days=1)
    broadcast_schedule(
        broadcast=scheduled,
        actor=staff,
        when=tomorrow.replace(hour=10, minute=0, second=0, microsecond=0),
    )
    for friend, (question, answer, done) in zip(
        following[-len(_CONVERSATIONS) :], _CONVERSATIONS, strict=True
    ):
        customer_message_send(friend=friend, message={"type": "text", "text": question})
        if answer is None:
            continue
        conversation = Conversation.objects.get(friend=friend)
        chat_message_send(
            account=account,
            actor=staff,
            conversation_id=conversation.pk,
            message={"type": "text", "text": answer},
        )
        if done:
            conversation_set_status(
                account=account,
                actor=staff,
                conversation_id=conversation.pk,
                status=Conversation.Status.DONE,
            )
    _seed_group(account)


def _seed_group(account: OfficialAccount) -> None:
    """A group chat of three demo customers with the account in it."""
    account.allow_group_join = True
    account.save(update_fields=["allow_group_join"])
    people = list(
        LineUser.objects.filter(user_id__in=[_demo_user_id(i) for i in range(3)])
    )
    group = group_create(
        creator=people[0], kind="group", name="Café club", members=people[1:]
    )
    customer_group_invite_account(group=group, by=people[0], account=account)
    customer_group_message_send(
        group=group, sender=people[1], text="今度の土曜、ここで集まりませんか？"
    )


@transaction.atomic
def _seed_voom_and_research(account: OfficialAccount, staff: User) -> None:
    """One survey (some answers) and one VOOM post linking to it.

    The demo's questions write to no friend attribute, so the seeded
    demographics and tags stay as they are.
    """
    now = timezone.now()
    survey = survey_create(
        account=account,
        actor=staff,
        title="ご来店アンケート / Visitor survey",
        description="1分で終わります。/ Takes one minute.",
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=30),
    )
    age = question_add(
        account=account,
        actor=staff,
        survey=survey,
        kind="age_band",
        text="年代 / Your age",
    )
    rating = question_add(
        account=account,
        actor=staff,
        survey=survey,
        kind="rating",
        text="満足度 / How was your visit?",
    )
    when = question_add(
        account=account,
        actor=staff,
        survey=survey,
        kind="single",
        text="よく来る時間 / When do you come?",
        choices=["朝 / Mornings", "昼 / Afternoons", "夜 / Evenings"],
    )
    question_add(
        account=account,
        actor=staff,
        survey=survey,
        kind="text",
        text="ご意見 / Anything else?",
        required=False,
    )
    survey_publish(account=account, actor=staff, survey=survey)
    following = list(
        Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
        .select_related("line_user", "account")
        .order_by("id")[:12]
    )
    rng = random.Random(20261204)
    for friend in following[2:]:
        survey_answer(
            friend=friend,
            survey=survey,
            answers={
                age.pk: age_band_of(friend.line_user.age).code
                if friend.line_user.age and friend.line_user.age >= 20
                else "lt20",
                rating.pk: str(rng.randint(1, 5)),
                when.pk: rng.choice(when.choices),
            },
            now=now,
        )
    link = f"{settings.SITE_URL.rstrip('/')}/talk/research/{survey.public_id}/"
    post = post_create(
        account=account,
        actor=staff,
        text="秋の新メニュー🌰 モンブランラテ始めました！\n"
        "アンケートに答えてね / Tell us about your visit.",
        link_url=link,
        link_title="ご来店アンケート / Visitor survey",
    )
    for friend, kind in zip(
        following[:5], ["nice", "love", "nice", "fun", "nice"], strict=False
    ):
        post_react(friend=friend, post=post, kind=kind)
    comment_create(friend=following[1], post=post, text="美味しそう！")


def _seed_opens_and_clicks(broadcast: Broadcast) -> None:
    """About 60 % open the broadcast and 15 % tap its link, as customers do."""
    rng = random.Random(20261130)
    deliveries = Delivery.objects.filter(
        broadcast=broadcast, status=Delivery.Status.SENT
    ).select_related("friend", "message")
    for delivery in deliveries:
        if rng.random() < 0.6:
            messages_mark_opened(friend=delivery.friend, up_to_id=delivery.message_id)
            if rng.random() < 0.25:
                for code, token in _TRACKING.findall(delivery.message.text or ""):
                    link_click_record(code=code, token=token)
