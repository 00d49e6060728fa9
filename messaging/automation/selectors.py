"""Reads of automatic replies (greeting, step sequences, enrolments,
auto-responses); always account-scoped: another account's id is
``NotFound``."""

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
