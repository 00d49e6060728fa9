from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def media(request, path: str):
    """Uploaded files, from MEDIA_ROOT as configured at request time.

    Customers' uploads need the signature the page showing them added
    (``core.media_access``); without it they are "not found". A production
    deployment serving MEDIA_ROOT from nginx must keep ``content/`` behind
    this view (or an equivalent check).
    """
    from django.conf import settings
    from django.http import Http404
    from django.views.static import serve

    from core.media_access import media_protected, media_signature_valid

    if media_protected(path) and not media_signature_valid(path, request.GET.get("s")):
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)
