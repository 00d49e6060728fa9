"""Opaque per-recipient tracking tokens (issue 14, #9)."""

import pytest

from messaging.broadcasts.control import broadcast_send_now
from messaging.broadcasts.links import ClickTokens, _sign, link_click_record
from messaging.broadcasts.models import BroadcastLink, Delivery, LinkClick
from tests.messaging.broadcasts.helpers import draft, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(account, alice, crowd, django_capture_on_commit_callbacks, settings):
    """A sent broadcast with one link, delivered to every following friend."""
    settings.SITE_URL = "https://oa.example"
    broadcast = draft(account, alice, messages=[text("Menu https://shop.example/m")])
    with django_capture_on_commit_callbacks(execute=True):
        broadcast_send_now(broadcast=broadcast, actor=alice)
    broadcast.refresh_from_db()
    return broadcast


def test_tokens_hide_the_friend_and_differ_per_recipient_and_broadcast(
    linked, account, alice, crowd, django_capture_on_commit_callbacks
):
    tokens = ClickTokens(linked)
    ids = list(
        Delivery.objects.filter(broadcast=linked, status="sent").values_list(
            "friend_id", flat=True
        )
    )
    made = {tokens.token(fid) for fid in ids}
    assert len(made) == len(ids) == 5
    assert all(len(t) == 22 for t in made)
    # decoding gives the friend back; the same friend in another broadcast
    # gets another token that means nothing here
    assert {tokens.friend_id(t) for t in made} == set(ids)
    other = draft(account, alice, messages=[text("again https://shop.example/m")])
    assert ClickTokens(other).token(ids[0]) not in made
    assert tokens.friend_id(ClickTokens(other).token(ids[0])) is None


@pytest.mark.parametrize(
    "token",
    ["", "x", "A" * 22, "A" * 21 + "=", "!" * 22, "%00" * 8, "A" * 200],
)
def test_a_forged_or_damaged_token_forwards_but_counts_nothing(linked, token):
    link = BroadcastLink.objects.get(broadcast=linked)
    assert link_click_record(code=link.code, token=token) == "https://shop.example/m"
    link.refresh_from_db()
    assert link.clicks == 0
    assert not LinkClick.objects.exists()
    assert not Delivery.objects.filter(clicked_at__isnull=False).exists()


def test_the_sent_text_carries_the_token_and_the_redirect_counts_it(
    linked, client, crowd
):
    ann = crowd["ann"]
    delivery = Delivery.objects.select_related("message").get(
        broadcast=linked, friend=ann
    )
    url = delivery.message.text.split(" ")[1]
    link = BroadcastLink.objects.get(broadcast=linked)
    token = ClickTokens(linked).token(ann.pk)
    assert url == f"https://oa.example/r/{link.code}/{token}"
    assert f"/{ann.pk}" not in url.removeprefix("https://oa.example/r/" + link.code)
    response = client.get(url.removeprefix("https://oa.example"))
    assert (response.status_code, response["Location"]) == (
        302,
        "https://shop.example/m",
    )
    delivery.refresh_from_db()
    assert delivery.clicked_at is not None
    assert LinkClick.objects.get().friend_id == ann.pk


def test_links_sent_before_opaque_tokens_still_count(linked, client, crowd):
    ben = crowd["ben"]
    link = BroadcastLink.objects.get(broadcast=linked)
    old = f"/r/{link.code}.{ben.pk}.{_sign(linked, ben.pk)}"
    assert client.get(old)["Location"] == "https://shop.example/m"
    assert LinkClick.objects.get().friend_id == ben.pk
    # a wrong signature in the old form counts nothing
    client.get(f"/r/{link.code}.{ben.pk}.000000000000")
    assert LinkClick.objects.get().count == 1
