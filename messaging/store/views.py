"""Public drawings of the sendable stickers (messaging/store/stickers.py)."""

from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from messaging.store.stickers import sticker_get, sticker_svg


@require_GET
@cache_control(public=True, max_age=86400)
def sticker_image(request, package_id: str, sticker_id: str):
    """``GET /stickers/<packageId>/<stickerId>.svg``: our own drawing of a
    sticker from LINE's sendable list; 404 for any other."""
    sticker = sticker_get(package_id, sticker_id)
    if sticker is None:
        raise Http404
    return HttpResponse(sticker_svg(sticker), content_type="image/svg+xml")
