"""The Manager's VOOM pages at ``/manager/<account>/posts/``.

Every member sees posts, counts and comments; writing, publishing and
moderating reach customers, so they need ``Perm.SEND``. Another account's
post or comment is 404.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm, request_can
from core.exceptions import ApplicationError
from core.forms import form_errors_from
from voom import selectors, services
from voom.forms import PostForm, ReplyForm


@account_view()
def post_list(request):
    return render(
        request,
        "voom/list.html",
        {
            "posts": selectors.post_list(account=request.account),
            "can_publish": request_can(request, Perm.SEND),
        },
    )


@account_view(Perm.SEND)
def post_create(request):
    form = PostForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.post_create(
                account=request.account,
                actor=request.user,
                text=data["text"],
                publish_at=data["publish_at"],
                allow_comments=data["allow_comments"],
                link_url=data["link_url"],
                link_title=data["link_title"],
                photos=data["photos"],
                video=data["video"],
                video_poster=data["video_poster"],
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            if post.status == post.Status.PUBLISHED:
                messages.success(request, _("Post published."))
            else:
                messages.success(request, _("Post scheduled."))
            return redirect("voom:post-detail", request.account.slug, post.pk)
    return render(request, "voom/edit.html", {"form": form, "post": None})


@account_view()
def post_detail(request, post_id: int):
    """Counts, comments and (for senders) the edit form of one post."""
    post = selectors.post_get(account=request.account, post_id=post_id)
    can_publish = request_can(request, Perm.SEND)
    form = None
    if can_publish:
        initial = {
            "text": post.text,
            "link_url": post.link_url,
            "link_title": post.link_title,
            "allow_comments": post.allow_comments,
            "publish_at": post.publish_at if post.status == "scheduled" else None,
        }
        form = PostForm(
            request.POST or None, request.FILES or None, initial=initial, editing=True
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            remove = [
                int(v) for v in request.POST.getlist("remove_photo") if v.isdigit()
            ]
            try:
                services.post_update(
                    account=request.account,
                    actor=request.user,
                    post=post,
                    text=data["text"],
                    allow_comments=data["allow_comments"],
                    link_url=data["link_url"],
                    link_title=data["link_title"],
                    publish_at=data["publish_at"],
                    add_photos=data["photos"],
                    remove_photo_ids=remove,
                )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("Post saved."))
                return redirect("voom:post-detail", request.account.slug, post.pk)
    elif request.method == "POST":
        return redirect("voom:post-detail", request.account.slug, post.pk)
    return render(
        request,
        "voom/detail.html",
        {
            "post": post,
            "form": form,
            "comments": selectors.comment_list(post=post),
            "can_publish": can_publish,
            "reply_form": ReplyForm(),
        },
    )


@account_view(Perm.SEND)
@require_POST
def post_delete(request, post_id: int):
    post = selectors.post_get(account=request.account, post_id=post_id)
    services.post_delete(account=request.account, actor=request.user, post=post)
    messages.success(request, _("Post deleted."))
    return redirect("voom:post-list", request.account.slug)


def _comment(request, post_id: int, comment_id: int):
    return selectors.comment_get(
        account=request.account, post_id=post_id, comment_id=comment_id
    )


@account_view(Perm.SEND)
@require_POST
def comment_hide(request, post_id: int, comment_id: int):
    comment = _comment(request, post_id, comment_id)
    hidden = request.POST.get("show") != "1"
    services.comment_hide(
        account=request.account, actor=request.user, comment=comment, hidden=hidden
    )
    messages.success(
        request, _("Comment hidden.") if hidden else _("Comment shown again.")
    )
    return redirect("voom:post-detail", request.account.slug, post_id)


@account_view(Perm.SEND)
@require_POST
def comment_reply(request, post_id: int, comment_id: int):
    comment = _comment(request, post_id, comment_id)
    form = ReplyForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("Write a reply of at most 500 characters."))
        services.comment_reply(
            account=request.account,
            actor=request.user,
            comment=comment,
            text=form.cleaned_data["text"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Reply posted."))
    return redirect("voom:post-detail", request.account.slug, post_id)


@account_view(Perm.SEND)
@require_POST
def comment_block(request, post_id: int, comment_id: int):
    comment = _comment(request, post_id, comment_id)
    services.commenter_block(
        account=request.account, actor=request.user, comment=comment
    )
    messages.success(
        request,
        _("%(name)s can no longer comment on your posts.")
        % {"name": comment.friend.line_user.display_name},
    )
    return redirect("voom:post-detail", request.account.slug, post_id)
