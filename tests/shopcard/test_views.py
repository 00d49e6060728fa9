"""The Manager's shop card pages and the talk app's card, tickets and scans."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import Membership
from messaging.friends.models import Friend
from shopcard.models import PointCard, PointCode, PointEntry, RewardTicket, ShopCard
from shopcard.services import point_code_url
from tests.factories import FriendFactory, UserFactory, add_member
from tests.htmlquery import parse
from tests.shopcard.factories import code, published_card
from tests.talk.factories import befriend, make_persona, qr_png, talk_client, upload
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora_client(account):
    """An operator without delivery: may look, not change cards."""
    user = UserFactory(username="dora")
    add_member(account, user, Membership.Role.OPERATOR_NO_DELIVERY)
    client = Client()
    client.force_login(user)
    return client


def _form(**overrides):
    data = {
        "name": "Coffee card",
        "goal": "6",
        "validity_basis": "last_use",
        "validity_months": "12",
        "welcome_points": "1",
        "scan_limit": "daily",
        "scan_limit_hours": "1",
        "color": "#06c755",
        "stamp_color": "#ffffff",
        "reward_points_0": "3",
        "reward_title_0": "Cookie",
        "reward_days_0": "30",
        "reward_points_1": "6",
        "reward_title_1": "Coffee",
        "reward_days_1": "60",
    }
    data.update(overrides)
    return data


def _png(size=(1600, 1000)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#cc8844").save(out, format="PNG")
    return out.getvalue()


def test_create_card_with_background_and_publish(alice_client, account):
    base = f"/manager/{account.slug}/shopcard/"
    listing = alice_client.get(base)
    assert listing.status_code == 200
    assert (
        f"{settings.SITE_URL}/talk/accounts/@{account.basic_id[1:]}/card/"
        in listing.content.decode()
    )
    data = _form(background=SimpleUploadedFile("bg.png", _png(), "image/png"))
    response = alice_client.post(base + "new/", data)
    card = ShopCard.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == f"{base}{card.pk}/"
    assert (card.goal, card.welcome_points, card.rank, card.status) == (
        6,
        1,
        1,
        "draft",
    )
    assert list(card.rewards.values_list("points", "title", "validity_days")) == [
        (3, "Cookie", 30),
        (6, "Coffee", 60),
    ]
    with Image.open(card.background.path) as stored:
        assert stored.size == (1040, 650)
    assert alice_client.get(f"{base}{card.pk}/").status_code == 200
    alice_client.post(f"{base}{card.pk}/publish")
    card.refresh_from_db()
    assert card.status == "published"


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"goal": "51"}, "The goal is 1 to 50 points."),
        ({"goal": "0"}, "The goal is 1 to 50 points."),
        (
            {"reward_points_1": "", "reward_title_1": "", "reward_days_1": ""},
            "Give the reward at the goal.",
        ),
        ({"reward_points_1": ""}, "Each reward needs points between 1 and the goal."),
        ({"validity_months": "-1"}, "Validity is 0 to 36 months."),
    ],
)
def test_bad_settings_show_the_error_and_write_nothing(
    alice_client, account, overrides, error
):
    with assert_unchanged():
        response = alice_client.post(
            f"/manager/{account.slug}/shopcard/new/", _form(**overrides)
        )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert ShopCard.objects.count() == 0


def test_background_over_3_mb_is_refused(alice_client, account):
    noise = Image.effect_noise((2000, 2000), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert out.tell() > 3 * 1024 * 1024
    data = _form(background=SimpleUploadedFile("bg.png", out.getvalue(), "image/png"))
    with assert_unchanged():
        response = alice_client.post(f"/manager/{account.slug}/shopcard/new/", data)
    assert response.status_code == 400
    assert "the limit is 3 MB" in response.content.decode()
    assert ShopCard.objects.count() == 0


def test_roles_no_delivery_may_look_but_not_change(dora_client, account, alice):
    card = published_card(account, alice)
    base = f"/manager/{account.slug}/shopcard/"
    assert dora_client.get(base).status_code == 200
    assert dora_client.get(f"{base}{card.pk}/").status_code == 200
    with assert_unchanged():
        assert dora_client.post(base + "new/", _form()).status_code == 403
        assert dora_client.post(f"{base}{card.pk}/publish").status_code == 403
        assert dora_client.post(base + "codes/", {"points": 1}).status_code == 403
    assert ShopCard.objects.count() == 1
    assert PointCode.objects.count() == 0


def test_other_accounts_cards_and_friends_are_404(
    charlie_client, account, alice, other_account
):
    card = published_card(account, alice)
    friend = FriendFactory(account=account)
    base = f"/manager/{other_account.slug}/shopcard/"
    assert charlie_client.get(f"{base}{card.pk}/").status_code == 404
    with assert_unchanged():
        assert charlie_client.post(f"{base}{card.pk}/publish").status_code == 404
        response = charlie_client.post(
            f"{base}friends/{friend.pk}/points",
            {"points": 3, "reason": "x", "action": "grant"},
        )
    assert response.status_code == 404
    assert charlie_client.get(f"/manager/{account.slug}/shopcard/").status_code == 404
    assert PointEntry.objects.count() == 0


def test_point_codes_and_printable_sheets(alice_client, account, alice):
    base = f"/manager/{account.slug}/shopcard/"
    response = alice_client.post(
        base + "codes/",
        {
            "label": "Counter",
            "points": 2,
            "single_use": "on",
            "valid_days": 30,
            "count": 7,
        },
    )
    assert response.status_code == 302
    codes = list(PointCode.objects.filter(account=account))
    assert len(codes) == 7
    assert {(c.points, c.single_use, c.label) for c in codes} == {(2, True, "Counter")}
    pdf = alice_client.get(base + "codes/sheet.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert (
        pdf.content.count(b"/Type /Page\n")
        + pdf.content.count(b"/Type /Page\r")
        + pdf.content.count(b"/Type /Page ")
        >= 1
    )
    png = alice_client.get(base + f"codes/sheet.png?ids={codes[0].pk}")
    assert png["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(png.content)) as sheet:
        assert sheet.size == (1240, 1754)
        import zxingcpp

        found = [r.text for r in zxingcpp.read_barcodes(sheet)]
    assert found == [point_code_url(codes[0])]
    # Bad input: nothing made.
    for bad in ({"points": 0}, {"points": 51}, {"count": 51}, {"valid_days": 0}):
        data = {"points": 1, "valid_days": 30, "count": 1, **bad}
        alice_client.post(base + "codes/", data)
    assert PointCode.objects.count() == 7


def test_friend_page_grant_and_revoke(alice_client, account, alice):
    published_card(account, alice)
    friend = FriendFactory(account=account)
    page = f"/manager/{account.slug}/friends/{friend.pk}/"
    url = f"/manager/{account.slug}/shopcard/friends/{friend.pk}/points"
    assert "No shop card yet." in alice_client.get(page).content.decode()
    alice_client.post(url, {"points": 3, "reason": "Birthday", "action": "grant"})
    alice_client.post(url, {"points": 9, "reason": "Oops", "action": "revoke"})
    alice_client.post(url, {"points": 1, "reason": "", "action": "grant"})
    pc = PointCard.objects.get(friend=friend)
    assert pc.points == 3
    html = alice_client.get(page).content.decode()
    assert "Coffee card: 3 / 5 points" in html
    assert "Birthday" in html
    assert list(PointEntry.objects.values_list("kind", "delta")) == [("staff", 3)]


def test_the_points_form_says_the_customer_sees_the_reason(
    alice_client, account, alice, hanako
):
    """Found by QA: the reason shows in the customer's card history, and
    the staff form did not say so."""
    published_card(account, alice)
    friend = befriend(account, hanako)
    page = alice_client.get(f"/manager/{account.slug}/friends/{friend.pk}/")
    html = parse(page.content.decode())
    [reason] = html.cssselect("[data-testid='points-form'] input[name='reason']")
    [help_text] = html.cssselect(f"#{reason.get('aria-describedby')}")
    assert help_text.text_content() == (
        "The customer sees this reason in their card's history."
    )
    # and it is so: the customer's history shows it
    alice_client.post(
        f"/manager/{account.slug}/shopcard/friends/{friend.pk}/points",
        {"points": 2, "reason": "Thanks for the review", "action": "grant"},
    )
    history = talk_client(hanako).get(f"/talk/accounts/@{_slug(account)}/card/history/")
    assert "Thanks for the review" in history.content.decode()


# Talk app ------------------------------------------------------------------


@pytest.fixture
def hanako():
    return make_persona("Hanako")


def _slug(account):
    return account.basic_id[1:]


def test_profile_links_the_card_and_card_shows_stamps(account, alice, hanako):
    published_card(account, alice, welcome_points=1)
    befriend(account, hanako)
    client = talk_client(hanako)
    profile = client.get(f"/talk/accounts/@{_slug(account)}/").content.decode()
    assert f"/talk/accounts/@{_slug(account)}/card/" in profile
    card_url = f"/talk/accounts/@{_slug(account)}/card/"
    html = client.get(card_url).content.decode()
    assert 'data-testid="get-card"' in html
    assert html.count('data-testid="stamp"') == 5
    client.post(card_url)
    html = client.get(card_url).content.decode()
    assert html.count("data-filled") == 1
    assert "1 / 5 points" in html


def test_scan_picture_of_point_qr_collects_points(account, alice, hanako):
    published_card(account, alice, scan_limit="daily")
    befriend(account, hanako)
    qr = code(account, alice, points=2)
    client = talk_client(hanako)
    picture = upload(qr_png(point_code_url(qr)), "qr.png", "image/png")
    response = client.post("/talk/scan/", {"picture": picture}, follow=True)
    assert response.redirect_chain[-1][0] == f"/talk/accounts/@{_slug(account)}/card/"
    html = response.content.decode()
    assert "You got 2 points. You received 1 ticket." in html
    # A second scan the same day is refused with a clear message.
    response = client.post("/talk/scan/", {"url": point_code_url(qr)}, follow=True)
    assert "You already got points today. Come back tomorrow." in (
        response.content.decode()
    )
    assert PointCard.objects.get(friend__line_user=hanako).points == 2


def test_point_link_get_shows_post_collects(account, alice, hanako):
    published_card(account, alice)
    befriend(account, hanako)
    qr = code(account, alice, points=1)
    client = talk_client(hanako)
    url = f"/talk/points/{qr.token}"
    assert "This code gives 1 point." in client.get(url).content.decode()
    assert PointEntry.objects.count() == 0
    client.post(url)
    assert PointEntry.objects.count() == 1
    assert client.get("/talk/points/nosuchtoken123").status_code == 404


def test_a_spent_or_expired_point_link_says_so_before_the_tap(account, alice, hanako):
    """Found by QA: a used single-use code still offered "Get points"."""
    published_card(account, alice)
    befriend(account, hanako)
    client = talk_client(hanako)
    once = code(account, alice, single_use=True)
    client.post(f"/talk/points/{once.token}")
    html = client.get(f"/talk/points/{once.token}").content.decode()
    assert "This point code has already been used." in html
    assert 'data-testid="collect-points"' not in html
    old = code(account, alice)
    type(old).objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    html = client.get(f"/talk/points/{old.token}").content.decode()
    assert "This point code has expired." in html
    assert 'data-testid="collect-points"' not in html
    assert PointEntry.objects.count() == 1


def test_not_a_friend_is_sent_to_the_profile(account, alice, hanako):
    published_card(account, alice)
    qr = code(account, alice)
    client = talk_client(hanako)
    with assert_unchanged():
        response = client.post(f"/talk/points/{qr.token}")
    assert response["Location"] == (
        f"/talk/accounts/@{_slug(account)}/?next=%2Ftalk%2Fpoints%2F{qr.token}"
    )
    assert PointCard.objects.count() == 0


def test_adding_the_friend_from_a_point_link_returns_to_collect(account, alice, hanako):
    """Found by QA: after "Add friend" the customer landed in the talk room
    and the points were forgotten."""
    # given a customer who is not a friend yet opens a point link
    published_card(account, alice)
    qr = code(account, alice, points=2)
    client = talk_client(hanako)
    profile = client.post(f"/talk/points/{qr.token}", follow=True)
    assert "Add this account as a friend to collect points." in (
        profile.content.decode()
    )
    [next_url] = parse(profile.content.decode()).cssselect("input[name='next']")
    # when they add the account from the profile
    response = client.post(
        f"/talk/accounts/@{_slug(account)}/", {"next": next_url.get("value")}
    )
    # then they are back at the code's collect step, and collecting works
    assert response["Location"] == f"/talk/points/{qr.token}"
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="collect-points"' in html
    client.post(f"/talk/points/{qr.token}")
    assert PointCard.objects.get(friend__line_user=hanako).points == 2


def test_adding_a_friend_never_follows_a_foreign_next(account, hanako):
    response = talk_client(hanako).post(
        f"/talk/accounts/@{_slug(account)}/", {"next": "https://evil.example/"}
    )
    friend = Friend.objects.get(account=account, line_user=hanako)
    assert response["Location"] == f"/talk/rooms/{friend.pk}/"


def test_ticket_use_with_staff_confirmation(account, alice, hanako):
    published_card(account, alice)
    friend = befriend(account, hanako)
    client = talk_client(hanako)
    client.post(f"/talk/points/{code(account, alice, points=2).token}")
    ticket = RewardTicket.objects.get(friend=friend)
    base = f"/talk/accounts/@{_slug(account)}/card/tickets/"
    assert "Free cookie" in client.get(base).content.decode()
    html = client.get(f"{base}{ticket.pk}/").content.decode()
    assert 'data-testid="use-ticket"' in html
    html = client.get(f"{base}{ticket.pk}/?confirm=1").content.decode()
    assert 'data-testid="confirm-use"' in html
    ticket.refresh_from_db()
    assert ticket.status == "issued"  # showing the screen uses nothing
    response = client.post(f"{base}{ticket.pk}/use", follow=True)
    assert "The ticket was used. Thank you!" in response.content.decode()
    with assert_unchanged():
        response = client.post(f"{base}{ticket.pk}/use", follow=True)
    assert "This ticket has already been used." in response.content.decode()
    # Another customer cannot see or use it.
    other = make_persona("Taro")
    befriend(account, other)
    assert talk_client(other).get(f"{base}{ticket.pk}/").status_code == 404
    history = client.get(f"/talk/accounts/@{_slug(account)}/card/history/")
    assert "Point QR code" in history.content.decode()


def test_blocked_friend_cannot_collect(account, alice, hanako):
    published_card(account, alice)
    friend = befriend(account, hanako)
    Friend.objects.filter(pk=friend.pk).update(status=Friend.Status.BLOCKED)
    response = talk_client(hanako).post(
        f"/talk/points/{code(account, alice).token}", follow=True
    )
    assert "Add this account as a friend to collect points." in (
        response.content.decode()
    )
    assert PointEntry.objects.count() == 0
