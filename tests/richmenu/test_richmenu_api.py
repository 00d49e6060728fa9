"""The rich menu API through the official SDK against a live server."""

import json

import httpx
import pytest
from linebot.v3.messaging import (
    ApiException,
    CreateRichMenuAliasRequest,
    RichMenuBulkLinkRequest,
    RichMenuBulkUnlinkRequest,
    RichMenuRequest,
    UpdateRichMenuAliasRequest,
)

from richmenu.models import FriendRichMenu, RichMenu, RichMenuAlias, RichMenuDefault
from richmenu.selectors import richmenu_for_friend
from richmenu.services import richmenu_link
from tests.messaging.api.factories import customer, token_for
from tests.richmenu.factories import jpeg, menu_object, png, published
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)


def _error(excinfo) -> tuple[int, dict]:
    return excinfo.value.status, json.loads(excinfo.value.body)


def _create(line, **overrides) -> str:
    request = RichMenuRequest.from_dict(menu_object(**overrides))
    return line.create_rich_menu(request).rich_menu_id


def test_create_get_list_validate_delete(line, account):
    rich_menu_id = _create(line, name="Tabs A")
    assert rich_menu_id.startswith("richmenu-") and len(rich_menu_id) == 41
    got = line.get_rich_menu(rich_menu_id)
    assert got.to_dict() == {"richMenuId": rich_menu_id, **menu_object(name="Tabs A")}
    # Manager menus are invisible to the API
    published(account, origin=RichMenu.Origin.MANAGER)
    listed = line.get_rich_menu_list().richmenus
    assert [m.rich_menu_id for m in listed] == [rich_menu_id]
    assert (
        line.validate_rich_menu_object(RichMenuRequest.from_dict(menu_object())) is None
    )
    line.delete_rich_menu(rich_menu_id)
    assert not RichMenu.objects.filter(rich_menu_id=rich_menu_id).exists()
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.get_rich_menu(rich_menu_id)
    assert _error(excinfo) == (404, {"message": "Not found"})


def test_invalid_objects_are_lines_400_and_nothing_is_saved(live_server, account):
    # The SDK refuses a long chatBarText itself; other clients reach the server.
    headers = {"Authorization": f"Bearer {token_for(account)}"}
    bad = menu_object(chatBarText="x" * 15)
    with assert_unchanged():
        for path in ("/v2/bot/richmenu", "/v2/bot/richmenu/validate"):
            response = httpx.post(f"{live_server.url}{path}", json=bad, headers=headers)
            assert (response.status_code, response.json()) == (
                400,
                {
                    "message": "The request body has 1 error(s)",
                    "details": [
                        {
                            "message": "Length must be between 0 and 14",
                            "property": "chatBarText",
                        }
                    ],
                },
            )
    assert RichMenu.objects.count() == 0


def test_image_upload_download_and_rules(line, line_blob):
    rich_menu_id = _create(line)
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line_blob.set_rich_menu_image(
            rich_menu_id, body=png(2500, 1686), _headers={"Content-Type": "image/png"}
        )
    assert _error(excinfo) == (
        400,
        {"message": "The image size is not allowed for richmenu"},
    )
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line_blob.set_rich_menu_image(
            rich_menu_id, body=b"GIF89a", _headers={"Content-Type": "image/gif"}
        )
    assert _error(excinfo) == (
        415,
        {"message": "The content type, 'image/gif', is not supported"},
    )
    assert RichMenu.objects.get(rich_menu_id=rich_menu_id).image == ""
    image = jpeg()
    line_blob.set_rich_menu_image(
        rich_menu_id, body=image, _headers={"Content-Type": "image/jpeg"}
    )
    response = line_blob.get_rich_menu_image_with_http_info(rich_menu_id)
    assert bytes(response.data) == image
    assert response.headers["Content-Type"] == "image/jpeg"
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line_blob.set_rich_menu_image(
            rich_menu_id, body=png(), _headers={"Content-Type": "image/png"}
        )
    assert _error(excinfo) == (
        400,
        {"message": "An image has already been uploaded to the richmenu"},
    )


def test_default_menu_set_get_cancel(line, line_blob, account):
    rich_menu_id = _create(line)
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.set_default_rich_menu(rich_menu_id)
    assert _error(excinfo) == (
        400,
        {"message": "must upload richmenu image before applying it to user"},
    )
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.get_default_rich_menu_id()
    assert _error(excinfo) == (404, {"message": "no default richmenu"})
    line_blob.set_rich_menu_image(
        rich_menu_id, body=png(), _headers={"Content-Type": "image/png"}
    )
    line.set_default_rich_menu(rich_menu_id)
    assert line.get_default_rich_menu_id().rich_menu_id == rich_menu_id
    friend = customer(account)
    assert richmenu_for_friend(account=account, friend_id=friend.pk).rich_menu_id == (
        rich_menu_id
    )
    line.cancel_default_rich_menu()
    assert RichMenuDefault.objects.count() == 0


def test_link_unlink_and_get_a_users_menu(line, line_blob, account, other_account):
    friend = customer(account)
    stranger = customer(other_account)
    user_id = friend.line_user.user_id
    rich_menu_id = _create(line)
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.link_rich_menu_id_to_user(user_id, rich_menu_id)
    assert _error(excinfo) == (
        400,
        {"message": "must upload richmenu image before applying it to user"},
    )
    assert FriendRichMenu.objects.count() == 0
    line_blob.set_rich_menu_image(
        rich_menu_id, body=png(), _headers={"Content-Type": "image/png"}
    )
    for bad in ("U123", stranger.line_user.user_id):
        with assert_unchanged(), pytest.raises(ApiException) as excinfo:
            line.link_rich_menu_id_to_user(bad, rich_menu_id)
        assert _error(excinfo) == (
            400,
            {"message": "The value for the 'userId' parameter is invalid"},
        )
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.get_rich_menu_id_of_user(user_id)
    assert _error(excinfo) == (404, {"message": "the user has no richmenu"})
    line.link_rich_menu_id_to_user(user_id, rich_menu_id)
    assert line.get_rich_menu_id_of_user(user_id).rich_menu_id == rich_menu_id
    line.unlink_rich_menu_id_from_user(user_id)
    assert FriendRichMenu.objects.count() == 0


def test_bulk_link_and_unlink(line, line_blob, account):
    friends = [customer(account) for _ in range(3)]
    user_ids = [f.line_user.user_id for f in friends]
    rich_menu_id = _create(line)
    line_blob.set_rich_menu_image(
        rich_menu_id, body=png(), _headers={"Content-Type": "image/png"}
    )
    response = line.link_rich_menu_id_to_users_with_http_info(
        RichMenuBulkLinkRequest(richMenuId=rich_menu_id, userIds=user_ids)
    )
    assert response.status_code == 202
    assert (
        FriendRichMenu.objects.filter(rich_menu__rich_menu_id=rich_menu_id).count() == 3
    )
    response = line.unlink_rich_menu_id_from_users_with_http_info(
        RichMenuBulkUnlinkRequest(userIds=user_ids[:2])
    )
    assert response.status_code == 202
    assert list(FriendRichMenu.objects.values_list("friend_id", flat=True)) == [
        friends[2].pk
    ]


def test_bulk_refusals_change_nothing(live_server, account):
    menu = published(account)
    headers = {"Authorization": f"Bearer {token_for(account)}"}
    url = f"{live_server.url}/v2/bot/richmenu/bulk/link"
    too_many = {"richMenuId": menu.rich_menu_id, "userIds": ["U" + "0" * 32] * 501}
    with assert_unchanged():
        response = httpx.post(url, json=too_many, headers=headers)
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "The request body has 1 error(s)",
            "details": [
                {"message": "Size must be between 1 and 500", "property": "userIds"}
            ],
        },
    )
    unknown = {"richMenuId": "richmenu-" + "0" * 32, "userIds": ["U" + "0" * 32]}
    with assert_unchanged():
        response = httpx.post(url, json=unknown, headers=headers)
    assert (response.status_code, response.json()) == (
        400,
        {"message": "richmenu not found"},
    )
    assert FriendRichMenu.objects.count() == 0


def test_aliases_create_update_get_list_delete(line, line_blob, account):
    first, second = _create(line), _create(line)
    for rich_menu_id in (first, second):
        line_blob.set_rich_menu_image(
            rich_menu_id, body=png(), _headers={"Content-Type": "image/png"}
        )
    line.create_rich_menu_alias(
        CreateRichMenuAliasRequest(richMenuAliasId="tab-a", richMenuId=first)
    )
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.create_rich_menu_alias(
            CreateRichMenuAliasRequest(richMenuAliasId="tab-a", richMenuId=second)
        )
    assert _error(excinfo) == (400, {"message": "conflict richmenu alias id"})
    line.update_rich_menu_alias("tab-a", UpdateRichMenuAliasRequest(richMenuId=second))
    got = line.get_rich_menu_alias("tab-a")
    assert (got.rich_menu_alias_id, got.rich_menu_id) == ("tab-a", second)
    listed = line.get_rich_menu_alias_list().aliases
    assert [(a.rich_menu_alias_id, a.rich_menu_id) for a in listed] == [
        ("tab-a", second)
    ]
    line.delete_rich_menu_alias("tab-a")
    assert RichMenuAlias.objects.count() == 0
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.get_rich_menu_alias("tab-a")
    assert _error(excinfo) == (404, {"message": "Not found"})


def test_alias_ids_follow_lines_pattern(live_server, account):
    menu = published(account)
    headers = {"Authorization": f"Bearer {token_for(account)}"}
    with assert_unchanged():
        response = httpx.post(
            f"{live_server.url}/v2/bot/richmenu/alias",
            json={"richMenuAliasId": "Tab A", "richMenuId": menu.rich_menu_id},
            headers=headers,
        )
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "The request body has 1 error(s)",
            "details": [
                {
                    "message": "Must match the pattern [a-z0-9_-]{1,32}",
                    "property": "richMenuAliasId",
                }
            ],
        },
    )
    assert RichMenuAlias.objects.count() == 0


def test_another_accounts_menu_is_not_found(line, other_account):
    theirs = published(other_account)
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.get_rich_menu(theirs.rich_menu_id)
    assert _error(excinfo) == (404, {"message": "Not found"})
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.delete_rich_menu(theirs.rich_menu_id)
    assert excinfo.value.status == 404
    assert RichMenu.objects.filter(pk=theirs.pk).exists()


def test_batch_links_unlinks_and_reports_progress(line, account):
    from linebot.v3.messaging import RichMenuBatchRequest

    friends = [customer(account) for _ in range(3)]
    old, new = published(account), published(account)
    for friend in friends[:2]:
        richmenu_link(menu=old, friend=friend)
    richmenu_link(menu=new, friend=friends[2])
    request = RichMenuBatchRequest.from_dict(
        {
            "operations": [
                {"type": "link", "from": old.rich_menu_id, "to": new.rich_menu_id}
            ]
        }
    )
    assert line.validate_rich_menu_batch_request(request) is None
    response = line.rich_menu_batch_with_http_info(request)
    assert response.status_code == 202
    request_id = response.headers["x-line-request-id"]
    progress = line.get_rich_menu_batch_progress(request_id)
    assert progress.phase == "succeeded"
    assert progress.completed_time >= progress.accepted_time
    assert (
        sorted(FriendRichMenu.objects.values_list("rich_menu_id", flat=True))
        == [new.pk] * 3
    )
    unlink_all = RichMenuBatchRequest.from_dict({"operations": [{"type": "unlinkAll"}]})
    line.rich_menu_batch(unlink_all)
    assert FriendRichMenu.objects.count() == 0


def test_batch_naming_an_unknown_menu_is_refused(line, account):
    from linebot.v3.messaging import RichMenuBatchRequest

    from richmenu.models import RichMenuBatch

    menu = published(account)
    request = RichMenuBatchRequest.from_dict(
        {"operations": [{"type": "unlink", "from": "richmenu-" + "f" * 32}]}
    )
    for call in (line.rich_menu_batch, line.validate_rich_menu_batch_request):
        with assert_unchanged(), pytest.raises(ApiException) as excinfo:
            call(request)
        assert _error(excinfo) == (
            400,
            {
                "message": "The request body has 1 error(s)",
                "details": [
                    {"message": "richmenu not found", "property": "operations[0].from"}
                ],
            },
        )
    assert RichMenuBatch.objects.count() == 0
    assert menu.links.count() == 0
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.get_rich_menu_batch_progress("0" * 36)
    assert _error(excinfo) == (404, {"message": "Not found"})
