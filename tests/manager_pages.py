"""Every Manager page of an account, found through the URL resolver.

Shared by the 375 px walk (tests/browser/test_phone_layout.py) and the
Japanese walk (tests/accounts/test_japanese_walk.py), so a new page is
covered by both without anyone listing it. Fill the account with
``talk.demo.demo_seed`` first: ``<int:…>`` parts take seeded rows.
"""

import re

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import OfficialAccount, User
from chat.models import CannedReply, Conversation
from coupons.models import Coupon
from messaging.automation.models import AutoResponse, StepSequence
from messaging.broadcasts.models import Broadcast, Segment
from messaging.friends.models import Friend, FriendSource, Tag
from messaging.groups.models import ChatGroup
from research.models import Question, Survey
from shopcard.models import ShopCard
from talk.demo import DEMO_STAFF_USERNAME
from voom.models import Post, PostComment


def manager_page_paths(account_id: int) -> list[str]:
    """Every GET-able account page, its ``<int:…>`` filled with seeded rows."""
    sent = Broadcast.objects.get(account_id=account_id, title="Autumn menu")
    ids = {
        "conversation_id": Conversation.objects.filter(account_id=account_id)
        .first()
        .pk,
        "broadcast_id": sent.pk,
        "friend_id": Friend.objects.filter(account_id=account_id).first().pk,
        "reply_id": CannedReply.objects.filter(account_id=account_id).first().pk,
        "rule_id": AutoResponse.objects.filter(account_id=account_id).first().pk,
        "sequence_id": StepSequence.objects.filter(account_id=account_id).first().pk,
        "tag_id": Tag.objects.filter(account_id=account_id).first().pk,
        "coupon_pk": Coupon.objects.filter(account_id=account_id).first().pk,
    }
    post = Post.objects.filter(account_id=account_id).first()
    if post:
        ids["post_id"] = post.pk
    comment = PostComment.objects.filter(post__account_id=account_id).first()
    if comment:
        ids["comment_id"] = comment.pk
    survey = Survey.objects.filter(account_id=account_id).first()
    if survey:
        ids["survey_id"] = survey.pk
        question = Question.objects.filter(survey=survey).first()
        if question:
            ids["question_id"] = question.pk
    source = FriendSource.objects.filter(account_id=account_id).first()
    if source:
        ids["source_id"] = source.pk
    card = ShopCard.objects.filter(account_id=account_id).first()
    if card:
        ids["card_id"] = card.pk
    group = ChatGroup.objects.filter(account_id=account_id).first()
    if group:
        ids["group_id"] = group.pk
    segment = Segment.objects.filter(account_id=account_id).first()
    if segment:
        ids["segment_id"] = segment.pk
    slug = OfficialAccount.objects.get(pk=account_id).slug
    paths = []

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith(
                "manager/<slug:account_slug>/"
            ):
                names = re.findall(r"<int:(\w+)>", route)
                if any(name not in ids for name in names):
                    continue
                if re.search(r"\.(json|csv|png|svg|pdf)$", route):
                    continue
                path = route.replace("<slug:account_slug>", slug)
                for name in names:
                    path = path.replace(f"<int:{name}>", str(ids[name]))
                if "<" in path:
                    continue
                paths.append("/" + path)

    walk(get_resolver().url_patterns, "")
    # Only the pages: GET answers 200 with HTML (POST-only views answer 405).
    client = Client()
    client.force_login(User.objects.get(username=DEMO_STAFF_USERNAME))
    pages = []
    for path in sorted(set(paths)):
        response = client.get(path)
        if response.status_code == 200 and "text/html" in response["Content-Type"]:
            pages.append(path)
    return pages
