"""Entry checks of every talk app view."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from talk.selectors import persona_from_session


def talk_view(*, persona_required: bool = True):
    """404 when the talk app is switched off; resolve ``request.persona``.

    Without a persona the visitor is sent to pick or create one and comes
    back to the page they asked for (an add-friend link, typically).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not settings.TALK_APP_ENABLED:
                raise Http404
            request.persona = persona_from_session(request.session)
            if persona_required and request.persona is None:
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('talk:persona-list')}?{query}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
