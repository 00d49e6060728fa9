"""The Manager's home page: today at a glance, this month's quota."""

from django.shortcuts import render

from accounts import quota
from accounts.decorators import account_view
from accounts.permissions import Perm, request_can
from analytics.selectors import home_figures


@account_view()
def home(request):
    """``/manager/<slug>/``: today's friends gained and lost, messages left,
    unread chats and the next scheduled broadcast, each a link; every role."""
    return render(
        request,
        "analytics/home.html",
        {
            "summary": quota.usage_summary(account=request.account),
            "figures": home_figures(
                account=request.account, with_chat=request_can(request, Perm.CHAT)
            ),
        },
    )
