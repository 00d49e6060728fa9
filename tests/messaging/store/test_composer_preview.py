"""The composer's phone preview: drafts drawn by the talk app's renderer."""

import pytest
from django.urls import reverse

from messaging.store.models import Message
from tests.htmlquery import parse
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def _url(account):
    return reverse("broadcasts:bubbles-preview", args=[account.slug])


def _post(client, account, body, **kwargs):
    return client.post(_url(account), body, content_type="application/json", **kwargs)


def test_preview_draws_finished_bubbles_and_says_what_is_missing(alice_client, account):
    # when staff preview a card carousel, a text and an empty text
    response = _post(
        alice_client,
        account,
        {
            "messages": [
                {
                    "type": "template",
                    "altText": "Cards",
                    "template": {
                        "type": "carousel",
                        "columns": [
                            {
                                "title": "Tart",
                                "text": "Apple",
                                "actions": [
                                    {
                                        "type": "uri",
                                        "label": "Book",
                                        "uri": "https://x.example",
                                    }
                                ],
                            }
                        ],
                    },
                },
                {"type": "text", "text": "Hi {Nickname} from {AccountName}"},
                {"type": "text", "text": ""},
            ]
        },
    )
    # then the first two are bubbles, the third says what is missing
    assert response.status_code == 200
    doc = parse(response.json()["html"])
    rows = doc.cssselect("[data-testid='preview-bubble']")
    assert len(rows) == 3
    assert rows[0].cssselect(".lb-card a.lb-tbtn")[0].text_content() == "Book"
    assert rows[1].text_content().strip() == f"Hi Taro from {account.display_name}"
    assert rows[2].cssselect("[data-preview-error]")
    assert "text: May not be empty" in rows[2].text_content()
    # and nothing was stored
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "body", ['{"messages": {"type": "text"}}', "not json", '["a"]']
)
def test_unreadable_drafts_are_a_400(alice_client, account, body):
    with assert_unchanged():
        response = _post(alice_client, account, body)
    assert response.status_code == 400
    assert response.json() == {"error": "The form data could not be read."}


def test_another_accounts_staff_get_404(charlie_client, account):
    with assert_unchanged():
        response = _post(charlie_client, account, {"messages": []})
    assert response.status_code == 404


def test_preview_is_post_only(alice_client, account):
    assert alice_client.get(_url(account)).status_code == 405
