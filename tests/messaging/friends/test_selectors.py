import datetime as dt

import pytest

from core.exceptions import NotFound
from messaging.friends.filters import AGE_BANDS, NO_SOURCE, FriendFilters, age_band_of
from messaging.friends.selectors import (
    friend_add_url,
    friend_get,
    friend_list,
    friend_page,
    friend_source_list,
)
from tests.messaging.factories import make_friend


def names(account, **filters) -> set[str]:
    # crowd fixture objects are resolved by the caller; here only names.
    qs = friend_list(account=account, filters=FriendFilters(**filters))
    return {f.line_user.display_name for f in qs}


def test_no_filters_lists_all_friends_of_the_account_newest_first(account, crowd):
    qs = friend_list(account=account, filters=FriendFilters())
    assert [f.line_user.display_name for f in qs] == [
        "Fay",
        "Eve",
        "Dan",
        "Cai",
        "Ben",
        "Ann",
    ]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["vip"], {"Ann", "Cai"}),
        (["regular"], {"Cai", "Dan"}),
        (["vip", "regular"], {"Ann", "Cai", "Dan"}),
    ],
)
def test_tag_filter_matches_any_of_the_tags(account, crowd, tags, expected):
    ids = tuple(crowd[t].pk for t in tags)
    assert names(account, tag_ids=ids) == expected


def test_tag_of_another_account_matches_nobody_here(account, crowd):
    assert names(account, tag_ids=(crowd["other_tag"].pk,)) == set()


@pytest.mark.parametrize(
    ("genders", "expected"),
    [
        (("female",), {"Ann", "Cai", "Eve"}),
        (("male",), {"Ben", "Fay"}),
        (("male", "unknown"), {"Ben", "Dan", "Fay"}),
    ],
)
def test_gender_filter(account, crowd, genders, expected):
    assert names(account, genders=genders) == expected


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        (("lt20",), {"Ann"}),
        (("20_24",), {"Ben", "Cai"}),
        (("25_29",), set()),
        (("60_64",), {"Fay"}),
        (("65plus",), {"Eve"}),
        (("unknown",), {"Dan"}),
        (("lt20", "65plus"), {"Ann", "Eve"}),
    ],
)
def test_age_band_filter(account, crowd, bands, expected):
    assert names(account, age_bands=bands) == expected


def test_age_bands_are_lines_five_year_steps():
    assert [b.code for b in AGE_BANDS] == [
        "lt20",
        "20_24",
        "25_29",
        "30_34",
        "35_39",
        "40_44",
        "45_49",
        "50_54",
        "55_59",
        "60_64",
        "65plus",
        "unknown",
    ]
    assert [b.label for b in AGE_BANDS[:2]] == ["Under 20", "20–24"]
    assert [b.label for b in AGE_BANDS[-2:]] == ["65 and over", "Unknown"]
    assert [age_band_of(a).code for a in (None, 0, 19, 20, 24, 25, 64, 65, 120)] == [
        "unknown",
        "lt20",
        "lt20",
        "20_24",
        "20_24",
        "25_29",
        "60_64",
        "65plus",
        "65plus",
    ]


def test_region_filter(account, crowd):
    assert names(account, regions=("jp_13",)) == {"Ann", "Cai"}
    assert names(account, regions=("jp_01", "jp_47")) == {"Eve", "Fay"}


def test_os_filter(account, crowd):
    assert names(account, oses=("android",)) == {"Ben", "Cai"}
    assert names(account, oses=("ios",)) == {"Ann", "Dan", "Eve", "Fay"}


def test_source_filter_with_and_without_a_source(account, crowd):
    assert names(account, sources=(crowd["flyer"].pk,)) == {"Ann", "Dan"}
    assert names(account, sources=(NO_SOURCE,)) == {"Cai", "Eve", "Fay"}
    assert names(account, sources=(crowd["counter"].pk, NO_SOURCE)) == {
        "Ben",
        "Cai",
        "Eve",
        "Fay",
    }


def test_friend_since_days_are_calendar_days_in_the_account_time_zone(account, crowd):
    # Cai 31 Jan 23:30 JST, Dan 1 Feb 00:10 JST (both 31 Jan in UTC).
    jan31, feb1 = dt.date(2026, 1, 31), dt.date(2026, 2, 1)
    assert names(account, since_from=jan31, since_to=jan31) == {"Cai"}
    assert names(account, since_from=feb1, since_to=feb1) == {"Dan"}
    assert names(account, since_from=feb1) == {"Dan", "Eve", "Fay"}
    assert names(account, since_to=dt.date(2026, 1, 10)) == {"Ann", "Ben"}


def test_status_filter(account, crowd):
    assert names(account, status="blocked") == {"Cai"}
    assert names(account, status="following") == {
        "Ann",
        "Ben",
        "Dan",
        "Eve",
        "Fay",
    }


def test_name_search_is_case_insensitive_and_matches_a_full_user_id(account, crowd):
    assert names(account, name="AN") == {"Ann", "Dan"}
    assert names(account, name=crowd["eve"].line_user.user_id) == {"Eve"}
    assert names(account, name="Twin") == set()


def test_conditions_combine_with_and(account, crowd):
    assert names(
        account, genders=("female",), regions=("jp_13",), status="following"
    ) == {"Ann"}


def test_friend_filters_to_json_keeps_only_set_conditions():
    filters = FriendFilters(
        tag_ids=(3,), sources=(NO_SOURCE, 7), since_from=dt.date(2026, 1, 2)
    )
    assert filters.to_json() == {
        "tag_ids": [3],
        "sources": [None, 7],
        "since_from": "2026-01-02",
    }
    assert FriendFilters().is_empty and not filters.is_empty


def test_friend_page_walks_by_keyset_both_ways(account, crowd):
    everyone = FriendFilters()
    first = friend_page(account=account, filters=everyone, size=4)
    assert [f.line_user.display_name for f in first.friends] == [
        "Fay",
        "Eve",
        "Dan",
        "Cai",
    ]
    assert (first.total, first.prev_before) == (6, None)
    assert first.next_after == crowd["cai"].pk

    second = friend_page(
        account=account, filters=everyone, after=first.next_after, size=4
    )
    assert [f.line_user.display_name for f in second.friends] == ["Ben", "Ann"]
    assert (second.total, second.next_after) == (6, None)
    assert second.prev_before == crowd["ben"].pk

    back = friend_page(
        account=account, filters=everyone, before=second.prev_before, size=4
    )
    assert [f.line_user.display_name for f in back.friends] == [
        "Fay",
        "Eve",
        "Dan",
        "Cai",
    ]
    assert (back.prev_before, back.next_after) == (None, crowd["cai"].pk)


def test_friend_page_before_a_middle_page_offers_newer_pages(account, crowd):
    page = friend_page(
        account=account, filters=FriendFilters(), before=crowd["ben"].pk, size=2
    )
    assert [f.line_user.display_name for f in page.friends] == ["Dan", "Cai"]
    assert (page.prev_before, page.next_after) == (crowd["dan"].pk, crowd["cai"].pk)


def test_friend_page_costs_three_queries_whatever_the_page_size(
    account, crowd, django_assert_num_queries
):
    for extra in range(10):
        make_friend(account, display_name=f"Extra {extra}")
    with django_assert_num_queries(3):
        page = friend_page(account=account, filters=FriendFilters(), size=50)
        rendered = [
            (f.line_user.display_name, f.source and f.source.name, list(f.tags.all()))
            for f in page.friends
        ]
    assert len(rendered) == 16


def test_friend_get_of_another_account_is_404(account, other_account, crowd):
    twin = other_account.friends.get()
    with pytest.raises(NotFound):
        friend_get(account=account, friend_id=twin.pk)
    assert friend_get(account=other_account, friend_id=twin.pk) == twin


def test_friend_source_list_counts_following_and_blocked_friends(account, crowd):
    make_friend(account, display_name="Gus", source=crowd["counter"], status="blocked")
    rows = {
        s.name: (s.following, s.blocked) for s in friend_source_list(account=account)
    }
    assert rows == {"counter": (1, 1), "flyer": (2, 0)}


def test_friend_add_url_uses_site_url_basic_id_and_source_code(
    account, crowd, settings
):
    settings.SITE_URL = "https://oa.example.jp"
    assert (
        friend_add_url(account=account)
        == f"https://oa.example.jp/talk/add/{account.basic_id}"
    )
    assert (
        friend_add_url(account=account, source=crowd["flyer"])
        == f"https://oa.example.jp/talk/add/{account.basic_id}?src=flyer0001"
    )
