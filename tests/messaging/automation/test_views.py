"""The greeting editor page."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from messaging.automation.models import Greeting
from tests.factories import UserFactory, add_member
from tests.unchanged import assert_unchanged


def greeting_url(account) -> str:
    return reverse("automation:greeting", args=[account.slug])


def test_new_account_sees_a_suggestion_that_is_not_saved(alice_client, account):
    response = alice_client.get(greeting_url(account))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="greeting-unsaved"' in html
    assert response.context["form"]["text1"].value() == (
        "Hello {Nickname}! Thank you for adding {AccountName} as a friend. "
        "We will send you news and offers here."
    )
    # the preview is drawn by the bubble renderer (docs/rendering.md)
    preview_url = reverse("broadcasts:bubbles-preview", args=[account.slug])
    assert f'data-preview-url="{preview_url}"' in html
    assert not Greeting.objects.exists()


def test_save_three_bubbles_skipping_blank_ones(bob_client, account):
    response = bob_client.post(
        greeting_url(account),
        {
            "enabled": "on",
            "text1": "Hi {Nickname}!",
            "text2": "   ",
            "text3": "  Welcome to {AccountName}.\n",
        },
    )
    assert response.status_code == 302
    greeting = Greeting.objects.get(account=account)
    assert (greeting.enabled, greeting.send_on_unblock) == (True, False)
    assert greeting.messages == [
        {"type": "text", "text": "Hi {Nickname}!"},
        {"type": "text", "text": "  Welcome to {AccountName}.\n"},
    ]
    page = bob_client.get(greeting_url(account))
    assert page.context["form"]["text2"].value() == "  Welcome to {AccountName}.\n"
    assert 'data-testid="greeting-unsaved"' not in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        (
            {"enabled": "on", "text1": "x" * 5001},
            "text1",
            "Use at most 5000 characters (this has 5001).",
        ),
        (
            {"enabled": "on", "text2": "😀" * 2501},
            "text2",
            "Use at most 5000 characters (this has 5002).",
        ),
        ({"enabled": "on", "text1": " "}, "text1", "Write at least one message."),
    ],
)
def test_bad_greeting_shows_field_errors_and_saves_nothing(
    alice_client, account, data, field, error
):
    with assert_unchanged():
        response = alice_client.post(greeting_url(account), data)
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [error]}
    assert error in response.content.decode()


def test_turning_the_greeting_off_keeps_it_empty(alice_client, account):
    response = alice_client.post(greeting_url(account), {"send_on_unblock": "on"})
    assert response.status_code == 302
    greeting = Greeting.objects.get(account=account)
    assert (greeting.enabled, greeting.send_on_unblock, greeting.messages) == (
        False,
        True,
        [],
    )


def test_operator_without_delivery_may_read_but_not_change_the_greeting(
    client, account
):
    user = UserFactory(username="drafter")
    add_member(account, user, Membership.Role.OPERATOR_NO_DELIVERY)
    client.force_login(user)
    page = client.get(greeting_url(account))
    assert page.status_code == 200
    assert page.context["can_send"] is False
    assert page.context["form"].fields["text1"].disabled is True
    with assert_unchanged():
        response = client.post(greeting_url(account), {"enabled": "on", "text1": "Hi"})
    assert response.status_code == 403


def test_stranger_gets_404(charlie_client, account):
    assert charlie_client.get(greeting_url(account)).status_code == 404
    with assert_unchanged():
        response = charlie_client.post(greeting_url(account), {"text1": "Hi"})
    assert response.status_code == 404
