"""The ``audience_group`` segment condition: friends in a LINE audience.

Registered with ``messaging.audience.conditions.register`` when the app is
ready (``messaging.apps``). The Manager's audience builder offers it, so
an audience is usable in broadcasts and saved segments like any other
condition; the Messaging API's narrowcast ``{"type": "audience"}`` compiles
to it (``messaging.api.services``).
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging.audience.conditions import Condition, _bad, register
from messaging.audience.models import AudienceGroup, AudienceMember


@register
class AudienceGroupCondition(Condition):
    key = "audience_group"
    label = gettext_lazy("Audience")

    def options(self, account):
        return list(
            AudienceGroup.objects.filter(
                account=account, status=AudienceGroup.Status.READY
            )
            .order_by("description", "pk")
            .values_list("pk", "description")[:200]
        )

    def clean(self, account, raw):
        values = raw.get("values")
        if values is None and raw.get("group") is not None:
            values = [raw.get("group")]
        if not isinstance(values, list) or not values:
            raise _bad(_("Choose at least one value for each condition."))
        try:
            ids = sorted({int(v) for v in values})
        except (TypeError, ValueError):
            raise _bad(_("A condition has an invalid value.")) from None
        found = AudienceGroup.objects.filter(account=account, pk__in=ids).count()
        if found != len(ids):
            raise _bad(_("An audience in the conditions no longer exists."))
        return {"values": ids}

    def q(self, account, cond, *, now):
        return Q(
            Exists(
                AudienceMember.objects.filter(
                    group_id__in=cond["values"],
                    group__account=account,
                    user_id=OuterRef("line_user__user_id"),
                )
            )
        )

    def describe(self, account, cond):
        names = AudienceGroup.objects.filter(
            account=account, pk__in=cond["values"]
        ).values_list("description", flat=True)
        return ", ".join(sorted(names)) or "?"
