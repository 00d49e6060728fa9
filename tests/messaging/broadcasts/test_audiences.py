"""Audiences in the Manager (issue 16 #6): a saved segment exported as an
audience, and an audience used as a segment condition in a broadcast."""

import json

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from messaging.audience.models import AudienceGroup, AudienceMember, Segment
from messaging.audience.services import audience_group_create
from messaging.broadcasts.models import Delivery
from messaging.broadcasts.segments import segment_save
from tests.messaging.broadcasts.test_views import compose
from tests.unchanged import assert_unchanged


def _url(account, name, *args):
    return reverse(f"broadcasts:{name}", args=[account.slug, *args])


@pytest.fixture
def regulars(account, alice, crowd):
    return segment_save(
        account=account,
        actor=alice,
        name="Regulars",
        definition={
            "match": "all",
            "conditions": [{"type": "tag", "values": [crowd["regular"].pk]}],
        },
    )


def test_a_saved_segment_is_exported_as_an_audience(
    alice_client, account, crowd, regulars
):
    response = alice_client.post(_url(account, "segment-export", regulars.pk))
    assert response.status_code == 302
    group = AudienceGroup.objects.get()
    assert (group.description, group.type, group.create_route, group.status) == (
        "Regulars",
        "UPLOAD",
        "OA_MANAGER",
        "READY",
    )
    regulars_now = {crowd["dan"].line_user.user_id}
    assert set(group.members.values_list("user_id", flat=True)) == regulars_now
    assert group.audience_count == len(regulars_now)
    entry = AuditLog.objects.get(action="audience.export")
    assert entry.target == "Regulars"
    # the segments page lists it with its 13-digit Messaging API ID
    page = alice_client.get(_url(account, "segment-list")).content.decode()
    assert f"<code>{group.public_id}</code>" in page
    assert len(str(group.public_id)) == 13


def test_exporting_needs_the_send_permission(dora_client, account, regulars):
    with assert_unchanged():
        response = dora_client.post(_url(account, "segment-export", regulars.pk))
    assert response.status_code == 403
    assert not AudienceGroup.objects.exists()


def test_another_accounts_segment_cannot_be_exported(charlie_client, account, regulars):
    with assert_unchanged():
        response = charlie_client.post(_url(account, "segment-export", regulars.pk))
    assert response.status_code == 404
    assert not AudienceGroup.objects.exists()


def test_an_audience_is_a_condition_of_a_broadcast(
    alice_client, account, crowd, django_capture_on_commit_callbacks
):
    # given a bot's audience of Ann and Ben plus a stranger's ID
    ids = [crowd["ann"].line_user.user_id, crowd["ben"].line_user.user_id]
    group = audience_group_create(
        account=account, description="From the bot", user_ids=[*ids, "U" + "f" * 32]
    )
    definition = {
        "match": "all",
        "conditions": [{"type": "audience_group", "values": [group.pk]}],
    }
    # when staff save it as a segment and send a broadcast to it
    response = alice_client.post(
        _url(account, "segment-list"),
        {"name": "Bot audience", "definition": json.dumps(definition)},
    )
    assert response.status_code == 302
    segment = Segment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        compose(
            alice_client,
            account,
            action="send",
            audience_mode="saved",
            segment=segment.pk,
        )
    # then exactly Ann and Ben got it
    names = set(
        Delivery.objects.filter(status="sent").values_list(
            "friend__line_user__display_name", flat=True
        )
    )
    assert names == {"Ann", "Ben"}
    page = alice_client.get(_url(account, "segment-list")).content.decode()
    assert "Audience: From the bot" in page


def test_another_accounts_audience_is_not_a_condition(
    alice_client, account, other_account, crowd
):
    theirs = audience_group_create(
        account=other_account, description="Theirs", user_ids=[]
    )
    definition = {
        "match": "all",
        "conditions": [{"type": "audience_group", "values": [theirs.pk]}],
    }
    with assert_unchanged():
        response = alice_client.post(
            _url(account, "segment-list"),
            {"name": "Sneaky", "definition": json.dumps(definition)},
        )
    assert response.status_code == 400
    assert "An audience in the conditions no longer exists." in (
        response.content.decode()
    )
    assert not Segment.objects.exists()
    assert AudienceMember.objects.count() == 0
