"""Editing a saved menu in the Manager: a new version behind a stable ID."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import AuditLog
from core.exceptions import NotFound
from messaging.friends.services import tag_create
from richmenu.models import (
    FriendRichMenu,
    RichMenu,
    RichMenuAlias,
    RichMenuDefault,
    RichMenuTagRule,
)
from richmenu.selectors import richmenu_for_friend, richmenu_get
from richmenu.services import richmenu_link, richmenu_tag_rule_create
from tests.factories import FriendFactory
from tests.richmenu.factories import png, published
from tests.richmenu.test_views import _post, dora_client  # noqa: F401 (fixture)
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def _form_data(client, url) -> dict:
    """The editor's fields as the page fills them in (what a browser posts)."""
    form = client.get(url).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.widget.input_type == "checkbox":
            if value:
                data[name] = "on"
        elif name != "image":
            data[name] = "" if value is None else value
    return data


def _saved(client, account, **fields) -> RichMenu:
    assert _post(client, account, alias_id="tab-a", **fields).status_code == 302
    return RichMenu.objects.get(aliases__alias_id="tab-a")


def test_edit_opens_the_editor_filled_in(alice_client, account):
    menu = _saved(alice_client, account, make_default="on")
    url = f"/manager/{account.slug}/richmenus/{menu.pk}/edit/"
    list_page = alice_client.get(f"/manager/{account.slug}/richmenus/")
    assert url in list_page.content.decode()
    data = _form_data(alice_client, url)
    assert {k: data[k] for k in ("name", "layout", "chat_bar_text", "alias_id")} == {
        "name": "Spring menu",
        "layout": "compact-2",
        "chat_bar_text": "メニュー",
        "alias_id": "tab-a",
    }
    assert (data["selected"], data["make_default"]) == ("on", "on")
    assert [data[f"area0_{k}"] for k in ("type", "value")] == [
        "uri",
        "https://example.com/booking",
    ]
    assert [data[f"area1_{k}"] for k in ("type", "value", "display_text")] == [
        "postback",
        "page=coupons",
        "クーポン",
    ]


def test_saving_makes_a_new_version_and_everything_follows(
    alice_client, account, alice, django_capture_on_commit_callbacks
):
    menu = _saved(alice_client, account, make_default="on")
    old_id, old_image = menu.rich_menu_id, menu.image.name
    tag = tag_create(account=account, actor=alice, name="VIP")
    richmenu_tag_rule_create(account=account, actor=alice, tag=tag, menu=menu)
    linked = FriendFactory(account=account)
    richmenu_link(menu=menu, friend=linked)
    other = FriendFactory(account=account)
    url = f"/manager/{account.slug}/richmenus/{menu.pk}/edit/"
    data = _form_data(alice_client, url)
    data.update(chat_bar_text="タブ", area0_value="https://example.com/new")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url, data)
    assert response.status_code == 302
    edited = RichMenu.objects.get()
    assert edited.pk == menu.pk
    assert edited.rich_menu_id != old_id
    assert (edited.version, edited.chat_bar_text) == (2, "タブ")
    assert edited.areas[0]["action"] == {
        "type": "uri",
        "uri": "https://example.com/new",
    }
    # the old LINE ID is gone; the image is a new file, the old one deleted
    with assert_unchanged(), pytest.raises(NotFound):
        richmenu_get(account=account, rich_menu_id=old_id)
    assert edited.image.name != old_image
    assert not edited.image.storage.exists(old_image)
    with edited.image.open("rb") as f, Image.open(f) as image:
        assert image.size == (2500, 843)
    # default, tag rule, per-friend link and alias follow
    assert RichMenuDefault.objects.get().rich_menu_id == menu.pk
    assert RichMenuTagRule.objects.get().rich_menu_id == menu.pk
    assert FriendRichMenu.objects.get().rich_menu_id == menu.pk
    assert RichMenuAlias.objects.get().rich_menu_id == menu.pk
    for friend in (linked, other):
        assert richmenu_for_friend(account=account, friend_id=friend.pk) == edited
    actions = AuditLog.objects.filter(action__startswith="richmenu.").order_by("id")
    assert list(actions.values_list("action", "target"))[-1] == (
        "richmenu.update",
        "Spring menu (v2)",
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"chat_bar_text": "x" * 15}, "chat_bar_text", "15"),
        ({"area0_value": "javascript:alert(1)"}, "area0_value", "link"),
        ({"alias_id": "tab-b"}, "alias_id", "already used"),
        (
            {"area1_type": "richmenuswitch", "area1_value": "tab-x"},
            "area1_value",
            "No menu has this tab ID.",
        ),
        (
            {"image": SimpleUploadedFile("m.png", png(2500, 1686), "image/png")},
            "image",
            "2500×843",
        ),
    ],
)
def test_bad_input_changes_nothing(alice_client, account, change, field, message):
    published(account, origin=RichMenu.Origin.MANAGER, name="B")
    RichMenuAlias.objects.create(
        account=account, alias_id="tab-b", rich_menu=RichMenu.objects.get()
    )
    menu = _saved(alice_client, account, make_default="on")
    before = RichMenu.objects.values().get(pk=menu.pk)
    audits = AuditLog.objects.count()
    url = f"/manager/{account.slug}/richmenus/{menu.pk}/edit/"
    data = {**_form_data(alice_client, url), **change}
    with assert_unchanged():
        response = alice_client.post(url, data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert RichMenu.objects.values().get(pk=menu.pk) == before
    assert menu.image.storage.exists(before["image"])
    assert RichMenuAlias.objects.get(rich_menu=menu).alias_id == "tab-a"
    assert RichMenuDefault.objects.get().rich_menu_id == menu.pk
    assert AuditLog.objects.count() == audits


def test_an_uploaded_picture_is_kept_and_a_made_one_is_redrawn(alice_client, account):
    uploaded = _saved(alice_client, account)
    url = f"/manager/{account.slug}/richmenus/{uploaded.pk}/edit/"
    data = {**_form_data(alice_client, url), "area0_colour": "#2f80ed"}
    assert alice_client.post(url, data).status_code == 302
    uploaded.refresh_from_db()
    assert (uploaded.image_made, uploaded.image_type) == (False, "image/png")
    with uploaded.image.open("rb") as f, Image.open(f) as image:
        assert image.getpixel((100, 100)) == (6, 199, 85)  # the upload's green
    made = _post(alice_client, account, image="", name="Made", area0_colour="#e8730c")
    assert made.status_code == 302
    made = RichMenu.objects.get(name="Made")
    assert made.image_made
    url = f"/manager/{account.slug}/richmenus/{made.pk}/edit/"
    data = {**_form_data(alice_client, url), "area0_colour": "#2f80ed"}
    assert data["area0_colour"] == "#2f80ed"
    assert alice_client.post(url, data).status_code == 302
    made.refresh_from_db()
    with made.image.open("rb") as f, Image.open(f) as image:
        r, g, b = image.getpixel((100, 100))
        assert abs(r - 0x2F) < 8 and abs(g - 0x80) < 8 and abs(b - 0xED) < 8


def test_drafts_only_roles_edit_drafts_but_not_shown_menus(
    dora_client,  # noqa: F811 (fixture)
    alice_client,
    account,
):
    draft = _saved(alice_client, account)
    url = f"/manager/{account.slug}/richmenus/{draft.pk}/edit/"
    data = {**_form_data(dora_client, url), "chat_bar_text": "下書き"}
    assert dora_client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert (draft.version, draft.chat_bar_text) == (2, "下書き")
    alice_client.post(f"/manager/{account.slug}/richmenus/{draft.pk}/default")
    data["chat_bar_text"] = "公開中"
    data["make_default"] = "on"
    with assert_unchanged():
        response = dora_client.post(url, data)
    assert response.status_code == 200
    assert "publish" in " ".join(response.context["form"].errors["image"])
    draft.refresh_from_db()
    assert (draft.version, draft.chat_bar_text) == (2, "下書き")


def test_the_apis_menus_and_other_accounts_menus_are_404(
    alice_client, charlie_client, account
):
    api_menu = published(account)
    manager_menu = published(account, origin=RichMenu.Origin.MANAGER)
    base = f"/manager/{account.slug}/richmenus"
    assert alice_client.get(f"{base}/{api_menu.pk}/edit/").status_code == 404
    assert charlie_client.get(f"{base}/{manager_menu.pk}/edit/").status_code == 404
    with assert_unchanged():
        assert (
            charlie_client.post(f"{base}/{manager_menu.pk}/edit/", {}).status_code
            == 404
        )
