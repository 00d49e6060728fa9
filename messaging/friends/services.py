"""Writes on LINE users, friendships and the Manager's friend data."""

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.ids import new_user_id
from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.events import account_group, send_event_on_commit
from core.exceptions import ApplicationError, NotFound
from messaging.friends.filters import FriendFilters
from messaging.friends.models import (
    CustomField,
    Friend,
    FriendFieldValue,
    FriendNote,
    FriendSource,
    LineUser,
    Tag,
)
from messaging.friends.selectors import friend_list


class AccountUnavailable(ApplicationError):
    """Unknown or suspended account in an add-friend link or QR code."""


@transaction.atomic
def line_user_create(*, display_name: str, **profile) -> LineUser:
    """Create a simulated LINE user with a fresh ``U…`` ID."""
    user = LineUser(user_id=new_user_id(), display_name=display_name, **profile)
    user.full_clean()
    user.save()
    return user


@dataclass(frozen=True)
class FollowResult:
    friend: Friend
    created: bool
    unblocked: bool


@transaction.atomic
def friend_follow(
    *,
    account: OfficialAccount,
    line_user: LineUser,
    source: FriendSource | None = None,
) -> FollowResult:
    """Add ``account`` as a friend of ``line_user``, or unblock it.

    Changes only the friendship row and publishes ``friend.followed``; what
    follows (greeting, steps, webhook) is ``chat.inbound.customer_follow``.
    Idempotent: following an account one already follows changes nothing
    (``created`` and ``unblocked`` are both false). Raises
    ``AccountUnavailable`` for a suspended account.
    """
    if account.is_suspended:
        raise AccountUnavailable(_("This account is not available."))
    now = timezone.now()
    friend, created = Friend.objects.select_for_update().get_or_create(
        account=account,
        line_user=line_user,
        defaults={"followed_at": now, "friend_since": now, "source": source},
    )
    unblocked = False
    if not created:
        if friend.status == Friend.Status.FOLLOWING:
            return FollowResult(friend=friend, created=False, unblocked=False)
        friend.status = Friend.Status.FOLLOWING
        friend.unblocked_at = now
        friend.friend_since = now
        friend.save(update_fields=["status", "unblocked_at", "friend_since"])
        unblocked = True
    send_event_on_commit(
        groups=[account_group(account.pk)],
        event={
            "type": "friend.followed",
            "friend_id": friend.pk,
            "unblocked": unblocked,
        },
    )
    return FollowResult(friend=friend, created=created, unblocked=unblocked)


@transaction.atomic
def friend_block(*, friend: Friend) -> bool:
    """The customer blocks the account; idempotent.

    Changes only the friendship row and publishes ``friend.blocked``.
    Returns whether the friend was following until now (false when it
    had already blocked the account).
    """
    locked = Friend.objects.select_for_update().get(pk=friend.pk)
    if locked.status == Friend.Status.BLOCKED:
        return False
    locked.status = Friend.Status.BLOCKED
    locked.blocked_at = timezone.now()
    locked.save(update_fields=["status", "blocked_at"])
    friend.status, friend.blocked_at = locked.status, locked.blocked_at
    send_event_on_commit(
        groups=[account_group(locked.account_id)],
        event={"type": "friend.blocked", "friend_id": locked.pk},
    )
    return True


SOURCE_CODE_LENGTH = 10
_SOURCE_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
TAG_NAME_MAX = 30
SOURCE_NAME_MAX = 50
FIELD_NAME_MAX = 40
FIELD_TEXT_MAX = 500
FIELD_CHOICES_MAX = 50
FIELD_CHOICE_MAX = 100
NOTE_MAX = 2000
# FriendFieldValue.value_number is DECIMAL(18, 4).
_NUMBER_PLACES = 4
_NUMBER_LIMIT = Decimal(10) ** (18 - _NUMBER_PLACES)


def _check_own(account: OfficialAccount, *rows) -> None:
    for row in rows:
        if row.account_id != account.pk:
            raise NotFound()


def _clean_name(value: str, *, field: str, limit: int) -> str:
    name = (value or "").strip()
    if not name:
        raise ApplicationError(_("Enter a name."), {field: _("Enter a name.")})
    if len(name) > limit:
        msg = _("Use at most %(n)d characters.") % {"n": limit}
        raise ApplicationError(msg, {field: msg})
    return name


@transaction.atomic
def friend_source_create(
    *, account: OfficialAccount, actor: User, name: str
) -> FriendSource:
    """A named acquisition channel with a random code for its URL and QR."""
    name = _clean_name(name, field="name", limit=SOURCE_NAME_MAX)
    for _attempt in range(5):
        if FriendSource.objects.filter(account=account, name=name).exists():
            msg = _("A source with this name already exists.")
            raise ApplicationError(msg, {"name": msg})
        code = "".join(
            secrets.choice(_SOURCE_CODE_ALPHABET) for _i in range(SOURCE_CODE_LENGTH)
        )
        try:
            with transaction.atomic():
                source = FriendSource.objects.create(
                    account=account, name=name, code=code
                )
            break
        except IntegrityError:  # a concurrent same name, or the code collided
            continue
    else:  # pragma: no cover - 36**10 codes make five collisions implausible
        raise ApplicationError(_("Could not create the source; try again."))
    audit_record(
        account=account,
        actor=actor,
        action="friend_source.create",
        target=name,
        data={"code": code},
    )
    return source


@transaction.atomic
def tag_create(*, account: OfficialAccount, actor: User, name: str) -> Tag:
    name = _clean_name(name, field="name", limit=TAG_NAME_MAX)
    if Tag.objects.filter(account=account, name=name).exists():
        msg = _("A tag with this name already exists.")
        raise ApplicationError(msg, {"name": msg})
    tag = Tag.objects.create(account=account, name=name)
    audit_record(account=account, actor=actor, action="tag.create", target=name)
    return tag


@transaction.atomic
def tag_delete(*, account: OfficialAccount, actor: User, tag: Tag) -> None:
    """Delete a tag; it disappears from every friend (one cascade delete)."""
    _check_own(account, tag)
    name = tag.name
    tag.delete()
    audit_record(account=account, actor=actor, action="tag.delete", target=name)


@transaction.atomic
def friend_tag_add(
    *, account: OfficialAccount, actor: User, friend: Friend, name: str
) -> Tag:
    """Tag ``friend`` with the tag called ``name``, creating it if new."""
    _check_own(account, friend)
    name = _clean_name(name, field="name", limit=TAG_NAME_MAX)
    tag, created = Tag.objects.get_or_create(account=account, name=name)
    if created:
        audit_record(account=account, actor=actor, action="tag.create", target=name)
    friend.tags.add(tag)
    audit_record(
        account=account,
        actor=actor,
        action="friend.tag_add",
        target=friend.line_user.user_id,
        target_label=friend.line_user.display_name,
        data={"tag": name},
    )
    return tag


@transaction.atomic
def friend_tag_remove(
    *, account: OfficialAccount, actor: User, friend: Friend, tag: Tag
) -> None:
    _check_own(account, friend, tag)
    friend.tags.remove(tag)
    audit_record(
        account=account,
        actor=actor,
        action="friend.tag_remove",
        target=friend.line_user.user_id,
        target_label=friend.line_user.display_name,
        data={"tag": tag.name},
    )


@transaction.atomic
def friends_tag_bulk(
    *,
    account: OfficialAccount,
    actor: User,
    filters: FriendFilters,
    tag: Tag,
    remove: bool = False,
) -> int:
    """Add (or remove) ``tag`` on every friend matching ``filters``.

    One set-based statement whatever the number of friends: an
    ``INSERT … SELECT`` of the matching ids not yet tagged, or one
    ``DELETE … WHERE friend_id IN (SELECT …)``. Returns how many friends
    changed.
    """
    _check_own(account, tag)
    through = Friend.tags.through
    matching = friend_list(account=account, filters=filters).order_by()
    if remove:
        count, _by_model = through.objects.filter(
            tag=tag, friend_id__in=matching.values("id")
        ).delete()
    else:
        untagged = matching.exclude(
            Exists(through.objects.filter(friend_id=OuterRef("pk"), tag_id=tag.pk))
        ).values("id")
        select_sql, params = untagged.query.sql_with_params()
        qn = connection.ops.quote_name
        # "WHERE true" lets SQLite parse INSERT … SELECT … ON CONFLICT.
        sql = (
            f"INSERT INTO {qn(through._meta.db_table)} "
            f"({qn(through._meta.get_field('friend').column)}, "
            f"{qn(through._meta.get_field('tag').column)}) "
            f"SELECT matching.id, %s FROM ({select_sql}) matching "
            "WHERE true ON CONFLICT DO NOTHING"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [tag.pk, *params])
            count = cursor.rowcount
    audit_record(
        account=account,
        actor=actor,
        action="friends.tag_bulk_remove" if remove else "friends.tag_bulk_add",
        target=tag.name,
        data={"count": count, "filters": filters.to_json()},
    )
    return count


@transaction.atomic
def custom_field_create(
    *,
    account: OfficialAccount,
    actor: User,
    name: str,
    kind: str,
    choices: list[str] | None = None,
) -> CustomField:
    """Define a friend attribute; ``choices`` only for the choice kind."""
    name = _clean_name(name, field="name", limit=FIELD_NAME_MAX)
    if kind not in CustomField.Kind.values:
        msg = _("Choose a valid type.")
        raise ApplicationError(msg, {"kind": msg})
    cleaned: list[str] = []
    if kind == CustomField.Kind.CHOICE:
        for choice in choices or []:
            choice = choice.strip()
            if choice and choice not in cleaned:
                cleaned.append(choice)
        if not cleaned:
            msg = _("Give at least one choice.")
            raise ApplicationError(msg, {"choices": msg})
        if len(cleaned) > FIELD_CHOICES_MAX or any(
            len(c) > FIELD_CHOICE_MAX for c in cleaned
        ):
            msg = _("Use at most %(n)d choices of at most %(len)d characters each.") % {
                "n": FIELD_CHOICES_MAX,
                "len": FIELD_CHOICE_MAX,
            }
            raise ApplicationError(msg, {"choices": msg})
    if CustomField.objects.filter(account=account, name=name).exists():
        msg = _("A field with this name already exists.")
        raise ApplicationError(msg, {"name": msg})
    field = CustomField.objects.create(
        account=account, name=name, kind=kind, choices=cleaned
    )
    audit_record(
        account=account,
        actor=actor,
        action="custom_field.create",
        target=name,
        data={"kind": kind, "choices": cleaned},
    )
    return field


@transaction.atomic
def custom_field_delete(
    *, account: OfficialAccount, actor: User, field: CustomField
) -> None:
    """Delete a field definition and every friend's value of it."""
    _check_own(account, field)
    name = field.name
    field.delete()
    audit_record(
        account=account, actor=actor, action="custom_field.delete", target=name
    )


def custom_value_clean(field: CustomField, value) -> tuple | None:
    """``(text, number, date)`` storage of ``value`` for ``field``'s kind.

    ``None`` or ``""`` clears the value (returns ``None``); anything not
    valid for the kind raises ``ApplicationError``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = field.kind
    if kind == CustomField.Kind.TEXT:
        text = str(value).strip()
        if len(text) > FIELD_TEXT_MAX:
            raise ApplicationError(
                _("Use at most %(n)d characters.") % {"n": FIELD_TEXT_MAX}
            )
        return (text, None, None)
    if kind == CustomField.Kind.NUMBER:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ApplicationError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) >= _NUMBER_LIMIT:
            raise ApplicationError(_("Enter a number.")) from None
        if number != number.quantize(Decimal(1).scaleb(-_NUMBER_PLACES)):
            raise ApplicationError(
                _("Use at most %(n)d decimal places.") % {"n": _NUMBER_PLACES}
            )
        return ("", number, None)
    if kind == CustomField.Kind.DATE:
        if isinstance(value, dt.datetime):
            raise ApplicationError(_("Enter a valid date."))
        if isinstance(value, dt.date):
            return ("", None, value)
        try:
            return ("", None, dt.date.fromisoformat(str(value).strip()))
        except ValueError:
            raise ApplicationError(_("Enter a valid date.")) from None
    if kind == CustomField.Kind.CHOICE:
        if value not in field.choices:
            raise ApplicationError(_("Choose one of the field's choices."))
        return (value, None, None)
    raise ApplicationError(_("Choose a valid type."))  # pragma: no cover


@transaction.atomic
def friend_fields_set(
    *,
    account: OfficialAccount,
    actor: User,
    friend: Friend,
    values: dict[int, object],
) -> None:
    """Set ``friend``'s custom field values (field id → value; empty clears).

    All values are checked first; one bad value changes nothing and raises
    ``ApplicationError`` whose ``details`` map ``field_<id>`` to a message.
    """
    _check_own(account, friend)
    fields = {f.pk: f for f in CustomField.objects.filter(account=account)}
    errors: dict[str, str] = {}
    rows: list[FriendFieldValue] = []
    cleared: list[int] = []
    for field_id, raw in values.items():
        field = fields.get(field_id)
        if field is None:
            errors[f"field_{field_id}"] = _("Unknown field.")
            continue
        try:
            stored = custom_value_clean(field, raw)
        except ApplicationError as exc:
            errors[f"field_{field_id}"] = exc.message
            continue
        if stored is None:
            cleared.append(field_id)
        else:
            text, number, date = stored
            rows.append(
                FriendFieldValue(
                    friend=friend,
                    field=field,
                    value_text=text,
                    value_number=number,
                    value_date=date,
                )
            )
    if errors:
        raise ApplicationError(_("Some values are not valid."), errors)
    FriendFieldValue.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["friend", "field"],
        update_fields=["value_text", "value_number", "value_date"],
    )
    FriendFieldValue.objects.filter(friend=friend, field_id__in=cleared).delete()
    audit_record(
        account=account,
        actor=actor,
        action="friend.fields_update",
        target=friend.line_user.user_id,
        target_label=friend.line_user.display_name,
        data={
            "set": sorted(fields[r.field_id].name for r in rows),
            "cleared": sorted(fields[i].name for i in cleared),
        },
    )


@transaction.atomic
def friend_note_add(
    *, account: OfficialAccount, actor: User, friend: Friend, body: str
) -> FriendNote:
    _check_own(account, friend)
    body = (body or "").strip()
    if not body:
        msg = _("Write something.")
        raise ApplicationError(msg, {"body": msg})
    if len(body) > NOTE_MAX:
        msg = _("Use at most %(n)d characters.") % {"n": NOTE_MAX}
        raise ApplicationError(msg, {"body": msg})
    note = FriendNote.objects.create(friend=friend, author=actor, body=body)
    audit_record(
        account=account,
        actor=actor,
        action="friend.note_add",
        target=friend.line_user.user_id,
        target_label=friend.line_user.display_name,
        data={"note_id": note.pk},
    )
    return note


@transaction.atomic
def friend_note_delete(
    *, account: OfficialAccount, actor: User, note: FriendNote
) -> None:
    friend = note.friend
    _check_own(account, friend)
    note_id = note.pk
    note.delete()
    audit_record(
        account=account,
        actor=actor,
        action="friend.note_delete",
        target=friend.line_user.user_id,
        target_label=friend.line_user.display_name,
        data={"note_id": note_id},
    )


@transaction.atomic
def friend_staff_link_set(
    *, account: OfficialAccount, actor: User, friend: Friend, linked: bool
) -> Friend:
    """Mark ``friend`` as ``actor``'s own LINE in this account, or unmark it.

    Test sends go to the friends staff linked this way (LINE sends tests to
    the account's members; issue 14, #2). A member links one friend per
    account: linking another moves the link. Only the member themself can
    unlink; raises ``ApplicationError`` for someone else's link or a friend
    who blocked the account. Audited as ``friend.staff_link`` /
    ``friend.staff_unlink``.
    """
    _check_own(account, friend)
    friend = (
        Friend.objects.select_for_update().select_related("line_user").get(pk=friend.pk)
    )
    if linked:
        if friend.status != Friend.Status.FOLLOWING:
            msg = _("This friend blocked the account; link a friend who follows it.")
            raise ApplicationError(msg)
        if friend.staff_user_id not in (None, actor.pk):
            msg = _("Another member already uses this friend for tests.")
            raise ApplicationError(msg)
        Friend.objects.filter(account=account, staff_user=actor).exclude(
            pk=friend.pk
        ).update(staff_user=None)
        friend.staff_user = actor
    else:
        if friend.staff_user_id != actor.pk:
            msg = _("Only the member who linked this friend can unlink it.")
            raise ApplicationError(msg)
        friend.staff_user = None
    friend.save(update_fields=["staff_user"])
    audit_record(
        account=account,
        actor=actor,
        action="friend.staff_link" if linked else "friend.staff_unlink",
        target=friend.line_user.user_id,
        target_label=friend.line_user.display_name,
    )
    return friend
