"""Writes on automatic replies: the greeting, step sequences and keyword
auto-responses, and the sends they make (all free of quota except step
messages, which LINE counts; spec 5.2).

The customer-side triggers (a friend added, a text received) come from
``chat.inbound``; step messages that are due are sent by the beat task
``messaging.step_messages_send_task`` in batches.
"""

import datetime as dt
import unicodedata

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.quota import (
    quota_consume,
)
from accounts.services import audit_record
from core.exceptions import ApplicationError, NotFound
from core.services import model_update
from messaging.audience.conditions import segment_clean, segment_q
from messaging.automation.models import (
    AutoResponse,
    Greeting,
    Step,
    StepDelivery,
    StepEnrollment,
    StepSequence,
)
from messaging.friends.models import (
    Friend,
)
from messaging.store.bubbles import bubbles_clean
from messaging.store.coupons import coupon_is_open
from messaging.store.models import Message
from messaging.store.services import messages_send
from messaging.store.validators import messages_validate

STEP_MAX = 30
STEP_NAME_MAX = 60
# Enrollments handled per transaction by the beat task; each batch groups
# its friends by step, so the messages of one step go out in one insert.
STEP_BATCH_SIZE = 200
STEP_MAX_DELAY = {"minutes": 60 * 24 * 365, "hours": 24 * 365, "days": 365}


def step_delay(step: Step) -> dt.timedelta:
    return dt.timedelta(**{step.delay_unit: step.delay_value})


COUPON_TRIGGERS = (
    StepSequence.Trigger.COUPON_ACQUIRED,
    StepSequence.Trigger.COUPON_UNUSED,
)
TRIGGER_DAYS_MAX = 365


def _trigger_clean(account, trigger, ref, days) -> tuple[str, str, int | None]:
    if trigger not in StepSequence.Trigger.values:
        raise ApplicationError(_("Choose what starts the sequence."))
    if trigger not in COUPON_TRIGGERS:
        return trigger, "", None
    if not coupon_is_open(account.pk, ref):
        msg = _("Choose a coupon that is running.")
        raise ApplicationError(msg, {"trigger_ref": msg})
    if trigger != StepSequence.Trigger.COUPON_UNUSED:
        return trigger, ref, None
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= TRIGGER_DAYS_MAX:
        msg = _("Enter 1 to %(n)d days.") % {"n": TRIGGER_DAYS_MAX}
        raise ApplicationError(msg, {"trigger_days": msg})
    return trigger, ref, days


@transaction.atomic
def step_sequence_save(
    *,
    account: OfficialAccount,
    actor: User,
    name: str,
    is_active: bool,
    steps: list[dict],
    sequence: StepSequence | None = None,
    trigger: str = StepSequence.Trigger.FRIEND_ADD,
    trigger_ref: str = "",
    trigger_days: int | None = None,
) -> StepSequence:
    """Create or change a sequence and its steps (kept by position).

    Each step is ``{"delay_value", "delay_unit", "messages", "condition"}``;
    the delay counts from the previous step (the first: from the friend
    add). Friends already enrolled continue at their position.
    ``trigger``: a friend add, or a coupon (``trigger_ref``, a running
    coupon's ID) acquired, or still unused ``trigger_days`` (1–365) after
    acquiring it.
    """
    trigger, trigger_ref, trigger_days = _trigger_clean(
        account, trigger, trigger_ref, trigger_days
    )
    name = (name or "").strip()
    if not name or len(name) > STEP_NAME_MAX:
        msg = _("Give the sequence a name of at most %(n)d characters.") % {
            "n": STEP_NAME_MAX
        }
        raise ApplicationError(msg, {"name": msg})
    if not steps:
        raise ApplicationError(_("Add at least one step."))
    if len(steps) > STEP_MAX:
        raise ApplicationError(
            _("A sequence has at most %(n)d steps.") % {"n": STEP_MAX}
        )
    cleaned = []
    for i, raw in enumerate(steps, start=1):
        unit = raw.get("delay_unit")
        try:
            value = int(raw.get("delay_value"))
        except (TypeError, ValueError):
            value = -1
        if unit not in STEP_MAX_DELAY or not 0 <= value <= STEP_MAX_DELAY[unit]:
            raise ApplicationError(
                _("Step %(n)d: enter a delay of up to a year.") % {"n": i}
            )
        try:
            messages = bubbles_clean(account=account, messages=raw.get("messages"))
        except ApplicationError as exc:
            raise ApplicationError(
                _("Step %(n)d: %(error)s") % {"n": i, "error": exc.message}
            ) from None
        condition = raw.get("condition")
        if condition:
            condition = segment_clean(account=account, definition=condition)
        cleaned.append(
            {
                "delay_value": value,
                "delay_unit": unit,
                "messages": messages,
                "condition": condition or None,
            }
        )
    triggered = {
        "trigger": trigger,
        "trigger_ref": trigger_ref,
        "trigger_days": trigger_days,
    }
    if sequence is None:
        sequence = StepSequence.objects.create(
            account=account, name=name, is_active=is_active, **triggered
        )
    else:
        if sequence.account_id != account.pk:
            raise NotFound()
        model_update(
            instance=sequence,
            fields=["name", "is_active", *triggered],
            data={"name": name, "is_active": is_active, **triggered},
        )
    for position, fields in enumerate(cleaned, start=1):
        Step.objects.update_or_create(
            sequence=sequence, position=position, defaults=fields
        )
    Step.objects.filter(sequence=sequence, position__gt=len(cleaned)).delete()
    audit_record(
        account=account,
        actor=actor,
        action="step_sequence.save",
        target=name,
        data={"sequence_id": sequence.pk, "steps": len(cleaned)},
    )
    return sequence


def step_sequences_start_for_friend(*, friend: Friend) -> list[StepEnrollment]:
    """Enroll a new friend in the account's active friend-add sequences.

    Call from the follow flow when a friend is added. Idempotent: a friend
    is enrolled in a sequence once, ever (unique), so calling it again on
    an unblock does nothing.
    """
    return step_sequences_start(friend=friend, trigger=StepSequence.Trigger.FRIEND_ADD)


@transaction.atomic
def step_sequences_start(*, friend: Friend, trigger: str) -> list[StepEnrollment]:
    """Enroll ``friend`` in the account's active sequences of ``trigger``
    (a ``StepSequence.Trigger``; apps above call it for their events, e.g.
    a completed shop card). A friend is enrolled in a sequence once, ever.
    """
    now = timezone.now()
    firsts = {
        s.sequence_id: s
        for s in Step.objects.filter(
            sequence__account_id=friend.account_id,
            sequence__is_active=True,
            sequence__trigger=trigger,
            position=1,
        )
    }
    rows = [
        StepEnrollment(
            sequence_id=sequence_id,
            friend=friend,
            next_position=1,
            next_at=now + step_delay(step),
            started_at=now,
        )
        for sequence_id, step in firsts.items()
    ]
    StepEnrollment.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        StepEnrollment.objects.filter(friend=friend, sequence_id__in=list(firsts))
    )


@transaction.atomic
def step_sequence_enroll(*, sequence: StepSequence, friend_ids: list[int]) -> int:
    """Enroll friends in one sequence (a trigger of an app above fired);
    once per friend, ever (unique). Returns how many were enrolled now."""
    first = Step.objects.filter(sequence=sequence, position=1).first()
    if first is None or not friend_ids:
        return 0
    enrolled = set(
        StepEnrollment.objects.filter(
            sequence=sequence, friend_id__in=friend_ids
        ).values_list("friend_id", flat=True)
    )
    fresh = [f for f in dict.fromkeys(friend_ids) if f not in enrolled]
    now = timezone.now()
    StepEnrollment.objects.bulk_create(
        [
            StepEnrollment(
                sequence=sequence,
                friend_id=friend_id,
                next_position=1,
                next_at=now + step_delay(first),
                started_at=now,
            )
            for friend_id in fresh
        ],
        ignore_conflicts=True,
    )
    return len(fresh)


def steps_send_due(
    *, now: dt.datetime | None = None, batch_size: int = STEP_BATCH_SIZE
) -> int:
    """Send every step that is due (the beat task); returns steps handled.

    Batches lock enrollments with ``SKIP LOCKED`` and advance them in the
    same transaction that records the step (unique per enrollment and
    step), so concurrent or repeated runs never send a step twice. A step
    goes only to friends who follow the account and match its condition;
    the others skip it. Counted against the quota: when the month's quota
    cannot cover a step's recipients, the step is recorded as not sent.
    """
    now = now or timezone.now()
    handled = 0
    # Until nothing is due: a friend several steps behind (beat was down)
    # catches up in one run, one step per pass.
    while count := _steps_batch(now, batch_size):
        handled += count
    return handled


@transaction.atomic
def _steps_batch(now: dt.datetime, batch_size: int) -> int:
    enrollments = list(
        StepEnrollment.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=StepEnrollment.Status.ACTIVE,
            next_at__lte=now,
            sequence__account__is_suspended=False,
        )
        .select_related("friend__line_user", "sequence__account")
        .order_by("next_at", "id")[:batch_size]
    )
    if not enrollments:
        return 0
    steps = {
        (s.sequence_id, s.position): s
        for s in Step.objects.filter(
            sequence_id__in={e.sequence_id for e in enrollments}
        )
    }
    records: list[StepDelivery] = []
    by_step: dict[int, list[StepEnrollment]] = {}
    for e in enrollments:
        step = steps.get((e.sequence_id, e.next_position))
        if step is None:
            continue
        if e.friend.status != Friend.Status.FOLLOWING:
            records.append(
                StepDelivery(
                    enrollment=e, step=step, status=StepDelivery.Status.SKIPPED
                )
            )
        else:
            by_step.setdefault(step.pk, []).append(e)
    by_id = {s.pk: s for s in steps.values()}
    for step_id, group in by_step.items():
        records += _step_send(by_id[step_id], group, now)
    StepDelivery.objects.bulk_create(records, ignore_conflicts=True)
    for e in enrollments:
        following = steps.get((e.sequence_id, e.next_position + 1))
        if following is None:
            e.status = StepEnrollment.Status.COMPLETED
            e.next_at = None
        else:
            e.next_position += 1
            e.next_at = e.next_at + step_delay(following)
    StepEnrollment.objects.bulk_update(
        enrollments, ["status", "next_position", "next_at"]
    )
    return len(enrollments)


def _step_send(step: Step, group: list[StepEnrollment], now) -> list[StepDelivery]:
    account = group[0].sequence.account
    matching = {e.friend_id for e in group}
    if step.condition:
        matching = set(
            Friend.objects.filter(pk__in=matching)
            .filter(segment_q(account=account, definition=step.condition, now=now))
            .values_list("pk", flat=True)
        )
    send = [e for e in group if e.friend_id in matching]
    records = [
        StepDelivery(enrollment=e, step=step, status=StepDelivery.Status.SKIPPED)
        for e in group
        if e.friend_id not in matching
    ]
    if not send:
        return records
    try:
        with transaction.atomic():
            # Friend rows before the usage row, as in the broadcast fan-out.
            rows = messages_send(
                account=account,
                friends=[e.friend for e in send],
                messages=step.messages,
                source=Message.Source.STEP,
            )
            quota_consume(account=account, count=len(send))
    except ApplicationError:
        return records + [
            StepDelivery(enrollment=e, step=step, status=StepDelivery.Status.FAILED)
            for e in send
        ]
    first: dict[int, Message] = {}
    for row in rows:
        first.setdefault(row.friend_id, row)
    return records + [
        StepDelivery(
            enrollment=e,
            step=step,
            status=StepDelivery.Status.SENT,
            message=first[e.friend_id],
        )
        for e in send
    ]


@transaction.atomic
def step_enrollment_stop(
    *, account: OfficialAccount, actor: User, enrollment: StepEnrollment
) -> None:
    """Stop one friend's sequence; nothing more is sent to them."""
    if enrollment.sequence.account_id != account.pk:
        raise NotFound()
    StepEnrollment.objects.filter(
        pk=enrollment.pk, status=StepEnrollment.Status.ACTIVE
    ).update(status=StepEnrollment.Status.STOPPED, stopped_at=timezone.now())
    audit_record(
        account=account,
        actor=actor,
        action="step_sequence.stop_friend",
        target=enrollment.sequence.name,
        data={"friend_id": enrollment.friend_id},
    )


@transaction.atomic
def step_sequence_stop(
    *, account: OfficialAccount, actor: User, sequence: StepSequence
) -> int:
    """Stop a sequence for everyone and stop enrolling new friends."""
    if sequence.account_id != account.pk:
        raise NotFound()
    StepSequence.objects.filter(pk=sequence.pk).update(is_active=False)
    stopped = StepEnrollment.objects.filter(
        sequence=sequence, status=StepEnrollment.Status.ACTIVE
    ).update(status=StepEnrollment.Status.STOPPED, stopped_at=timezone.now())
    audit_record(
        account=account,
        actor=actor,
        action="step_sequence.stop_all",
        target=sequence.name,
        data={"stopped": stopped},
    )
    return stopped


AUTORESPONSE_KEYWORDS_MAX = 20
KEYWORD_MAX = 100


def keyword_normalize(text: str) -> str:
    """Compare keywords the way people type them: NFKC, case-folded.

    Full-width ``ＡＢＣ１`` matches ``abc1``; half-width katakana matches
    full-width.
    """
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


@transaction.atomic
def autoresponse_save(
    *,
    account: OfficialAccount,
    actor: User,
    name: str,
    match: str,
    keywords: list[str],
    messages: list[dict],
    is_active: bool = True,
    active_from: dt.time | None = None,
    active_to: dt.time | None = None,
    position: int = 0,
    rule: AutoResponse | None = None,
) -> AutoResponse:
    """Create or change a keyword rule (or the catch-all).

    Raises ``ApplicationError`` on the failing field: name, match, keywords
    (also when an active rule with an overlapping time window already
    answers one of them, as LINE's Manager refuses), time window, bubbles;
    ``NotFound`` for another account's rule. Returns the saved rule.
    """
    name = (name or "").strip()
    if not name or len(name) > 60:
        msg = _("Give the rule a name of at most %(n)d characters.") % {"n": 60}
        raise ApplicationError(msg, {"name": msg})
    if match not in AutoResponse.Match.values:
        msg = _("Choose how keywords match.")
        raise ApplicationError(msg, {"match": msg})
    words: list[str] = []
    if match != AutoResponse.Match.CATCH_ALL:
        for word in keywords or []:
            word = (word or "").strip()
            if word and word not in words:
                words.append(word)
        if not words:
            msg = _("Add at least one keyword.")
            raise ApplicationError(msg, {"keywords": msg})
        if len(words) > AUTORESPONSE_KEYWORDS_MAX or any(
            len(w) > KEYWORD_MAX for w in words
        ):
            msg = _("Use at most %(n)d keywords of at most %(len)d characters.") % {
                "n": AUTORESPONSE_KEYWORDS_MAX,
                "len": KEYWORD_MAX,
            }
            raise ApplicationError(msg, {"keywords": msg})
    if (active_from is None) != (active_to is None):
        msg = _("Give both ends of the active time window, or neither.")
        raise ApplicationError(msg, {"active_from": msg})
    messages = bubbles_clean(account=account, messages=messages)
    if is_active:
        _autoresponse_conflict_check(
            account=account,
            rule=rule,
            match=match,
            words=words,
            window=(active_from, active_to),
        )
    fields = {
        "name": name,
        "match": match,
        "keywords": words,
        "messages": messages,
        "is_active": is_active,
        "active_from": active_from,
        "active_to": active_to,
        "position": position,
    }
    if rule is None:
        rule = AutoResponse.objects.create(account=account, **fields)
    else:
        if rule.account_id != account.pk:
            raise NotFound()
        model_update(instance=rule, fields=[*fields], data=fields)
    audit_record(
        account=account,
        actor=actor,
        action="auto_response.save",
        target=name,
        data={"rule_id": rule.pk},
    )
    return rule


@transaction.atomic
def autoresponse_delete(
    *, account: OfficialAccount, actor: User, rule: AutoResponse
) -> None:
    if rule.account_id != account.pk:
        raise NotFound()
    name = rule.name
    rule.delete()
    audit_record(
        account=account, actor=actor, action="auto_response.delete", target=name
    )


def _minutes(window: tuple) -> list[tuple[int, int]]:
    """A time window as minute intervals of the day (midnight wraps)."""
    start, end = window
    if start is None or end is None:
        return [(0, 24 * 60)]
    a, b = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    return [(a, b)] if a < b else [(a, 24 * 60), (0, b)]


def _windows_overlap(one: tuple, other: tuple) -> bool:
    return any(a < d and c < b for a, b in _minutes(one) for c, d in _minutes(other))


def _autoresponse_conflict_check(
    *, account: OfficialAccount, rule, match: str, words: list[str], window: tuple
) -> None:
    """Refuse a rule that an active one would always shadow.

    Two active rules answering the same keyword (compared as
    ``keyword_normalize`` does), or two active catch-alls, at overlapping
    times: only the first would ever answer. The account's rules are
    locked first so that two staff saving at once cannot both pass.
    """
    others = (
        AutoResponse.objects.select_for_update()
        .filter(account=account, is_active=True)
        .exclude(pk=getattr(rule, "pk", None))
        .order_by("pk")
    )
    mine = {keyword_normalize(w): w for w in words}
    for other in others:
        if not _windows_overlap(window, (other.active_from, other.active_to)):
            continue
        if match == AutoResponse.Match.CATCH_ALL:
            if other.match == AutoResponse.Match.CATCH_ALL:
                msg = _(
                    "The active rule “%(rule)s” already answers every other "
                    "message at these times."
                ) % {"rule": other.name}
                raise ApplicationError(msg, {"match": msg})
            continue
        for word in other.keywords:
            if keyword_normalize(word) in mine:
                msg = _(
                    "The active rule “%(rule)s” already answers “%(keyword)s” at "
                    "these times. Use another keyword, turn one rule off, or "
                    "give them time windows that do not overlap."
                ) % {"rule": other.name, "keyword": mine[keyword_normalize(word)]}
                raise ApplicationError(msg, {"keywords": msg})


def _in_window(rule: AutoResponse, local: dt.time) -> bool:
    if rule.active_from is None or rule.active_to is None:
        return True
    if rule.active_from <= rule.active_to:
        return rule.active_from <= local < rule.active_to
    return local >= rule.active_from or local < rule.active_to  # wraps midnight


_MATCH_RANK = {
    AutoResponse.Match.EXACT: 0,
    AutoResponse.Match.PARTIAL: 1,
    AutoResponse.Match.CATCH_ALL: 2,
}


def autoresponse_match(
    *, account: OfficialAccount, text: str, now: dt.datetime | None = None
) -> AutoResponse | None:
    """The rule that answers ``text`` now, or None.

    Exact beats partial beats catch-all; within a kind the lowest
    ``position`` (then the oldest rule) wins. Rules outside their daily
    window (account time zone) are ignored.
    """
    local = (now or timezone.now()).astimezone(account.tz).time()
    normalized = keyword_normalize(text)
    best = None
    for rule in AutoResponse.objects.filter(account=account, is_active=True):
        if not _in_window(rule, local):
            continue
        words = [keyword_normalize(w) for w in rule.keywords]
        if rule.match == AutoResponse.Match.EXACT:
            hit = normalized in words
        elif rule.match == AutoResponse.Match.PARTIAL:
            hit = bool(normalized) and any(w and w in normalized for w in words)
        else:
            hit = True
        if not hit:
            continue
        rank = (_MATCH_RANK[rule.match], rule.position, rule.pk)
        if best is None or rank < best[0]:
            best = (rank, rule)
    return best[1] if best else None


@transaction.atomic
def autoresponse_reply(*, friend: Friend, text: str) -> list[Message]:
    """Answer a customer's text with the matching rule's bubbles (free).

    Call from the customer-message flow after the message is stored.
    Returns the messages sent (empty when no rule matches, the friend
    blocked the account or the account is suspended).
    """
    account = friend.account
    if account.is_suspended or friend.status != Friend.Status.FOLLOWING:
        return []
    rule = autoresponse_match(account=account, text=text)
    if rule is None:
        return []
    return messages_send(
        account=account,
        friends=[friend],
        messages=rule.messages,
        source=Message.Source.AUTO_RESPONSE,
    )


GREETING_MAX_BUBBLES = 3


def greeting_send(*, friend: Friend, unblocked: bool) -> list[Message]:
    """Send the account's greeting to a new or unblocking friend.

    Free of quota (spec 5.2). Sent on the first add, and on unblock unless
    the account turned that off. Returns the stored messages (none when
    there is no enabled greeting).
    """
    greeting = Greeting.objects.filter(
        account_id=friend.account_id, enabled=True
    ).first()
    if not greeting or not greeting.messages:
        return []
    if unblocked and not greeting.send_on_unblock:
        return []
    return messages_send(
        account=friend.account,
        friends=[friend],
        messages=greeting.messages,
        source=Message.Source.GREETING,
    )


@transaction.atomic
def greeting_enabled_set(*, account: OfficialAccount, enabled: bool) -> bool:
    """Turn the greeting on or off without touching its bubbles.

    Part of the response mode switches (issue 14, #15); the caller audits.
    Raises ``ApplicationError`` when turning on a greeting that has no
    bubble yet. Returns whether anything changed.
    """
    greeting = Greeting.objects.select_for_update().filter(account=account).first()
    if enabled and (greeting is None or not greeting.messages):
        msg = _("Write the greeting message first, then turn it on.")
        raise ApplicationError(msg, {"greeting": msg})
    if greeting is None or greeting.enabled == enabled:
        return False
    greeting.enabled = enabled
    greeting.save(update_fields=["enabled", "updated_at"])
    return True


def greeting_update(
    *,
    account: OfficialAccount,
    actor: User,
    enabled: bool,
    send_on_unblock: bool,
    messages: list[dict],
) -> Greeting:
    """Save the greeting (up to 3 bubbles); raises ``MessagesInvalid``.

    A disabled greeting may have no bubbles; an enabled one needs one.
    """
    if enabled or messages:
        messages_validate(
            messages, max_count=GREETING_MAX_BUBBLES, account_id=account.pk
        )
    greeting, _created = Greeting.objects.update_or_create(
        account=account,
        defaults={
            "enabled": enabled,
            "send_on_unblock": send_on_unblock,
            "messages": messages,
        },
    )
    audit_record(
        account=account,
        actor=actor,
        action="greeting.update",
        target=account.basic_id,
        data={
            "enabled": enabled,
            "send_on_unblock": send_on_unblock,
            "bubbles": len(messages),
        },
    )
    return greeting
