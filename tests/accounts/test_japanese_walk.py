"""Every Manager page in Japanese (issue 14, #11): no English UI string.

The walk fetches every page ``tests/manager_pages.py`` finds, as a staff
member whose language is Japanese, and fails when a visible text node or a
label attribute is exactly an English message of the catalogue that has a
Japanese translation (a string rendered without gettext), a stored media
placeholder such as ``[Sticker]``, a raw audit-log code or a plan's
English name.
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client

from accounts.audit import AUDIT_ACTION_LABELS
from accounts.models import User
from chat.inbound import customer_message_send
from messaging.friends.models import Friend
from messaging.store.stickers import STICKERS, sticker_message
from talk.demo import DEMO_STAFF_USERNAME, demo_seed
from tests.manager_pages import manager_page_paths

pytestmark = pytest.mark.django_db

# Text the demo seed itself writes in English (customer content, not UI),
# the product's name and a language's own name in the language switcher.
SEED_CONTENT = {"Welcome", "Autumn menu", "Opening hours"}
NOT_UI = {"Manager", "English"}
LABEL_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt", "value")


def _english_ui_strings() -> set[str]:
    catalogue = Path(settings.BASE_DIR) / "locale/ja/LC_MESSAGES/django.po"
    with catalogue.open("rb") as po:
        messages = read_po(po)
    found = set()
    for message in messages:
        if not message.id or isinstance(message.id, tuple):
            continue
        if "%" in message.id or message.string == message.id:
            continue  # formatted text is checked through its parts
        if len(message.id) >= 3 and re.search(r"[A-Za-z]{3}", message.id):
            found.add(message.id)
    return found - SEED_CONTENT - NOT_UI


class _Texts(HTMLParser):
    """Visible text nodes and label attributes of a page."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._skip += 1
        for name, value in attrs:
            if name in LABEL_ATTRIBUTES and value and name != "value":
                self.texts.append(value.strip())
            if name == "value" and tag in ("button",) and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def test_every_manager_page_speaks_japanese(settings):
    settings.LANGUAGE_CODE = "ja"
    facts = demo_seed()
    friend = Friend.objects.filter(
        account_id=facts["account_id"], status="following"
    ).first()
    # the newest inbox row is a sticker: its stored text is "[Sticker]"
    sticker = next(iter(STICKERS.values()))
    customer_message_send(friend=friend, message=sticker_message(sticker))
    paths = manager_page_paths(facts["account_id"])
    assert len(paths) >= 25
    client = Client(headers={"accept-language": "ja"})
    client.force_login(User.objects.get(username=DEMO_STAFF_USERNAME))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    english = _english_ui_strings()
    forbidden_exact = english | {"Light", "Communication", "Standard"}
    forbidden_exact |= set(AUDIT_ACTION_LABELS)
    problems: dict[str, list[str]] = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert '<html lang="ja">' in html, path
        parser = _Texts()
        parser.feed(html)
        bad = sorted(
            {
                text
                for text in parser.texts
                if text in forbidden_exact or re.fullmatch(r"\[[A-Z][a-z]+\]", text)
            }
        )
        if bad:
            problems[path] = bad
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
