"""Entry checks of every talk app view."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from talk.selectors import identity_from_session


def talk_view(*, persona_required: bool = True, login_required: bool = True):
    """404 when the talk app is switched off; resolve who the browser is.

    Sets ``request.talk`` (a ``TalkIdentity``) and ``request.persona``.
    Without a talk login (and no staff rehearsal) the visitor is sent to log
    in; without a persona, to pick or create one; both come back to the page
    they asked for (an add-friend link, typically).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not settings.TALK_APP_ENABLED:
                raise Http404
            user = getattr(request, "user", None)
            request.talk = identity_from_session(request.session, user)
            request.persona = request.talk.persona
            query = urlencode({"next": request.get_full_path()})
            signed_in = request.talk.talk_account_id or request.talk.scope
            if login_required and not signed_in:
                return redirect(f"{reverse('talk:login')}?{query}")
            if persona_required and request.persona is None:
                return redirect(f"{reverse('talk:persona-list')}?{query}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
