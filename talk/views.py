"""The talk app: a LINE-like phone app in the browser for simulated customers.

Views parse the request, call one selector or service, and render. Sending
works as a plain form post (no JavaScript) and as ``fetch`` from talk.js,
which asks for JSON with the ``X-Requested-With: fetch`` header.

GET views never write: showing a room opens nothing by itself; talk.js
posts to ``room_opened`` once the account's messages are on screen.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from chat.inbound import customer_account_link, customer_block, customer_follow
from core.exceptions import ApplicationError
from core.forms import form_errors_from
from coupons.selectors import public_coupons
from messaging.friends.models import Friend
from messaging.friends.services import AccountUnavailable
from messaging.store.models import Message
from messaging.store.rendering import quick_reply_html
from messaging.store.services import messages_mark_opened
from messaging.store.stickers import sticker_packages
from richmenu.rendering import menu_view_of
from richmenu.selectors import richmenu_for_friend
from shopcard.services import point_code_find, points_scan
from talk import links, selectors, services
from talk.coupons import coupon_link_path
from talk.decorators import talk_view
from talk.forms import (
    LocationForm,
    PersonaForm,
    PostbackForm,
    ScanForm,
    TalkLoginForm,
    TalkSignupForm,
)
from voom.selectors import account_posts

# Message ids are bigints; a larger "up to" id is as malformed as a word.
MAX_MESSAGE_ID = 2**63 - 1


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _next_url(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


# Personas ---------------------------------------------------------------


@talk_view(persona_required=False)
def persona_list(request):
    if request.talk.talk_account_id is None:
        # A rehearsing staff member acts as one friend; nothing to pick.
        return redirect("talk:home")
    bound = request.method == "POST"
    form = PersonaForm(request.POST if bound else None, request.FILES or None)
    if bound and form.is_valid():
        try:
            persona = services.persona_create(
                display_name=form.cleaned_data["display_name"],
                picture_upload=form.cleaned_data["picture"],
                owner_id=request.talk.talk_account_id,
                **form.profile(),
            )
        except ApplicationError as error:
            # Picture errors come without details; others name their field.
            form_errors_from(form, error, None if error.details else "picture")
        else:
            request.session[selectors.SESSION_KEY] = persona.pk
            return redirect(_next_url(request, reverse("talk:home")))
    query = request.GET.get("q", "")
    return render(
        request,
        "talk/personas.html",
        {
            "form": form,
            "personas": selectors.persona_list(
                talk_account_id=request.talk.talk_account_id, query=query
            ),
            "query": query,
            "next": _next_url(request, ""),
        },
        status=400 if form.errors else 200,
    )


@talk_view(persona_required=False)
@require_POST
def persona_use(request):
    if request.talk.talk_account_id is None:
        raise Http404
    persona = selectors.persona_get(
        talk_account_id=request.talk.talk_account_id,
        persona_id=request.POST.get("persona_id"),
    )
    if persona is None:
        raise Http404
    request.session[selectors.SESSION_KEY] = persona.pk
    return redirect(_next_url(request, reverse("talk:home")))


# Logging in ---------------------------------------------------------------


def _log_in(request, account_id: int) -> None:
    request.session.cycle_key()
    request.session[selectors.ACCOUNT_KEY] = account_id
    request.session.pop(selectors.SESSION_KEY, None)
    request.session.pop(selectors.REHEARSAL_KEY, None)


@talk_view(persona_required=False, login_required=False)
def login(request):
    """The talk app's own login and sign-up (customers, not staff)."""
    action = request.POST.get("action")
    login_form = TalkLoginForm(request.POST if action == "login" else None)
    signup_form = TalkSignupForm(request.POST if action == "signup" else None)
    if request.method == "POST":
        if action == "login" and login_form.is_valid():
            found = selectors.talk_account_login(
                login=login_form.cleaned_data["login"],
                password=login_form.cleaned_data["password"],
            )
            if found is not None:
                _log_in(request, found.pk)
                return redirect(_next_url(request, reverse("talk:persona-list")))
            login_form.add_error(None, _("The login or the password is wrong."))
        elif action == "signup" and signup_form.is_valid():
            try:
                created = services.talk_account_create(
                    login=signup_form.cleaned_data["login"],
                    password=signup_form.cleaned_data["password"],
                )
            except ApplicationError as error:
                form_errors_from(signup_form, error)
            else:
                _log_in(request, created.pk)
                return redirect(_next_url(request, reverse("talk:persona-list")))
        elif action == "demo" and settings.TALK_DEMO_LOGIN:
            demo = services.talk_demo_account()
            _log_in(request, demo.pk)
            return redirect(_next_url(request, reverse("talk:persona-list")))
    bad = login_form.errors or signup_form.errors
    return render(
        request,
        "talk/login.html",
        {
            "login_form": login_form,
            "signup_form": signup_form,
            "demo": settings.TALK_DEMO_LOGIN,
            "next": _next_url(request, ""),
        },
        status=400 if bad else 200,
    )


@require_POST
def logout(request):
    for key in (selectors.ACCOUNT_KEY, selectors.SESSION_KEY, selectors.REHEARSAL_KEY):
        request.session.pop(key, None)
    return redirect("talk:login")


@require_POST
def rehearse(request, friend_id: int):
    """Staff open the talk app as a friend of their own account (Manager).

    404 unless the logged-in staff member belongs to the friend's account;
    the talk app then shows that friend's room with that account only.
    """
    if not settings.TALK_APP_ENABLED or not request.user.is_authenticated:
        raise Http404
    friend = selectors.rehearsal_friend(user=request.user, friend_id=friend_id)
    if friend is None:
        raise Http404
    request.session[selectors.REHEARSAL_KEY] = friend.pk
    return redirect("talk:room", friend_id=friend.pk)


# Friends list and talk rooms ----------------------------------------------


@talk_view()
def home(request):
    rooms = selectors.room_list(line_user=request.persona, scope=request.talk.scope)
    return render(
        request,
        "talk/home.html",
        {
            "friends": [r for r in rooms if r.status == Friend.Status.FOLLOWING],
            "blocked": [r for r in rooms if r.status == Friend.Status.BLOCKED],
        },
    )


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


def _up_to_id(request) -> int | None:
    """The posted ``up_to_id`` (a message id, 0 or more); None if malformed."""
    try:
        value = int(request.POST.get("up_to_id", ""))
    except ValueError:
        return None
    return value if 0 <= value <= MAX_MESSAGE_ID else None


def _quick_reply(rows) -> dict | None:
    """The newest message, when its quick-reply chips are still showing:
    LINE drops them as soon as any newer message is in the room."""
    last = rows[-1] if rows else None
    if last is None or last.direction != Message.Direction.OUTBOUND:
        return None
    return last.payload if isinstance(last.payload, dict) else None


@talk_view()
@require_GET
def room(request, friend_id: int):
    friend = selectors.room_get(
        line_user=request.persona, friend_id=friend_id, scope=request.talk.scope
    )
    rows = selectors.room_messages(friend=friend, before=_int_param(request, "before"))
    return render(
        request,
        "talk/room.html",
        {
            "friend": friend,
            "account": friend.account,
            "rows": rows,
            "has_earlier": len(rows) == selectors.ROOM_PAGE_SIZE,
            "last_id": rows[-1].pk if rows else 0,
            "quick_reply": _quick_reply(rows),
            "sticker_packages": sticker_packages(),
            "richmenu": _richmenu(friend),
        },
    )


def _richmenu(friend) -> dict | None:
    """The friend's rich menu in LINE's display priority (one query)."""
    if friend.status != Friend.Status.FOLLOWING or friend.account.is_suspended:
        return None
    menu = richmenu_for_friend(account=friend.account, friend_id=friend.pk)
    return menu_view_of(menu) if menu else None


@talk_view()
@require_GET
def room_messages(request, friend_id: int):
    """New messages after ``?after=<id>`` as rendered bubbles, for talk.js."""
    friend = selectors.room_get(
        line_user=request.persona, friend_id=friend_id, scope=request.talk.scope
    )
    after = _int_param(request, "after") or 0
    rows = selectors.room_messages(
        friend=friend, after=after, limit=selectors.ROOM_CATCH_UP_LIMIT
    )
    context = {"friend": friend, "account": friend.account}
    return JsonResponse(
        {
            "messages": [
                {
                    "id": m.pk,
                    "direction": m.direction,
                    "day": render_to_string("talk/_day.html", {"m": m}),
                    "html": render_to_string(
                        "talk/_message.html", {**context, "m": m}, request=request
                    ),
                }
                for m in rows
            ],
            "more": len(rows) == selectors.ROOM_CATCH_UP_LIMIT,
            "read_up_to": selectors.room_read_up_to(friend=friend),
            # Chips of the newest message; absent when nothing is new.
            **({"quick_reply": quick_reply_html(_quick_reply(rows))} if rows else {}),
        }
    )


@talk_view()
@require_POST
def room_opened(request, friend_id: int):
    """talk.js showed the room's messages up to ``up_to_id``: the account's
    messages among them are opened (what broadcast reports count)."""
    friend = selectors.room_get(
        line_user=request.persona, friend_id=friend_id, scope=request.talk.scope
    )
    up_to_id = _up_to_id(request)
    if up_to_id is None:
        return JsonResponse(
            {"error": _("Give the id of the last message shown.")}, status=400
        )
    return JsonResponse(
        {"opened": messages_mark_opened(friend=friend, up_to_id=up_to_id)}
    )


def _form_error(form) -> str:
    """The first error of ``form``, named by its field's label."""
    for name, errors in form.errors.get_json_data().items():
        label = form.fields[name].label if name in form.fields else None
        message = errors[0]["message"]
        return f"{label}: {message}" if label else message
    return _("Check the form.")


def _send(friend, request):
    """One of the customer's sends, by the posted ``kind`` or fields."""
    kind = request.POST.get("kind")
    if kind == "postback":
        form = PostbackForm(request.POST)
        if not form.is_valid():
            raise ApplicationError(_form_error(form))
        return services.postback_send(friend=friend, **form.cleaned_data)
    if kind == "location":
        form = LocationForm(request.POST)
        if not form.is_valid():
            raise ApplicationError(_form_error(form))
        return services.location_send(friend=friend, **form.cleaned_data)
    if "sticker_id" in request.POST:
        return services.sticker_send(
            friend=friend, sticker_id=request.POST["sticker_id"]
        )
    if "image" in request.FILES:
        return services.upload_send(friend=friend, upload=request.FILES["image"])
    if kind == "image":
        raise ApplicationError(_("Choose a photo to send."))
    return services.text_send(friend=friend, text=request.POST.get("text", ""))


@talk_view()
@require_POST
def room_video_watched(request, friend_id: int):
    """talk.js: a video of the account was played to the end."""
    friend = selectors.room_get(
        line_user=request.persona, friend_id=friend_id, scope=request.talk.scope
    )
    sent = services.video_watched(
        friend=friend, message_id=request.POST.get("message_id")
    )
    return JsonResponse({"sent": sent})


@talk_view()
@require_POST
def room_send(request, friend_id: int):
    """The customer sends text, a sticker, a photo or a place, or taps a
    postback / date-time picker action (``kind=postback``)."""
    friend = selectors.room_get(
        line_user=request.persona, friend_id=friend_id, scope=request.talk.scope
    )
    try:
        message = _send(friend, request)
    except ApplicationError as error:
        if _wants_json(request):
            return JsonResponse({"error": error.message}, status=400)
        messages.error(request, error.message)
        return redirect("talk:room", friend_id=friend.pk)
    if _wants_json(request):
        return JsonResponse({"id": message.pk if message else None})
    return redirect("talk:room", friend_id=friend.pk)


@talk_view()
@require_POST
def room_richmenu_switch(request, friend_id: int):
    """talk.js: a ``richmenuswitch`` area was tapped; answers the new menu's
    HTML (``{"html": null}`` when the switch failed; the bot is told either
    way with a postback event)."""
    friend = selectors.room_get(line_user=request.persona, friend_id=friend_id)
    try:
        menu = services.richmenu_switch(
            friend=friend,
            alias_id=request.POST.get("alias", ""),
            data=request.POST.get("data", ""),
        )
    except (ApplicationError, AccountUnavailable) as error:
        return JsonResponse({"error": error.message}, status=400)
    html = None
    if menu is not None:
        html = render_to_string(
            "richmenu/_menu.html",
            {"menu": {**menu_view_of(menu), "selected": True}},
            request=request,
        )
    return JsonResponse({"html": html})


@talk_view()
@require_POST
def room_richmenu_seen(request, friend_id: int):
    """talk.js: the menu was shown (``area`` -1) or an area was tapped."""
    friend = selectors.room_get(line_user=request.persona, friend_id=friend_id)
    area = _int_param_post(request, "area")
    try:
        if area is None:
            raise ApplicationError(_("This menu is no longer available."))
        services.richmenu_seen(
            friend=friend, rich_menu_id=request.POST.get("menu", ""), area=area
        )
    except ApplicationError as error:
        return JsonResponse({"error": error.message}, status=400)
    return JsonResponse({"counted": True})


def _int_param_post(request, name: str) -> int | None:
    try:
        value = int(request.POST.get(name, ""))
    except ValueError:
        return None
    return value if -1 <= value <= 1000 else None


# Account profile, add friend, block -------------------------------------


def _account_or_page(request, basic_id: str):
    """The account of an add-friend link, or the page that explains why not."""
    account = selectors.account_get_public(basic_id=basic_id)
    if account is not None and request.talk.scope and account.pk != request.talk.scope:
        account = None  # a rehearsal sees its own account only
    if account is None:
        return None, render(
            request,
            "talk/account_unavailable.html",
            {
                "basic_id": "@" + basic_id,
                "reason": _("There is no account with this ID."),
            },
            status=404,
        )
    if account.is_suspended:
        return None, _unavailable(request, account.basic_id)
    return account, None


def _unavailable(request, basic_id: str):
    return render(
        request,
        "talk/account_unavailable.html",
        {"basic_id": basic_id, "reason": _("This account is not available.")},
        status=410,
    )


@talk_view()
def account_profile(request, basic_id: str):
    """An account's profile with Add / Chat / Block / Unblock; also the
    target of add-friend links and QR codes (``?src=`` names the source)."""
    account, page = _account_or_page(request, basic_id)
    if page:
        return page
    code = request.POST.get("src") or request.GET.get("src", "")
    if request.method == "POST":
        try:
            result = customer_follow(
                account=account,
                line_user=request.persona,
                source=selectors.friend_source_get(account=account, code=code),
            )
        except AccountUnavailable:
            return _unavailable(request, account.basic_id)
        # Back to what sent the customer here (a point code's collect step),
        # else the talk room.
        room = reverse("talk:room", kwargs={"friend_id": result.friend.pk})
        return redirect(_next_url(request, room))
    return render(
        request,
        "talk/profile.html",
        {
            "account": account,
            "friend": selectors.friend_get_for(
                line_user=request.persona, account=account
            ),
            "src": code,
            "next": _next_url(request, ""),
            "posts": account_posts(account=account, line_user=request.persona),
            "coupons": public_coupons(account=account),
        },
    )


@talk_view()
@require_POST
def account_block(request, basic_id: str):
    account, page = _account_or_page(request, basic_id)
    if page:
        return page
    friend = selectors.friend_get_for(line_user=request.persona, account=account)
    if friend is None:
        raise Http404
    customer_block(friend=friend)
    messages.success(
        request, _("You blocked %(name)s.") % {"name": account.display_name}
    )
    return redirect("talk:account-profile", basic_id=account.basic_id[1:])


# Shop card points (docs/shopcard.md) ---------------------------------------


def granted_message(result) -> str:
    text = ngettext("You got %(n)d point.", "You got %(n)d points.", result.granted) % {
        "n": result.granted
    }
    if result.completed:
        text += " " + _("Card completed!")
    if result.tickets:
        text += " " + ngettext(
            "You received %(n)d ticket.",
            "You received %(n)d tickets.",
            len(result.tickets),
        ) % {"n": len(result.tickets)}
    return text


def points_grant(request, code):
    """Grant the points of ``code`` to the customer; redirect to the card."""
    account = code.account
    if request.talk.scope and account.pk != request.talk.scope:
        raise Http404
    basic_id = account.basic_id[1:]
    friend = selectors.friend_get_for(line_user=request.persona, account=account)
    if friend is None:
        # Adding the friend brings the customer back to this code's page.
        messages.error(request, _("Add this account as a friend to collect points."))
        profile = reverse("talk:account-profile", kwargs={"basic_id": basic_id})
        back = reverse("talk:points", kwargs={"token": code.token})
        return redirect(f"{profile}?{urlencode({'next': back})}")
    try:
        result = points_scan(friend=friend, code=code)
    except (ApplicationError, AccountUnavailable) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, granted_message(result))
    return redirect("talk:card", basic_id=basic_id)


@talk_view()
def scan(request):
    """Add a friend from a QR code picture or a pasted add-friend link.

    Nothing is created here: a valid code leads to the account's profile,
    where the customer decides to add it.
    """
    bound = request.method == "POST"
    form = ScanForm(request.POST if bound else None, request.FILES or None)
    if bound and form.is_valid():
        try:
            text = (
                links.qr_decode(form.cleaned_data["picture"])
                if form.cleaned_data["picture"]
                else form.cleaned_data["url"]
            )
            token = links.point_token_parse(text)
            if token is not None:
                # A shop card's point QR code: points are collected here.
                code = point_code_find(token)
                if code is None or code.account.is_suspended:
                    raise ApplicationError(_("This point code does not exist."))
                return points_grant(request, code)
            coupon_path = coupon_link_path(text)
            if coupon_path:
                return redirect(coupon_path)
            link = links.add_link_parse(text)
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            return redirect(
                links.add_friend_path(link.basic_id, source_code=link.source_code)
            )
    return render(
        request, "talk/scan.html", {"form": form}, status=400 if form.errors else 200
    )


@require_GET
@talk_view()
def account_link_dialog(request):
    """LINE's account-link dialog (``/dialog/bot/accountLink?linkToken=…&nonce=…``),
    opened from a bot's link: links the persona and tells the bot
    (``chat.inbound.customer_account_link``); says what happened."""
    context: dict = {"result": "failed", "reason": "", "error": "", "account": None}
    try:
        use = customer_account_link(
            line_user=request.persona,
            token=request.GET.get("linkToken", ""),
            nonce=request.GET.get("nonce", ""),
        )
    except ApplicationError as error:
        context["error"] = error.message
        return render(request, "talk/account_link.html", context, status=400)
    context.update(result=use.result, reason=use.reason)
    if use.link is not None:
        context["account"] = use.link.account
        if use.result == "ok":
            context["room_url"] = reverse("talk:room", args=[use.link.friend_id])
    return render(request, "talk/account_link.html", context)
