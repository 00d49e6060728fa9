"""Stickers as LINE numbers them (issue 16 #5): exactly LINE's sendable
packages and sticker ranges, our own artwork, keywords in webhook events."""

import pytest

from messaging.store.checks import MessagesInvalid
from messaging.store.stickers import SENDABLE, STICKERS
from messaging.store.validators import STICKER_INVALID, messages_validate

# LINE's sticker list: package → (first, last) sticker ID.
LINE_LIST = {
    "446": (1988, 2027),
    "789": (10855, 10894),
    "1070": (17839, 17878),
    "6136": (10551376, 10551399),
    "6325": (10979904, 10979927),
    "6359": (11069848, 11069871),
    "6362": (11087920, 11087943),
    "6370": (11088016, 11088039),
    "6632": (11825374, 11825397),
    "8515": (16581242, 16581265),
    "8522": (16581266, 16581289),
    "8525": (16581290, 16581313),
    "11537": (52002734, 52002773),
    "11538": (51626494, 51626533),
    "11539": (52114110, 52114149),
}


def _sticker(package_id, sticker_id) -> dict:
    return {"type": "sticker", "packageId": package_id, "stickerId": sticker_id}


def test_the_table_is_lines_list():
    assert {p: (k.first, k.last) for p, k in SENDABLE.items()} == LINE_LIST
    assert len(STICKERS) == 6 * 40 + 9 * 24


ACCEPTED = [
    (package, str(number))
    for package, (first, last) in LINE_LIST.items()
    for number in (first, last)
]


@pytest.mark.parametrize(("package_id", "sticker_id"), ACCEPTED)
def test_first_and_last_sticker_of_each_package_are_accepted(package_id, sticker_id):
    assert messages_validate([_sticker(package_id, sticker_id)]) == [
        _sticker(package_id, sticker_id)
    ]


REFUSED = [
    *[(package, str(first - 1)) for package, (first, _last) in LINE_LIST.items()],
    *[(package, str(last + 1)) for package, (_first, last) in LINE_LIST.items()],
    ("446", "10855"),  # a real sticker of another package
    ("1", "1"),  # LINE's old default package, not sendable
    ("lineoa-1", "1"),  # this product's stickers before LINE's numbering
    ("446", " 1988"),
    ("0446", "1988"),
    ("11537", "52002734.0"),
]


@pytest.mark.parametrize(("package_id", "sticker_id"), REFUSED)
def test_stickers_outside_lines_list_are_refused(package_id, sticker_id):
    with pytest.raises(MessagesInvalid) as raised:
        messages_validate(
            [{"type": "text", "text": "hi"}, _sticker(package_id, sticker_id)]
        )
    assert raised.value.errors == [
        {"message": STICKER_INVALID, "property": "messages[1]"}
    ]


@pytest.mark.django_db
def test_webhook_event_carries_resource_type_and_keywords(friend):
    """A customer's animated sticker reaches the bot as LINE sends it."""
    from linebot.v3.webhooks import StickerMessageContent

    from messaging.webhooks.events import webhook_message_event
    from talk.services import sticker_send

    row = sticker_send(friend=friend, sticker_id="52002734")
    content = webhook_message_event(message=row).data["message"]
    token = content.pop("markAsReadToken")
    assert content.pop("quoteToken") == row.quote_token
    assert content == {
        "id": str(row.public_id),
        "type": "sticker",
        "packageId": "11537",
        "stickerId": "52002734",
        "stickerResourceType": "ANIMATION",
        "keywords": ["hello", "hi", "wave"],
    }
    parsed = StickerMessageContent.from_dict({**content, "quoteToken": "q"})
    assert parsed.sticker_resource_type == "ANIMATION"
    assert parsed.keywords == ["hello", "hi", "wave"]
    assert token
