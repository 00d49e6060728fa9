"""The Manager's home page and the analytics dashboard (issue 12).

Thin views: parse the range, read the rollups through ``analytics.selectors``
and render; the dashboard needs ``Perm.VIEW_INSIGHTS`` (403 otherwise).
"""

import datetime as dt

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import quota
from accounts.decorators import account_view
from accounts.permissions import Perm, request_can
from analytics import selectors
from analytics.forms import RangeForm
from analytics.selectors import home_figures
from core.csv_export import csv_cell, csv_response
from messaging.store.models import Message
from voom.selectors import post_stats


@account_view()
def home(request):
    """``/manager/<slug>/``: today's friends gained and lost, messages left,
    unread chats and the next scheduled broadcast, each a link; every role.
    Roles with insights also see yesterday beside the day before (trend
    arrows) and 30 days of friends as a chart."""
    account = request.account
    figures = home_figures(account=account, with_chat=request_can(request, Perm.CHAT))
    trends = None
    if request_can(request, Perm.VIEW_INSIGHTS):
        trends = selectors.home_trends(account=account, today=figures.today)
        trends["chart"]["series"][0]["label"] = _("Friends")
        labels = {
            "added": _("Friends added"),
            "blocked": _("Blocks"),
            "following": _("Friends"),
            "deliveries": _("Messages sent"),
        }
        trends["figures"] = [
            {"key": key, "label": labels[key], "value": value, "before": before}
            for key, value, before in trends["figures"]
        ]
    return render(
        request,
        "analytics/home.html",
        {
            "summary": quota.usage_summary(account=account),
            "figures": figures,
            "trends": trends,
        },
    )


def _kind_label(kind: str) -> str:
    return str(dict(Message.Source.choices).get(kind, kind))


@require_GET
@account_view(Perm.VIEW_INSIGHTS)
def dashboard(request):
    """``/manager/<slug>/analytics/?tab=friends|messages|chat&preset=30``;
    ``&format=csv`` downloads the tab's table."""
    account = request.account
    tab = request.GET.get("tab", "friends")
    if tab not in selectors.TABS:
        tab = "friends"
    today = timezone.localtime(timezone.now(), account.tz).date()
    # Rich menu figures are counted live: their presets take in today.
    live = tab == "richmenus"
    form = RangeForm(request.GET or None, today=today, live=live)
    if request.GET and not form.is_valid():
        return render(
            request,
            "analytics/dashboard.html",
            {"form": form, "tab": tab, "tabs": selectors.TABS},
            status=400,
        )
    if not request.GET:
        form = RangeForm({"preset": "30"}, today=today, live=live)
        form.is_valid()
    first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    context = {
        "form": form,
        "tab": tab,
        "tabs": selectors.TABS,
        "first": first,
        "last": last,
        "through": selectors.rolled_through(account=account),
    }
    header, rows = _tab(account, tab, first, last, context)
    if request.GET.get("format") == "csv":
        return csv_response(
            request,
            header=header,
            rows=([csv_cell(v) for v in row] for row in rows),
            filename=f"{account.basic_id.lstrip('@')}-{tab}-{first}-{last}.csv",
        )
    context["header"], context["rows"] = header, rows
    return render(request, "analytics/dashboard.html", context)


def _posts_tab(account, first: dt.date, last: dt.date, context: dict):
    """LINE VOOM posts published in the range and their live counts (posts
    cost no message quota, so they are not in the messages tab). A range
    ending yesterday (the presets) takes in today's posts too: their counts
    are not daily figures waiting to be final."""
    since = dt.datetime.combine(first, dt.time(), tzinfo=account.tz)
    today = timezone.localtime(timezone.now(), account.tz).date()
    until = None
    if last < today - dt.timedelta(days=1):
        until = dt.datetime.combine(
            last + dt.timedelta(days=1), dt.time(), tzinfo=account.tz
        )
    posts = post_stats(account=account, since=since, until=until)
    header = [
        _("Published"),
        _("Post"),
        _("Impressions"),
        _("Reactions"),
        _("Comments"),
        _("Link taps"),
    ]
    rows = [
        [
            timezone.localtime(p.published_at, account.tz).strftime("%Y-%m-%d %H:%M"),
            p.text[:40],
            p.impressions,
            p.like_count,
            p.comment_count,
            p.link_taps,
        ]
        for p in posts
    ]
    context["chart"] = {
        "type": "bar",
        "labels": [r[0] for r in reversed(rows)],
        "series": [
            {"label": header[i], "data": [r[i] for r in reversed(rows)]}
            for i in range(2, 6)
        ],
    }
    return header, rows


def _tab(account, tab: str, first: dt.date, last: dt.date, context: dict):
    """The tab's table (header, rows) and its chart data in ``context``."""
    if tab == "messages":
        table = selectors.messages_table(
            account=account, first=first, last=last, through=context["through"]
        )
        kinds = table["kinds"]
        header = [_("Day"), *(_kind_label(k) for k in kinds), _("Total"), _("Counted")]
        rows = [
            [r["day"].isoformat(), *(r[k] for k in kinds), r["total"], r["counted"]]
            for r in table["rows"]
        ]
        context["chart"] = {
            "type": "bar",
            "stacked": True,
            "labels": [r[0] for r in rows],
            "series": [
                {"label": _kind_label(k), "data": [r[k] for r in table["rows"]]}
                for k in kinds
            ],
        }
        return header, rows
    if tab == "posts":
        return _posts_tab(account, first, last, context)
    if tab == "richmenus":
        return _richmenu_tab(account, first, last, context)
    if tab == "chat":
        table = selectors.chat_table(account=account, first=first, last=last)
        header = [
            _("Day"),
            _("Conversations started"),
            _("Customer messages"),
            _("Answers"),
            _("Response time, median (s)"),
            _("Response time, 90th percentile (s)"),
        ]
        keys = (
            "started",
            "customer_messages",
            "responses",
            "response_p50_seconds",
            "response_p90_seconds",
        )
        rows = [[r["day"].isoformat(), *(r[k] for k in keys)] for r in table]
        context["chart"] = {
            "type": "line",
            "labels": [r[0] for r in rows],
            "series": [
                {"label": header[1], "data": [r["started"] for r in table]},
                {"label": header[3], "data": [r["responses"] for r in table]},
            ],
        }
        return header, rows
    table = selectors.friends_table(account=account, first=first, last=last)
    header = [
        _("Day"),
        _("Added"),
        _("Blocked"),
        _("Unblocked"),
        _("Friends"),
        _("Target reach"),
    ]
    keys = ("added", "blocked", "unblocked", "following", "target_reach")
    rows = [[r["day"].isoformat(), *(r[k] for k in keys)] for r in table]
    context["chart"] = {
        "type": "line",
        "labels": [r[0] for r in rows],
        "series": [
            {"label": header[4], "data": [r["following"] for r in table]},
            {"label": header[5], "data": [r["target_reach"] for r in table]},
        ],
    }
    shares, computed_at = selectors.demographics_snapshot(account=account)
    context["demographics"], context["demographics_at"] = shares, computed_at
    return header, rows


LETTERS = "ABCDEFGHIJKLMNOPQRST"


def _richmenu_tab(account, first: dt.date, last: dt.date, context: dict):
    """Impressions and taps per area per day of each rich menu; the chart
    sums every menu per day. (LINE's Insight API has no rich menu
    statistics, so the figures are the Manager's only.)"""
    table = selectors.richmenu_table(account=account, first=first, last=last)
    header = [
        _("Day"),
        _("Rich menu"),
        _("Impressions"),
        _("Taps"),
        *(
            _("Area %(letter)s taps") % {"letter": LETTERS[i]}
            for i in range(table["areas"])
        ),
    ]
    rows = [
        [r["day"].isoformat(), r["menu"], r["impressions"], r["taps"], *r["areas"]]
        for r in table["rows"]
    ]
    context["chart"] = {
        "type": "line",
        "labels": [d["day"].isoformat() for d in table["days"]],
        "series": [
            {"label": header[2], "data": [d["impressions"] for d in table["days"]]},
            {"label": header[3], "data": [d["taps"] for d in table["days"]]},
        ],
    }
    return header, rows
