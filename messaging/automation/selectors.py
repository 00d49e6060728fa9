"""Broadcasts: compose, target, schedule and fan out exactly once.

Services (writes) first, then the account-scoped reads the pages use. The
fan-out's state machine and why it never sends twice nor skips anyone are
in docs/broadcasts.md; in short:

* ``broadcast_start`` claims a due broadcast (``scheduled → sending``,
  a conditional UPDATE), reserves quota for the whole audience and plans
  keyset batches, all in one transaction.
* ``broadcast_batch_send`` sends one batch in one transaction: delivery
  rows (unique per recipient, ON CONFLICT DO NOTHING), then messages only
  for the deliveries that transaction inserted, the batch marked done and
  its quota committed. A crash rolls back the whole batch; a re-run finds
  it done or inserts nothing.
* ``broadcast_finish`` / ``broadcast_cancel`` release what was not used,
  once, under a lock that waits for batches in flight.

Step messages and keyword auto-responses live at the end of this module.
"""

from django.db.models import Count, Q, QuerySet

from accounts.models import OfficialAccount
from core.selectors import get_or_not_found
from messaging.automation.models import (
    AutoResponse,
    Greeting,
    StepEnrollment,
    StepSequence,
)


def step_sequence_list(*, account: OfficialAccount) -> QuerySet:
    return StepSequence.objects.filter(account=account).annotate(
        step_count=Count("steps", distinct=True),
        active_count=Count(
            "enrollments",
            filter=Q(enrollments__status=StepEnrollment.Status.ACTIVE),
            distinct=True,
        ),
    )


def step_sequence_get(*, account: OfficialAccount, sequence_id: int) -> StepSequence:
    """The account's step sequence; ``NotFound`` otherwise."""
    return get_or_not_found(
        StepSequence.objects.filter(account=account), pk=sequence_id
    )


def step_enrollment_get(
    *, account: OfficialAccount, enrollment_id: int
) -> StepEnrollment:
    """An enrollment in one of the account's sequences; ``NotFound`` otherwise."""
    return get_or_not_found(
        StepEnrollment.objects.filter(sequence__account=account).select_related(
            "sequence", "friend__line_user"
        ),
        pk=enrollment_id,
    )


def autoresponse_list(*, account: OfficialAccount) -> QuerySet:
    return AutoResponse.objects.filter(account=account).order_by("position", "id")


def autoresponse_get(*, account: OfficialAccount, rule_id: int) -> AutoResponse:
    """The account's auto-response rule; ``NotFound`` otherwise."""
    return get_or_not_found(AutoResponse.objects.filter(account=account), pk=rule_id)


def greeting_get(*, account: OfficialAccount) -> Greeting | None:
    return Greeting.objects.filter(account=account).first()
