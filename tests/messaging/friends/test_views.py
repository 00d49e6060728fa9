"""The friends list, friend detail and tags & fields pages."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.models import AuditLog, Membership
from messaging.friends.models import CustomField, FriendFieldValue, FriendNote, Tag
from tests.factories import UserFactory, add_member
from tests.messaging.factories import (
    CustomFieldFactory,
    FriendNoteFactory,
    TagFactory,
    make_friend,
)
from tests.unchanged import assert_unchanged


def url(account, name, *args) -> str:
    name = name if ":" in name else f"friends:{name}"
    return reverse(name, args=[account.slug, *args])


def row_names(response) -> list[str]:
    html = response.content.decode()
    rows = re.findall(r'<tr data-testid="friend-row">\s*<td><a [^>]*>([^<]*)</a>', html)
    return rows


def friend_names(tag) -> set[str]:
    return set(tag.friends.values_list("line_user__display_name", flat=True))


# --- Friends list ------------------------------------------------------------


def test_friend_list_shows_the_accounts_friends_newest_first(
    alice_client, crowd, account
):
    response = alice_client.get(url(account, "friend-list"))
    assert response.status_code == 200
    assert row_names(response) == ["Fay", "Eve", "Dan", "Cai", "Ben", "Ann"]
    assert "6 friends match." in response.content.decode()


def test_friend_list_applies_every_filter_from_the_query_string(
    alice_client, crowd, account
):
    response = alice_client.get(
        url(account, "friend-list"),
        {
            "gender": ["female", "male"],
            "age": ["lt20", "20_24", "60_64"],
            "os": "ios",
            "region": ["jp_13", "jp_47"],
            "source": [crowd["flyer"].pk, "none"],
            "tag": [crowd["vip"].pk],
            "status": "following",
            "since_from": "2026-01-01",
            "since_to": "2026-01-31",
            "q": "a",
        },
    )
    assert response.status_code == 200
    assert row_names(response) == ["Ann"]
    assert "1 friend matches." in response.content.decode()


def test_friend_list_ignores_unknown_filter_values_and_says_so(
    alice_client, crowd, account
):
    # given a valid gender filter and three values it cannot understand
    response = alice_client.get(
        url(account, "friend-list"),
        {
            "gender": "female",
            "region": "jp_99",
            "tag": crowd["other_tag"].pk,
            "since_from": "yesterday",
        },
    )
    # then the page still answers, with the valid filter applied
    assert response.status_code == 400
    assert row_names(response) == ["Eve", "Cai", "Ann"]
    errors = response.context["form"].errors
    assert set(errors) == {"region", "tag", "since_from"}
    assert "Select a valid choice. jp_99 is not one of the available choices." in (
        response.content.decode()
    )


def test_friend_list_rejects_an_inverted_date_range(alice_client, crowd, account):
    response = alice_client.get(
        url(account, "friend-list"),
        {"since_from": "2026-02-01", "since_to": "2026-01-01"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "since_to": ["The end date is before the start date."]
    }
    # the start date alone still applies
    assert row_names(response) == ["Fay", "Eve", "Dan"]


def test_friend_list_pages_by_keyset_and_keeps_filters(alice_client, account):
    for i in range(53):
        make_friend(account, display_name=f"F{i:02d}", os="android" if i else "ios")
    first = alice_client.get(url(account, "friend-list"), {"os": "android"})
    names = row_names(first)
    assert (len(names), names[0], names[-1]) == (50, "F52", "F03")
    after = first.context["page"].next_after
    assert f"?os=android&amp;after={after}" in first.content.decode()
    second = alice_client.get(
        url(account, "friend-list"), {"os": "android", "after": after}
    )
    assert row_names(second) == ["F02", "F01"]
    assert second.context["page"].next_after is None


def test_friend_list_query_count_is_pinned_whatever_the_page_size(
    alice_client, account, crowd, django_assert_num_queries
):
    # session, user, membership, account switcher, tag choices, source
    # choices, match count, page rows, tags of the rows
    with django_assert_num_queries(10):
        small = alice_client.get(url(account, "friend-list"))
    for i in range(40):
        make_friend(account, display_name=f"More {i}", tags=[crowd["vip"]])
    with django_assert_num_queries(10):
        big = alice_client.get(url(account, "friend-list"), {"tag": crowd["vip"].pk})
    assert (len(row_names(small)), len(row_names(big))) == (6, 42)


@pytest.mark.parametrize(
    "role",
    [
        Membership.Role.OPERATOR,
        Membership.Role.OPERATOR_NO_DELIVERY,
        Membership.Role.OPERATOR_NO_INSIGHTS,
    ],
)
def test_every_role_may_view_friends(client, account, crowd, role):
    user = UserFactory(username=f"op-{role}")
    add_member(account, user, role)
    client.force_login(user)
    listing = client.get(url(account, "friend-list"))
    assert listing.status_code == 200
    assert "Ann" in row_names(listing)
    detail = client.get(url(account, "friend-detail", crowd["ann"].pk))
    assert detail.status_code == 200
    assert detail.context["friend"] == crowd["ann"]
    export = client.get(url(account, "friend-export"))
    assert export.status_code == 200
    assert "Ann," in b"".join(export.streaming_content).decode("utf-8-sig")


def test_nav_and_console_home_link_the_friends_pages(alice_client, account, crowd):
    response = alice_client.get(reverse("analytics:home", args=[account.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="friend-count">5<' in html
    assert 'data-testid="blocked-count">1<' in html
    for name in ("friend-list", "friend-gain", "automation:greeting"):
        assert f'href="{url(account, name)}"' in html


# --- Bulk tagging -------------------------------------------------------------


def test_bulk_tag_applies_to_the_filtered_set(bob_client, account, crowd):
    response = bob_client.post(
        url(account, "friend-bulk-tag") + "?gender=male&os=ios",
        {"bulk-tag": crowd["regular"].pk, "bulk-action": "add"},
    )
    assert response.status_code == 302
    assert response["Location"] == url(account, "friend-list") + "?gender=male&os=ios"
    assert friend_names(crowd["regular"]) == {"Cai", "Dan", "Fay"}
    follow = bob_client.get(response["Location"])
    assert "Added the tag regular to 1 friend." in follow.content.decode()


def test_bulk_tag_remove(alice_client, account, crowd):
    alice_client.post(
        url(account, "friend-bulk-tag") + "?region=jp_13",
        {"bulk-tag": crowd["vip"].pk, "bulk-action": "remove"},
    )
    assert friend_names(crowd["vip"]) == set()


def test_bulk_tag_refuses_when_a_filter_is_not_understood(alice_client, account, crowd):
    with assert_unchanged():
        response = alice_client.post(
            url(account, "friend-bulk-tag") + "?gender=female&region=jp_99",
            {"bulk-tag": crowd["regular"].pk, "bulk-action": "add"},
        )
    assert response.status_code == 400
    assert "Fix the filters before tagging." in response.content.decode()
    assert friend_names(crowd["regular"]) == {"Cai", "Dan"}
    assert not AuditLog.objects.filter(action__startswith="friends.").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"tag": "", "action": "add"},
        {"tag": "other", "action": "add"},
        {"tag": "vip", "action": "paint"},
    ],
)
def test_bulk_tag_bad_form_writes_nothing(alice_client, account, crowd, data):
    values = {"other": crowd["other_tag"].pk, "vip": crowd["vip"].pk, "": ""}
    with assert_unchanged():
        response = alice_client.post(
            url(account, "friend-bulk-tag"),
            {"bulk-tag": values[data["tag"]], "bulk-action": data["action"]},
        )
    assert response.status_code == 400
    assert response.context["bulk_form"].errors
    assert friend_names(crowd["vip"]) == {"Ann", "Cai"}
    assert crowd["other_tag"].friends.count() == 1


def test_bulk_tag_needs_post(alice_client, account):
    assert alice_client.get(url(account, "friend-bulk-tag")).status_code == 405


# --- Friend detail ---------------------------------------------------------


def test_friend_detail_shows_profile_dates_tags_fields_and_notes(
    alice_client, account, crowd, alice
):
    field = CustomFieldFactory(account=account, name="Visits", kind="number")
    FriendFieldValue.objects.create(friend=crowd["cai"], field=field, value_number=7)
    FriendNoteFactory(friend=crowd["cai"], author=alice, body="Regular on Fridays")
    response = alice_client.get(url(account, "friend-detail", crowd["cai"].pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert crowd["cai"].line_user.user_id in html
    assert 'data-testid="friend-status">Blocked<' in html
    assert 'data-testid="friend-since">2026-01-31 23:30<' in html
    assert "24 (20–24)" in html
    assert [t.name for t in response.context["tags"]] == ["regular", "vip"]
    # shown as 7, not as the column's 7.0000
    assert response.context["fields_form"][f"field_{field.pk}"].value() == "7"
    assert re.search(rf'name="field_{field.pk}" value="7"', html)
    assert "Regular on Fridays" in html


def test_friend_detail_tag_add_creates_and_remove(bob_client, account, crowd):
    ben = crowd["ben"]
    response = bob_client.post(
        url(account, "friend-tag-add", ben.pk), {"name": " newcomer "}
    )
    assert response.status_code == 302
    assert sorted(ben.tags.values_list("name", flat=True)) == ["newcomer"]
    tag = Tag.objects.get(account=account, name="newcomer")
    response = bob_client.post(url(account, "friend-tag-remove", ben.pk, tag.pk))
    assert response.status_code == 302
    assert ben.tags.count() == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 31])
def test_friend_detail_tag_add_bad_name_shows_field_error(
    alice_client, account, crowd, name
):
    with assert_unchanged():
        response = alice_client.post(
            url(account, "friend-tag-add", crowd["ben"].pk), {"name": name}
        )
    assert response.status_code == 400
    assert list(response.context["tag_form"].errors) == ["name"]
    assert Tag.objects.filter(account=account).count() == 2


def test_friend_detail_fields_valid_and_invalid(alice_client, account, crowd):
    visits = CustomFieldFactory(account=account, name="Visits", kind="number")
    birthday = CustomFieldFactory(account=account, name="Birthday", kind="date")
    plan = CustomFieldFactory(
        account=account, name="Plan", kind="choice", choices=["Gold", "Silver"]
    )
    ann = crowd["ann"]
    with assert_unchanged():
        bad = alice_client.post(
            url(account, "friend-fields-update", ann.pk),
            {
                f"field_{visits.pk}": "many",
                f"field_{birthday.pk}": "2026-13-01",
                f"field_{plan.pk}": "Bronze",
            },
        )
    assert bad.status_code == 400
    assert set(bad.context["fields_form"].errors) == {
        f"field_{visits.pk}",
        f"field_{birthday.pk}",
        f"field_{plan.pk}",
    }
    assert not FriendFieldValue.objects.exists()
    good = alice_client.post(
        url(account, "friend-fields-update", ann.pk),
        {
            f"field_{visits.pk}": "3",
            f"field_{birthday.pk}": "2001-02-03",
            f"field_{plan.pk}": "Gold",
        },
    )
    assert good.status_code == 302
    assert sorted(
        FriendFieldValue.objects.filter(friend=ann).values_list(
            "field__name", "value_text", "value_date"
        )
    ) == [
        ("Birthday", "", dt.date(2001, 2, 3)),
        ("Plan", "Gold", None),
        ("Visits", "", None),
    ]


def test_friend_detail_notes_add_invalid_and_delete(bob_client, account, crowd, bob):
    ann = crowd["ann"]
    with assert_unchanged():
        bad = bob_client.post(url(account, "friend-note-add", ann.pk), {"body": "  "})
    assert bad.status_code == 400
    assert list(bad.context["note_form"].errors) == ["body"]
    assert not FriendNote.objects.exists()
    ok = bob_client.post(
        url(account, "friend-note-add", ann.pk), {"body": "Asked about gluten"}
    )
    assert ok.status_code == 302
    note = FriendNote.objects.get()
    assert (note.friend, note.author, note.body) == (ann, bob, "Asked about gluten")
    bob_client.post(url(account, "friend-note-delete", ann.pk, note.pk))
    assert not FriendNote.objects.exists()


def test_note_of_another_friend_is_404_on_this_friend(alice_client, account, crowd):
    note = FriendNoteFactory(friend=crowd["ben"])
    with assert_unchanged():
        response = alice_client.post(
            url(account, "friend-note-delete", crowd["ann"].pk, note.pk)
        )
    assert response.status_code == 404
    assert FriendNote.objects.filter(pk=note.pk).exists()


# --- Tags & fields settings ------------------------------------------------


def test_fields_page_creates_fields_and_tags(alice_client, account):
    page = url(account, "friend-fields")
    assert (
        alice_client.post(
            page,
            {
                "form": "field",
                "name": "Plan",
                "kind": "choice",
                "choices": "Gold\nSilver\n",
            },
        ).status_code
        == 302
    )
    assert alice_client.post(page, {"form": "tag", "name": "vip"}).status_code == 302
    assert list(CustomField.objects.values_list("name", "kind", "choices")) == [
        ("Plan", "choice", ["Gold", "Silver"])
    ]
    assert list(Tag.objects.values_list("name", flat=True)) == ["vip"]
    response = alice_client.get(page)
    assert "Gold, Silver" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "form", "field"),
    [
        (
            {"form": "field", "name": "Plan", "kind": "choice", "choices": ""},
            "field_form",
            "choices",
        ),
        ({"form": "field", "name": "Plan", "kind": "colour"}, "field_form", "kind"),
        ({"form": "field", "name": "Taken", "kind": "text"}, "field_form", "name"),
        ({"form": "field", "name": "", "kind": "text"}, "field_form", "name"),
        ({"form": "tag", "name": ""}, "tag_form", "name"),
        ({"form": "tag", "name": "vip"}, "tag_form", "name"),
    ],
)
def test_fields_page_bad_input_shows_field_errors_and_writes_nothing(
    alice_client, account, data, form, field
):
    CustomFieldFactory(account=account, name="Taken")
    TagFactory(account=account, name="vip")
    with assert_unchanged():
        response = alice_client.post(url(account, "friend-fields"), data)
    assert response.status_code == 400
    assert list(response.context[form].errors) == [field]
    assert CustomField.objects.count() == 1
    assert Tag.objects.count() == 1


def test_fields_page_deletes_a_field_and_a_tag(alice_client, account):
    field = CustomFieldFactory(account=account, name="Memo")
    tag = TagFactory(account=account, name="vip")
    alice_client.post(url(account, "custom-field-delete", field.pk))
    alice_client.post(url(account, "tag-delete", tag.pk))
    assert (CustomField.objects.count(), Tag.objects.count()) == (0, 0)


# --- Tenancy ---------------------------------------------------------------


def demo_urls(account, crowd) -> list[tuple[str, str]]:
    ann, vip = crowd["ann"], crowd["vip"]
    note = FriendNoteFactory(friend=ann)
    field = CustomFieldFactory(account=account, name="Memo")
    return [
        ("get", url(account, "friend-list")),
        ("get", url(account, "friend-export")),
        ("get", url(account, "friend-gain")),
        ("get", url(account, "friend-qr-png")),
        ("get", url(account, "friend-qr-svg")),
        ("get", url(account, "source-qr-png", crowd["flyer"].pk)),
        ("get", url(account, "source-qr-svg", crowd["flyer"].pk)),
        ("get", url(account, "automation:greeting")),
        ("get", url(account, "friend-fields")),
        ("get", url(account, "friend-detail", ann.pk)),
        ("post", url(account, "friend-bulk-tag")),
        ("post", url(account, "friend-tag-add", ann.pk)),
        ("post", url(account, "friend-tag-remove", ann.pk, vip.pk)),
        ("post", url(account, "friend-fields-update", ann.pk)),
        ("post", url(account, "friend-note-add", ann.pk)),
        ("post", url(account, "friend-note-delete", ann.pk, note.pk)),
        ("post", url(account, "custom-field-delete", field.pk)),
        ("post", url(account, "tag-delete", vip.pk)),
    ]


def test_staff_of_another_account_get_404_on_every_friends_page(
    charlie_client, account, crowd
):
    cases = demo_urls(account, crowd)
    with assert_unchanged():
        for method, path in cases:
            response = getattr(charlie_client, method)(path, {"name": "x", "body": "x"})
            assert response.status_code == 404, path


def test_ids_of_another_account_are_404_under_ones_own_account(
    charlie_client, account, other_account, crowd
):
    # given charlie's own account URLs carrying Demo Café's ids
    ann, vip, flyer = crowd["ann"], crowd["vip"], crowd["flyer"]
    note = FriendNoteFactory(friend=ann)
    field = CustomFieldFactory(account=account, name="Memo")
    twin = other_account.friends.get()
    cases = [
        ("get", url(other_account, "friend-detail", ann.pk)),
        ("get", url(other_account, "source-qr-png", flyer.pk)),
        ("get", url(other_account, "source-qr-svg", flyer.pk)),
        ("post", url(other_account, "friend-tag-add", ann.pk)),
        ("post", url(other_account, "friend-tag-remove", twin.pk, vip.pk)),
        ("post", url(other_account, "friend-note-delete", twin.pk, note.pk)),
        ("post", url(other_account, "custom-field-delete", field.pk)),
        ("post", url(other_account, "tag-delete", vip.pk)),
    ]
    with assert_unchanged():
        for method, path in cases:
            response = getattr(charlie_client, method)(path, {"name": "x"})
            assert response.status_code == 404, path
    assert (
        Tag.objects.filter(account=account).count(),
        FriendNote.objects.count(),
    ) == (
        2,
        1,
    )
    assert CustomField.objects.filter(pk=field.pk).exists()
    # and his own export holds only his own friend
    export = charlie_client.get(url(other_account, "friend-export"))
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert body.count("\r\n") == 2 and "Ann Twin" in body and "Ann," not in body


# --- Own LINE for test messages (issue 14, #2) ---------------------------------


def test_a_member_links_and_unlinks_their_own_line(
    alice_client, bob_client, alice, bob, crowd, account
):
    ann = crowd["ann"]
    link = url(account, "friend-staff-link", ann.pk)
    page = alice_client.get(url(account, "friend-detail", ann.pk)).content.decode()
    assert "This is my LINE" in page
    assert alice_client.post(link, {"linked": "1"}).status_code == 302
    ann.refresh_from_db()
    assert ann.staff_user == alice
    entry = AuditLog.objects.get(action="friend.staff_link")
    assert (entry.actor, entry.target_label) == (alice, "Ann")
    # bob sees whose it is and cannot take or remove it
    page = bob_client.get(url(account, "friend-detail", ann.pk)).content.decode()
    assert f"{alice.username} receives test messages here." in page
    with assert_unchanged():
        for linked in ("1", "0"):
            assert bob_client.post(link, {"linked": linked}).status_code == 400
    ann.refresh_from_db()
    assert ann.staff_user == alice
    # alice unlinks
    assert alice_client.post(link, {"linked": "0"}).status_code == 302
    ann.refresh_from_db()
    assert ann.staff_user is None


def test_staff_of_another_account_cannot_link_a_friend(charlie_client, crowd, account):
    ann = crowd["ann"]
    with assert_unchanged():
        response = charlie_client.post(
            url(account, "friend-staff-link", ann.pk), {"linked": "1"}
        )
    assert response.status_code == 404
    ann.refresh_from_db()
    assert ann.staff_user is None
