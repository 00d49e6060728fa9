"""API narrowcasts and broadcasts are broadcasts the Manager can see and
control: listed with their origin, paused and resumed, never copied."""

from django.urls import reverse

from messaging.api.services import Audience, narrowcast_accept
from messaging.broadcasts.models import Broadcast, BroadcastBatch
from tests.messaging.api.factories import customer, text

FLEX = {
    "type": "flex",
    "altText": "Menu",
    "contents": {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "text", "text": "Today's menu"}],
        },
    },
}


def _url(account, name, *args) -> str:
    return reverse(f"broadcasts:{name}", args=[account.slug, *args])


def _narrowcast(account) -> Broadcast:
    customer(account, display_name="Hana")
    customer(account, display_name="Ken")
    return narrowcast_accept(
        account=account,
        messages=[text("Hi {Nickname}"), FLEX],
        audience=Audience(),
        request_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    )


def test_the_list_shows_an_api_narrowcast_with_its_origin(alice_client, account):
    broadcast = _narrowcast(account)
    html = alice_client.get(_url(account, "broadcast-list")).content.decode()
    assert "API narrowcast 0f1e2d3c" in html
    assert html.count('data-testid="origin-api"') == 1
    detail = alice_client.get(_url(account, "broadcast-detail", broadcast.pk))
    assert detail.status_code == 200
    # no "copy to new draft" for a bot's messages
    assert _url(account, "broadcast-copy", broadcast.pk) not in detail.content.decode()


def test_staff_pause_and_resume_an_api_narrowcast(alice_client, account):
    broadcast = _narrowcast(account)
    assert broadcast.status == "sending"
    alice_client.post(_url(account, "broadcast-pause", broadcast.pk))
    broadcast.refresh_from_db()
    assert broadcast.status == "paused"
    alice_client.post(_url(account, "broadcast-resume", broadcast.pk))
    broadcast.refresh_from_db()
    assert broadcast.status == "sending"


def test_copying_an_api_send_is_refused_and_creates_nothing(alice_client, account):
    broadcast = _narrowcast(account)
    response = alice_client.post(_url(account, "broadcast-copy", broadcast.pk))
    assert response.status_code == 302
    assert response.url == _url(account, "broadcast-detail", broadcast.pk)
    assert list(Broadcast.objects.values_list("pk", flat=True)) == [broadcast.pk]
    assert BroadcastBatch.objects.filter(broadcast=broadcast).count() == 1
