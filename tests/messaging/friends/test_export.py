"""CSV export of the friends list: exact content, filters, streaming."""

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse

from messaging.friends import views
from messaging.friends.models import Friend, FriendFieldValue
from tests.messaging.conftest import tokyo
from tests.messaging.factories import CustomFieldFactory

HEADER = (
    "User ID,Display name,Status,Friend since,First added,Blocked at,Gender,Age,"
    "Age band,Region,OS,Source,Tags,Memo,Visits\r\n"
)


def export_url(account) -> str:
    return reverse("friends:friend-export", args=[account.slug])


@pytest.fixture
def exported(account, crowd):
    """The crowd plus custom field values and a block date for Cai."""
    memo = CustomFieldFactory(account=account, name="Memo", kind="text")
    visits = CustomFieldFactory(account=account, name="Visits", kind="number")
    FriendFieldValue.objects.create(
        friend=crowd["ann"], field=visits, value_number=Decimal("12.5")
    )
    FriendFieldValue.objects.create(
        friend=crowd["ben"], field=memo, value_text='=HYPERLINK("x"), "quoted"'
    )
    Friend.objects.filter(pk=crowd["cai"].pk).update(
        blocked_at=tokyo(2026, 2, 2, 10, 0)
    )
    return crowd


def uid(crowd, name) -> str:
    return crowd[name].line_user.user_id


def test_export_is_utf8_with_bom_and_exact(alice_client, account, exported):
    response = alice_client.get(export_url(account))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="friends-{account.slug}-'
    )
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    c = exported
    assert raw.decode("utf-8-sig") == (
        HEADER + f"{uid(c, 'ann')},Ann,Friend,2026-01-05 09:00:00,2026-01-05 09:00:00,,"
        "Female,19,Under 20,Tokyo,iOS,flyer,vip,,12.5\r\n"
        + f"{uid(c, 'ben')},Ben,Friend,2026-01-10 12:00:00,2026-01-10 12:00:00,,"
        "Male,20,20–24,Osaka,Android,counter,,"
        '"\'=HYPERLINK(""x""), ""quoted""",\r\n'
        + f"{uid(c, 'cai')},Cai,Blocked,2026-01-31 23:30:00,2026-01-31 23:30:00,"
        "2026-02-02 10:00:00,Female,24,20–24,Tokyo,Android,,regular; vip,,\r\n"
        + f"{uid(c, 'dan')},Dan,Friend,2026-02-01 00:10:00,2026-02-01 00:10:00,,"
        "Unknown,,Unknown,,iOS,flyer,regular,,\r\n"
        + f"{uid(c, 'eve')},Eve,Friend,2026-02-15 18:00:00,2026-02-15 18:00:00,,"
        "Female,65,65 and over,Hokkaido,iOS,,,,\r\n"
        + f"{uid(c, 'fay')},Fay,Friend,2026-03-01 08:00:00,2026-03-01 08:00:00,,"
        "Male,64,60–64,Okinawa,iOS,,,,\r\n"
    )


def test_export_applies_the_list_filters(bob_client, account, exported):
    response = bob_client.get(export_url(account), {"status": "blocked"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines() == [
        HEADER.rstrip("\r\n"),
        f"{uid(exported, 'cai')},Cai,Blocked,2026-01-31 23:30:00,"
        "2026-01-31 23:30:00,2026-02-02 10:00:00,Female,24,20–24,Tokyo,Android,,"
        "regular; vip,,",
    ]


def test_export_with_a_filter_it_does_not_understand_is_refused(
    alice_client, account, exported
):
    response = alice_client.get(export_url(account), {"gender": "robot"})
    assert response.status_code == 400
    assert not response.streaming
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "robot is not one of the available choices" in response.content.decode()


def test_export_reads_rows_chunk_by_chunk(
    alice_client, account, exported, monkeypatch, django_assert_num_queries
):
    def rows_with_chunk(size, expected_queries):
        monkeypatch.setattr(views, "EXPORT_CHUNK_SIZE", size)
        with django_assert_num_queries(expected_queries):
            response = alice_client.get(export_url(account))
            body = b"".join(response.streaming_content).decode("utf-8-sig")
        return len(body.splitlines()) - 1

    # session, user, membership, tag and source choices, custom fields and
    # the friends query, then tags + field values for every chunk of rows
    assert rows_with_chunk(2, 6 + 1 + 3 * 2) == 6
    assert rows_with_chunk(3, 6 + 1 + 2 * 2) == 6
    assert rows_with_chunk(6, 6 + 1 + 1 * 2) == 6


@pytest.mark.django_db(transaction=True)
def test_export_streams_asynchronously_under_asgi(account, alice, exported):
    # given the ASGI handler (as uvicorn serves it)
    client = AsyncClient()
    async_to_sync(client.aforce_login)(alice)
    response = async_to_sync(client.get)(export_url(account))

    async def consume():
        return b"".join([chunk async for chunk in response])

    # then the body is an async iterator, not a list read up front
    assert response.is_async is True
    body = async_to_sync(consume)().decode("utf-8-sig")
    assert body.startswith(HEADER)
    assert [line.split(",")[1] for line in body.splitlines()[1:]] == [
        "Ann",
        "Ben",
        "Cai",
        "Dan",
        "Eve",
        "Fay",
    ]
