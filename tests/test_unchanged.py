"""tests/unchanged.py itself: it fails on every kind of change it promises."""

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from accounts.models import MonthlyUsage
from accounts.quota import quota_consume, usage_get
from core.exceptions import ApplicationError
from messaging.friends.models import Tag
from messaging.friends.services import tag_create
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def _failure(block) -> str:
    with pytest.raises(AssertionError) as raised, assert_unchanged():
        block()
    return str(raised.value)


def test_a_refusal_that_writes_nothing_passes(account, alice):
    with assert_unchanged(), pytest.raises(ApplicationError):
        tag_create(account=account, actor=alice, name=" ")


def test_an_added_row_and_its_audit_entry_are_named(account, alice):
    message = _failure(lambda: tag_create(account=account, actor=alice, name="VIP"))
    assert "messaging.Tag: row added {" in message
    assert "'name': 'VIP'" in message
    assert "accounts.AuditLog: row added {" in message


def test_a_changed_column_is_named_with_both_values(account, alice):
    tag = tag_create(account=account, actor=alice, name="VIP")

    def rename():
        Tag.objects.filter(pk=tag.pk).update(name="Gold")

    assert f"messaging.Tag: row {tag.pk} changed {{'name': \"'VIP' -> 'Gold'\"}}" in (
        _failure(rename)
    )


def test_a_deleted_row_is_named(account, alice):
    tag = tag_create(account=account, actor=alice, name="VIP")
    assert "messaging.Tag: row deleted {" in _failure(tag.delete)


def test_only_the_targets_are_compared(account, alice):
    with assert_unchanged(Tag.objects.filter(name="Gold")):
        tag_create(account=account, actor=alice, name="VIP")


def test_a_stored_file_mail_and_queued_work_are_named(account):
    def side_effects():
        default_storage.save("chat/photo.png", ContentFile(b"png"))
        mail.send_mail("Quota", "80 %", "a@example.com", ["b@example.com"])
        transaction.on_commit(lambda: None)

    # the fixtures' own writes may have queued work already (the token cache)
    queued = len(connection.run_on_commit)
    message = _failure(side_effects)
    assert "file stored: chat/photo.png" in message
    assert "e-mails sent: 1" in message
    assert (
        f"on-commit work queued (task, event or webhook): {queued} -> {queued + 1}"
    ) in message


def test_the_months_empty_ledger_row_is_no_change_but_quota_used_is(account):
    with assert_unchanged():
        usage_get(account=account)
    assert MonthlyUsage.objects.filter(account=account).count() == 1
    message = _failure(lambda: quota_consume(account=account, count=2))
    assert "changed {'used': '0 -> 2'}" in message
