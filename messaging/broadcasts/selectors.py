"""Reads of broadcasts; always account-scoped."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import OfficialAccount
from accounts.quota import (
    limit_for,
    month_start,
    usage_get,
)
from core.selectors import get_or_not_found
from messaging.audience.conditions import audience_count
from messaging.audience.models import Segment
from messaging.broadcasts.models import (
    Broadcast,
    BroadcastBatch,
    BroadcastLink,
    Delivery,
)


@dataclass(frozen=True)
class Estimate:
    """What the composer shows next to the audience."""

    matching: int  # following friends in the audience
    recipients: int  # after the cap; also the quota cost
    remaining: int  # messages left this month (of the sending month)
    limit: int
    plan_name: str
    covered: bool
    additional_cost_yen: Decimal  # Standard plan: price of the extra ones


def _month_figures(account: OfficialAccount, when: dt.datetime) -> tuple:
    """(limit, used+reserved, plan) of the month containing ``when``.

    The current month reads the ledger; a later month is not created early
    (that would fix its limit too soon), its limit is computed instead.
    """
    if month_start(account, when) == month_start(account):
        usage = usage_get(account=account)
        return usage.limit, usage.used + usage.reserved, usage.plan
    plan = account.plan
    if account.next_plan_id and account.next_plan_from <= month_start(account, when):
        plan = account.next_plan
    return limit_for(account, plan), 0, plan


def audience_estimate(
    *,
    account: OfficialAccount,
    audience: dict | None,
    segment: Segment | None = None,
    max_recipients: int | None = None,
    when: dt.datetime | None = None,
) -> Estimate:
    """Count the audience now and price it against the month's quota.

    ``matching`` is exactly the number of friends a send started now would
    plan (``audience_count``); ``recipients`` applies the cap.
    """
    now = timezone.now()
    definition = segment.definition if segment is not None else audience
    matching = audience_count(account=account, definition=definition, now=now)
    recipients = min(matching, max_recipients) if max_recipients else matching
    limit, taken, plan = _month_figures(account, when or now)
    remaining = max(0, limit - taken)
    return Estimate(
        matching=matching,
        recipients=recipients,
        remaining=remaining,
        limit=limit,
        plan_name=plan.label,
        covered=recipients <= remaining,
        additional_cost_yen=plan.additional_cost_yen(
            free_used_total=taken, count=recipients
        ),
    )


def broadcast_list(*, account: OfficialAccount) -> QuerySet:
    return Broadcast.objects.filter(account=account).order_by("-id")


def broadcast_get(*, account: OfficialAccount, broadcast_id: int) -> Broadcast:
    """The account's broadcast with its segment; ``NotFound`` otherwise."""
    return get_or_not_found(
        Broadcast.objects.filter(account=account).select_related("account", "segment"),
        pk=broadcast_id,
    )


def broadcast_progress(*, broadcast: Broadcast) -> dict:
    """Sent/total, rate and ETA for the progress bar (JSON-safe).

    While sending, sums the batch rows (a few hundred at most per million
    recipients); afterwards reads the totals stored when it closed.
    """
    now = timezone.now()
    status = broadcast.status
    total = broadcast.target_count
    if status in (Broadcast.Status.SENDING, Broadcast.Status.PAUSED):
        agg = BroadcastBatch.objects.filter(broadcast=broadcast).aggregate(
            sent=Sum("sent"),
            blocked=Sum("blocked"),
            left=Sum("planned", filter=Q(status=BroadcastBatch.Status.PENDING)),
        )
        sent, blocked, left = agg["sent"] or 0, agg["blocked"] or 0, agg["left"] or 0
    else:
        sent, blocked, left = broadcast.sent_count, broadcast.blocked_count, 0
    elapsed = 0.0
    if broadcast.started_at:
        end = broadcast.finished_at or now
        elapsed = (end - broadcast.started_at).total_seconds()
        elapsed -= broadcast.paused_seconds
        if status == Broadcast.Status.PAUSED and broadcast.paused_at:
            elapsed -= (now - broadcast.paused_at).total_seconds()
    rate = sent / elapsed if elapsed > 0 else 0.0
    eta = round(left / rate) if rate > 0 and left and status == "sending" else None
    done = sent + (total - sent - left if left else 0)
    return {
        "id": broadcast.pk,
        "status": status,
        "status_label": broadcast.shown_status_label,
        "sent": sent,
        "blocked": blocked,
        "total": total,
        "percent": round(100 * done / total, 1) if total else 0.0,
        "rate": round(rate, 1),
        "eta_seconds": eta,
        "scheduled_at": broadcast.scheduled_at.isoformat()
        if broadcast.scheduled_at
        else None,
        "started_at": broadcast.started_at.isoformat()
        if broadcast.started_at
        else None,
        "finished_at": broadcast.finished_at.isoformat()
        if broadcast.finished_at
        else None,
        "failure_reason": broadcast.failure_reason,
        "final": status
        in (Broadcast.Status.SENT, Broadcast.Status.CANCELLED, Broadcast.Status.FAILED),
    }


@dataclass(frozen=True)
class Report:
    delivered: int
    blocked: int
    opened: int
    clicked: int
    links: list

    @property
    def open_rate(self) -> float:
        return round(100 * self.opened / self.delivered, 1) if self.delivered else 0.0

    @property
    def click_rate(self) -> float:
        return round(100 * self.clicked / self.delivered, 1) if self.delivered else 0.0


def broadcast_report(*, broadcast: Broadcast) -> Report:
    """Delivered, opened (the talk app showed it), clicked; per link."""
    counts = Delivery.objects.filter(broadcast=broadcast).aggregate(
        delivered=Count("id", filter=Q(status=Delivery.Status.SENT)),
        blocked=Count("id", filter=Q(status=Delivery.Status.BLOCKED)),
        opened=Count(
            "id",
            filter=Q(status=Delivery.Status.SENT, message__read_at__isnull=False),
        ),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
    )
    links = list(
        BroadcastLink.objects.filter(broadcast=broadcast)
        .annotate(unique_clicks=Count("friend_clicks"))
        .order_by("id")
    )
    return Report(links=links, **counts)
