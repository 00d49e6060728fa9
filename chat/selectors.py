"""Account-scoped reads of the chat inbox.

Every function takes the tenant (``account``) explicitly; a conversation
of another account raises the same ``NotFound`` as a missing one.
"""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, OfficialAccount, User
from chat.hours import off_hours_period_start
from chat.models import BusinessHours, CannedReply, ChatSettings, Conversation
from core.exceptions import NotFound
from core.selectors import get_or_not_found
from messaging.automation.models import Greeting
from messaging.friends.models import Friend, Tag
from messaging.store.models import Message
from messaging.webhooks.models import WebhookEndpoint

# One page of the inbox list: rows, their latest message and their tags
# cost three queries whatever the size; 50 rows keep the page light.
INBOX_PAGE_SIZE = 50
# Messages the conversation pane shows at once; older ones are paged.
MESSAGE_PAGE_SIZE = 30
# A poll after a long disconnection returns at most this many messages.
MESSAGE_CATCH_UP_LIMIT = 100
# LINE: a customer who is not (or no longer) a friend can be answered
# within 7 days of their last message.
NON_FRIEND_REPLY_WINDOW = dt.timedelta(days=7)
# Message types whose stored text is a placeholder ("[Image]"), not content.
_NOT_SEARCHABLE = ("sticker", "image", "video", "audio")
# Search: up to this many matching messages become an id set; beyond, the
# inbox is walked in order instead (see _search). The crossover where both
# cost about the same at 1M messages, measured with bench/chat.py.
SEARCH_SPARSE_MATCHES = 5000
# Conversations tested per query when a dense search walks the inbox.
SEARCH_WALK_CHUNK = 200


class InboxView(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"


class InboxStatus(StrEnum):
    NEEDS_ACTION = "needs_action"
    SNOOZED = "snoozed"
    DONE = "done"
    ANY = "any"


def conversation_get(*, account: OfficialAccount, conversation_id) -> Conversation:
    """The account's conversation with its friend, profile and assignee.

    Raises ``NotFound`` for another account's id, a missing one or an id
    that is not a number.
    """
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    return get_or_not_found(
        Conversation.objects.filter(account=account).select_related(
            "friend", "friend__line_user", "assignee"
        ),
        pk=conversation_id,
    )


class Bigrams(Func):
    """``chat_bigrams(expr)``: the distinct character pairs of upper(expr).

    The SQL function and the GIN indexes over it are created by
    chat/migrations/0002_search.py (PostgreSQL only).
    """

    function = "chat_bigrams"
    output_field = ArrayField(TextField())


def _contains(qs: QuerySet, field: str, q: str) -> QuerySet:
    """``qs`` rows whose ``field`` contains ``q`` (any case).

    On PostgreSQL a query of two characters or more first goes through the
    bigram index (every bigram of ``q`` must be in the row), then ``LIKE``
    keeps only true substrings.
    """
    qs = qs.filter(**{f"{field}__icontains": q})
    if len(q) >= 2 and connection.vendor == "postgresql":
        qs = qs.alias(_bigrams=Bigrams(field)).filter(
            _bigrams__contains=Bigrams(Value(q))
        )
    return qs


@dataclass(frozen=True)
class _Search:
    """How to find the conversations matching a search (see ``_search``).

    ``ids`` are friends matched through sources with few matches; each
    ``dense_*`` source had too many matches to list and is tested per
    conversation instead.
    """

    account: OfficialAccount
    q: str
    ids: frozenset[int]
    dense_names: bool = False
    dense_tags: bool = False
    dense_text: bool = False

    @property
    def walks(self) -> bool:
        return self.dense_names or self.dense_tags or self.dense_text

    def _names(self) -> QuerySet:
        return _contains(
            Friend.objects.filter(account=self.account),
            "line_user__display_name",
            self.q,
        )

    def _tags(self) -> QuerySet:
        return Friend.tags.through.objects.filter(
            tag__account=self.account, tag__name__icontains=self.q
        )

    def _texts(self) -> QuerySet:
        return Message.objects.filter(account=self.account).exclude(
            type__in=_NOT_SEARCHABLE
        )

    def condition(self) -> Q:
        """The search as one SQL condition on conversations."""
        found = Q(friend_id__in=sorted(self.ids)) if self.ids else Q(pk__in=[])
        if self.dense_names:
            found |= Q(friend_id__in=self._names().values("pk"))
        if self.dense_tags:
            found |= Q(friend_id__in=self._tags().values("friend_id"))
        if self.dense_text:
            # A range instead of "=", and inside an OR: PostgreSQL then
            # keeps the EXISTS a per-row test on message_room_latest
            # instead of hashing or joining it (computing every match).
            found |= Q(pk__lt=0) | Q(
                Exists(
                    self._texts().filter(
                        friend_id__gte=OuterRef("friend_id"),
                        friend_id__lte=OuterRef("friend_id"),
                        text__icontains=self.q,
                    )
                )
            )
        return found

    def matching(self, friend_ids: list[int]) -> set[int]:
        """Which of ``friend_ids`` match: one query per dense source."""
        found = set(self.ids.intersection(friend_ids))
        if self.dense_names:
            found.update(
                self._names().filter(pk__in=friend_ids).values_list("pk", flat=True)
            )
        if self.dense_tags:
            found.update(
                self._tags()
                .filter(friend_id__in=friend_ids)
                .values_list("friend_id", flat=True)
            )
        if self.dense_text:
            # No bigram condition here: for 200 rooms the room index is the
            # cheap way in, not the word's long posting list.
            found.update(
                self._texts()
                .filter(friend_id__in=friend_ids, text__icontains=self.q)
                .values_list("friend_id", flat=True)
                .distinct()
            )
        return found


def _search(account: OfficialAccount, q: str) -> _Search:
    """Plan a search of customer names, tags and message text for ``q``.

    Each source is probed through its index for at most
    ``SEARCH_SPARSE_MATCHES`` + 1 rows (three small queries). A source with
    no more matches than that contributes an exact id set, and the inbox
    then reads only those conversations. A denser source (a word found in
    thousands of messages) would make its id set expensive, but then
    matches are everywhere: ``inbox_page`` walks the inbox in its own order
    instead, testing a chunk of conversations at a time until the page is
    full. One-character queries match names and tags only (no index can
    narrow them down).
    """
    plan = _Search(account=account, q=q, ids=frozenset())
    ids: set[int] = set()
    dense: dict[str, bool] = {}
    sources = {
        "dense_names": plan._names().values_list("pk", flat=True),
        "dense_tags": plan._tags().values_list("friend_id", flat=True),
    }
    if len(q) >= 2:
        sources["dense_text"] = _contains(plan._texts(), "text", q).values_list(
            "friend_id", flat=True
        )
    for flag, source in sources.items():
        probe = list(source[: SEARCH_SPARSE_MATCHES + 1])
        if len(probe) > SEARCH_SPARSE_MATCHES:
            dense[flag] = True
        else:
            ids.update(probe)
    return _Search(account=account, q=q, ids=frozenset(ids), **dense)


def inbox_list(
    *,
    account: OfficialAccount,
    user: User,
    view: str = InboxView.ALL,
    status: str = InboxStatus.NEEDS_ACTION,
    tag_id: int | None = None,
    unread: bool = False,
    q: str = "",
    include_blocked: bool = False,
) -> QuerySet:
    """The account's conversations matching the filters, latest first.

    ``view`` is mine / unassigned / all; ``status`` one of ``InboxStatus``;
    ``q`` searches customer names, tags and message text (``_search``).
    Customers who blocked the account are left out unless
    ``include_blocked`` (LINE hides them too).
    """
    qs = _filtered(
        account=account,
        user=user,
        view=view,
        status=status,
        tag_id=tag_id,
        unread=unread,
        include_blocked=include_blocked,
    )
    q = q.strip()
    if q:
        qs = qs.filter(_search(account, q).condition())
    return qs


def _filtered(
    *,
    account: OfficialAccount,
    user: User,
    view: str,
    status: str,
    tag_id: int | None,
    unread: bool,
    include_blocked: bool,
) -> QuerySet:
    """``inbox_list`` without the search."""
    qs = Conversation.objects.filter(account=account)
    if view == InboxView.MINE:
        qs = qs.filter(assignee=user)
    elif view == InboxView.UNASSIGNED:
        qs = qs.filter(assignee=None)
    if status != InboxStatus.ANY:
        qs = qs.filter(status=status)
    if tag_id is not None:
        qs = qs.filter(
            friend_id__in=Friend.tags.through.objects.filter(
                tag_id=tag_id, tag__account=account
            ).values("friend_id")
        )
    if unread:
        qs = qs.filter(unread_count__gt=0)
    if not include_blocked:
        qs = qs.filter(friend__status=Friend.Status.FOLLOWING)
    return qs.order_by("-last_message_at", "-id")


@dataclass(frozen=True)
class InboxPage:
    conversations: list[Conversation]
    # Pass as ``cursor`` for the next (older) page; None on the last page.
    next_cursor: str | None


def _cursor_encode(conversation: Conversation) -> str:
    micros = int(conversation.last_message_at.timestamp() * 1_000_000)
    return f"{micros}.{conversation.pk}"


def _after(when: dt.datetime, pk: int) -> Q:
    """Rows after (older than) ``(when, pk)`` in inbox order."""
    return Q(last_message_at__lt=when) | Q(last_message_at=when, pk__lt=pk)


def _cursor_q(cursor: str) -> Q:
    try:
        micros, pk = (int(part) for part in cursor.split(".", 1))
        when = dt.datetime.fromtimestamp(micros / 1_000_000, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise NotFound() from None
    return _after(when, pk)


def _walk(qs: QuerySet, search: _Search, want: int) -> list[int]:
    """The first ``want`` conversations of ``qs`` (in order) that match.

    Reads ``SEARCH_WALK_CHUNK`` conversations at a time by keyset and asks
    which of their friends match; used when a source is too dense to list.
    """
    found: list[int] = []
    rows = qs.values_list("pk", "friend_id", "last_message_at")
    chunk_qs = rows
    while len(found) < want:
        chunk = list(chunk_qs[:SEARCH_WALK_CHUNK])
        if not chunk:
            break
        matching = search.matching([friend_id for _pk, friend_id, _when in chunk])
        found += [pk for pk, friend_id, _when in chunk if friend_id in matching]
        if len(chunk) < SEARCH_WALK_CHUNK:
            break
        last_pk, _friend, last_when = chunk[-1]
        chunk_qs = rows.filter(_after(last_when, last_pk))
    return found[:want]


def inbox_page(
    *,
    account: OfficialAccount,
    user: User,
    cursor: str | None = None,
    size: int = INBOX_PAGE_SIZE,
    q: str = "",
    **filters,
) -> InboxPage:
    """One page of ``inbox_list`` by keyset (last activity, id).

    Each conversation carries its friend and profile, its assignee,
    ``last_text``/``last_type``/``last_direction`` of the room's latest
    message and ``friend.tags`` prefetched: two queries, plus the search's
    probes (three) and, for a dense search, two or three per walked chunk.
    """
    qs = _filtered(
        account=account,
        user=user,
        view=filters.pop("view", InboxView.ALL),
        status=filters.pop("status", InboxStatus.NEEDS_ACTION),
        tag_id=filters.pop("tag_id", None),
        unread=filters.pop("unread", False),
        include_blocked=filters.pop("include_blocked", False),
    )
    if filters:
        raise TypeError(f"unknown inbox filters: {', '.join(filters)}")
    if cursor:
        qs = qs.filter(_cursor_q(cursor))
    q = q.strip()
    if q:
        search = _search(account, q)
        if search.walks:
            qs = qs.filter(pk__in=_walk(qs, search, size + 1))
        elif search.ids:
            qs = qs.filter(friend_id__in=sorted(search.ids))
        else:
            return InboxPage(conversations=[], next_cursor=None)
    latest = Message.objects.filter(friend=OuterRef("friend_id")).order_by("-id")
    qs = (
        qs.select_related("friend", "friend__line_user", "assignee")
        .annotate(
            last_text=Subquery(latest.values("text")[:1]),
            last_type=Subquery(latest.values("type")[:1]),
            last_direction=Subquery(latest.values("direction")[:1]),
            last_source=Subquery(latest.values("source")[:1]),
        )
        .prefetch_related(
            Prefetch("friend__tags", queryset=Tag.objects.order_by("name"))
        )
    )
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return InboxPage(
        conversations=rows,
        next_cursor=_cursor_encode(rows[-1]) if more and rows else None,
    )


def inbox_counts(
    *,
    account: OfficialAccount,
    user: User,
    view: str = InboxView.ALL,
    status: str = InboxStatus.NEEDS_ACTION,
) -> dict[str, int]:
    """The inbox's counters, in one aggregate over the account's conversations.

    ``all``/``mine``/``unassigned``: conversations per view in the selected
    ``status``; ``needs_action``/``snoozed``/``done``/``any``: per status tab
    in the selected ``view``; ``unread``: conversations with unread customer
    messages. So each counter matches the list its chip or tab shows.
    Blocked customers are not counted, as the list hides them; they are
    few, so they are subtracted as a hashed id set rather than joined.
    """
    by_status = {
        InboxStatus.NEEDS_ACTION: Q(status=Conversation.Status.NEEDS_ACTION),
        InboxStatus.SNOOZED: Q(status=Conversation.Status.SNOOZED),
        InboxStatus.DONE: Q(status=Conversation.Status.DONE),
        InboxStatus.ANY: Q(),
    }
    by_view = {
        InboxView.ALL: Q(),
        InboxView.MINE: Q(assignee=user),
        InboxView.UNASSIGNED: Q(assignee=None),
    }
    in_status = by_status.get(status, by_status[InboxStatus.NEEDS_ACTION])
    in_view = by_view.get(view, by_view[InboxView.ALL])
    blocked = Friend.objects.filter(account=account, status=Friend.Status.BLOCKED)
    return (
        Conversation.objects.filter(account=account)
        .exclude(friend_id__in=blocked.values("pk"))
        .aggregate(
            **{str(v): Count("id", filter=in_status & q) for v, q in by_view.items()},
            unread=Count("id", filter=Q(unread_count__gt=0)),
            **{str(st): Count("id", filter=in_view & q) for st, q in by_status.items()},
        )
    )


def unread_conversation_count(*, account: OfficialAccount) -> int:
    """Conversations with customer messages staff have not opened (nav badge)."""
    return Conversation.objects.filter(
        account=account,
        unread_count__gt=0,
        friend__status=Friend.Status.FOLLOWING,
    ).count()


@dataclass(frozen=True)
class MessagePage:
    # Oldest first, as the pane shows them.
    messages: list[Message]
    # Pass as ``before`` for the previous (older) page; None at the start.
    earlier_cursor: int | None


def conversation_messages(
    *,
    conversation: Conversation,
    before: int | None = None,
    size: int = MESSAGE_PAGE_SIZE,
) -> MessagePage:
    """The room's latest messages (older than ``before``), keyset by id.

    The whole history of the talk room is shown, greeting and broadcasts
    included; one query on the ``message_room_latest`` index.
    """
    qs = Message.objects.filter(friend_id=conversation.friend_id).select_related(
        "sent_by"
    )
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    rows.reverse()
    return MessagePage(messages=rows, earlier_cursor=rows[0].pk if more else None)


def conversation_messages_after(
    *, conversation: Conversation, after: int, limit: int = MESSAGE_CATCH_UP_LIMIT
) -> list[Message]:
    """Messages newer than ``after``, oldest first (live updates, polling)."""
    return list(
        Message.objects.filter(friend_id=conversation.friend_id, pk__gt=after)
        .select_related("sent_by")
        .order_by("id")[:limit]
    )


def conversation_seen_up_to(*, conversation: Conversation) -> int | None:
    """The newest account message the customer's talk app has shown."""
    return (
        Message.objects.filter(
            friend_id=conversation.friend_id,
            direction=Message.Direction.OUTBOUND,
            read_at__isnull=False,
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


@dataclass(frozen=True)
class ReplyWindow:
    open: bool
    # Why the send box is closed; empty when it is open.
    reason: str = ""
    # When a non-friend's window closes (None for friends).
    closes_at: dt.datetime | None = None


def reply_window(
    *,
    account: OfficialAccount,
    conversation: Conversation,
    friend: Friend,
    now: dt.datetime | None = None,
) -> ReplyWindow:
    """Whether staff may answer now, and if not, why (for the send box)."""
    now = now or timezone.now()
    if account.is_suspended:
        return ReplyWindow(
            open=False,
            reason=_(
                "This account is suspended by the operator and cannot send messages."
            ),
        )
    if friend.status == Friend.Status.FOLLOWING:
        return ReplyWindow(open=True)
    closes_at = conversation.last_customer_message_at + NON_FRIEND_REPLY_WINDOW
    if now < closes_at:
        return ReplyWindow(open=True, closes_at=closes_at)
    return ReplyWindow(
        open=False,
        reason=_(
            "This customer is no longer a friend of the account. LINE lets you "
            "answer someone who is not a friend only within 7 days of their last "
            "message, and that time has passed."
        ),
        closes_at=closes_at,
    )


def staff_list(*, account: OfficialAccount) -> QuerySet:
    """The account's members, who may be assigned conversations."""
    return (
        Membership.objects.filter(account=account)
        .select_related("user")
        .order_by("user__username")
    )


def canned_reply_list(*, account: OfficialAccount) -> QuerySet:
    return CannedReply.objects.filter(account=account).order_by("title", "id")


def canned_reply_get(*, account: OfficialAccount, reply_id) -> CannedReply:
    """The account's canned reply; ``NotFound`` otherwise."""
    return get_or_not_found(canned_reply_list(account=account), pk=reply_id)


@dataclass(frozen=True)
class ResponseMode:
    """LINE's four response switches (応答設定) of one account."""

    chat: bool
    auto_response: bool
    greeting: bool
    webhook: bool
    webhook_url: str
    greeting_written: bool


def response_mode_get(*, account: OfficialAccount) -> ResponseMode:
    """The account's response switches; three SELECTs, no writes.

    Defaults for a new account: chat on, auto-response on; the greeting
    is on once one is written (the greeting page), the webhook off.
    """
    chat = chat_settings_get(account=account)
    greeting = Greeting.objects.filter(account=account).first()
    endpoint = WebhookEndpoint.objects.filter(account=account).first()
    return ResponseMode(
        chat=chat.chat_enabled,
        auto_response=chat.auto_response_enabled,
        greeting=bool(greeting and greeting.enabled),
        webhook=bool(endpoint and endpoint.active),
        webhook_url=endpoint.url if endpoint else "",
        greeting_written=bool(greeting and greeting.messages),
    )


def chat_enabled(*, account: OfficialAccount) -> bool:
    """Whether chat is on (the inbox shows); one SELECT."""
    return not ChatSettings.objects.filter(account=account, chat_enabled=False).exists()


def chat_settings_get(*, account: OfficialAccount) -> ChatSettings:
    """The account's chat settings; unsaved defaults when never edited."""
    found = ChatSettings.objects.filter(account=account).first()
    return found or ChatSettings(account=account)


def business_hours_list(*, account: OfficialAccount) -> list[tuple[int, int, int]]:
    """``(weekday, opens_minute, closes_minute)`` of the account, in order."""
    return list(
        BusinessHours.objects.filter(account=account)
        .order_by("weekday", "opens_minute")
        .values_list("weekday", "opens_minute", "closes_minute")
    )


@dataclass(frozen=True)
class AwayMessage:
    # Identifies the off-hours period: the moment the account closed.
    period_start: dt.datetime
    text: str


def away_message_due(
    *,
    account: OfficialAccount,
    at: dt.datetime,
    chat_settings: ChatSettings | None = None,
) -> AwayMessage | None:
    """The away message for a customer message at ``at``, if one applies.

    ``None`` when the away message is off, or when chat is on and business
    hours are off or the account is open at ``at``. With chat off it is due
    in the period that began when chat was turned off. ``chat_settings``
    saves the query when the caller has the row already.
    """
    found = chat_settings or ChatSettings.objects.filter(account=account).first()
    if (
        found is None
        or not found.away_message_enabled
        or not found.away_message.strip()
    ):
        return None
    if not found.chat_enabled and found.chat_off_since is not None:
        return AwayMessage(period_start=found.chat_off_since, text=found.away_message)
    if not found.business_hours_enabled:
        return None
    period_start = off_hours_period_start(
        business_hours_list(account=account), tz=account.tz, at=at
    )
    if period_start is None:
        return None
    return AwayMessage(period_start=period_start, text=found.away_message)


def export_messages(
    *,
    account: OfficialAccount,
    start: dt.datetime,
    end: dt.datetime,
    chunk_size: int,
):
    """Chat messages of every conversation from ``start`` to before ``end``.

    Streams with a server-side cursor, oldest first; only rooms that have
    a conversation (a customer wrote at least once) are included.
    """
    return (
        Message.objects.filter(
            account=account,
            created_at__gte=start,
            created_at__lt=end,
            friend__conversation__isnull=False,
        )
        .select_related("friend__line_user", "sent_by")
        .order_by("created_at", "id")
        .iterator(chunk_size=chunk_size)
    )
