"""Segment conditions on earlier broadcasts: opened, clicked a link, received.

Registered with ``messaging.audience.conditions.register`` when the app is
ready (``messaging.apps``).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging.audience.conditions import Condition, _bad, register
from messaging.broadcasts.models import Broadcast, Delivery


class _BroadcastCondition(Condition):
    """Friends with a delivery row of one broadcast matching ``delivery``."""

    widget = "broadcast"
    delivery: dict = {}

    def friend_ids(self, account, cond, *, now):
        return Delivery.objects.filter(
            broadcast_id=cond["broadcast"], **self.delivery
        ).values("friend_id")

    def options(self, account):
        return list(
            Broadcast.objects.filter(
                account=account, status__in=[Broadcast.Status.SENT]
            )
            .order_by("-id")
            .values_list("pk", "title")[:50]
        )

    def clean(self, account, raw):
        try:
            broadcast_id = int(raw.get("broadcast"))
        except (TypeError, ValueError):
            raise _bad(_("Choose a broadcast.")) from None
        if not Broadcast.objects.filter(account=account, pk=broadcast_id).exists():
            raise _bad(_("A broadcast in the audience no longer exists."))
        return {"broadcast": broadcast_id}

    def describe(self, account, cond):
        return (
            Broadcast.objects.filter(account=account, pk=cond["broadcast"])
            .values_list("title", flat=True)
            .first()
            or "?"
        )


@register
class BroadcastOpenedCondition(_BroadcastCondition):
    key = "broadcast_opened"
    label = gettext_lazy("Opened broadcast")
    insight = True
    delivery = {"status": Delivery.Status.SENT, "message__read_at__isnull": False}


@register
class BroadcastClickedCondition(_BroadcastCondition):
    key = "broadcast_clicked"
    label = gettext_lazy("Clicked a link in broadcast")
    insight = True
    delivery = {"clicked_at__isnull": False}


@register
class BroadcastReceivedCondition(_BroadcastCondition):
    """Friends an earlier broadcast reached (LINE's narrowcast redelivery)."""

    key = "broadcast_received"
    label = gettext_lazy("Received broadcast")
    delivery = {"status": Delivery.Status.SENT}
