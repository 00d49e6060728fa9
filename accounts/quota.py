"""The monthly message quota ledger.

Every counted send calls these services. Each change of ``used`` or
``reserved`` is one conditional UPDATE, so concurrent senders on any number
of processes never push an account past its limit and never lose a count.
See docs/quota.md.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import MonthlyUsage, OfficialAccount, Plan
from core.exceptions import ApplicationError


class QuotaExceeded(ApplicationError):
    """The month's limit would be exceeded; nothing was reserved."""


class AccountSuspended(ApplicationError):
    """The operator suspended the account; it cannot send anything."""


@dataclass(frozen=True)
class Reservation:
    """Messages held for a send in progress; persist ``usage_id``/``count``."""

    usage_id: int
    count: int


def month_start(account: OfficialAccount, when: dt.datetime | None = None) -> dt.date:
    """First day of the month containing ``when`` in the account's time zone."""
    local = (when or timezone.now()).astimezone(account.tz)
    return local.date().replace(day=1)


def next_month_start(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def limit_for(account: OfficialAccount, plan: Plan) -> int:
    """The month's total limit: override, else free + admin cap if allowed."""
    if account.quota_override is not None:
        return account.quota_override
    extra = account.additional_cap if plan.allows_additional else 0
    return plan.free_messages + extra


def usage_get(*, account: OfficialAccount, when: dt.datetime | None = None):
    """Return the month's ``MonthlyUsage``, creating it on first use.

    Creating the row is where a pending plan change takes effect: the first
    row of a month on or after ``next_plan_from`` is made with the new plan.
    Concurrent first uses are resolved by ON CONFLICT DO NOTHING.
    """
    month = month_start(account, when)
    usage = MonthlyUsage.objects.filter(account=account, month=month).first()
    if usage is not None:
        return usage
    with transaction.atomic():
        plan = _plan_for_month(account, month)
        MonthlyUsage.objects.bulk_create(
            [
                MonthlyUsage(
                    account=account,
                    month=month,
                    plan=plan,
                    limit=limit_for(account, plan),
                )
            ],
            ignore_conflicts=True,
        )
    return MonthlyUsage.objects.get(account=account, month=month)


def _plan_for_month(account: OfficialAccount, month: dt.date) -> Plan:
    if account.next_plan_id and account.next_plan_from <= month:
        updated = OfficialAccount.objects.filter(
            pk=account.pk, next_plan_id=account.next_plan_id
        ).update(plan_id=account.next_plan_id, next_plan=None, next_plan_from=None)
        if updated:
            account.plan_id = account.next_plan_id
            account.next_plan = None
            account.next_plan_from = None
    return Plan.objects.get(pk=account.plan_id)


def _refuse(account: OfficialAccount, usage: MonthlyUsage, count: int):
    usage.refresh_from_db(fields=["used", "reserved", "limit"])
    raise QuotaExceeded(
        _(
            "The %(plan)s plan allows %(limit)s messages this month "
            "(left: %(remaining)s, requested: %(count)s)."
        )
        % {
            "plan": usage.plan.label,
            "limit": f"{usage.limit:,}",
            "remaining": f"{usage.remaining:,}",
            "count": f"{count:,}",
        }
    )


def _check_can_send(account: OfficialAccount, count: int) -> None:
    if count < 0:
        raise ValueError("count must not be negative")
    if account.is_suspended:
        raise AccountSuspended(
            _("This account is suspended by the operator and cannot send messages.")
        )


def _guarded_add(account: OfficialAccount, column: str, count: int) -> int | None:
    """Add ``count`` to ``column`` of this month's row if the limit allows.

    One ``UPDATE … RETURNING`` (no prior SELECT) on the hot path; returns
    the row id, or None when the row is missing or the limit would be passed.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {MonthlyUsage._meta.db_table} "  # noqa: S608 - fixed names
            f"SET {column} = {column} + %s "
            'WHERE account_id = %s AND month = %s AND used + reserved + %s <= "limit" '
            'RETURNING id, used, "limit", warned_percent',
            [count, account.pk, month_start(account), count],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    _warn_if_crossed(*row)
    return row[0]


# Thresholds of the month's limit at which admins are warned (issue 14, #14;
# LINE e-mails account admins as the monthly message count nears its cap).
WARNING_THRESHOLDS = (80, 100)


def warning_threshold(*, used: int, limit: int) -> int:
    """The highest of ``WARNING_THRESHOLDS`` that ``used``/``limit`` reaches.

    0 when below 80 % or when the limit is 0 (nothing can be sent, nothing
    to warn about).
    """
    if limit <= 0:
        return 0
    reached = [t for t in WARNING_THRESHOLDS if used * 100 >= t * limit]
    return reached[-1] if reached else 0


def _warn_if_crossed(usage_id: int, used: int, limit: int, warned: int) -> None:
    """Queue the warning e-mail once ``used`` passes a threshold not yet sent.

    Cheap on the hot path: plain arithmetic on the values the UPDATE returned;
    the task decides exactly once (conditional UPDATE) who sends.
    """
    if warning_threshold(used=used, limit=limit) > warned:
        from accounts.tasks import quota_warning_task

        transaction.on_commit(lambda: quota_warning_task.delay(usage_id))


def quota_warning_send(*, usage_id: int) -> int:
    """E-mail the account's admins that a quota threshold was reached.

    Exactly once per threshold per month, under any number of concurrent
    senders and task retries: the threshold is claimed by one conditional
    ``UPDATE … SET warned_percent = t WHERE warned_percent < t``; only the
    claimer sends. Returns the threshold e-mailed (80 or 100), or 0 when
    nothing was due or another run already claimed it. Mail server errors
    are logged, not raised (the banner in the Manager still shows).
    """
    usage = (
        MonthlyUsage.objects.select_related("account", "plan")
        .filter(pk=usage_id)
        .first()
    )
    if usage is None:
        return 0
    threshold = warning_threshold(used=usage.used, limit=usage.limit)
    if threshold == 0:
        return 0
    claimed = MonthlyUsage.objects.filter(
        pk=usage_id, warned_percent__lt=threshold
    ).update(warned_percent=threshold)
    if not claimed:
        return 0
    from accounts.services import quota_warning_email_send

    quota_warning_email_send(usage=usage, threshold=threshold)
    return threshold


def _add_or_refuse(account: OfficialAccount, column: str, count: int) -> int:
    _check_can_send(account, count)
    usage_id = _guarded_add(account, column, count)
    if usage_id is None:
        # First send of the month creates the row; then try once more.
        usage = usage_get(account=account)
        usage_id = _guarded_add(account, column, count)
        if usage_id is None:
            _refuse(account, usage, count)
    return usage_id


def quota_reserve(*, account: OfficialAccount, count: int) -> Reservation:
    """Hold ``count`` messages of this month's quota, or raise QuotaExceeded."""
    return Reservation(usage_id=_add_or_refuse(account, "reserved", count), count=count)


def quota_commit(*, reservation: Reservation, count: int) -> None:
    """Turn ``count`` reserved messages into used ones (count ≤ reserved)."""
    if not 0 <= count <= reservation.count:
        raise ValueError("commit more than was reserved")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {MonthlyUsage._meta.db_table} "  # noqa: S608 - fixed names
            "SET reserved = reserved - %s, used = used + %s WHERE id = %s "
            'RETURNING id, used, "limit", warned_percent',
            [count, count, reservation.usage_id],
        )
        row = cursor.fetchone()
    if row is not None and count:
        _warn_if_crossed(*row)


def quota_release(*, reservation: Reservation, count: int | None = None) -> None:
    """Give back ``count`` (default: all) reserved messages that were not sent."""
    count = reservation.count if count is None else count
    if not 0 <= count <= reservation.count:
        raise ValueError("release more than was reserved")
    MonthlyUsage.objects.filter(pk=reservation.usage_id).update(
        reserved=F("reserved") - count
    )


def quota_consume(*, account: OfficialAccount, count: int) -> int:
    """Count ``count`` messages sent at once (push, multicast): reserve+commit.

    Returns the id of the month's ``MonthlyUsage`` row.
    """
    return _add_or_refuse(account, "used", count)


@contextmanager
def quota_taken(*, account: OfficialAccount, count: int) -> Iterator[int]:
    """Count ``count`` messages now; give them back if the block raises.

    Yields the id of the month's ``MonthlyUsage`` row; raises
    ``QuotaExceeded`` (nothing counted) like ``quota_consume``.

    Called outside a transaction, the count is its own one-statement
    transaction, so the month's row (one per account: every push of a
    channel updates it) stays locked for that ``UPDATE`` only, not until
    the send's ``INSERT`` and ``COMMIT`` — concurrent pushes of one channel
    no longer queue behind each other (issue 18 #7, ``bench/api.py``). If
    the block raises, the count is given back by a second ``UPDATE``; a
    process killed in between leaves it counted, so the quota can err
    towards refusing, never towards sending more than the plan allows.
    Inside a caller's transaction it is ``quota_consume``: the count
    commits or rolls back with the caller's work.
    """
    if connection.in_atomic_block:
        yield quota_consume(account=account, count=count)
        return
    usage_id = _add_or_refuse(account, "used", count)
    try:
        yield usage_id
    except BaseException:
        MonthlyUsage.objects.filter(pk=usage_id).update(used=F("used") - count)
        raise


def usage_limits_refresh(*, account: OfficialAccount) -> None:
    """Apply a changed cap or override to the current month's row."""
    usage = usage_get(account=account)
    MonthlyUsage.objects.filter(pk=usage.pk).update(
        limit=limit_for(account, usage.plan)
    )


@dataclass(frozen=True)
class QuotaWarning:
    """What the Manager's quota banner says (issue 14, #14)."""

    threshold: int  # 80 or 100
    percent: int  # used / limit, rounded down, at most 100
    used: int
    limit: int
    capped: bool  # the limit includes a Standard plan's additional-message cap
    resumes_on: dt.date  # first day of next month, account time zone


def quota_warning_get(*, account: OfficialAccount) -> QuotaWarning | None:
    """The banner for this month, or None below 80 %. One SELECT, no writes

    (a month without a row has sent nothing yet).
    """
    month = month_start(account)
    row = (
        MonthlyUsage.objects.filter(account=account, month=month)
        .values("used", "limit", "plan__allows_additional", "plan__free_messages")
        .first()
    )
    if row is None:
        return None
    threshold = warning_threshold(used=row["used"], limit=row["limit"])
    if not threshold:
        return None
    return QuotaWarning(
        threshold=threshold,
        percent=min(100, row["used"] * 100 // row["limit"]),
        used=row["used"],
        limit=row["limit"],
        capped=row["plan__allows_additional"]
        and row["limit"] > row["plan__free_messages"],
        resumes_on=next_month_start(month),
    )


@dataclass(frozen=True)
class UsageSummary:
    usage: MonthlyUsage
    plan: Plan
    free_limit: int
    additional_used: int
    projected_cost_yen: Decimal
    percent_used: float
    percent_reserved: float


def usage_summary(*, account: OfficialAccount) -> UsageSummary:
    """This month's figures for the plan page and the console home."""
    usage = usage_get(account=account)
    plan = usage.plan
    total = usage.used + usage.reserved
    additional = max(0, total - plan.free_messages)
    cost = plan.additional_cost_yen(free_used_total=0, count=total)
    base = max(usage.limit, 1)
    return UsageSummary(
        usage=usage,
        plan=plan,
        free_limit=plan.free_messages,
        additional_used=additional,
        projected_cost_yen=cost,
        percent_used=min(100.0, usage.used * 100 / base),
        percent_reserved=min(100.0, usage.reserved * 100 / base),
    )
