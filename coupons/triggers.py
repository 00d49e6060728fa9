"""Step sequences started by coupons: "coupon acquired" (when a friend wins
or takes coupon X) and "coupon unused N days after acquiring" (the beat
task ``coupons.start_unused_coupon_steps_task``)."""

import datetime as dt

from django.utils import timezone

from coupons.models import Coupon, CouponTicket
from messaging.automation.models import StepSequence
from messaging.automation.services import step_sequence_enroll


def coupon_acquired_start(*, ticket: CouponTicket) -> int:
    """Enroll the friend in the active sequences triggered by acquiring
    this coupon; how many enrollments were made."""
    sequences = StepSequence.objects.filter(
        account_id=ticket.coupon.account_id,
        is_active=True,
        trigger=StepSequence.Trigger.COUPON_ACQUIRED,
        trigger_ref=ticket.coupon.coupon_id,
    )
    return sum(
        step_sequence_enroll(sequence=s, friend_ids=[ticket.friend_id])
        for s in sequences
    )


def coupon_unused_start(*, now: dt.datetime | None = None) -> int:
    """Enroll friends whose ticket of coupon X is still unused N days after
    they acquired it (each sequence once per friend: enrollments are
    unique); how many enrollments were made."""
    now = now or timezone.now()
    made = 0
    sequences = StepSequence.objects.filter(
        is_active=True, trigger=StepSequence.Trigger.COUPON_UNUSED
    )
    for sequence in sequences:
        coupon = Coupon.objects.filter(
            account_id=sequence.account_id,
            coupon_id=sequence.trigger_ref,
            status=Coupon.Status.RUNNING,
            end_at__gt=now,
        ).first()
        if coupon is None:
            continue
        friend_ids = list(
            CouponTicket.objects.filter(
                coupon=coupon,
                won=True,
                used_count=0,
                acquired_at__lte=now - dt.timedelta(days=sequence.trigger_days or 0),
            )
            .exclude(friend__step_enrollments__sequence=sequence)
            .values_list("friend_id", flat=True)[:5000]
        )
        made += step_sequence_enroll(sequence=sequence, friend_ids=friend_ids)
    return made
