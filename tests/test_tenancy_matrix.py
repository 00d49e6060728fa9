"""The tenancy matrix (issue 19, #11): every account URL, as a stranger.

URL patterns come from the resolver, so a new Manager page is covered
without anyone writing a test for it. The victim is the seeded demo
account; the stranger (charlie) is admin of another account. Every path is
requested with GET and POST twice: under the victim's slug, and under the
stranger's own slug with the victim's object IDs (the classic IDOR). Both
must answer "not found" (or 405, which reveals nothing), and no row of any
table may change.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import ChannelAccessToken, Membership, OfficialAccount
from chat.models import CannedReply, Conversation
from coupons.models import Coupon
from messaging.automation.models import AutoResponse, StepEnrollment, StepSequence
from messaging.broadcasts.models import Broadcast, Segment
from messaging.friends.models import CustomField, Friend, FriendNote, FriendSource, Tag
from messaging.groups.models import ChatGroup
from messaging.webhooks.models import WebhookDelivery
from research.models import Question, Survey
from richmenu.models import RichMenu
from shopcard.models import ShopCard
from talk.demo import demo_seed
from tests.unchanged import Snapshot
from voom.models import Post, PostComment

pytestmark = pytest.mark.django_db

ALLOWED = {404, 405}


def _victim_ids(account_id: int) -> dict[str, int]:
    """An object of the victim's for every ``<int:…>`` name (or an id that
    exists nowhere, when the seed has none of that kind)."""

    def first(model, **extra) -> int:
        row = model.objects.filter(account_id=account_id, **extra).first()
        return row.pk if row else 987654321

    friend = Friend.objects.filter(account_id=account_id).first()
    note = FriendNote.objects.filter(friend__account_id=account_id).first()
    enrollment = StepEnrollment.objects.filter(friend__account_id=account_id).first()
    comment = PostComment.objects.filter(post__account_id=account_id).first()
    question = Question.objects.filter(survey__account_id=account_id).first()
    return {
        "broadcast_id": first(Broadcast),
        "card_id": first(ShopCard),
        "conversation_id": first(Conversation),
        "coupon_pk": first(Coupon),
        "delivery_id": first(WebhookDelivery),
        "enrollment_id": enrollment.pk if enrollment else 987654321,
        "field_id": first(CustomField),
        "friend_id": friend.pk,
        "group_id": first(ChatGroup),
        "invitation_id": 987654321,
        "membership_id": first(Membership),
        "menu_id": first(RichMenu),
        "note_id": note.pk if note else 987654321,
        "reply_id": first(CannedReply),
        "rule_id": first(AutoResponse),
        "segment_id": first(Segment),
        "sequence_id": first(StepSequence),
        "source_id": first(FriendSource),
        "tag_id": first(Tag),
        "token_id": first(ChannelAccessToken),
        "post_id": first(Post),
        "comment_id": comment.pk if comment else 987654321,
        "survey_id": first(Survey),
        "question_id": question.pk if question else 987654321,
    }


def _account_routes() -> list[str]:
    routes = []

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith(
                "manager/<slug:account_slug>/"
            ):
                routes.append(route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(routes))


def _fill(route: str, slug: str, ids: dict[str, int]) -> str:
    path = route.replace("<slug:account_slug>", slug)
    for name in re.findall(r"<int:(\w+)>", route):
        path = path.replace(f"<int:{name}>", str(ids[name]))
    assert "<" not in path, f"a new kind of URL parameter: {route}"
    return "/" + path


def test_strangers_get_not_found_everywhere_and_change_nothing(charlie, other_account):
    victim = OfficialAccount.objects.get(pk=demo_seed()["account_id"])
    ids = _victim_ids(victim.pk)
    routes = _account_routes()
    assert len(routes) >= 80
    stranger = Client()
    stranger.force_login(charlie)
    before = Snapshot.take()
    leaks = []
    checked = 0
    for route in routes:
        paths = [_fill(route, victim.slug, ids)]
        if "<int:" in route:
            paths.append(_fill(route, other_account.slug, ids))
        for path in paths:
            for method in ("get", "post"):
                response = getattr(stranger, method)(path)
                checked += 1
                if response.status_code not in ALLOWED:
                    leaks.append((method.upper(), path, response.status_code))
    assert checked >= 200
    assert leaks == [], leaks
    before.assert_same()


def test_anonymous_visitors_are_sent_to_log_in_or_refused():
    victim = OfficialAccount.objects.get(pk=demo_seed()["account_id"])
    ids = _victim_ids(victim.pk)
    anonymous = Client()
    before = Snapshot.take()
    wrong = []
    for route in _account_routes():
        path = _fill(route, victim.slug, ids)
        for method in ("get", "post"):
            response = getattr(anonymous, method)(path)
            if response.status_code == 302:
                if not response.url.startswith("/manager/login/"):
                    wrong.append((method.upper(), path, response.url))
            elif response.status_code not in ALLOWED:
                wrong.append((method.upper(), path, response.status_code))
    assert wrong == []
    before.assert_same()
