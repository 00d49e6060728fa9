"""The Manager's webhook page."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_switches_sit_in_their_labels_with_help_below(alice_client, account):
    html = alice_client.get(
        reverse("webhooks:webhook-settings", args=[account.slug])
    ).content.decode()
    # the URL field is a styled URL input
    assert re.search(r'<input type="url" name="url"[^>]*id="id_url"', html)
    # each switch: checkbox inside its label, then its help text
    redelivery = re.search(
        r'<label class="check" for="id_redelivery"><input type="checkbox" '
        r'name="redelivery"[^>]*> Webhook redelivery</label>\s*'
        r'<small class="help">Send again',
        html,
    )
    assert redelivery is not None
    assert html.count('class="field field-check"') == 2
