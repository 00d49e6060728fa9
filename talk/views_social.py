"""The talk app's VOOM tab, post pages and survey answering page.

Reactions, comments and answers are the customer's own writes on the
account's posts and surveys (no message, no conversation), so they call the
``voom`` and ``research`` services directly rather than ``chat.inbound``.
A post or survey of an account the persona does not follow is 404 for
every write; GET pages never write (impressions come from ``post_seen``,
posted by voom.js once the posts are on screen).
"""

import json

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError, NotFound
from coupons import selectors as coupon_selectors
from messaging.friends.models import Friend
from research import selectors as research_selectors
from research import services as research_services
from research.choices import fixed_choices
from talk import selectors
from talk.decorators import talk_view
from voom import selectors as voom_selectors
from voom import services as voom_services
from voom.models import REACTION_EMOJI, Reaction


def _cursor(request) -> int | None:
    value = request.GET.get("before")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


def _reactions():
    return [(value, label, REACTION_EMOJI[value]) for value, label in Reaction.choices]


@talk_view()
@require_GET
def voom_feed(request):
    """The VOOM tab: posts of followed accounts, newest first."""
    before = voom_selectors.feed_cursor_post(post_id=_cursor(request))
    posts = voom_selectors.feed_for(
        line_user=request.persona, before=before, scope=request.talk.scope
    )
    return render(
        request,
        "talk/voom.html",
        {
            "posts": posts,
            "next_cursor": posts[-1].pk
            if len(posts) == voom_selectors.FEED_PAGE_SIZE
            else None,
            "reactions": _reactions(),
        },
    )


def _post_and_friend(request, post_id: int):
    post = voom_selectors.post_for_customer(post_id=post_id)
    if request.talk.scope and post.account_id != request.talk.scope:
        raise Http404
    friend = selectors.friend_get_for(line_user=request.persona, account=post.account)
    return post, friend


def _following(friend) -> bool:
    return friend is not None and friend.status == Friend.Status.FOLLOWING


@talk_view()
@require_GET
def voom_post(request, post_id: int):
    post, friend = _post_and_friend(request, post_id)
    return render(
        request,
        "talk/voom_post.html",
        {
            "post": post,
            "friend": friend,
            "following": _following(friend),
            "my_reaction": voom_selectors.reaction_of(post=post, friend=friend),
            "comments": voom_selectors.visible_comments(post=post),
            "reactions": _reactions(),
        },
    )


@talk_view()
@require_POST
def voom_react(request, post_id: int):
    post, friend = _post_and_friend(request, post_id)
    if not _following(friend):
        raise Http404
    kind = request.POST.get("kind") or None
    if kind == voom_selectors.reaction_of(post=post, friend=friend):
        kind = None  # tapping the standing reaction takes it back
    try:
        voom_services.post_react(friend=friend, post=post, kind=kind)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("talk:voom-post", post_id=post.pk)


@talk_view()
@require_POST
def voom_comment(request, post_id: int):
    post, friend = _post_and_friend(request, post_id)
    if not _following(friend):
        raise Http404
    try:
        voom_services.comment_create(
            friend=friend, post=post, text=request.POST.get("text", "")
        )
    except NotFound:
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Comment posted."))
    return redirect("talk:voom-post", post_id=post.pk)


@talk_view()
@require_POST
def voom_seen(request):
    """voom.js reports the posts it showed: one impression each."""
    try:
        ids = json.loads(request.body or b"{}").get("posts", [])
    except (ValueError, AttributeError):
        return JsonResponse({"counted": 0}, status=400)
    if not isinstance(ids, list):
        return JsonResponse({"counted": 0}, status=400)
    ids = [i for i in ids if isinstance(i, int) and 0 < i < 2**63][:50]
    counted = 0
    for friend in Friend.objects.filter(
        line_user=request.persona, status=Friend.Status.FOLLOWING
    ):
        counted += voom_services.post_seen(friend=friend, post_ids=ids)
    return JsonResponse({"counted": counted})


@talk_view()
@require_GET
def voom_link(request, post_id: int):
    """A tap on a post's link card: counted, then on to the link."""
    post, _friend = _post_and_friend(request, post_id)
    if not post.link_url:
        raise Http404
    voom_services.post_link_tap(post=post)
    return redirect(post.link_url)


# Research -----------------------------------------------------------------


def _question_rows(questions, answers, posted=None):
    rows = []
    for question in questions:
        answer = answers.get(question.pk)
        if posted is not None:
            current = posted.getlist(f"q{question.pk}")
        elif answer is None:
            current = []
        elif question.kind == "text":
            current = [answer.text]
        else:
            current = answer.values
        rows.append(
            {
                "question": question,
                "options": fixed_choices(question),
                "current": current,
                "value": current[0] if current else "",
                "name": f"q{question.pk}",
            }
        )
    return rows


def _thank_you_coupon(survey, friend):
    """The survey's thank-you coupon when this friend holds it (won)."""
    if friend is None or survey.thank_you_coupon is None:
        return None
    ticket = coupon_selectors.ticket_for(coupon=survey.thank_you_coupon, friend=friend)
    return survey.thank_you_coupon if ticket and ticket.won else None


@talk_view()
def survey(request, public_id: str):
    """Answer a survey (one response per friend, editable while open)."""
    item = research_selectors.survey_for_customer(public_id=public_id)
    if request.talk.scope and item.account_id != request.talk.scope:
        raise Http404
    friend = selectors.friend_get_for(line_user=request.persona, account=item.account)
    questions = research_selectors.question_list(survey=item)
    answers = research_selectors.answers_of(survey=item, friend=friend)
    now = timezone.now()
    is_open = research_services.survey_open(item, now)
    errors = {}
    status = 200
    posted = None
    if request.method == "POST":
        if not _following(friend):
            raise Http404
        posted = request.POST
        raw = {q.pk: posted.getlist(f"q{q.pk}") for q in questions}
        try:
            research_services.survey_answer(
                friend=friend, survey=item, answers=raw, now=now
            )
        except NotFound:
            raise
        except ApplicationError as error:
            errors = error.details
            messages.error(request, error.message)
            status = 400
        else:
            messages.success(request, _("Thank you for answering."))
            return redirect("talk:survey", public_id=item.public_id)
    return render(
        request,
        "talk/survey.html",
        {
            "survey": item,
            "friend": friend,
            "following": _following(friend),
            "is_open": is_open,
            "answered": bool(answers),
            "thank_you": _thank_you_coupon(item, friend) if answers else None,
            "rows": _question_rows(questions, answers, posted),
            "errors": errors,
        },
        status=status,
    )
