"""The one bubble renderer: every message type the validator accepts."""

import pytest

from messaging.store.rendering import bubble_html, quick_reply_html
from messaging.store.rendering_values import href_safe
from messaging.store.validators import messages_validate
from tests.htmlquery import first

IMG = "https://example.com/img.jpg"

FLEX_BUBBLE = {
    "type": "bubble",
    "size": "kilo",
    "styles": {"footer": {"separator": True, "backgroundColor": "#f0f0f0"}},
    "header": {
        "type": "box",
        "layout": "vertical",
        "contents": [{"type": "text", "text": "Café Lumière", "size": "xs"}],
    },
    "hero": {
        "type": "image",
        "url": IMG,
        "size": "full",
        "aspectRatio": "20:13",
        "aspectMode": "cover",
        "action": {"type": "uri", "uri": "https://example.com/menu"},
    },
    "body": {
        "type": "box",
        "layout": "vertical",
        "spacing": "md",
        "paddingAll": "12px",
        "contents": [
            {"type": "text", "text": "Seasonal tart", "weight": "bold", "size": "xl"},
            {
                "type": "box",
                "layout": "baseline",
                "margin": "lg",
                "contents": [
                    {"type": "icon", "url": IMG, "size": "sm"},
                    {
                        "type": "text",
                        "contents": [
                            {"type": "span", "text": "4.0", "color": "#999999"},
                            {"type": "span", "text": " stars", "weight": "bold"},
                        ],
                        "flex": 0,
                    },
                ],
            },
            {"type": "separator", "color": "#eeeeee"},
            {
                "type": "box",
                "layout": "horizontal",
                "position": "relative",
                "offsetTop": "4px",
                "backgroundColor": "#ffeecc",
                "cornerRadius": "md",
                "borderWidth": "light",
                "borderColor": "#cccccc",
                "contents": [
                    {"type": "text", "text": "Price", "flex": 1, "color": "#aaaaaa"},
                    {"type": "filler"},
                    {"type": "text", "text": "¥480", "flex": 2, "align": "end"},
                ],
            },
        ],
    },
    "footer": {
        "type": "box",
        "layout": "vertical",
        "contents": [
            {
                "type": "button",
                "style": "primary",
                "color": "#06c755",
                "action": {
                    "type": "postback",
                    "label": "Reserve",
                    "data": "action=reserve&item=tart",
                    "displayText": "Reserve, please",
                },
            },
            {
                "type": "button",
                "style": "link",
                "height": "sm",
                "action": {"type": "uri", "label": "Call", "uri": "tel:0312345678"},
            },
        ],
    },
}

ACTIONS = [
    {"type": "message", "label": "Yes", "text": "yes"},
    {"type": "postback", "label": "No", "data": "ans=no"},
]

# (message object, CSS selectors that must be present, texts that must show)
CASES = {
    "text": (
        {
            "type": "text",
            "text": "$ Hello $ see https://example.com",
            "emojis": [
                {"index": 0, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"},
                {"index": 8, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "002"},
            ],
        },
        [".bubble", ".lb-emoji", "a[href='https://example.com']"],
        ["Hello"],
    ),
    "textV2": (
        {
            "type": "textV2",
            "text": "Welcome {everyone} {laugh}!",
            "substitution": {
                "everyone": {"type": "mention", "mentionee": {"type": "all"}},
                "laugh": {"type": "emoji", "productId": "p", "emojiId": "002"},
            },
        },
        [".lb-mention", ".lb-emoji"],
        ["Welcome", "@All"],
    ),
    "sticker": (
        {"type": "sticker", "packageId": "446", "stickerId": "1989"},
        ["img.lb-sticker"],
        [],
    ),
    "image": (
        {"type": "image", "originalContentUrl": IMG, "previewImageUrl": IMG},
        [f"a.lb-photo[href='{IMG}'] img[src='{IMG}']"],
        [],
    ),
    "video": (
        {
            "type": "video",
            "originalContentUrl": "https://example.com/v.mp4",
            "previewImageUrl": IMG,
        },
        ["video[src='https://example.com/v.mp4'][poster]"],
        [],
    ),
    "audio": (
        {
            "type": "audio",
            "originalContentUrl": "https://example.com/a.m4a",
            "duration": 65000,
        },
        ["audio[src='https://example.com/a.m4a']"],
        ["1:05"],
    ),
    "location": (
        {
            "type": "location",
            "title": "Café Lumière",
            "address": "1-2-3 Shibuya, Tokyo",
            "latitude": 35.658,
            "longitude": 139.7016,
        },
        ["a.lb-location[href*='openstreetmap.org']"],
        ["Café Lumière", "1-2-3 Shibuya, Tokyo"],
    ),
    "imagemap": (
        {
            "type": "imagemap",
            "baseUrl": "https://example.com/rich",
            "altText": "20%OFF",
            "baseSize": {"width": 1040, "height": 520},
            "actions": [
                {
                    "type": "uri",
                    "linkUri": "https://example.com/coupon",
                    "area": {"x": 0, "y": 0, "width": 520, "height": 520},
                },
                {
                    "type": "message",
                    "text": "Coupon please",
                    "area": {"x": 520, "y": 0, "width": 520, "height": 520},
                },
            ],
            "video": {
                "originalContentUrl": "https://example.com/rich.mp4",
                "previewImageUrl": IMG,
                "area": {"x": 0, "y": 0, "width": 1040, "height": 260},
                "externalLink": {
                    "linkUri": "https://example.com/shop",
                    "label": "Shop",
                },
            },
        },
        [
            ".lb-area-video video[src='https://example.com/rich.mp4']",
            "a.lb-video-link[href='https://example.com/shop']",
            "img[src='https://example.com/rich/700']",
            "a.lb-area[href='https://example.com/coupon']",
            ".lb-area[data-action]",
        ],
        [],
    ),
    "template buttons": (
        {
            "type": "template",
            "altText": "Menu",
            "template": {
                "type": "buttons",
                "thumbnailImageUrl": IMG,
                "title": "Menu",
                "text": "Pick one",
                "actions": [
                    {"type": "uri", "label": "Site", "uri": "https://example.com"},
                    {
                        "type": "datetimepicker",
                        "label": "Book",
                        "data": "book",
                        "mode": "datetime",
                    },
                ],
            },
        },
        [".lb-card img", "a.lb-tbtn", "button.lb-tbtn[data-action]"],
        ["Menu", "Pick one", "Site", "Book"],
    ),
    "template confirm": (
        {
            "type": "template",
            "altText": "confirm",
            "template": {
                "type": "confirm",
                "text": "Are you sure?",
                "actions": ACTIONS,
            },
        },
        [".lb-confirm button.lb-tbtn[data-action]"],
        ["Are you sure?", "Yes", "No"],
    ),
    "template carousel": (
        {
            "type": "template",
            "altText": "季節のタルト",
            "template": {
                "type": "carousel",
                "columns": [
                    {"title": "Tart", "text": "Apple", "actions": [ACTIONS[0]]},
                    {"title": "Cake", "text": "Cheese", "actions": [ACTIONS[1]]},
                ],
            },
        },
        [".lb-scroll .lb-card"],
        ["Tart", "Cake", "Apple", "Cheese"],
    ),
    "template image_carousel": (
        {
            "type": "template",
            "altText": "Pictures",
            "template": {
                "type": "image_carousel",
                "columns": [
                    {"imageUrl": IMG, "action": ACTIONS[0]},
                    {
                        "imageUrl": IMG,
                        "action": {"type": "uri", "label": "Go", "uri": IMG},
                    },
                ],
            },
        },
        [".lb-imgcar .lb-imgcol img", f"a.lb-imgcol[href='{IMG}']"],
        ["Yes", "Go"],
    ),
    "flex bubble": (
        {"type": "flex", "altText": "Tart", "contents": FLEX_BUBBLE},
        [
            ".fx-bubble.fx-kilo",
            ".fx-header .fx-text",
            ".fx-hero a.fx-image[href='https://example.com/menu'] img",
            ".fx-baseline img.fx-icon",
            ".fx-separator",
            ".fx-filler",
            ".fx-horizontal",
            "button.fx-button.primary[data-action]",
            "a.fx-button.link.sm[href='tel:0312345678']",
        ],
        ["Seasonal tart", "4.0", "stars", "¥480", "Reserve", "Call"],
    ),
    "flex carousel": (
        {
            "type": "flex",
            "altText": "Two",
            "contents": {
                "type": "carousel",
                "contents": [
                    FLEX_BUBBLE,
                    {
                        "type": "bubble",
                        "body": {
                            "type": "box",
                            "layout": "vertical",
                            "contents": [
                                {
                                    "type": "video",
                                    "url": "https://example.com/v.mp4",
                                    "previewUrl": IMG,
                                    "altContent": {"type": "image", "url": IMG},
                                    "aspectRatio": "16:9",
                                },
                                {"type": "text", "text": "Second", "wrap": True},
                            ],
                        },
                    },
                ],
            },
        },
        [".lb-scroll .fx-bubble[data-column]", ".fx-video video"],
        ["Seasonal tart", "Second"],
    ),
    "coupon": (
        # unknown here: drawn as a coupon that is not available (a known
        # coupon's bubble: tests/coupons/test_views.py)
        {"type": "coupon", "couponId": "01ABC"},
        [".lb-coupon[data-coupon='01ABC']"],
        ["Coupon", "This coupon is not available."],
    ),
}


def _doc(html: str):
    return first(html)


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(CASES))
def test_every_type_renders_its_essential_parts(name):
    """Each type the validator accepts renders, without the alt-text fallback."""
    # given a valid message object
    message, selectors, texts = CASES[name]
    messages_validate([message])
    # when it is rendered
    out = bubble_html(message)
    doc = _doc(out)
    # then its essential parts are there and it is not the fallback
    assert doc.get("data-type") == message["type"]
    assert not doc.cssselect("[data-fallback]")
    for selector in selectors:
        assert doc.cssselect(selector), f"{name}: {selector} missing in {out}"
    content = doc.text_content()
    for text in texts:
        assert text in content


def test_stickers_are_drawn_by_us_and_others_are_a_placeholder():
    """A stored sticker outside LINE's list (an old store) is a labelled
    placeholder; ``lineoa-1`` stickers stored earlier keep their drawing."""
    line = _doc(
        bubble_html({"type": "sticker", "packageId": "446", "stickerId": "1989"})
    )
    assert line.cssselect("img.lb-sticker")[0].get("src") == "/stickers/446/1989.svg"
    old = _doc(
        bubble_html({"type": "sticker", "packageId": "lineoa-1", "stickerId": "2"})
    )
    assert (
        old.cssselect("img.lb-sticker")[0].get("src") == "/static/talk/stickers/2.svg"
    )
    other = _doc(bubble_html({"type": "sticker", "packageId": "1", "stickerId": "1"}))
    assert other.cssselect(".lb-sticker-other")
    assert other.text_content().strip() == "Sticker"


def test_the_carousel_has_its_columns_and_the_imagemap_its_areas():
    carousel = _doc(bubble_html(CASES["template carousel"][0]))
    assert len(carousel.cssselect("[data-column]")) == 2
    imagemap = _doc(bubble_html(CASES["imagemap"][0]))
    areas = imagemap.cssselect("[data-area]")
    assert [a.get("data-style") for a in areas] == [
        "left:0.000%;top:0.000%;width:50.000%;height:100.000%",
        "left:50.000%;top:0.000%;width:50.000%;height:100.000%",
    ]


def test_a_flex_button_carries_its_postback_for_the_talk_app():
    doc = _doc(bubble_html(CASES["flex bubble"][0]))
    button = doc.cssselect("button.fx-button.primary")[0]
    assert button.text_content() == "Reserve"
    assert button.get("data-action") == (
        '{"data": "action=reserve&item=tart", "displayText": "Reserve, please", '
        '"label": "Reserve", "type": "postback"}'
    )
    assert "background-color:#06c755" in button.get("data-style")


def test_sender_name_and_icon_show():
    doc = _doc(
        bubble_html(
            {
                "type": "text",
                "text": "Hi",
                "sender": {"name": "Barista", "iconUrl": IMG},
            }
        )
    )
    assert doc.cssselect(".lb-sender")[0].text_content() == "Barista"
    assert doc.cssselect(".lb-sender img")[0].get("src") == IMG


def test_unknown_types_fall_back_to_marked_alt_text():
    doc = _doc(bubble_html({"type": "hologram", "altText": "Beam me up"}))
    assert doc.cssselect("[data-fallback]")
    assert "Unsupported message" in doc.text_content()
    assert "Beam me up" in doc.text_content()


@pytest.mark.parametrize(
    "payload",
    [
        {
            "type": "flex",
            "altText": "Broken card",
            "contents": {
                "type": "bubble",
                "body": {"type": "box", "layout": "sideways", "contents": []},
            },
        },  # noqa: E501
        {"type": "flex", "altText": "Broken card", "contents": {"type": "nonsense"}},
        {"type": "template", "altText": "Broken card", "template": {"type": "cube"}},
        {"type": "location", "altText": "Broken card", "title": "x"},
    ],
)
def test_malformed_stored_messages_show_a_marked_alt_text(payload):
    doc = _doc(bubble_html(payload))
    assert doc.cssselect("[data-fallback]")
    assert "could not be shown" in doc.text_content()
    assert "Broken card" in doc.text_content()


def test_everything_is_escaped_and_only_safe_links_are_links():
    # given a message full of markup and script URIs
    evil = '<script>alert(1)</script>"'
    payload = {
        "type": "template",
        "altText": evil,
        "template": {
            "type": "buttons",
            "title": evil,
            "text": evil,
            "actions": [
                {"type": "uri", "label": evil, "uri": "javascript:alert(1)"},
                {"type": "message", "label": "m", "text": evil},
            ],
        },
    }
    # when rendered
    out = bubble_html(payload)
    # then no markup of the message survives and no script link exists
    assert "<script>" not in out
    assert "javascript:" not in out
    doc = _doc(out)
    assert evil in doc.text_content()
    assert '"text": "<script>alert(1)</script>\\""' in doc.cssselect("[data-action]")[
        0
    ].get("data-action")


def test_link_schemes():
    assert href_safe("https://a.example/x") == "https://a.example/x"
    assert href_safe("tel:123") == "tel:123"
    assert href_safe("mailto:a@example.com") == "mailto:a@example.com"
    assert href_safe("line://nv/chat") == "line://nv/chat"
    assert href_safe("https://line.me/R/ti/p/@cafe") == "/talk/add/@cafe"
    assert href_safe("line://ti/p/@cafe") == "/talk/add/@cafe"
    assert href_safe("https://line.me/R/oaMessage/@cafe/?hi") == "/talk/accounts/@cafe/"
    assert href_safe("javascript:alert(1)") is None
    assert href_safe("data:text/html,x") is None
    assert href_safe("/media/chat/a.png") == "/media/chat/a.png"
    assert href_safe("//evil.example") is None
    assert href_safe("/\\evil.example") is None


def test_quick_reply_chips_up_to_13():
    items = [
        {"type": "action", "action": {"type": "message", "label": f"L{i}", "text": "t"}}
        for i in range(13)
    ] + [{"type": "action", "action": {"type": "location", "label": "Here"}}]
    doc = _doc(
        quick_reply_html({"type": "text", "text": "?", "quickReply": {"items": items}})
    )
    chips = doc.cssselect("[data-chip]")
    assert len(chips) == 13
    assert quick_reply_html({"type": "text", "text": "no chips"}) == ""


def test_a_missing_image_says_so_instead_of_a_broken_link():
    doc = _doc(
        bubble_html(
            {
                "type": "image",
                "originalContentUrl": "javascript:alert(1)",
                "previewImageUrl": "",
            }
        )
    )
    assert doc.cssselect(".lb-missing")
    assert "The image is not available." in doc.text_content()
    assert not doc.cssselect("a")
    # a stored image that fails to load is marked by the browser
    ok = bubble_html(
        {"type": "image", "originalContentUrl": IMG, "previewImageUrl": IMG}
    )
    assert 'data-missing="parent"' in ok  # bubbles.js marks a failed load


def test_line_add_friend_links_open_the_account_in_the_talk_app():
    doc = _doc(
        bubble_html(
            {
                "type": "template",
                "altText": "Follow",
                "template": {
                    "type": "buttons",
                    "text": "Our sister shop",
                    "actions": [
                        {
                            "type": "uri",
                            "label": "Add",
                            "uri": "https://line.me/R/ti/p/@sister",
                        }
                    ],
                },
            }
        )
    )
    link = doc.cssselect("a.lb-tbtn")[0]
    assert link.get("href") == "/talk/add/@sister"
    assert link.get("target") is None


@pytest.mark.django_db
def test_a_textv2_mention_shows_the_users_name():
    from tests.talk.factories import make_persona

    hanako = make_persona("Hanako")
    doc = _doc(
        bubble_html(
            {
                "type": "textV2",
                "text": "{who}, your table is ready",
                "substitution": {
                    "who": {
                        "type": "mention",
                        "mentionee": {"type": "user", "userId": hanako.user_id},
                    }
                },
            }
        )
    )
    assert doc.cssselect(".lb-mention")[0].text_content() == "@Hanako"
    assert doc.text_content().strip() == "@Hanako, your table is ready"
