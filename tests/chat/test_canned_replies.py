"""Canned replies (定型文): create, update, delete, per-account shortcuts."""

import pytest

from accounts.models import AuditLog
from chat.models import CannedReply
from chat.services import canned_reply_create, canned_reply_delete, canned_reply_update
from core.exceptions import ApplicationError, NotFound
from tests.chat.factories import CannedReplyFactory
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def test_create_cleans_and_audits(account, alice):
    reply = canned_reply_create(
        account=account,
        actor=alice,
        title="  Opening hours ",
        text="We are open 10:00-18:00.",
        shortcut="/Hours",
    )
    reply.refresh_from_db()
    assert (reply.title, reply.shortcut, reply.text) == (
        "Opening hours",
        "hours",
        "We are open 10:00-18:00.",
    )
    assert (
        AuditLog.objects.filter(
            account=account, actor=alice, action="canned_reply.create"
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"title": ""}, {"title": "Enter a title."}),
        ({"title": "x" * 51}, {"title": "Use at most 50 characters."}),
        ({"text": "  "}, {"text": "Write the reply."}),
        ({"text": "x" * 5001}, {"text": "Use at most 5000 characters."}),
        (
            {"shortcut": "two words"},
            {
                "shortcut": "Use 1 to 20 lowercase letters, digits, hyphens "
                "or underscores."
            },
        ),
        (
            {"shortcut": "taken"},
            {"shortcut": "Another canned reply uses this shortcut."},
        ),
    ],
)
def test_bad_canned_reply_is_refused(account, alice, fields, errors):
    # given a reply with the shortcut "taken"
    CannedReplyFactory(account=account, shortcut="taken")
    # when alice creates one with a bad field
    data = {"title": "Hello", "text": "Hello!", "shortcut": "", **fields}
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        canned_reply_create(account=account, actor=alice, **data)
    # then the error names the field and nothing more is stored
    assert exc.value.details == errors
    assert CannedReply.objects.count() == 1


def test_same_shortcut_in_another_account_is_fine(account, other_account, charlie):
    CannedReplyFactory(account=account, shortcut="hi")
    reply = canned_reply_create(
        account=other_account, actor=charlie, title="Hi", text="Hi!", shortcut="hi"
    )
    assert reply.account == other_account


def test_several_replies_without_shortcut(account, alice):
    for title in ("A", "B"):
        canned_reply_create(account=account, actor=alice, title=title, text="x")
    assert list(CannedReply.objects.values_list("shortcut", flat=True)) == ["", ""]


def test_update_keeps_its_own_shortcut(account, alice):
    reply = CannedReplyFactory(account=account, shortcut="hi", title="Hi")
    canned_reply_update(
        account=account,
        actor=alice,
        reply=reply,
        title="Hello",
        text="Hello there",
        shortcut="hi",
    )
    reply.refresh_from_db()
    assert (reply.title, reply.text, reply.shortcut) == ("Hello", "Hello there", "hi")


def test_update_and_delete_of_another_accounts_reply_is_not_found(
    account, other_account, charlie
):
    reply = CannedReplyFactory(account=account, title="Mine")
    with assert_unchanged(), pytest.raises(NotFound):
        canned_reply_update(
            account=other_account, actor=charlie, reply=reply, title="X", text="Y"
        )
    with assert_unchanged(), pytest.raises(NotFound):
        canned_reply_delete(account=other_account, actor=charlie, reply=reply)
    reply.refresh_from_db()
    assert reply.title == "Mine"


def test_delete(account, alice):
    reply = CannedReplyFactory(account=account)
    canned_reply_delete(account=account, actor=alice, reply=reply)
    assert CannedReply.objects.count() == 0
    assert AuditLog.objects.filter(action="canned_reply.delete").count() == 1
