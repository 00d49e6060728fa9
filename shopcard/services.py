"""Writes on shop cards: card settings, point QR codes, the point ledger,
reward tickets and the expiry reminders (docs/shopcard.md).

Every change of a friend's points goes through ``_points_apply`` with the
friend's ``PointCard`` row locked: one ledger line (``PointEntry``) per
change, the balance updated in the same transaction, so the balance is
always the sum of the ledger since the card's last reset.
"""

import calendar
import contextlib
import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError
from core.images import PICTURE, image_check, image_preview
from messaging.automation.models import StepSequence
from messaging.automation.services import step_sequences_start
from messaging.friends.models import Friend
from messaging.friends.services import AccountUnavailable
from messaging.store.models import Message
from messaging.store.services import messages_send
from shopcard.models import (
    GOAL_MAX,
    GOAL_MIN,
    CardReward,
    PointCard,
    PointCode,
    PointEntry,
    RewardTicket,
    ShopCard,
)

MAX_CARDS = 5  # ranks per account
MAX_REWARDS = 10  # per card
MAX_VALIDITY_MONTHS = 36
MAX_TICKET_DAYS = 365
MAX_WELCOME = GOAL_MAX
MAX_SCAN_HOURS = 72
MAX_CODE_POINTS = GOAL_MAX
MAX_CODE_DAYS = 366
MAX_STAFF_POINTS = 100
REASON_MAX = 200
BACKGROUND_SIDE = 1040
# Reminders go this long before points or tickets expire.
POINTS_REMIND_BEFORE = dt.timedelta(days=7)
TICKETS_REMIND_BEFORE = dt.timedelta(days=3)
REMINDER_BATCH = 200
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _bad(message: str, field_name: str | None = None) -> ApplicationError:
    return ApplicationError(message, {field_name: message} if field_name else None)


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """``when`` plus whole calendar months (the day clamped to the month)."""
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


# Card settings ------------------------------------------------------------


def _int(data: dict, key: str, lo: int, hi: int, message: str) -> int:
    try:
        value = int(data.get(key))
    except (TypeError, ValueError):
        raise _bad(message, key) from None
    if not lo <= value <= hi:
        raise _bad(message, key)
    return value


def _clean_rewards(raw, goal: int) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise _bad(_("Give the reward at the goal."), "rewards")
    if len(raw) > MAX_REWARDS:
        raise _bad(
            _("A card has at most %(n)d rewards.") % {"n": MAX_REWARDS}, "rewards"
        )
    out, seen = [], set()
    for item in raw:
        if not isinstance(item, dict):
            raise _bad(_("A reward could not be read."), "rewards")
        msg = _("Each reward needs points between 1 and the goal.")
        points = _int(item, "points", 1, goal, msg)
        if points in seen:
            raise _bad(_("Two rewards are at the same points."), "rewards")
        seen.add(points)
        title = str(item.get("title") or "").strip()
        if not title or len(title) > 60:
            raise _bad(_("Give each reward a title of at most 60 characters."))
        days = _int(
            item,
            "validity_days",
            1,
            MAX_TICKET_DAYS,
            _("A ticket is valid for 1 to %(n)d days.") % {"n": MAX_TICKET_DAYS},
        )
        out.append({"points": points, "title": title, "validity_days": days})
    if goal not in seen:
        raise _bad(_("Give the reward at the goal."), "rewards")
    return sorted(out, key=lambda r: r["points"])


def _clean_card(data: dict) -> dict:
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 40:
        raise _bad(_("Give the card a name of at most 40 characters."), "name")
    goal = _int(
        data,
        "goal",
        GOAL_MIN,
        GOAL_MAX,
        _("The goal is %(lo)d to %(hi)d points.") % {"lo": GOAL_MIN, "hi": GOAL_MAX},
    )
    basis = data.get("validity_basis")
    if basis not in ShopCard.ValidityBasis.values:
        raise _bad(_("Choose how validity is counted."), "validity_basis")
    limit = data.get("scan_limit")
    if limit not in ShopCard.ScanLimit.values:
        raise _bad(_("Choose a scan limit."), "scan_limit")
    out = {
        "name": name,
        "goal": goal,
        "rank_up": bool(data.get("rank_up")),
        "validity_basis": basis,
        "validity_months": _int(
            data,
            "validity_months",
            0,
            MAX_VALIDITY_MONTHS,
            _("Validity is 0 to %(n)d months.") % {"n": MAX_VALIDITY_MONTHS},
        ),
        "welcome_points": _int(
            data,
            "welcome_points",
            0,
            goal - 1,
            _("The welcome bonus is 0 to %(n)d points (below the goal).")
            % {"n": goal - 1},
        ),
        "scan_limit": limit,
        "scan_limit_hours": _int(
            data,
            "scan_limit_hours",
            1,
            MAX_SCAN_HOURS,
            _("Hours between scans are 1 to %(n)d.") % {"n": MAX_SCAN_HOURS},
        )
        if limit == ShopCard.ScanLimit.HOURS
        else 1,
    }
    for key in ("color", "stamp_color"):
        value = str(data.get(key) or "")
        if not _COLOR.fullmatch(value):
            raise _bad(_("Choose a colour like #06c755."), key)
        out[key] = value.lower()
    return out


# What may change once a card is published: its look and name.
PUBLISHED_EDITABLE = ("name", "color", "stamp_color")


@transaction.atomic
def card_save(
    *,
    account: OfficialAccount,
    actor: User,
    data: dict,
    rewards: list[dict] | None,
    background=None,
    card: ShopCard | None = None,
) -> ShopCard:
    """Create a card (the next rank) or change one.

    ``data`` holds the form's fields (see ``_clean_card``), ``rewards`` a
    list of ``{"points", "title", "validity_days"}`` including one at the
    goal. A published card keeps its points, rewards and validity (LINE
    fixes them): only ``PUBLISHED_EDITABLE`` and the background change.
    ``background`` is a JPEG/PNG upload of at most 3 MB, stored resized.
    Raises ``ApplicationError`` (with the field) and writes nothing.
    """
    cleaned = _clean_card(data)
    if card is not None and card.account_id != account.pk:
        raise _bad(_("This card does not exist."))
    if card is None or not card.is_published:
        reward_rows = _clean_rewards(rewards, cleaned["goal"])
    else:
        reward_rows = None
        cleaned = {k: cleaned[k] for k in PUBLISHED_EDITABLE}
    picture = None
    if background:
        checked = image_check(background, use=PICTURE)
        picture = image_preview(
            checked, side=BACKGROUND_SIDE, name=f"card-{secrets.token_hex(6)}"
        )
    if card is None:
        if ShopCard.objects.filter(account=account).count() >= MAX_CARDS:
            raise _bad(_("An account has at most %(n)d cards.") % {"n": MAX_CARDS})
        last = ShopCard.objects.filter(account=account).order_by("-rank").first()
        card = ShopCard(account=account, rank=(last.rank + 1) if last else 1)
    for key, value in cleaned.items():
        setattr(card, key, value)
    if picture is not None:
        card.background = picture
    card.save()
    if reward_rows is not None:
        CardReward.objects.filter(card=card).delete()
        CardReward.objects.bulk_create(
            [CardReward(card=card, **row) for row in reward_rows]
        )
    audit_record(
        account=account,
        actor=actor,
        action="shopcard.save",
        target=card.name,
        data={"card_id": card.pk, "rank": card.rank},
    )
    return card


@transaction.atomic
def card_publish(*, card: ShopCard, actor: User) -> ShopCard:
    """Publish a draft card; from then on its points and validity are fixed.

    Rank N+1 may be published only after rank N. Idempotent.
    """
    card = ShopCard.objects.select_for_update().get(pk=card.pk)
    if card.is_published:
        return card
    if (
        card.rank > 1
        and not ShopCard.objects.filter(
            account_id=card.account_id,
            rank=card.rank - 1,
            status=ShopCard.Status.PUBLISHED,
        ).exists()
    ):
        raise _bad(_("Publish the card of the rank before this one first."))
    card.status = ShopCard.Status.PUBLISHED
    card.published_at = timezone.now()
    card.save(update_fields=["status", "published_at"])
    audit_record(
        account=card.account,
        actor=actor,
        action="shopcard.publish",
        target=card.name,
        data={"card_id": card.pk},
    )
    return card


# Point QR codes -------------------------------------------------------------


@transaction.atomic
def point_codes_create(
    *,
    account: OfficialAccount,
    actor: User,
    points: int,
    single_use: bool,
    valid_days: int,
    count: int = 1,
    label: str = "",
) -> list[PointCode]:
    """``count`` (1–50) point QR codes worth ``points`` each, valid for
    ``valid_days`` days from now. Raises ``ApplicationError``."""
    data = {"points": points, "valid_days": valid_days, "count": count}
    points = _int(
        data,
        "points",
        1,
        MAX_CODE_POINTS,
        _("A code is worth 1 to %(n)d points.") % {"n": MAX_CODE_POINTS},
    )
    days = _int(
        data,
        "valid_days",
        1,
        MAX_CODE_DAYS,
        _("A code is valid for 1 to %(n)d days.") % {"n": MAX_CODE_DAYS},
    )
    count = _int(data, "count", 1, 50, _("Make 1 to 50 codes at once."))
    label = (label or "").strip()
    if len(label) > 60:
        raise _bad(_("The label has at most 60 characters."), "label")
    expires = timezone.now() + dt.timedelta(days=days)
    codes = PointCode.objects.bulk_create(
        [
            PointCode(
                account=account,
                token=secrets.token_urlsafe(16),
                label=label,
                points=points,
                single_use=single_use,
                expires_at=expires,
                created_by=actor,
            )
            for _i in range(count)
        ]
    )
    audit_record(
        account=account,
        actor=actor,
        action="shopcard.codes_create",
        target=label,
        data={"count": count, "points": points, "single_use": single_use},
    )
    return codes


# The point ledger -------------------------------------------------------------


@dataclass
class GrantResult:
    point_card: PointCard
    granted: int
    tickets: list[RewardTicket] = field(default_factory=list)
    completed: int = 0


def _entry_card(account_id: int) -> ShopCard:
    card = (
        ShopCard.objects.filter(account_id=account_id, status=ShopCard.Status.PUBLISHED)
        .order_by("rank")
        .first()
    )
    if card is None:
        raise _bad(_("This account has no shop card."))
    return card


def _check_friend(friend: Friend) -> None:
    if friend.account.is_suspended:
        raise AccountUnavailable(_("This account is not available."))
    if friend.status != Friend.Status.FOLLOWING:
        raise _bad(_("Add this account as a friend to collect points."))


def _locked_card(friend: Friend) -> PointCard:
    """The friend's card, locked; created (on the rank 1 card) on first use."""
    point_card = (
        PointCard.objects.select_for_update(of=("self",))
        .select_related("card")
        .filter(friend=friend)
        .first()
    )
    if point_card is not None:
        return point_card
    card = _entry_card(friend.account_id)
    PointCard.objects.bulk_create(
        [PointCard(friend=friend, card=card)], ignore_conflicts=True
    )
    point_card = (
        PointCard.objects.select_for_update(of=("self",))
        .select_related("card")
        .get(friend=friend)
    )
    return point_card


def _expires(card: ShopCard, point_card: PointCard):
    if not card.validity_months:
        return None
    base = (
        point_card.first_use_at
        if card.validity_basis == ShopCard.ValidityBasis.FIRST_USE
        else point_card.last_use_at
    )
    return add_months(base, card.validity_months)


def _points_apply(
    point_card: PointCard,
    *,
    delta: int,
    kind: str,
    now,
    reason: str = "",
    code: PointCode | None = None,
    actor: User | None = None,
) -> GrantResult:
    """Add ``delta`` points (or take them back when negative) on the locked
    ``point_card``: ledger lines, milestone tickets, completion and
    rank-up, the balance and validity. Queries: the rewards of the card,
    one ledger insert, the card update (tickets and completion add theirs).
    """
    entries: list[PointEntry] = []
    tickets: list[RewardTicket] = []
    card = point_card.card
    friend_id = point_card.friend_id
    result = GrantResult(point_card=point_card, granted=delta)
    if point_card.expires_at and point_card.expires_at <= now and point_card.points:
        entries.append(
            PointEntry(
                point_card=point_card,
                card=card,
                kind=PointEntry.Kind.EXPIRE,
                delta=-point_card.points,
                balance=0,
                created_at=now,
            )
        )
        point_card.points = 0
    if delta < 0:
        if point_card.points + delta < 0:
            raise _bad(
                _("Only %(n)d points are on the card.") % {"n": point_card.points},
                "points",
            )
        point_card.points += delta
        entries.append(
            PointEntry(
                point_card=point_card,
                card=card,
                kind=kind,
                delta=delta,
                balance=point_card.points,
                reason=reason,
                actor=actor,
                created_at=now,
            )
        )
    else:
        if point_card.first_use_at is None or (
            point_card.expires_at and point_card.expires_at <= now
        ):
            point_card.first_use_at = now
        before = point_card.points
        point_card.points += delta
        entries.append(
            PointEntry(
                point_card=point_card,
                card=card,
                kind=kind,
                delta=delta,
                balance=point_card.points,
                reason=reason,
                code=code,
                actor=actor,
                created_at=now,
            )
        )
        rewards = list(CardReward.objects.filter(card=card))
        while True:
            reached = min(point_card.points, card.goal)
            tickets += [
                RewardTicket(
                    friend_id=friend_id,
                    reward=r,
                    title=r.title,
                    issued_at=now,
                    expires_at=now + dt.timedelta(days=r.validity_days),
                )
                for r in rewards
                if before < r.points <= reached
            ]
            if point_card.points < card.goal:
                break
            # Completed: the goal's points leave the card; the rest go on
            # to the next card (the next rank, or this card again).
            point_card.points -= card.goal
            point_card.completed_count += 1
            result.completed += 1
            entries.append(
                PointEntry(
                    point_card=point_card,
                    card=card,
                    kind=PointEntry.Kind.COMPLETE,
                    delta=-card.goal,
                    balance=point_card.points,
                    created_at=now,
                )
            )
            if card.rank_up:
                following = (
                    ShopCard.objects.filter(
                        account_id=card.account_id,
                        rank=card.rank + 1,
                        status=ShopCard.Status.PUBLISHED,
                    ).first()
                    or card
                )
                if following != card:
                    card = following
                    rewards = list(CardReward.objects.filter(card=card))
            point_card.card = card
            point_card.first_use_at = now
            before = 0
        point_card.last_use_at = now
        point_card.expires_at = _expires(card, point_card)
        point_card.reminded_at = None
    PointEntry.objects.bulk_create(entries)
    point_card.save()
    if tickets:
        RewardTicket.objects.bulk_create(tickets)
    result.tickets = tickets
    if result.completed:
        step_sequences_start(
            friend=point_card.friend, trigger=StepSequence.Trigger.CARD_COMPLETED
        )
    return result


def _welcome(point_card: PointCard, now) -> GrantResult | None:
    if point_card.first_use_at or point_card.completed_count:
        return None
    welcome = point_card.card.welcome_points
    if not welcome or PointEntry.objects.filter(point_card=point_card).exists():
        return None
    return _points_apply(
        point_card, delta=welcome, kind=PointEntry.Kind.WELCOME, now=now
    )


@transaction.atomic
def point_card_get_or_create(*, friend: Friend) -> PointCard:
    """The customer takes the account's card (and its welcome bonus)."""
    _check_friend(friend)
    now = timezone.now()
    point_card = _locked_card(friend)
    _welcome(point_card, now)
    return point_card


def _scan_refusal(card: ShopCard, last, now) -> str | None:
    if last is None or card.scan_limit == ShopCard.ScanLimit.NONE:
        return None
    if card.scan_limit == ShopCard.ScanLimit.DAILY:
        if timezone.localdate(last) == timezone.localdate(now):
            return _("You already got points today. Come back tomorrow.")
        return None
    wait = last + dt.timedelta(hours=card.scan_limit_hours) - now
    if wait > dt.timedelta(0):
        minutes = int(wait.total_seconds() // 60) + 1
        return _(
            "You already got points. You can get points again in %(m)d minutes."
        ) % {"m": minutes}
    return None


def point_code_find(token: str) -> PointCode | None:
    return PointCode.objects.select_related("account").filter(token=token[:32]).first()


@transaction.atomic
def points_scan(*, friend: Friend, code: PointCode) -> GrantResult:
    """The customer scanned point QR ``code`` (a ``point_code_find`` row).

    Refused with ``ApplicationError`` and nothing written when the code is
    another account's, expired or used up, or when the card's scan limit
    has not passed since the last scan. The friend's card row is locked
    first, so two scans at once are counted one after the other.
    """
    now = timezone.now()
    if code.account_id != friend.account_id:
        raise _bad(_("This point code is from another account."))
    if code.expires_at <= now:
        raise _bad(_("This point code has expired."))
    _check_friend(friend)
    point_card = _locked_card(friend)
    refusal = _scan_refusal(point_card.card, point_card.last_scan_at, now)
    if refusal:
        raise _bad(refusal)
    if code.single_use:
        taken = PointCode.objects.filter(pk=code.pk, used_at__isnull=True).update(
            used_at=now
        )
        if not taken:
            raise _bad(_("This point code has already been used."))
    _welcome(point_card, now)
    point_card.last_scan_at = now
    return _points_apply(
        point_card, delta=code.points, kind=PointEntry.Kind.SCAN, now=now, code=code
    )


def _staff_points(raw) -> int:
    return _int(
        {"points": raw},
        "points",
        1,
        MAX_STAFF_POINTS,
        _("Enter 1 to %(n)d points.") % {"n": MAX_STAFF_POINTS},
    )


def _reason(raw: str) -> str:
    reason = (raw or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise _bad(
            _("Give a reason of at most %(n)d characters.") % {"n": REASON_MAX},
            "reason",
        )
    return reason


@transaction.atomic
def points_staff_change(
    *, friend: Friend, actor: User, points, reason: str, revoke: bool = False
) -> GrantResult:
    """Staff give (or take back, ``revoke``) points with a reason.

    Taking back more than the card holds is refused. Tickets already
    issued stay. Raises ``ApplicationError`` and writes nothing.
    """
    points = _staff_points(points)
    reason = _reason(reason)
    now = timezone.now()
    if revoke:
        point_card = (
            PointCard.objects.select_for_update(of=("self",))
            .select_related("card")
            .filter(friend=friend)
            .first()
        )
        if point_card is None:
            raise _bad(_("Only 0 points are on the card."), "points")
    else:
        _check_friend(friend)
        point_card = _locked_card(friend)
    result = _points_apply(
        point_card,
        delta=-points if revoke else points,
        kind=PointEntry.Kind.REVOKE if revoke else PointEntry.Kind.STAFF,
        now=now,
        reason=reason,
        actor=actor,
    )
    audit_record(
        account=friend.account,
        actor=actor,
        action="shopcard.points_revoke" if revoke else "shopcard.points_grant",
        target=str(friend.pk),
        target_label=friend.line_user.display_name,
        data={"points": points, "reason": reason},
    )
    return result


# Reward tickets ---------------------------------------------------------------


@transaction.atomic
def ticket_use(*, friend: Friend, ticket_id: int) -> RewardTicket:
    """Staff confirmed the use of the friend's ticket on the customer's
    screen. One conditional UPDATE: of two devices confirming at once,
    exactly one succeeds; the other is told the ticket was used."""
    now = timezone.now()
    used = RewardTicket.objects.filter(
        pk=ticket_id,
        friend=friend,
        status=RewardTicket.Status.ISSUED,
        expires_at__gt=now,
    ).update(status=RewardTicket.Status.USED, used_at=now)
    ticket = RewardTicket.objects.filter(pk=ticket_id, friend=friend).first()
    if ticket is None:
        raise _bad(_("This ticket does not exist."))
    if not used:
        if ticket.status == RewardTicket.Status.USED:
            raise _bad(_("This ticket has already been used."))
        raise _bad(_("This ticket has expired."))
    return ticket


# Reminders and expiry (the beat task) -----------------------------------------


def _notice(friend: Friend, text: str) -> None:
    """A notice from the account in the friend's room, free of quota (as
    LINE's shop card notices)."""
    with contextlib.suppress(AccountUnavailable):
        messages_send(
            account=friend.account,
            friends=[friend],
            messages=[{"type": "text", "text": text}],
            source=Message.Source.SHOPCARD,
        )


def _date(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d")


@transaction.atomic
def _points_batch(now) -> int:
    """Remind of points about to expire; expire those past their date."""
    rows = list(
        PointCard.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(points__gt=0)
        .filter(
            Q(expires_at__lte=now)
            | Q(reminded_at__isnull=True, expires_at__lte=now + POINTS_REMIND_BEFORE)
        )
        .select_related("card", "friend__account", "friend__line_user")
        .order_by("expires_at")[:REMINDER_BATCH]
    )
    expired = []
    for pc in rows:
        reminded, pc.reminded_at = pc.reminded_at, now
        if pc.expires_at <= now:
            expired.append(
                PointEntry(
                    point_card=pc,
                    card=pc.card,
                    kind=PointEntry.Kind.EXPIRE,
                    delta=-pc.points,
                    balance=0,
                    created_at=now,
                )
            )
            pc.points = 0
            continue
        if reminded is None and pc.friend.status == Friend.Status.FOLLOWING:
            _notice(
                pc.friend,
                _("%(n)d points on your %(card)s expire on %(date)s.")
                % {"n": pc.points, "card": pc.card.name, "date": _date(pc.expires_at)},
            )
    PointEntry.objects.bulk_create(expired)
    PointCard.objects.bulk_update(rows, ["points", "reminded_at"])
    return len(rows)


@transaction.atomic
def _tickets_batch(now) -> int:
    rows = list(
        RewardTicket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=RewardTicket.Status.ISSUED,
            reminded_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + TICKETS_REMIND_BEFORE,
        )
        .select_related("friend__account", "friend__line_user")
        .order_by("expires_at")[:REMINDER_BATCH]
    )
    for ticket in rows:
        ticket.reminded_at = now
        if ticket.friend.status == Friend.Status.FOLLOWING:
            _notice(
                ticket.friend,
                _("Your ticket “%(title)s” expires on %(date)s.")
                % {"title": ticket.title, "date": _date(ticket.expires_at)},
            )
    RewardTicket.objects.bulk_update(rows, ["reminded_at"])
    return len(rows)


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """The beat task: reminders for points and tickets about to expire,
    and expired points taken off their cards. Each row is handled once
    (``reminded_at``, set in the batch that sends); returns rows handled."""
    now = now or timezone.now()
    handled = 0
    while count := _points_batch(now):
        handled += count
    while count := _tickets_batch(now):
        handled += count
    return handled


def point_code_url(code: PointCode) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("talk:points", kwargs={"token": code.token})
