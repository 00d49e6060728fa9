"""Files uploaded in the Manager's composer: images checked by Pillow and
resized for LINE (image, rich message and card sizes); videos (MP4) and
audio (M4A, MP3) up to 200 MB, checked by their first bytes."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError
from core.images import PHOTO, PREVIEW_SIDE, image_check, image_encode
from core.media import CheckedMedia, media_check
from messaging.store.checks import IMAGEMAP_BASE_WIDTH
from messaging.store.models import BroadcastAsset

IMAGEMAP_WIDTHS = (240, 300, 460, 700, 1040)
IMAGEMAP_MAX_HEIGHT = 2080
CARD_WIDTH = 1024


def _encode(image: Image.Image, fmt: str) -> bytes:
    return image_encode(image, fmt, quality=85)


def _resized(image: Image.Image, width: int) -> Image.Image:
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def asset_upload(
    *, account: OfficialAccount, actor: User, upload, kind: str
) -> BroadcastAsset:
    """Check an uploaded JPEG/PNG with Pillow and store the sizes to show.

    Every kind gets the original and a ≤ 240 px preview (what the talk room
    shows inline). A rich message also gets the imagemap widths; a card
    image a 1,024 px wide copy. Raises ``ApplicationError`` for anything
    that is not a sound JPEG/PNG; nothing is stored then.
    """
    if kind not in BroadcastAsset.Kind.values:
        raise ApplicationError(_("Choose what the image is for."))
    checked = image_check(upload, use=PHOTO)
    image = ImageOps.exif_transpose(checked.image)
    fmt = checked.format
    ext = "png" if fmt == "PNG" else "jpg"
    if kind == BroadcastAsset.Kind.IMAGEMAP:
        if image.width < IMAGEMAP_WIDTHS[0]:
            raise ApplicationError(
                _("A rich message image must be at least %(n)d pixels wide.")
                % {"n": IMAGEMAP_WIDTHS[0]}
            )
        base_height = round(image.height * IMAGEMAP_BASE_WIDTH / image.width)
        if base_height > IMAGEMAP_MAX_HEIGHT:
            raise ApplicationError(
                _("A rich message image can be at most twice as tall as it is wide.")
            )
    key = secrets.token_hex(12)
    folder = f"broadcasts/{key}"
    files: dict[str, bytes] = {f"original.{ext}": _encode(image, fmt)}
    preview = image.copy()
    preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE * 2), Image.Resampling.LANCZOS)
    files[f"preview.{ext}"] = _encode(preview, fmt)
    if kind == BroadcastAsset.Kind.IMAGEMAP:
        for width in IMAGEMAP_WIDTHS:
            files[str(width)] = _encode(_resized(image, width), fmt)
    elif kind == BroadcastAsset.Kind.CARD and image.width > CARD_WIDTH:
        files[f"original.{ext}"] = _encode(_resized(image, CARD_WIDTH), fmt)
    stored: list[str] = []
    try:
        for name, data in files.items():
            stored.append(default_storage.save(f"{folder}/{name}", ContentFile(data)))
        media = settings.MEDIA_URL
        asset = BroadcastAsset.objects.create(
            account=account,
            kind=kind,
            key=key,
            original_url=f"{media}{folder}/original.{ext}",
            preview_url=f"{media}{folder}/preview.{ext}",
            base_url=f"{media}{folder}" if kind == BroadcastAsset.Kind.IMAGEMAP else "",
            width=image.width,
            height=image.height,
        )
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise
    audit_record(
        account=account, actor=actor, action="broadcast.image_upload", target=key
    )
    return asset


@dataclass(frozen=True)
class MediaAsset:
    asset: BroadcastAsset
    duration_ms: int | None


def media_asset_upload(
    *, account: OfficialAccount, actor: User, upload, kind: str
) -> MediaAsset:
    """Store a video (MP4) or an audio file (M4A, MP3) of at most 200 MB for
    a video or audio bubble (spec 2).

    Returns the asset and the duration read from an MP4/M4A (an audio
    message's required ``duration``). Raises ``ApplicationError`` for
    anything else; nothing is stored then.
    """
    if kind not in (BroadcastAsset.Kind.VIDEO, BroadcastAsset.Kind.AUDIO):
        raise ApplicationError(_("Choose what the file is for."))
    checked: CheckedMedia = media_check(upload, kinds=(kind,))
    key = secrets.token_hex(12)
    name = f"broadcasts/{key}/original.{checked.extension}"
    upload.seek(0)
    stored = default_storage.save(name, upload)
    try:
        url = f"{settings.MEDIA_URL}{stored}"
        asset = BroadcastAsset.objects.create(
            account=account,
            kind=kind,
            key=key,
            original_url=url,
            preview_url="",
            width=0,
            height=0,
        )
    except Exception:
        default_storage.delete(stored)
        raise
    audit_record(
        account=account, actor=actor, action="broadcast.media_upload", target=key
    )
    return MediaAsset(asset=asset, duration_ms=checked.duration_ms)
