"""Reads for the talk app, always scoped to the customer (persona) acting.

A talk room is a ``Friend`` row; a room that belongs to another customer
is "not found", exactly like a missing one.
"""

from dataclasses import dataclass

from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When

from accounts.models import OfficialAccount
from core.selectors import get_or_not_found
from messaging.friends.models import Friend, FriendSource, LineUser
from messaging.store.models import Message
from messaging.store.quotes import quotes_attach
from talk.models import TalkAccount

# Session keys: the talk account logged in, the persona it acts as, and a
# staff member's rehearsal as one friend of their own account.
ACCOUNT_KEY = "talk_account_id"
SESSION_KEY = "talk_persona_id"
REHEARSAL_KEY = "talk_rehearsal_friend_id"
PERSONA_LIST_LIMIT = 30
# Messages a talk room shows at once; older ones are a "load earlier" away.
ROOM_PAGE_SIZE = 50
# A poll after a long disconnection returns at most this many new messages;
# the page asks again until it has caught up.
ROOM_CATCH_UP_LIMIT = 100


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class TalkIdentity:
    """Who the browser is in the talk app.

    ``talk_account_id``: the customer's own login (None when not logged in
    or rehearsing); ``persona``: the LINE user acted as (owned by that
    login, or the rehearsed friend's); ``scope``: the one official account a
    rehearsing staff member may see (None: every account of the persona).
    """

    talk_account_id: int | None
    persona: LineUser | None
    scope: int | None = None


def identity_from_session(session, user=None) -> TalkIdentity:
    """Resolve the session to a ``TalkIdentity``; at most one query.

    A rehearsal counts only while ``user`` (the staff login of the same
    browser) is a member of the friend's account; a persona only while the
    logged-in talk account owns it.
    """
    friend_id = _int(session.get(REHEARSAL_KEY))
    if friend_id is not None and user is not None and user.is_authenticated:
        friend = (
            Friend.objects.select_related("line_user")
            .filter(pk=friend_id, account__memberships__user=user)
            .first()
        )
        if friend is not None:
            return TalkIdentity(None, friend.line_user, friend.account_id)
    account_id = _int(session.get(ACCOUNT_KEY))
    if account_id is None:
        return TalkIdentity(None, None)
    persona_id = _int(session.get(SESSION_KEY))
    persona = None
    if persona_id is not None:
        persona = LineUser.objects.filter(
            pk=persona_id, talk_owner__owner_id=account_id
        ).first()
    return TalkIdentity(account_id, persona)


def persona_get(*, talk_account_id: int, persona_id) -> LineUser | None:
    """One of the talk account's own personas, or None."""
    persona_id = _int(persona_id)
    if persona_id is None:
        return None
    return LineUser.objects.filter(
        pk=persona_id, talk_owner__owner_id=talk_account_id
    ).first()


def persona_from_session(session, user=None) -> LineUser | None:
    """The customer this browser acts as, if any (``identity_from_session``)."""
    return identity_from_session(session, user).persona


def persona_list(
    *, talk_account_id: int, query: str = "", limit: int = PERSONA_LIST_LIMIT
):
    """The talk account's own personas, newest first, by name or user ID."""
    qs = LineUser.objects.filter(talk_owner__owner_id=talk_account_id).order_by("-id")
    query = query.strip()
    if query:
        qs = qs.filter(Q(display_name__icontains=query) | Q(user_id=query))
    return qs[:limit]


def talk_account_login(*, login: str, password: str) -> TalkAccount | None:
    """The talk account with this login and password, or None."""
    account = TalkAccount.objects.filter(login=login.strip()).first()
    if account is None or not account.check_password(password):
        return None
    return account


def room_list(*, line_user: LineUser, scope: int | None = None) -> list[Friend]:
    """The customer's talk rooms (friend and blocked), newest activity first.

    Each carries ``last_text``/``last_direction`` of its latest message and
    ``unread``, the account's messages the customer has not opened. One
    query; the correlated subqueries use the ``message_room_latest`` index.
    """
    latest = Message.objects.filter(friend=OuterRef("pk")).order_by("-id")
    unread = (
        Message.objects.filter(
            friend=OuterRef("pk"), direction=Message.Direction.OUTBOUND, read_at=None
        )
        .order_by()
        .values("friend")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        Friend.objects.filter(line_user=line_user)
        .filter(**({"account_id": scope} if scope else {}))
        .select_related("account")
        .annotate(
            last_text=Subquery(latest.values("text")[:1]),
            last_type=Subquery(latest.values("type")[:1]),
            last_direction=Subquery(latest.values("direction")[:1]),
            unread=Subquery(unread),
        )
        .order_by(
            Case(When(status=Friend.Status.FOLLOWING, then=Value(0)), default=1),
            F("last_message_at").desc(nulls_last=True),
            "-id",
        )
    )


def room_get(
    *, line_user: LineUser, friend_id: int, scope: int | None = None
) -> Friend:
    """The customer's talk room ``friend_id`` with its account.

    Raises ``NotFound`` for another customer's room, a missing one, or one
    outside a rehearsal's ``scope`` (an account id).
    """
    qs = Friend.objects.select_related("account").filter(line_user=line_user)
    if scope:
        qs = qs.filter(account_id=scope)
    return get_or_not_found(qs, pk=friend_id)


def room_messages(
    *,
    friend: Friend,
    before: int | None = None,
    after: int | None = None,
    limit: int = ROOM_PAGE_SIZE,
) -> list[Message]:
    """Messages of one room in display order (oldest first).

    Without ``after``: the latest ``limit`` messages (older than ``before``
    when given). With ``after``: the first ``limit`` messages newer than it.
    """
    qs = Message.objects.filter(friend=friend)
    if after is not None:
        rows = list(qs.filter(pk__gt=after).order_by("id")[:limit])
    else:
        if before is not None:
            qs = qs.filter(pk__lt=before)
        rows = list(reversed(qs.order_by("-id")[:limit]))
    # ``row.quoted``: the message a bot's or staff's message quotes
    return quotes_attach(friend_id=friend.pk, rows=rows)


def room_read_up_to(*, friend: Friend) -> int | None:
    """The newest customer message staff or a bot have read (for 既読)."""
    return (
        Message.objects.filter(
            friend=friend, direction=Message.Direction.INBOUND, read_at__isnull=False
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


def account_get_public(*, basic_id: str) -> OfficialAccount | None:
    """The account an add-friend link names, by basic or premium ID.

    Suspended accounts are returned too, so the page can say so.
    """
    basic_id = basic_id.lower()
    if not basic_id.startswith("@"):
        basic_id = "@" + basic_id
    return (
        OfficialAccount.objects.filter(Q(basic_id=basic_id) | Q(premium_id=basic_id))
        .order_by("id")
        .first()
    )


def friend_get_for(*, line_user: LineUser, account: OfficialAccount) -> Friend | None:
    """The customer's relation to ``account``, if they ever added it."""
    return Friend.objects.filter(line_user=line_user, account=account).first()


def friend_source_get(*, account: OfficialAccount, code: str) -> FriendSource | None:
    """The acquisition source ``code`` of ``account``; others' codes are ignored."""
    if not code:
        return None
    return FriendSource.objects.filter(account=account, code=code).first()


def rehearsal_friend(*, user, friend_id: int) -> Friend | None:
    """The friend a staff member may rehearse as: one of an account they
    are a member of."""
    return (
        Friend.objects.filter(pk=friend_id, account__memberships__user=user)
        .select_related("line_user")
        .first()
    )
