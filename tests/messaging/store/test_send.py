"""messages_send: the store's writer of outbound messages."""

import re

from messaging.store.models import Message
from messaging.store.services import messages_send
from tests.messaging.api.factories import customer


def test_every_sent_message_gets_its_own_url_safe_quote_token(account):
    friends = [customer(account) for _i in range(3)]
    rows = messages_send(
        account=account,
        friends=friends,
        messages=[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
        source=Message.Source.API_MULTICAST,
    )
    stored = list(Message.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk"))
    assert [(m.pk, m.friend_id, m.text) for m in stored] == [
        (r.pk, r.friend_id, r.text) for r in rows
    ]
    assert [m.friend_id for m in stored] == [f.pk for f in friends for _m in "ab"]
    tokens = [m.quote_token for m in stored]
    assert tokens == [r.quote_token for r in rows]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", t) for t in tokens)
    assert len(set(tokens)) == 6
