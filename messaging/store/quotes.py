"""Quoted messages (LINE's ``quoteToken``, REF#quote-token).

Every stored message has a quote token (``Message.quote_token``; the API
returns it in ``sentMessages`` and webhook events carry the customer's). A
text, textV2 or sticker message may name one in ``quoteToken``: it then
quotes that message of the same talk room, and the talk app and the chat
show the quoted message above the bubble, as LINE does.
"""

from messaging.store.checks import MessagesInvalid
from messaging.store.labels import message_summary
from messaging.store.models import Message

QUOTABLE_TYPES = ("text", "textV2", "sticker")
INVALID_QUOTE_TOKEN = "Invalid quote token"


def _tokens(messages) -> dict[str, int]:
    """``quoteToken`` → index of the first message naming it."""
    found: dict[str, int] = {}
    for i, msg in enumerate(messages):
        token = msg.get("quoteToken") if isinstance(msg, dict) else None
        if isinstance(token, str) and token and msg.get("type") in QUOTABLE_TYPES:
            found.setdefault(token, i)
    return found


def quote_tokens_check(*, friend_id: int, messages: list[dict]) -> None:
    """Refuse quote tokens that name no message of this friend's talk room.

    ``messages``: LINE message objects already validated for shape. One
    query, and only when a message quotes. Raises ``MessagesInvalid`` with
    LINE's "X error(s)" body and ``messages[i].quoteToken`` as the property
    (this platform's rule: LINE documents no error text for a foreign or
    unknown token; docs/api.md).
    """
    tokens = _tokens(messages)
    if not tokens:
        return
    known = set(
        Message.objects.filter(
            friend_id=friend_id, quote_token__in=list(tokens)
        ).values_list("quote_token", flat=True)
    )
    errors = [
        {"message": INVALID_QUOTE_TOKEN, "property": f"messages[{i}].quoteToken"}
        for token, i in sorted(tokens.items(), key=lambda item: item[1])
        if token not in known
    ]
    if errors:
        raise MessagesInvalid(errors)


def quotes_attach(*, friend_id: int, rows: list[Message]) -> list[Message]:
    """Set ``row.quoted`` on each row: the message it quotes, or None.

    ``quoted`` is a dict ``{"id", "mine", "summary"}`` (``mine``: the
    customer sent the quoted message), ready for the bubble templates. One
    query for the whole page, none when nothing on it quotes.
    """
    wanted = {
        row.payload.get("quoteToken")
        for row in rows
        if isinstance(row.payload, dict) and row.payload.get("quoteToken")
    }
    wanted.discard(None)
    by_token = {}
    if wanted:
        for quoted in Message.objects.filter(
            friend_id=friend_id,
            quote_token__in=[t for t in wanted if isinstance(t, str)],
        ).only("pk", "direction", "type", "text", "quote_token"):
            by_token[quoted.quote_token] = {
                "id": quoted.pk,
                "mine": quoted.direction == Message.Direction.INBOUND,
                "summary": message_summary(quoted.type, quoted.text),
            }
    for row in rows:
        token = row.payload.get("quoteToken") if isinstance(row.payload, dict) else None
        row.quoted = by_token.get(token) if isinstance(token, str) else None
    return rows
