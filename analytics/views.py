"""The Manager's home page: this month's quota and the friend counts."""

from django.shortcuts import render

from accounts import quota
from accounts.decorators import account_view
from messaging.friends.selectors import friend_counts


@account_view()
def home(request):
    """``/manager/<slug>/``: quota use and friend counts, for every role."""
    return render(
        request,
        "analytics/home.html",
        {
            "summary": quota.usage_summary(account=request.account),
            "friend_counts": friend_counts(account=request.account),
        },
    )
