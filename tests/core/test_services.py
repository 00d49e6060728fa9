"""model_update: one helper for "set the changed fields, save only those"."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import OfficialAccount
from core.services import model_update
from messaging.friends.models import Tag
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _set_columns(sql: str) -> list[str]:
    """The columns an ``UPDATE … SET a = …, b = … WHERE …`` writes, sorted."""
    assignments = sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    return sorted(part.split(" = ", 1)[0] for part in assignments.split(", "))


def _set_updated_at(account, when):
    OfficialAccount.objects.filter(pk=account.pk).update(updated_at=when)
    account.refresh_from_db()


def test_only_changed_fields_and_updated_at_are_written(
    account, django_assert_num_queries
):
    # given an account last changed long ago
    _set_updated_at(account, LONG_AGO)
    # when the name changes and the status message is sent unchanged
    with django_assert_num_queries(1) as captured:
        instance, changed = model_update(
            instance=account,
            fields=["display_name", "status_message"],
            data={"display_name": "Café Two", "status_message": ""},
        )
    # then one UPDATE sets exactly the name and updated_at
    assert (instance, changed) == (account, True)
    sql = captured.captured_queries[0]["sql"]
    assert sql.startswith('UPDATE "accounts_officialaccount" SET ')
    assert _set_columns(sql) == ['"display_name"', '"updated_at"']
    account.refresh_from_db()
    assert account.display_name == "Café Two"
    assert account.updated_at > LONG_AGO


def test_unchanged_values_issue_no_query(account, django_assert_num_queries):
    # given
    _set_updated_at(account, LONG_AGO)
    data = {"display_name": account.display_name, "time_zone": account.time_zone}
    # when
    with django_assert_num_queries(0):
        instance, changed = model_update(
            instance=account, fields=["display_name", "time_zone"], data=data
        )
    # then nothing was written, not even updated_at
    assert (instance, changed) == (account, False)
    assert account.updated_at == LONG_AGO
    account.refresh_from_db()
    assert account.updated_at == LONG_AGO


def test_a_field_missing_from_data_is_left_alone(account):
    before = account.status_message
    _instance, changed = model_update(
        instance=account,
        fields=["display_name", "status_message"],
        data={"display_name": "Renamed"},
    )
    assert changed is True
    account.refresh_from_db()
    assert (account.display_name, account.status_message) == ("Renamed", before)


def test_a_model_without_updated_at_saves_only_its_fields(
    account, django_assert_num_queries
):
    tag = Tag.objects.create(account=account, name="vip")
    with django_assert_num_queries(1) as captured:
        model_update(instance=tag, fields=["name"], data={"name": "VIP"})
    assert _set_columns(captured.captured_queries[0]["sql"]) == ['"name"']
    assert Tag.objects.get(pk=tag.pk).name == "VIP"


def test_an_unknown_field_is_a_programming_error(account):
    with pytest.raises(ValueError, match="no field 'nickname'"):
        model_update(instance=account, fields=["nickname"], data={"nickname": "x"})


def test_full_clean_refuses_invalid_values_and_writes_nothing(account):
    # given a name longer than the column allows
    before = account.display_name
    # when
    with assert_unchanged(), pytest.raises(ValidationError) as excinfo:
        model_update(
            instance=account,
            fields=["display_name"],
            data={"display_name": "x" * 500},
            full_clean=True,
        )
    # then
    assert "display_name" in excinfo.value.message_dict
    assert OfficialAccount.objects.get(pk=account.pk).display_name == before


def test_updated_at_is_now(account):
    _set_updated_at(account, LONG_AGO)
    start = timezone.now()
    model_update(instance=account, fields=["display_name"], data={"display_name": "N"})
    assert account.updated_at >= start
