"""A page missing in the talk app is a talk-app screen (config/errors.py)."""

import pytest

from tests.htmlquery import parse
from tests.talk.factories import make_persona, talk_client

pytestmark = pytest.mark.django_db


def test_a_missing_talk_page_is_a_talk_app_screen(alice_client, account):
    """Found by QA: the talk app's 404 was the Manager's page."""
    client = talk_client(make_persona("Hanako"))
    # when a customer opens a room that is not theirs, or a path that is
    # not a screen
    for path in ("/talk/rooms/999999/", "/talk/no-such-screen/"):
        response = client.get(path)
        # then the answer is a 404 drawn as a talk-app screen
        assert response.status_code == 404
        assert [t.name for t in response.templates][:2] == [
            "talk/404.html",
            "talk/base.html",
        ]
        html = response.content.decode()
        [title] = parse(html).cssselect("[data-testid='talk-not-found'] h1")
        assert title.text_content() == "Not found"
        assert "/static/talk/talk.css" in html
        assert "/static/css/app.css" not in html
    # and the Manager keeps its own
    manager = alice_client.get(f"/manager/{account.slug}/friends/999999/")
    assert manager.status_code == 404
    assert manager.templates[0].name == "404.html"


def test_with_the_talk_app_switched_off_its_paths_get_the_plain_404(client, settings):
    settings.TALK_APP_ENABLED = False
    response = client.get("/talk/")
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
