"""``{% shopcard_friend_panel friend %}``: the friend page's points section.

The friend page lives in ``messaging.friends``, below this app; the tag
lets its template show the card without that package importing this one.
"""

from django import template

from accounts.permissions import Perm, request_can
from shopcard import selectors
from shopcard.forms import PointsForm

register = template.Library()


@register.inclusion_tag("shopcard/_friend_panel.html", takes_context=True)
def shopcard_friend_panel(context, friend):
    request = context["request"]
    return {
        "request": request,
        "friend": friend,
        "point_card": selectors.point_card_for(friend=friend),
        "entries": list(selectors.history(friend=friend)[:10]),
        "tickets": selectors.tickets(friend=friend)[:10],
        "form": PointsForm(),
        "can_change": request_can(request, Perm.CHAT),
        "csrf_token": context.get("csrf_token"),
    }
