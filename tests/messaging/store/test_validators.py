"""Message objects (spec section 2): what the SDK builds passes, the rest is
refused with LINE's details."""

import pytest
from linebot.v3.messaging import (
    AgeDemographicFilter,  # noqa: F401 - imported to prove the SDK version
    AltUri,
    AudioMessage,
    ButtonsTemplate,
    CameraAction,
    CarouselColumn,
    CarouselTemplate,
    ClipboardAction,
    ConfirmTemplate,
    CouponMessage,
    DatetimePickerAction,
    Emoji,
    EmojiSubstitutionObject,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexIcon,
    FlexImage,
    FlexMessage,
    FlexSeparator,
    FlexSpan,
    FlexText,
    FlexVideo,
    ImageCarouselColumn,
    ImageCarouselTemplate,
    ImagemapArea,
    ImagemapBaseSize,
    ImagemapExternalLink,
    ImagemapMessage,
    ImagemapVideo,
    ImageMessage,
    LocationAction,
    LocationMessage,
    MentionSubstitutionObject,
    MessageAction,
    MessageImagemapAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    Sender,
    StickerMessage,
    TemplateMessage,
    TextMessage,
    TextMessageV2,
    URIAction,
    URIImagemapAction,
    UserMentionTarget,
    VideoMessage,
)

from messaging.store.checks import MessagesInvalid
from messaging.store.validators import message_text, messages_validate

IMG = "https://example.com/a.png"
USER = "U" + "1" * 32


def _sdk(model) -> dict:
    """The JSON the SDK sends for ``model``."""
    return model.to_dict()


SDK_MESSAGES = {
    "text": TextMessage(
        text="$ Hello $",
        emojis=[
            Emoji(index=0, product_id="5ac1bfd5040ab15980c9b435", emoji_id="001"),
            Emoji(index=8, product_id="5ac1bfd5040ab15980c9b435", emoji_id="002"),
        ],
        quick_reply=QuickReply(
            items=[
                QuickReplyItem(
                    image_url=IMG, action=MessageAction(label="Menu", text="menu")
                ),
                QuickReplyItem(action=CameraAction(label="Camera")),
                QuickReplyItem(action=LocationAction(label="Where")),
            ]
        ),
        sender=Sender(name="Chef", icon_url=IMG),
    ),
    "textV2": TextMessageV2(
        text="Welcome, {user1}! {laugh}",
        substitution={
            "user1": MentionSubstitutionObject(
                mentionee=UserMentionTarget(user_id=USER)
            ),
            "laugh": EmojiSubstitutionObject(
                product_id="5a8555cfe6256cc92ea23c2a", emoji_id="002"
            ),
        },
    ),
    "sticker": StickerMessage(package_id="446", sticker_id="1988"),
    "image": ImageMessage(original_content_url=IMG, preview_image_url=IMG),
    "video": VideoMessage(
        original_content_url="https://example.com/v.mp4",
        preview_image_url=IMG,
        tracking_id="track-1",
    ),
    "audio": AudioMessage(
        original_content_url="https://example.com/a.m4a", duration=6000
    ),
    "location": LocationMessage(
        title="Shop", address="Shibuya, Tokyo", latitude=35.66, longitude=139.70
    ),
    "coupon": CouponMessage(coupon_id="coupon-1", delivery_tag="spring"),
    "imagemap": ImagemapMessage(
        base_url="https://example.com/imagemap",
        alt_text="Map",
        base_size=ImagemapBaseSize(width=1040, height=1040),
        actions=[
            URIImagemapAction(
                link_uri="https://example.com",
                area=ImagemapArea(x=0, y=0, width=520, height=1040),
            ),
            MessageImagemapAction(
                text="hello", area=ImagemapArea(x=520, y=0, width=520, height=1040)
            ),
        ],
        video=ImagemapVideo(
            original_content_url="https://example.com/v.mp4",
            preview_image_url=IMG,
            area=ImagemapArea(x=0, y=0, width=1040, height=585),
            external_link=ImagemapExternalLink(
                link_uri="https://example.com", label="More"
            ),
        ),
    ),
    "buttons": TemplateMessage(
        alt_text="Buttons",
        template=ButtonsTemplate(
            thumbnail_image_url=IMG,
            image_aspect_ratio="rectangle",
            image_size="cover",
            image_background_color="#FFFFFF",
            title="Menu",
            text="Please select",
            default_action=URIAction(label="View", uri="https://example.com"),
            actions=[
                PostbackAction(label="Buy", data="action=buy", display_text="Buy"),
                MessageAction(label="Say", text="hi"),
                URIAction(
                    label="Open",
                    uri="https://example.com",
                    alt_uri=AltUri(desktop="https://example.com/pc"),
                ),
                DatetimePickerAction(
                    label="Date",
                    data="d",
                    mode="datetime",
                    initial="2026-06-18T06:15",
                    max="2100-12-31T23:59",
                    min="1900-01-01T00:00",
                ),
            ],
        ),
    ),
    "confirm": TemplateMessage(
        alt_text="Confirm",
        template=ConfirmTemplate(
            text="Sure?",
            actions=[
                MessageAction(label="Yes", text="yes"),
                MessageAction(label="No", text="no"),
            ],
        ),
    ),
    "carousel": TemplateMessage(
        alt_text="Carousel",
        template=CarouselTemplate(
            columns=[
                CarouselColumn(
                    thumbnail_image_url=IMG,
                    title=f"Item {i}",
                    text="Description",
                    actions=[PostbackAction(label="Buy", data=f"item={i}")],
                )
                for i in range(3)
            ],
            image_aspect_ratio="square",
        ),
    ),
    "image_carousel": TemplateMessage(
        alt_text="Images",
        template=ImageCarouselTemplate(
            columns=[
                ImageCarouselColumn(
                    image_url=IMG,
                    action=ClipboardAction(label="Copy", clipboard_text="C"),
                )
            ]
        ),
    ),
    "flex_bubble": FlexMessage(
        alt_text="Flex",
        contents=FlexBubble(
            size="mega",
            hero=FlexImage(
                url=IMG, size="full", aspect_ratio="20:13", aspect_mode="cover"
            ),
            body=FlexBox(
                layout="vertical",
                spacing="md",
                contents=[
                    FlexText(text="Brown Cafe", weight="bold", size="xl", wrap=True),
                    FlexBox(
                        layout="baseline",
                        contents=[
                            FlexIcon(url=IMG, size="sm"),
                            FlexText(
                                contents=[FlexSpan(text="4.0", color="#999999")],
                                size="sm",
                            ),
                        ],
                    ),
                    FlexSeparator(margin="lg"),
                ],
            ),
            footer=FlexBox(
                layout="vertical",
                contents=[
                    FlexButton(
                        style="primary",
                        height="sm",
                        action=URIAction(label="Call", uri="tel:0312345678"),
                    )
                ],
            ),
        ),
    ),
    "flex_carousel": FlexMessage(
        alt_text="Carousel",
        contents=FlexCarousel(
            contents=[
                FlexBubble(
                    hero=FlexVideo(
                        url="https://example.com/v.mp4",
                        preview_url=IMG,
                        alt_content=FlexImage(url=IMG),
                        aspect_ratio="16:9",
                    ),
                    body=FlexBox(layout="vertical", contents=[FlexText(text=str(i))]),
                )
                for i in range(2)
            ]
        ),
    ),
}


@pytest.mark.parametrize("name", list(SDK_MESSAGES))
def test_messages_built_with_the_sdk_are_valid(name):
    message = _sdk(SDK_MESSAGES[name])
    assert messages_validate([message]) == [message]


def _details(messages) -> list[dict]:
    with pytest.raises(MessagesInvalid) as excinfo:
        messages_validate(messages)
    return excinfo.value.errors


def _one(message: dict) -> list[tuple[str, str]]:
    return [(e["property"], e["message"]) for e in _details([message])]


P = "messages[0]"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"type": "text", "text": "   "}, [(f"{P}.text", "May not be empty")]),
        (
            {"type": "text", "text": "nul\x00"},
            [(f"{P}.text", "Must not contain NUL or unpaired surrogate characters")],
        ),
        (
            # the composer's placeholder link names no site (QA report)
            {
                "type": "imagemap",
                "baseUrl": IMG,
                "altText": "a",
                "baseSize": {"width": 1040, "height": 1040},
                "actions": [
                    {
                        "type": "uri",
                        "linkUri": "https://",
                        "area": {"x": 0, "y": 0, "width": 1, "height": 1},
                    }
                ],
            },
            [(f"{P}.actions[0].linkUri", "invalid uri")],
        ),
        (
            {"type": "text", "text": "😀" * 2501},
            [(f"{P}.text", "Length must be between 0 and 5000")],
        ),
        (
            {
                "type": "text",
                "text": "no dollar",
                "emojis": [{"index": 0, "productId": "p", "emojiId": "1"}],
            },
            [(f"{P}.emojis[0].index", "Must point at a $ in text")],
        ),
        (
            {
                "type": "textV2",
                "text": "{who}",
                "substitution": {
                    "who": {"type": "mention", "mentionee": {"type": "user"}}
                },
            },
            [(f"{P}.substitution.who.mentionee.userId", "May not be empty")],
        ),
        (
            {
                "type": "textV2",
                "text": "x",
                "substitution": {"bad-key": {"type": "emoji"}},
            },
            [(f"{P}.substitution.bad-key", "Invalid key")],
        ),
        (
            {"type": "sticker", "packageId": "1"},
            [(f"{P}.stickerId", "May not be empty")],
        ),
        (
            {"type": "image", "originalContentUrl": "ftp://x", "previewImageUrl": IMG},
            [(f"{P}.originalContentUrl", "Must be a valid URL")],
        ),
        (
            {
                "type": "image",
                "originalContentUrl": "https://x/" + "a" * 2000,
                "previewImageUrl": IMG,
            },
            [(f"{P}.originalContentUrl", "Length must be between 0 and 2000")],
        ),
        (
            {"type": "video", "originalContentUrl": IMG},
            [(f"{P}.previewImageUrl", "May not be empty")],
        ),
        (
            {"type": "audio", "originalContentUrl": IMG, "duration": -1},
            [(f"{P}.duration", "Must be between 0 and ∞")],
        ),
        (
            {
                "type": "location",
                "title": "t" * 101,
                "address": "a",
                "latitude": 91,
                "longitude": 0,
            },
            [
                (f"{P}.title", "Length must be between 0 and 100"),
                (f"{P}.latitude", "Must be between -90 and 90"),
            ],
        ),
        (
            {"type": "coupon", "couponId": "c", "deliveryTag": "t" * 31},
            [(f"{P}.deliveryTag", "Length must be between 0 and 30")],
        ),
        (
            {
                "type": "imagemap",
                "baseUrl": IMG,
                "altText": "a",
                "baseSize": {"width": 700, "height": 700},
                "actions": [
                    {
                        "type": "uri",
                        "linkUri": "javascript:x",
                        "area": {"x": 0, "y": 0, "width": 1},
                    }
                ],
            },
            [
                (f"{P}.baseSize.width", "Must be 1040"),
                (f"{P}.actions[0].linkUri", "invalid uri scheme"),
                (f"{P}.actions[0].area.height", "May not be empty"),
            ],
        ),
        (
            {
                "type": "template",
                "altText": "a" * 1501,
                "template": {
                    "type": "confirm",
                    "text": "?",
                    "actions": [{"type": "message", "label": "y", "text": "y"}],
                },
            },
            [
                (f"{P}.altText", "Length must be between 0 and 1500"),
                (f"{P}.template.actions", "Size must be between 2 and 2"),
            ],
        ),
        (
            {
                "type": "template",
                "altText": "a",
                "template": {
                    "type": "buttons",
                    "title": "T",
                    "text": "x" * 61,
                    "actions": [{"type": "camera", "label": "c"}] * 5,
                },
            },
            [
                (f"{P}.template.text", "Length must be between 0 and 60"),
                (f"{P}.template.actions", "Size must be between 1 and 4"),
            ]
            + [
                (
                    f"{P}.template.actions[{i}].type",
                    "Must be one of the following values: "
                    "[postback, message, uri, datetimepicker, clipboard]",
                )
                for i in range(5)
            ],
        ),
        (
            {
                "type": "template",
                "altText": "a",
                "template": {
                    "type": "buttons",
                    "text": "x",
                    "actions": [
                        {
                            "type": "postback",
                            "label": "l" * 21,
                            "data": "d",
                            "text": "a",
                            "displayText": "b",
                        }
                    ],
                },
            },
            [
                (f"{P}.template.actions[0].label", "Length must be between 0 and 20"),
                (
                    f"{P}.template.actions[0].text",
                    "displayText and text cannot be used together",
                ),
            ],
        ),
        (
            {
                "type": "template",
                "altText": "a",
                "template": {
                    "type": "carousel",
                    "columns": [
                        {
                            "text": "a",
                            "actions": [{"type": "message", "label": "a", "text": "a"}],
                        },
                        {
                            "text": "b",
                            "title": "B",
                            "actions": [{"type": "message", "label": "b", "text": "b"}],
                        },
                    ],
                },
            },
            [
                (
                    f"{P}.template.columns",
                    "Each column must have the same number of actions and the same "
                    "image and title presence",
                )
            ],
        ),
        (
            {
                "type": "template",
                "altText": "a",
                "template": {
                    "type": "buttons",
                    "text": "x",
                    "actions": [
                        {
                            "type": "datetimepicker",
                            "label": "d",
                            "data": "d",
                            "mode": "date",
                            "initial": "2200-01-01",
                        }
                    ],
                },
            },
            [
                (
                    f"{P}.template.actions[0].initial",
                    "Must be between 1900-01-01 and 2100-12-31",
                )
            ],
        ),
        (
            {
                "type": "flex",
                "altText": "f",
                "contents": {
                    "type": "bubble",
                    "body": {
                        "type": "box",
                        "layout": "diagonal",
                        "contents": [{"type": "button"}],
                    },
                },
            },
            [
                (
                    f"{P}.contents.body.layout",
                    "Must be one of the following values: "
                    "[horizontal, vertical, baseline]",
                ),
                (f"{P}.contents.body.contents[0].action", "May not be empty"),
            ],
        ),
        (
            {
                "type": "flex",
                "altText": "f",
                "contents": {"type": "carousel", "contents": [{"type": "bubble"}] * 13},
            },
            [(f"{P}.contents.contents", "Size must be between 1 and 12")],
        ),
        (
            {
                "type": "flex",
                "altText": "f",
                "contents": {
                    "type": "bubble",
                    "body": {
                        "type": "box",
                        "layout": "vertical",
                        "contents": [{"type": "text", "text": "x" * 31000}],
                    },
                },
            },
            [(f"{P}.contents", "Size must be at most 30720 bytes")],
        ),
        (
            {
                "type": "flex",
                "altText": "f",
                "contents": {
                    "type": "bubble",
                    "hero": {"type": "text", "text": "x"},
                    "styles": {"body": {"backgroundColor": "red"}},
                },
            },
            [
                (
                    f"{P}.contents.hero.type",
                    "Must be one of the following values: [box, image, video]",
                ),
                (f"{P}.contents.styles.body.backgroundColor", "Invalid format"),
            ],
        ),
        (
            {
                "type": "text",
                "text": "x",
                "quickReply": {
                    "items": [
                        {"type": "action", "action": {"type": "message", "text": "m"}}
                    ]
                    * 14
                },
            },
            [(f"{P}.quickReply.items", "Size must be between 1 and 13")]
            + [
                (f"{P}.quickReply.items[{i}].action.label", "May not be empty")
                for i in range(14)
            ],
        ),
        (
            {
                "type": "text",
                "text": "x",
                "quickReply": {
                    "items": [
                        {
                            "type": "action",
                            "action": {
                                "type": "richmenuswitch",
                                "richMenuAliasId": "a",
                                "data": "d",
                            },
                        }
                    ]
                },
            },
            [
                (
                    f"{P}.quickReply.items[0].action.type",
                    "Must be one of the following values: [postback, message, uri, "
                    "datetimepicker, clipboard, camera, cameraRoll, location]",
                )
            ],
        ),
        (
            {
                "type": "text",
                "text": "x",
                "sender": {"name": "LINE Bot", "iconUrl": "nope"},
            },
            [
                (f"{P}.sender.name", "Must not contain LINE"),
                (f"{P}.sender.iconUrl", "Must be a valid URL"),
            ],
        ),
    ],
)
def test_invalid_messages_are_refused_with_details(message, expected):
    assert _one(message) == expected


@pytest.mark.parametrize(
    ("message", "prop"),
    [
        ({"type": "text", "text": 1}, f"{P}.text"),
        (
            {
                "type": "location",
                "title": "t",
                "address": "a",
                "latitude": "35",
                "longitude": 1,
            },
            f"{P}.latitude",
        ),
        ({"type": "template", "altText": "a", "template": []}, f"{P}.template"),
        (
            {"type": "audio", "originalContentUrl": IMG, "duration": True},
            f"{P}.duration",
        ),
        (
            {
                "type": "flex",
                "altText": "a",
                "contents": {
                    "type": "bubble",
                    "body": {"type": "box", "layout": "vertical", "contents": ["x"]},
                },
            },
            f"{P}.contents.body.contents[0]",
        ),
    ],
)
def test_wrong_json_types_are_named(message, prop):
    with pytest.raises(MessagesInvalid) as excinfo:
        messages_validate([message])
    assert excinfo.value.type_error == prop


def test_max_count_and_prop_are_the_callers():
    with pytest.raises(MessagesInvalid) as excinfo:
        messages_validate(
            [{"type": "text", "text": "a"}] * 4, max_count=3, prop="greeting"
        )
    assert excinfo.value.errors == [
        {"message": "Size must be between 1 and 3", "property": "greeting"}
    ]


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ({"type": "text", "text": "hi"}, "hi"),
        ({"type": "flex", "altText": "Menu", "contents": {}}, "Menu"),
        ({"type": "location", "title": "Shop"}, "Shop"),
        ({"type": "audio"}, "[Audio]"),
        ({"type": "coupon", "couponId": "c"}, "[Coupon]"),
    ],
)
def test_message_text_is_searchable_text_or_alt_text(message, text):
    assert message_text(message) == text
