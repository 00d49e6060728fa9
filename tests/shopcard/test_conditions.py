"""Segment conditions and the card-completed step trigger."""

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from messaging.audience.conditions import (
    audience_friends,
    condition_catalogue,
    segment_clean,
    segment_describe,
)
from messaging.automation.models import StepEnrollment, StepSequence
from shopcard.models import CardReward, RewardTicket
from shopcard.services import points_scan, ticket_use
from tests.factories import FriendFactory, LineUserFactory
from tests.shopcard.factories import code, published_card
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def _names(account, condition) -> set[str]:
    definition = segment_clean(
        account=account, definition={"match": "all", "conditions": [condition]}
    )
    friends = audience_friends(
        account=account, definition=definition, now=timezone.now()
    )
    return {f.line_user.display_name for f in friends.select_related("line_user")}


@pytest.fixture
def crowd(account, alice):
    card = published_card(account, alice)
    people = {}
    for name, points in [("Aki", 1), ("Ben", 3), ("Cai", 6), ("Dan", 0)]:
        friend = FriendFactory(
            account=account, line_user=LineUserFactory(display_name=name)
        )
        if points:
            points_scan(friend=friend, code=code(account, alice, points=points))
        people[name] = friend
    return card, people


def test_points_at_least(account, crowd):
    # Cai completed the 5-point card and has 1 on the next.
    assert _names(account, {"type": "shopcard_points", "min": 1}) == {
        "Aki",
        "Ben",
        "Cai",
    }
    assert _names(account, {"type": "shopcard_points", "min": 3}) == {"Ben"}
    assert _names(account, {"type": "shopcard_points", "min": 3, "negate": True}) == {
        "Aki",
        "Cai",
        "Dan",
    }


def test_completed_card(account, crowd):
    card, _people = crowd
    assert _names(account, {"type": "shopcard_completed", "values": [card.pk]}) == {
        "Cai"
    }


def test_holds_ticket(account, crowd):
    card, people = crowd
    cookie = CardReward.objects.get(card=card, points=2)
    assert _names(account, {"type": "shopcard_ticket", "values": [cookie.pk]}) == {
        "Ben",
        "Cai",
    }
    ticket = RewardTicket.objects.get(friend=people["Ben"], reward=cookie)
    ticket_use(friend=people["Ben"], ticket_id=ticket.pk)
    assert _names(account, {"type": "shopcard_ticket", "values": [cookie.pk]}) == {
        "Cai"
    }


def test_bad_conditions_and_other_accounts_ids(account, other_account, charlie, crowd):
    theirs = published_card(other_account, charlie)
    for condition, message in [
        ({"type": "shopcard_points", "min": "x"}, "Enter a number of points."),
        ({"type": "shopcard_points", "min": -1}, "Enter a number of points."),
        (
            {"type": "shopcard_completed", "values": [theirs.pk]},
            "A shop card in the audience no longer exists.",
        ),
        (
            {"type": "shopcard_ticket", "values": [theirs.rewards.first().pk]},
            "A reward in the audience no longer exists.",
        ),
    ]:
        with assert_unchanged(), pytest.raises(ApplicationError) as error:
            segment_clean(
                account=account, definition={"match": "all", "conditions": [condition]}
            )
        assert error.value.message == message


def test_catalogue_and_description(account, crowd):
    card, _people = crowd
    keys = {c["key"]: c["widget"] for c in condition_catalogue(account=account)}
    assert keys["shopcard_points"] == "number"
    assert keys["shopcard_completed"] == "multi"
    assert keys["shopcard_ticket"] == "multi"
    text = segment_describe(
        account=account,
        definition={
            "match": "all",
            "conditions": [{"type": "shopcard_points", "min": 4}],
        },
    )
    assert "4 points or more" in text


def test_step_editor_offers_the_card_completed_trigger(alice_client, account, alice):
    url = f"/manager/{account.slug}/broadcasts/steps/new/"
    html = alice_client.get(url).content.decode()
    assert 'value="card_completed"' in html
    response = alice_client.post(
        url,
        {
            "name": "After the card",
            "is_active": "on",
            "trigger": "card_completed",
            "steps": '[{"delay_value": 0, "delay_unit": "minutes", "messages": '
            '[{"type": "text", "text": "Thank you!"}]}]',
        },
    )
    assert response.status_code == 302
    sequence = StepSequence.objects.get(account=account)
    assert sequence.trigger == "card_completed"
    published_card(account, alice)
    friend = FriendFactory(account=account)  # added before: no friend-add sequence
    points_scan(friend=friend, code=code(account, alice, points=5))
    assert StepEnrollment.objects.filter(friend=friend, sequence=sequence).count() == 1
    with assert_unchanged():
        bad = alice_client.post(url, {"name": "X", "trigger": "weird", "steps": "[]"})
    assert bad.status_code == 400
    assert StepSequence.objects.count() == 1
