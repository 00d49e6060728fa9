"""LINE's ManageAudience API through the SDK's ManageAudience and
ManageAudienceBlob clients against the live server, and narrowcasts to
audiences (issue 16 #6)."""

import json
import time

import pytest
from linebot.v3.audience import (
    AddAudienceToAudienceGroupRequest,
    ApiClient,
    ApiException,
    Audience,
    Configuration,
    CreateAudienceGroupRequest,
    CreateClickBasedAudienceGroupRequest,
    CreateImpBasedAudienceGroupRequest,
    ManageAudience,
    ManageAudienceBlob,
    UpdateAudienceGroupDescriptionRequest,
)
from linebot.v3.messaging import (
    AudienceRecipient,
    NarrowcastRequest,
    OperatorRecipient,
    RedeliveryRecipient,
    TextMessage,
)

from messaging.audience import services as audience_services
from messaging.audience.models import AudienceGroup, AudienceJob, AudienceMember
from messaging.broadcasts.models import Broadcast, Delivery
from messaging.friends.models import Friend
from messaging.store.models import Message
from messaging.store.services import messages_mark_opened
from tests.messaging.api.factories import token_for
from tests.messaging.broadcasts.helpers import bulk_friends
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD = "/v2/bot/audienceGroup/upload"
NARROWCAST = "/v2/bot/message/narrowcast"


@pytest.fixture
def audience_apis(live_server, token):
    with ApiClient(Configuration(host=live_server.url, access_token=token)) as c:
        yield ManageAudience(c), ManageAudienceBlob(c)


@pytest.fixture
def manage(audience_apis):
    return audience_apis[0]


@pytest.fixture
def blob(audience_apis):
    return audience_apis[1]


def _user_ids(friend_ids: list[int]) -> list[str]:
    return list(
        Friend.objects.filter(pk__in=friend_ids)
        .order_by("pk")
        .values_list("line_user__user_id", flat=True)
    )


def _body(exc: ApiException) -> dict:
    return json.loads(exc.body)


def _ids(n: int, offset: int = 0) -> list[str]:
    return [f"U{offset + i:032x}" for i in range(n)]


def test_create_get_add_rename_list_and_delete_an_upload_audience(manage):
    # when a bot uploads three user IDs (one twice)
    before = int(time.time())
    created = manage.create_audience_group_with_http_info(
        CreateAudienceGroupRequest(
            description="VIP customers",
            upload_description="first.csv",
            audiences=[Audience(id=i) for i in [*_ids(3), _ids(1)[0]]],
        )
    )
    # then it is answered 202 with LINE's shape and a 13-digit ID
    assert created.status_code == 202
    data = created.data
    group_id = data.audience_group_id
    assert len(str(group_id)) == 13
    assert (data.type, data.description, data.create_route, data.permission) == (
        "UPLOAD",
        "VIP customers",
        "MESSAGING_API",
        "READ_WRITE",
    )
    assert data.is_ifa_audience is False
    assert before <= data.created <= int(time.time())
    assert data.expire_timestamp == data.created + 180 * 86400
    # and get shows it READY with its 3 IDs and one finished job
    got = manage.get_audience_data(group_id)
    assert got.audience_group.status == "READY"
    assert got.audience_group.audience_count == 3
    assert [
        (j.type, j.job_status, j.audience_count, j.description) for j in got.jobs
    ] == [("DIFF_ADD", "FINISHED", 3, "first.csv")]
    # when two more IDs are added (one already in it) and it is renamed
    manage.add_audience_to_audience_group(
        AddAudienceToAudienceGroupRequest(
            audience_group_id=group_id,
            upload_description="second.csv",
            audiences=[Audience(id=_ids(1)[0]), Audience(id=_ids(1, 100)[0])],
        )
    )
    manage.update_audience_group_description(
        group_id, UpdateAudienceGroupDescriptionRequest(description="VIP (renamed)")
    )
    got = manage.get_audience_data(group_id)
    assert got.audience_group.audience_count == 4
    assert got.audience_group.description == "VIP (renamed)"
    assert [j.audience_count for j in got.jobs] == [1, 3]
    # when it is deleted, it is gone with its members
    manage.delete_audience_group(group_id)
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        manage.get_audience_data(group_id)
    assert excinfo.value.status == 400
    assert _body(excinfo.value) == {
        "message": "audience group not found",
        "details": [{"message": "AUDIENCE_GROUP_NOT_FOUND"}],
    }
    assert not AudienceMember.objects.exists()
    assert not AudienceJob.objects.exists()


def test_upload_by_file_on_the_data_host(blob, manage, tmp_path):
    ids = _ids(5)
    # the SDK sends files by path, one ID a line (blank lines are skipped)
    first, more = tmp_path / "list.txt", tmp_path / "more.txt"
    first.write_text("\n".join([*ids[:3], "", ids[0]]) + "\n")
    more.write_text("\n".join(ids[2:]))
    created = blob.create_audience_for_uploading_user_ids(
        file=str(first),
        description="From a file",
        upload_description="list.txt",
    )
    assert created.type == "UPLOAD"
    assert (
        manage.get_audience_data(
            created.audience_group_id
        ).audience_group.audience_count
        == 3
    )
    blob.add_user_ids_to_audience(
        file=str(more),
        audience_group_id=created.audience_group_id,
        upload_description="more.txt",
    )
    got = manage.get_audience_data(created.audience_group_id)
    assert got.audience_group.audience_count == 5
    assert [j.description for j in got.jobs] == ["more.txt", "list.txt"]
    assert set(AudienceMember.objects.values_list("user_id", flat=True)) == set(ids)


def test_list_pages_and_filters(manage, account, other_account):
    for name in ["Spring sale", "spring VIP", "Autumn", "Winter", "Summer sale"]:
        audience_services.audience_group_create(
            account=account, description=name, user_ids=_ids(2)
        )
    audience_services.audience_group_create(
        account=other_account, description="Spring elsewhere", user_ids=[]
    )
    first = manage.get_audience_groups(page=1, size=2)
    assert (first.total_count, first.has_next_page, first.page, first.size) == (
        5,
        True,
        1,
        2,
    )
    assert [g.description for g in first.audience_groups] == ["Summer sale", "Winter"]
    last = manage.get_audience_groups(page=3, size=2)
    assert [g.description for g in last.audience_groups] == ["Spring sale"]
    assert last.has_next_page is False
    # description matches a part of the name, case-insensitively
    spring = manage.get_audience_groups(page=1, description="SPRING")
    assert [g.description for g in spring.audience_groups] == [
        "spring VIP",
        "Spring sale",
    ]
    assert spring.read_write_audience_group_total_count == 2
    assert manage.get_audience_groups(page=1, status="READY").total_count == 5
    assert manage.get_audience_groups(page=1, status="EXPIRED").total_count == 0
    assert (
        manage.get_audience_groups(page=1, create_route="OA_MANAGER").total_count == 0
    )


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("page=0", "page"),
        ("", "page"),
        ("page=1&size=41", "size"),
        ("page=1&status=NOPE", "status"),
    ],
)
def test_list_refuses_bad_parameters(api, query, param):
    response = api.call("GET", f"/v2/bot/audienceGroup/list?{query}")
    assert response.status_code == 400
    assert response.json() == {
        "message": f"The value for the '{param}' parameter is invalid"
    }


def test_another_channels_audience_is_not_found(manage, other_account):
    theirs = audience_services.audience_group_create(
        account=other_account, description="Theirs", user_ids=_ids(2)
    )
    for call in (
        lambda: manage.get_audience_data(theirs.public_id),
        lambda: manage.delete_audience_group(theirs.public_id),
        lambda: manage.update_audience_group_description(
            theirs.public_id, UpdateAudienceGroupDescriptionRequest(description="x")
        ),
        lambda: manage.add_audience_to_audience_group(
            AddAudienceToAudienceGroupRequest(
                audience_group_id=theirs.public_id, audiences=[Audience(id=_ids(1)[0])]
            )
        ),
    ):
        with assert_unchanged(), pytest.raises(ApiException) as excinfo:
            call()
        assert excinfo.value.status == 400
        assert _body(excinfo.value)["details"] == [
            {"message": "AUDIENCE_GROUP_NOT_FOUND"}
        ]
    theirs.refresh_from_db()
    assert (theirs.description, theirs.audience_count) == ("Theirs", 2)


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"description": "x", "audiences": [{"id": "not-a-user"}]},
            400,
            {
                "message": "invalid audience id format",
                "details": [
                    {"message": "UPLOAD_AUDIENCE_GROUP_INVALID_AUDIENCE_ID_FORMAT"}
                ],
            },
        ),
        (
            {"description": "x" * 121, "audiences": []},
            400,
            {
                "message": "The request body has 1 error(s)",
                "details": [
                    {
                        "message": "Length must be between 0 and 120",
                        "property": "description",
                    }
                ],
            },
        ),
        (
            {"audiences": []},
            400,
            {
                "message": "The request body has 1 error(s)",
                "details": [
                    {"message": "must be specified", "property": "description"}
                ],
            },
        ),
        (
            {"description": "x", "audiences": [{"id": "U" + "0" * 32}] * 10001},
            400,
            {
                "message": "The request body has 1 error(s)",
                "details": [
                    {
                        "message": "Size must be between 0 and 10000",
                        "property": "audiences",
                    }
                ],
            },
        ),
        (
            {"description": "x", "audiences": "U1"},
            400,
            {"message": "The property, 'audiences', in the request body is invalid"},
        ),
    ],
)
def test_bad_uploads_are_refused_and_write_nothing(api, body, status, expected):
    response = api.call("POST", UPLOAD, body)
    assert response.status_code == status
    body_json = response.json()
    if "property" in expected["message"]:  # LINE adds where: (line 1, column N)
        assert body_json["message"].startswith(expected["message"])
    else:
        assert body_json == expected
    assert not AudienceGroup.objects.exists()
    assert not AudienceMember.objects.exists()


def test_an_account_holds_at_most_1000_audiences(api, account, monkeypatch):
    monkeypatch.setattr(audience_services, "MAX_AUDIENCES", 2)
    for name in ("a", "b"):
        audience_services.audience_group_create(
            account=account, description=name, user_ids=[]
        )
    with assert_unchanged():
        response = api.call("POST", UPLOAD, {"description": "c", "audiences": []})
    assert response.status_code == 400
    assert response.json() == {
        "message": "audience group count max over",
        "details": [{"message": "AUDIENCE_GROUP_COUNT_MAX_OVER"}],
    }
    assert AudienceGroup.objects.count() == 2
    assert audience_services.MAX_AUDIENCES == 2  # and LINE's real limit:
    monkeypatch.undo()
    assert audience_services.MAX_AUDIENCES == 1000


def test_a_narrowcast_to_an_uploaded_audience_reaches_exactly_those_friends(
    live_server, token, manage, account
):
    from linebot.v3.messaging import ApiClient as MessagingClient
    from linebot.v3.messaging import Configuration as MessagingConfiguration
    from linebot.v3.messaging import MessagingApi

    # given 130 friends; an audience of 60 of them plus 5 strangers' IDs
    friend_ids = bulk_friends(account, 130)
    members = _user_ids(friend_ids[:60])
    first = manage.create_audience_group(
        CreateAudienceGroupRequest(
            description="First 60",
            audiences=[Audience(id=i) for i in members + _ids(5, 9 * 10**9)],
        )
    )
    assert (
        manage.get_audience_data(first.audience_group_id).audience_group.audience_count
        == 65
    )
    with MessagingClient(
        MessagingConfiguration(host=live_server.url, access_token=token)
    ) as client:
        messaging = MessagingApi(client)
        # when the bot narrowcasts to it
        response = messaging.narrowcast_with_http_info(
            NarrowcastRequest(
                messages=[TextMessage(text="For our first 60")],
                recipient=AudienceRecipient(audience_group_id=first.audience_group_id),
            )
        )
        assert response.status_code == 202
        request_id = response.headers["x-line-request-id"]
        # then exactly those 60 friends got it
        got = set(
            Message.objects.filter(source="api_narrowcast").values_list(
                "friend_id", flat=True
            )
        )
        assert got == set(friend_ids[:60])
        progress = messaging.get_narrowcast_progress(request_id)
        assert (progress.phase, progress.success_count) == ("succeeded", 60)
        # when a second audience of the first 115 is combined with "not a
        # redelivery of the first narrowcast"
        second = manage.create_audience_group(
            CreateAudienceGroupRequest(
                description="First 115",
                audiences=[Audience(id=i) for i in _user_ids(friend_ids[:115])],
            )
        )
        messaging.narrowcast(
            NarrowcastRequest(
                messages=[TextMessage(text="You missed this")],
                recipient=OperatorRecipient(
                    var_and=[
                        AudienceRecipient(audience_group_id=second.audience_group_id),
                        OperatorRecipient(
                            var_not=RedeliveryRecipient(request_id=request_id)
                        ),
                    ]
                ),
            )
        )
    # then only friends 61..115 got the second message
    second_got = set(
        Message.objects.filter(text="You missed this").values_list(
            "friend_id", flat=True
        )
    )
    assert second_got == set(friend_ids[60:115])


def test_an_unknown_audience_in_a_narrowcast_is_400_and_sends_nothing(
    api, account, other_account
):
    theirs = audience_services.audience_group_create(
        account=other_account, description="Theirs", user_ids=_ids(60)
    )
    with assert_unchanged():
        for group_id in (1234567890123, theirs.public_id):
            response = api.call(
                "POST",
                NARROWCAST,
                {
                    "messages": [{"type": "text", "text": "hi"}],
                    "recipient": {"type": "audience", "audienceGroupId": group_id},
                },
            )
            assert response.status_code == 400
            assert response.json() == {
                "message": f"Invalid audience group id: {group_id}"
            }
    assert not Broadcast.objects.exists()
    assert not Message.objects.exists()


def test_a_narrowcast_reaching_fewer_than_50_fails_with_code_2(api, account):
    friend_ids = bulk_friends(account, 49)
    group = audience_services.audience_group_create(
        account=account, description="Small", user_ids=_user_ids(friend_ids)
    )
    response = api.call(
        "POST",
        NARROWCAST,
        {
            "messages": [{"type": "text", "text": "hi"}],
            "recipient": {"type": "audience", "audienceGroupId": group.public_id},
        },
    )
    assert response.status_code == 202
    progress = api.call(
        "GET",
        f"/v2/bot/message/progress/narrowcast?requestId={response['X-Line-Request-Id']}",
    ).json()
    assert (progress["phase"], progress["errorCode"], progress["targetCount"]) == (
        "failed",
        2,
        49,
    )
    assert not Message.objects.exists()


def _api_broadcast(api, text: str) -> str:
    response = api.call(
        "POST",
        "/v2/bot/message/broadcast",
        {"messages": [{"type": "text", "text": text}]},
    )
    assert response.status_code == 200
    return response["X-Line-Request-Id"]


def test_click_and_impression_audiences_from_an_earlier_broadcast(
    api, manage, account, django_capture_on_commit_callbacks
):
    # given an API broadcast with a link to 60 friends
    friend_ids = bulk_friends(account, 60)
    with django_capture_on_commit_callbacks(execute=True):
        request_id = _api_broadcast(api, "Sale https://shop.example/sale")
    broadcast = Broadcast.objects.get(request_id=request_id)
    assert Delivery.objects.filter(broadcast=broadcast, status="sent").count() == 60
    # of whom the first 55 opened it and the first 3 clicked its link
    for friend in Friend.objects.filter(pk__in=friend_ids[:55]):
        last = Message.objects.filter(friend=friend).order_by("-id").first()
        messages_mark_opened(friend=friend, up_to_id=last.pk)
    Delivery.objects.filter(broadcast=broadcast, friend_id__in=friend_ids[:3]).update(
        clicked_at=broadcast.created_at
    )
    # when the bot makes a click and an impression audience of it
    clicked = manage.create_click_based_audience_group(
        CreateClickBasedAudienceGroupRequest(
            description="Clicked", request_id=request_id
        )
    )
    opened = manage.create_imp_based_audience_group(
        CreateImpBasedAudienceGroupRequest(description="Opened", request_id=request_id)
    )
    # then they hold exactly those friends
    assert (clicked.type, clicked.request_id, opened.type) == (
        "CLICK",
        request_id,
        "IMP",
    )
    assert (
        manage.get_audience_data(
            clicked.audience_group_id
        ).audience_group.audience_count
        == 3
    )
    assert (
        manage.get_audience_data(opened.audience_group_id).audience_group.audience_count
        == 55
    )
    assert set(
        AudienceMember.objects.filter(group__type="IMP").values_list(
            "user_id", flat=True
        )
    ) == set(_user_ids(friend_ids[:55]))
    # and a narrowcast to the 3-person click audience fails: under 50 (code 4)
    response = api.call(
        "POST",
        NARROWCAST,
        {
            "messages": [{"type": "text", "text": "hi"}],
            "recipient": {
                "type": "audience",
                "audienceGroupId": clicked.audience_group_id,
            },
        },
    )
    progress = api.call(
        "GET",
        f"/v2/bot/message/progress/narrowcast?requestId={response['X-Line-Request-Id']}",
    ).json()
    assert (progress["phase"], progress["errorCode"]) == ("failed", 4)


def test_a_click_audience_of_an_unknown_request_is_refused(api):
    with assert_unchanged():
        response = api.call(
            "POST",
            "/v2/bot/audienceGroup/click",
            {"description": "x", "requestId": "8d2b6b1e-0000-4000-8000-000000000000"},
        )
    assert response.status_code == 400
    assert response.json() == {
        "message": "request not found",
        "details": [{"message": "REQUEST_NOT_FOUND"}],
    }
    assert not AudienceGroup.objects.exists()


def test_audience_calls_need_the_channel_token(live_server, other_account):
    """A token of another channel sees none of this channel's audiences."""
    with ApiClient(
        Configuration(host=live_server.url, access_token=token_for(other_account))
    ) as client:
        listed = ManageAudience(client).get_audience_groups(page=1)
    assert listed.total_count == 0


def test_a_file_with_a_malformed_line_is_refused_and_writes_nothing(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with assert_unchanged():
        response = api.post(
            "/v2/bot/audienceGroup/upload/byFile",
            {
                "description": "From a file",
                "file": SimpleUploadedFile(
                    "ids.txt", f"{_ids(1)[0]}\nnot-an-id\n".encode(), "text/plain"
                ),
            },
            HTTP_AUTHORIZATION=f"Bearer {api.token}",
        )
    assert response.status_code == 400
    assert response.json() == {
        "message": "invalid audience id format",
        "details": [{"message": "UPLOAD_AUDIENCE_GROUP_INVALID_AUDIENCE_ID_FORMAT"}],
    }
    assert not AudienceGroup.objects.exists()
    # and without a file
    with assert_unchanged():
        response = api.post(
            "/v2/bot/audienceGroup/upload/byFile",
            {"description": "From a file"},
            HTTP_AUTHORIZATION=f"Bearer {api.token}",
        )
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"message": "must be specified", "property": "file"}
    ]
    assert not AudienceGroup.objects.exists()


def test_audience_calls_are_rate_limited_per_channel(api, settings):
    """LINE's 60 requests a minute per endpoint, lowered here to 2 an hour
    (an hour's window: the test never straddles two)."""
    settings.LINE_API_RATE_LIMITS = {"audience": (2, 3600)}
    for name in ("one", "two"):
        body = {"description": name, "audiences": []}
        assert api.call("POST", UPLOAD, body).status_code == 202
    with assert_unchanged():
        response = api.call("POST", UPLOAD, {"description": "late", "audiences": []})
    assert response.status_code == 429
    assert response.json() == {
        "message": "The API rate limit has been exceeded. Try again later."
    }
    assert sorted(AudienceGroup.objects.values_list("description", flat=True)) == [
        "one",
        "two",
    ]
