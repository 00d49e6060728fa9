"""Segment conditions on shop cards: points ≥ N, completed card, holds a
ticket. Registered with ``messaging.audience.conditions.register`` when the
app is ready (``shopcard.apps``).
"""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging.audience.conditions import Condition, _bad, _ints, register
from shopcard.models import (
    CardReward,
    PointCard,
    PointEntry,
    RewardTicket,
    ShopCard,
)

POINTS_MAX = 100_000


@register
class PointsAtLeastCondition(Condition):
    """Friends with at least ``min`` points on their card now."""

    key = "shopcard_points"
    label = gettext_lazy("Shop card points at least")
    widget = "number"

    def clean(self, account, raw):
        try:
            value = int(raw.get("min"))
        except (TypeError, ValueError):
            raise _bad(_("Enter a number of points.")) from None
        if not 0 <= value <= POINTS_MAX:
            raise _bad(_("Enter a number of points."))
        return {"min": value}

    def q(self, account, cond, *, now):
        return Q(
            Exists(
                PointCard.objects.filter(
                    friend_id=OuterRef("pk"), points__gte=cond["min"]
                ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            )
        )

    def describe(self, account, cond):
        return _("%(n)d points or more") % {"n": cond["min"]}


@register
class CardCompletedCondition(Condition):
    """Friends who completed a card at least once (any of the chosen
    cards' ranks reached or passed)."""

    key = "shopcard_completed"
    label = gettext_lazy("Completed shop card")

    def options(self, account):
        return [
            (c.pk, c.name)
            for c in ShopCard.objects.filter(
                account=account, status=ShopCard.Status.PUBLISHED
            )
        ]

    def clean(self, account, raw):
        values = _ints(raw.get("values"))
        found = set(
            ShopCard.objects.filter(account=account, pk__in=values).values_list(
                "pk", flat=True
            )
        )
        if found != set(values):
            raise _bad(_("A shop card in the audience no longer exists."))
        return {"values": values}

    def q(self, account, cond, *, now):
        # A completion is a "complete" ledger line on that card.
        return Q(
            Exists(
                PointEntry.objects.filter(
                    point_card__friend_id=OuterRef("pk"),
                    kind=PointEntry.Kind.COMPLETE,
                    card_id__in=cond["values"],
                )
            )
        )

    def describe(self, account, cond):
        names = dict(self.options(account))
        return ", ".join(str(names.get(v, v)) for v in cond["values"])


@register
class HoldsTicketCondition(Condition):
    """Friends holding an unused, unexpired ticket of the chosen rewards."""

    key = "shopcard_ticket"
    label = gettext_lazy("Holds reward ticket")

    def options(self, account):
        return [
            (r.pk, f"{r.card.name}: {r.title}")
            for r in CardReward.objects.filter(card__account=account).select_related(
                "card"
            )
        ]

    def clean(self, account, raw):
        values = _ints(raw.get("values"))
        found = set(
            CardReward.objects.filter(card__account=account, pk__in=values).values_list(
                "pk", flat=True
            )
        )
        if found != set(values):
            raise _bad(_("A reward in the audience no longer exists."))
        return {"values": values}

    def q(self, account, cond, *, now):
        return Q(
            Exists(
                RewardTicket.objects.filter(
                    friend_id=OuterRef("pk"),
                    reward_id__in=cond["values"],
                    status=RewardTicket.Status.ISSUED,
                    expires_at__gt=now or timezone.now(),
                )
            )
        )

    def describe(self, account, cond):
        names = dict(self.options(account))
        return ", ".join(str(names.get(v, v)) for v in cond["values"])
