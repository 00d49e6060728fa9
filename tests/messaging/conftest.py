"""A known crowd of friends for the friends-list tests.

Friend since times are in Asia/Tokyo (the accounts' time zone); cai and
dan sit on either side of midnight between 31 January and 1 February.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from messaging.friends.models import Friend
from tests.messaging.factories import FriendSourceFactory, TagFactory, make_friend

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def crowd(account, other_account):
    """Six friends of Demo Café and one look-alike of another account."""
    vip = TagFactory(account=account, name="vip")
    regular = TagFactory(account=account, name="regular")
    flyer = FriendSourceFactory(account=account, name="flyer", code="flyer0001")
    counter = FriendSourceFactory(account=account, name="counter", code="counter001")
    people = {
        "ann": make_friend(
            account,
            display_name="Ann",
            gender="female",
            age=19,
            region="jp_13",
            os="ios",
            source=flyer,
            tags=[vip],
            since=tokyo(2026, 1, 5, 9, 0),
        ),
        "ben": make_friend(
            account,
            display_name="Ben",
            gender="male",
            age=20,
            region="jp_27",
            os="android",
            source=counter,
            since=tokyo(2026, 1, 10, 12, 0),
        ),
        "cai": make_friend(
            account,
            display_name="Cai",
            gender="female",
            age=24,
            region="jp_13",
            os="android",
            tags=[vip, regular],
            status=Friend.Status.BLOCKED,
            since=tokyo(2026, 1, 31, 23, 30),
        ),
        "dan": make_friend(
            account,
            display_name="Dan",
            gender="unknown",
            age=None,
            region="",
            os="ios",
            source=flyer,
            tags=[regular],
            since=tokyo(2026, 2, 1, 0, 10),
        ),
        "eve": make_friend(
            account,
            display_name="Eve",
            gender="female",
            age=65,
            region="jp_01",
            os="ios",
            since=tokyo(2026, 2, 15, 18, 0),
        ),
        "fay": make_friend(
            account,
            display_name="Fay",
            gender="male",
            age=64,
            region="jp_47",
            os="ios",
            since=tokyo(2026, 3, 1, 8, 0),
        ),
    }
    other_tag = TagFactory(account=other_account, name="vip")
    make_friend(
        other_account,
        display_name="Ann Twin",
        gender="female",
        age=19,
        region="jp_13",
        os="ios",
        tags=[other_tag],
        since=tokyo(2026, 1, 5, 9, 0),
    )
    return {
        **people,
        "vip": vip,
        "regular": regular,
        "flyer": flyer,
        "counter": counter,
        "other_tag": other_tag,
    }
