"""The Manager's rich menu editor: templates, image, actions, roles, tenancy."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import AuditLog, Membership
from messaging.friends.services import tag_create
from richmenu.layouts import layout_bounds
from richmenu.models import RichMenu, RichMenuDefault, RichMenuTagRule
from richmenu.selectors import richmenu_for_friend
from richmenu.services import richmenu_alias_create
from tests.factories import FriendFactory, UserFactory, add_member
from tests.htmlquery import parse
from tests.richmenu.factories import png, published
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora_client(account):
    """An operator without delivery: prepares drafts, never publishes."""
    user = UserFactory(username="dora")
    add_member(account, user, Membership.Role.OPERATOR_NO_DELIVERY)
    client = Client()
    client.force_login(user)
    return client


def _post(client, account, image=None, **fields):
    data = {
        "name": "Spring menu",
        "layout": "compact-2",
        "chat_bar_text": "メニュー",
        "selected": "on",
        "area0_type": "uri",
        "area0_value": "https://example.com/booking",
        "area1_type": "postback",
        "area1_value": "page=coupons",
        "area1_display_text": "クーポン",
        "image": SimpleUploadedFile("m.png", png(2500, 843), "image/png")
        if image is None
        else image,
        **fields,
    }
    return client.post(f"/manager/{account.slug}/richmenus/new/", data)


def test_layouts_split_the_image_exactly():
    size, bounds = layout_bounds("large-6")
    assert size == (2500, 1686)
    assert bounds[0] == {"x": 0, "y": 0, "width": 833, "height": 843}
    assert bounds[5] == {"x": 1666, "y": 843, "width": 834, "height": 843}
    assert layout_bounds("compact-2-wide")[1] == [
        {"x": 0, "y": 0, "width": 1666, "height": 843},
        {"x": 1666, "y": 0, "width": 834, "height": 843},
    ]


def test_create_from_a_template_and_set_as_default(alice_client, account):
    friend = FriendFactory(account=account)
    response = _post(alice_client, account, make_default="on")
    assert response.status_code == 302
    menu = RichMenu.objects.get()
    assert (menu.origin, menu.width, menu.height, menu.selected) == (
        "manager",
        2500,
        843,
        True,
    )
    assert menu.areas == [
        {
            "bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
            "action": {"type": "uri", "uri": "https://example.com/booking"},
        },
        {
            "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
            "action": {
                "type": "postback",
                "data": "page=coupons",
                "displayText": "クーポン",
            },
        },
    ]
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == menu
    actions = AuditLog.objects.filter(action__startswith="richmenu.").order_by("id")
    assert list(actions.values_list("action", "target")) == [
        ("richmenu.create", "Spring menu"),
        ("richmenu.default", "Spring menu"),
    ]
    page = alice_client.get(f"/manager/{account.slug}/richmenus/").content.decode()
    assert "Spring menu" in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"chat_bar_text": "x" * 15}, "chat_bar_text", "15"),
        ({"area0_value": "javascript:alert(1)"}, "area0_value", "link"),
        ({"area0_value": ""}, "area0_value", "Fill in"),
        (
            {"image": SimpleUploadedFile("m.png", png(2500, 1686), "image/png")},
            "image",
            "2500×843",
        ),
        (
            {"image": SimpleUploadedFile("m.gif", b"GIF89a", "image/gif")},
            "image",
            "JPEG or PNG",
        ),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(
    alice_client, account, fields, field, message
):
    image = fields.pop("image", None)
    response = _post(alice_client, account, image=image, **fields)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert RichMenu.objects.count() == 0
    assert AuditLog.objects.filter(action__startswith="richmenu.").count() == 0


def test_drafts_only_roles_may_not_publish(dora_client, account):
    with assert_unchanged():
        response = _post(dora_client, account, make_default="on")
    assert response.status_code == 200
    assert RichMenu.objects.count() == 0
    # a draft is fine
    assert _post(dora_client, account).status_code == 302
    menu = RichMenu.objects.get()
    url = f"/manager/{account.slug}/richmenus/{menu.pk}/default"
    with assert_unchanged():
        assert dora_client.post(url).status_code == 403
        assert dora_client.post(url.replace("default", "delete")).status_code == 403
    assert RichMenuDefault.objects.count() == 0
    assert RichMenu.objects.count() == 1


def test_another_accounts_menu_is_404(charlie_client, alice_client, account):
    menu = published(account, origin=RichMenu.Origin.MANAGER)
    assert charlie_client.get(f"/manager/{account.slug}/richmenus/").status_code == 404
    with assert_unchanged():
        for action in ("default", "delete"):
            url = f"/manager/{account.slug}/richmenus/{menu.pk}/{action}"
            assert charlie_client.post(url).status_code == 404
    assert RichMenu.objects.filter(pk=menu.pk).exists()
    assert RichMenuDefault.objects.count() == 0


def test_default_set_cancel_and_delete(alice_client, account):
    menu = published(account, origin=RichMenu.Origin.MANAGER)
    base = f"/manager/{account.slug}/richmenus/{menu.pk}"
    assert alice_client.post(f"{base}/default").status_code == 302
    assert RichMenuDefault.objects.get().rich_menu == menu
    assert alice_client.post(f"{base}/default", {"cancel": "1"}).status_code == 302
    assert RichMenuDefault.objects.count() == 0
    assert alice_client.post(f"{base}/delete").status_code == 302
    assert RichMenu.objects.count() == 0


def test_the_editor_previews_with_the_talk_apps_template(alice_client, account):
    html = alice_client.get(f"/manager/{account.slug}/richmenus/new/").content.decode()
    [preview] = parse(html).cssselect("#richmenu-preview [data-richmenu]")
    areas = parse(html).cssselect("#richmenu-preview .richmenu-tap")
    assert len(areas) == 6  # the default template, large-6
    assert preview.get("class").split() == ["richmenu", "open"]


def test_without_an_upload_the_image_is_made_from_colours_and_labels(
    alice_client, account
):
    response = _post(
        alice_client,
        account,
        image="",
        area0_colour="#2f80ed",
        area0_label="Book",
        area1_colour="#e8730c",
        area1_label="Coupons",
    )
    assert response.status_code == 302
    menu = RichMenu.objects.get()
    assert menu.image_type == "image/jpeg"
    with menu.image.open("rb") as f, Image.open(f) as image:
        assert image.size == (2500, 843)
        r, g, b = image.getpixel((100, 100))
        assert abs(r - 0x2F) < 8 and abs(g - 0x80) < 8 and abs(b - 0xED) < 8


def test_tabs_switch_to_existing_tab_ids_only(alice_client, account):
    tab_b = published(account, origin=RichMenu.Origin.MANAGER)
    richmenu_alias_create(account=account, alias_id="tab-b", menu=tab_b)
    switch = {"area1_type": "richmenuswitch", "area1_value": "tab-x"}
    response = _post(alice_client, account, alias_id="tab-a", **switch)
    assert response.status_code == 200
    assert response.context["form"].errors["area1_value"] == [
        "No menu has this tab ID."
    ]
    taken = _post(alice_client, account, alias_id="tab-b", area1_type="")
    assert taken.context["form"].errors["alias_id"] == ["This tab ID is already used."]
    assert RichMenu.objects.count() == 1
    switch["area1_value"] = "tab-b"
    assert _post(alice_client, account, alias_id="tab-a", **switch).status_code == 302
    tab_a = RichMenu.objects.exclude(pk=tab_b.pk).get()
    assert tab_a.aliases.get().alias_id == "tab-a"
    assert tab_a.areas[1]["action"] == {
        "type": "richmenuswitch",
        "richMenuAliasId": "tab-b",
        "data": "tab-b",
    }


def test_tag_rules_in_the_manager(
    alice_client, dora_client, charlie_client, account, alice
):
    tag = tag_create(account=account, actor=alice, name="VIP")
    menu = published(account, origin=RichMenu.Origin.MANAGER, name="VIP menu")
    url = f"/manager/{account.slug}/richmenus/tag-rules/"
    data = {"tag": tag.pk, "menu": menu.pk}
    with assert_unchanged():
        assert dora_client.post(url, data).status_code == 403
        assert charlie_client.post(url, data).status_code == 404
    assert RichMenuTagRule.objects.count() == 0
    assert alice_client.post(url, data).status_code == 302
    rule = RichMenuTagRule.objects.get()
    assert (rule.tag, rule.rich_menu) == (tag, menu)
    page = alice_client.get(f"/manager/{account.slug}/richmenus/").content.decode()
    cells = parse(page).cssselect("[data-testid='richmenu-tag-rules'] tbody td")
    assert [c.text_content().strip() for c in cells[:2]] == ["VIP", "VIP menu"]
    # a second rule for the tag is refused with a message, nothing saved
    with assert_unchanged():
        response = alice_client.post(url, data, follow=True)
    assert "This tag already has a menu." in response.content.decode()
    assert RichMenuTagRule.objects.count() == 1
    delete = f"/manager/{account.slug}/richmenus/tag-rules/{rule.pk}/delete"
    with assert_unchanged():
        assert charlie_client.post(delete).status_code == 404
    assert alice_client.post(delete).status_code == 302
    assert RichMenuTagRule.objects.count() == 0
