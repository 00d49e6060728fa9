"""Rich menu rules: the object, the image, display priority, links, stats."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.exceptions import ApplicationError, NotFound
from messaging.friends.services import friend_tag_add, friend_tag_remove, tag_create
from richmenu.models import (
    FriendRichMenu,
    RichMenu,
    RichMenuDailyStat,
    RichMenuTagRule,
)
from richmenu.selectors import richmenu_for_friend, richmenu_stats
from richmenu.services import (
    ImageAlreadyUploaded,
    ImageMissing,
    RichMenuInvalid,
    richmenu_create,
    richmenu_default_cancel,
    richmenu_default_set,
    richmenu_image_upload,
    richmenu_link,
    richmenu_link_bulk,
    richmenu_stat_record,
    richmenu_tag_rule_create,
    richmenu_unlink_bulk,
)
from tests.factories import FriendFactory
from tests.richmenu.factories import jpeg, menu_object, png, published
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

ASPECT = "The aspect ratio (width / height) must be at least 1.45"


@pytest.mark.parametrize(
    ("overrides", "details"),
    [
        (
            {"size": {"width": 700, "height": 400}},
            [{"message": "Must be between 800 and 2500", "property": "size.width"}],
        ),
        (
            {"size": {"width": 1200, "height": 200}},
            [{"message": "Must be between 250 and ∞", "property": "size.height"}],
        ),
        (
            {"size": {"width": 1200, "height": 1000}, "areas": []},
            [
                {
                    "message": ASPECT,
                    "property": "size",
                }
            ],
        ),
        (
            {"chatBarText": "メニューを開いて確認してください"},
            [{"message": "Length must be between 0 and 14", "property": "chatBarText"}],
        ),
        (
            {
                "areas": [
                    {
                        "bounds": {"x": 2000, "y": 0, "width": 600, "height": 843},
                        "action": {"type": "message", "text": "x"},
                    }
                ]
            },
            [
                {
                    "message": "The bounds must be inside the rich menu",
                    "property": "areas[0].bounds",
                }
            ],
        ),
        (
            {
                "areas": [
                    {
                        "bounds": {"x": 0, "y": 0, "width": 100, "height": 100},
                        "action": {"type": "message", "text": "x"},
                    }
                ]
                * 21
            },
            [{"message": "Size must be between 0 and 20", "property": "areas"}],
        ),
        (
            {
                "areas": [
                    {
                        "bounds": {"x": 0, "y": 0, "width": 100, "height": 100},
                        "action": {"type": "uri", "uri": "javascript:alert(1)"},
                    }
                ]
            },
            [{"message": "invalid uri scheme", "property": "areas[0].action.uri"}],
        ),
    ],
)
def test_invalid_objects_are_refused_with_lines_details(account, overrides, details):
    with assert_unchanged(), pytest.raises(RichMenuInvalid) as excinfo:
        richmenu_create(account=account, data=menu_object(**overrides))
    assert excinfo.value.errors == details
    assert RichMenu.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (png(2500, 843), "image/gif", "Upload a JPEG or PNG image."),
        (jpeg(2500, 843), "image/png", "Upload a JPEG or PNG image."),
        (
            png(2500, 1686),
            "image/png",
            "The image must be 2500×843 pixels, the menu's size.",
        ),
        (b"not an image", "image/png", "The file is not a valid JPEG or PNG image."),
        (
            b"\x89PNG" + b"0" * (1024 * 1024),
            "image/png",
            "The image must be 1 MB or smaller.",
        ),
    ],
)
def test_image_rules(account, content, content_type, message):
    menu = richmenu_create(account=account, data=menu_object())
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        richmenu_image_upload(menu=menu, content=content, content_type=content_type)
    assert excinfo.value.message == message
    menu.refresh_from_db()
    assert (menu.image.name, menu.image_type) == ("", "")


def test_images_are_write_once(account):
    menu = published(account)
    name = menu.image.name
    with assert_unchanged(), pytest.raises(ImageAlreadyUploaded):
        richmenu_image_upload(menu=menu, content=jpeg(), content_type="image/jpeg")
    menu.refresh_from_db()
    assert (menu.image.name, menu.image_type) == (name, "image/png")


def test_jpeg_images_are_accepted(account):
    menu = richmenu_create(account=account, data=menu_object())
    richmenu_image_upload(menu=menu, content=jpeg(), content_type="image/jpeg")
    menu.refresh_from_db()
    assert menu.image_type == "image/jpeg"
    assert menu.image.name.endswith(".jpg")


def test_a_menu_without_image_cannot_be_linked_or_default(account):
    friend = FriendFactory(account=account)
    menu = richmenu_create(account=account, data=menu_object())
    with assert_unchanged(), pytest.raises(ImageMissing) as excinfo:
        richmenu_link(menu=menu, friend=friend)
    assert (
        excinfo.value.message == "must upload richmenu image before applying it to user"
    )
    with assert_unchanged(), pytest.raises(ImageMissing):
        richmenu_default_set(menu=menu)
    assert FriendRichMenu.objects.count() == 0
    assert richmenu_for_friend(account=account, friend_id=friend.pk) is None


def test_display_priority_per_friend_then_api_default_then_manager_default(account):
    friend = FriendFactory(account=account)
    other = FriendFactory(account=account)
    manager = published(account, origin=RichMenu.Origin.MANAGER, name="manager")
    api_default = published(account, name="api default")
    linked = published(account, name="linked")

    assert richmenu_for_friend(account=account, friend_id=friend.pk) is None
    richmenu_default_set(menu=manager)
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == manager
    richmenu_default_set(menu=api_default)
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == api_default
    richmenu_link(menu=linked, friend=friend)
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == linked
    assert richmenu_for_friend(account=account, friend_id=other.pk) == api_default
    assert richmenu_default_cancel(account=account, origin="api") == 1
    assert richmenu_for_friend(account=account, friend_id=other.pk) == manager


def test_menus_outside_their_display_period_give_way(account):
    friend = FriendFactory(account=account)
    now = timezone.now()
    manager = published(account, origin=RichMenu.Origin.MANAGER)
    later = published(account, display_from=now + dt.timedelta(days=1))
    ended = published(account, display_until=now - dt.timedelta(minutes=1))
    richmenu_default_set(menu=manager)
    richmenu_default_set(menu=later)
    richmenu_link(menu=ended, friend=friend)
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == manager
    current = published(
        account,
        display_from=now - dt.timedelta(days=1),
        display_until=now + dt.timedelta(days=1),
    )
    richmenu_link(menu=current, friend=friend)
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == current


def test_another_accounts_friend_or_default_is_never_resolved(account, other_account):
    stranger = FriendFactory(account=other_account)
    theirs = published(other_account)
    richmenu_default_set(menu=theirs)
    assert richmenu_for_friend(account=account, friend_id=stranger.pk) is None


def test_resolution_is_one_query_on_indexes(account, django_assert_num_queries):
    friend = FriendFactory(account=account)
    menu = published(account)
    richmenu_default_set(menu=published(account, origin=RichMenu.Origin.MANAGER))
    richmenu_link(menu=menu, friend=friend)
    with CaptureQueriesContext(connection) as queries:
        assert richmenu_for_friend(account=account, friend_id=friend.pk) == menu
    assert len(queries) == 1
    sql = queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "richmenu_default_per_origin" in plan
    assert "richmenu_friendrichmenu_pkey" in plan
    # tag rules: the friend's tags by an index (its name depends on the plan)
    assert re.search(r"Index (Only )?Scan (using \S+ )?on messaging_friend_tags", plan)
    assert "Seq Scan" not in plan


def test_bulk_link_of_500_users_is_one_statement(account, other_account):
    friends = FriendFactory.create_batch(499, account=account)
    stranger = FriendFactory(account=other_account)
    menu = published(account)
    ids = [f.line_user.user_id for f in friends] + [stranger.line_user.user_id]
    with CaptureQueriesContext(connection) as queries:
        written = richmenu_link_bulk(menu=menu, user_ids=ids)
    assert (len(queries), written) == (1, 499)
    assert FriendRichMenu.objects.filter(rich_menu=menu).count() == 499
    assert not FriendRichMenu.objects.filter(friend=stranger).exists()
    # relinking moves the links, still one statement
    second = published(account)
    with CaptureQueriesContext(connection) as queries:
        assert richmenu_link_bulk(menu=second, user_ids=ids[:10]) == 10
    assert len(queries) == 1
    assert FriendRichMenu.objects.filter(rich_menu=second).count() == 10
    assert richmenu_unlink_bulk(account=other_account, user_ids=ids) == 0
    assert richmenu_unlink_bulk(account=account, user_ids=ids[:5]) == 5
    assert FriendRichMenu.objects.count() == 494


def test_impressions_and_taps_are_counted_per_area_per_day(account):
    menu = published(account)
    day = dt.date(2026, 11, 30)
    for area in (-1, -1, 0, 1, 1, 1):
        richmenu_stat_record(menu=menu, area=area, day=day)
    richmenu_stat_record(menu=menu, area=-1, day=day + dt.timedelta(days=1))
    assert list(richmenu_stats(menu=menu).values_list("day", "area", "count")) == [
        (day, -1, 2),
        (day, 0, 1),
        (day, 1, 3),
        (day + dt.timedelta(days=1), -1, 1),
    ]
    assert RichMenuDailyStat.objects.count() == 4


def test_tag_rules_apply_as_soon_as_tags_change(account, alice):
    friend = FriendFactory(account=account)
    manager = published(account, origin=RichMenu.Origin.MANAGER, name="default")
    vip = published(account, origin=RichMenu.Origin.MANAGER, name="vip")
    api_default = published(account, name="api default")
    richmenu_default_set(menu=manager)
    richmenu_default_set(menu=api_default)
    tag = friend_tag_add(account=account, actor=alice, friend=friend, name="VIP")
    friend.tags.remove(tag)
    richmenu_tag_rule_create(account=account, actor=alice, tag=tag, menu=vip)
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == api_default
    # tagging the friend shows the tag's menu above the defaults
    friend_tag_add(account=account, actor=alice, friend=friend, name="VIP")
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == vip
    # an API link still comes first
    linked = published(account)
    richmenu_link(menu=linked, friend=friend)
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == linked
    FriendRichMenu.objects.filter(friend=friend).delete()
    friend_tag_remove(account=account, actor=alice, friend=friend, tag=tag)
    assert richmenu_for_friend(account=account, friend_id=friend.pk) == api_default


def test_a_tag_has_one_rule_and_rules_stay_in_their_account(
    account, other_account, alice
):
    tag = tag_create(account=account, actor=alice, name="VIP")
    menu = published(account, origin=RichMenu.Origin.MANAGER)
    richmenu_tag_rule_create(account=account, actor=alice, tag=tag, menu=menu)
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        richmenu_tag_rule_create(account=account, actor=alice, tag=tag, menu=menu)
    assert excinfo.value.message == "This tag already has a menu."
    theirs = published(other_account, origin=RichMenu.Origin.MANAGER)
    other_tag = tag_create(account=account, actor=alice, name="New")
    with assert_unchanged(), pytest.raises(NotFound):
        richmenu_tag_rule_create(
            account=account, actor=alice, tag=other_tag, menu=theirs
        )
    assert RichMenuTagRule.objects.count() == 1
