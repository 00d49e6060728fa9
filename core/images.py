"""Uploaded images: Pillow checks and resizes, and the limits they share.

Every upload (profile pictures, photos in chat and the talk app, composer
images, QR code pictures) is decoded completely by ``image_check`` before
anything is written.
"""

import contextlib
import io
import threading
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.exceptions import ApplicationError

# A photo or composer image: LINE takes image messages up to 10 MB.
IMAGE_MAX_BYTES = 10 * 1024 * 1024
# A profile picture (an account's or a customer persona's).
PICTURE_MAX_BYTES = 3 * 1024 * 1024
# The longest side of the preview the talk room and the chat pane show
# inline (LINE's ``previewImageUrl``).
PREVIEW_SIDE = 240
# Decoded pixels: 4096×4096 (16.8 MP, ~50 MB as RGB, ~67 MB as RGBA) holds
# a 12 MP phone photo; a 6000×6000 image (36 MP, ~170 MB) does not.
DECODED_MAX_PIXELS = 4096 * 4096


@dataclass(frozen=True)
class ImageUse:
    """What one use of uploaded images accepts and needs.

    ``max_pixels`` bounds the image as decoded: a PNG as it is, a JPEG at
    the scale ``side`` lets Pillow decode it at (``Image.draft``: the
    smallest of 1/1, 1/2, 1/4, 1/8 that keeps both sides at least
    ``side``); ``side`` None keeps full size (the image is stored whole).
    """

    max_bytes: int
    max_pixels: int
    side: int | None


# Profile pictures are stored as 640×640 squares at most.
PICTURE = ImageUse(max_bytes=PICTURE_MAX_BYTES, max_pixels=DECODED_MAX_PIXELS, side=640)
# Photos in chat and the talk app, composer images: stored at full size.
PHOTO = ImageUse(max_bytes=IMAGE_MAX_BYTES, max_pixels=DECODED_MAX_PIXELS, side=None)
# A picture of a QR code: 1600 px is plenty for zxing.
QR = ImageUse(max_bytes=IMAGE_MAX_BYTES, max_pixels=DECODED_MAX_PIXELS, side=1600)

# Decodes a process runs at once (``IMAGE_DECODE_CONCURRENCY``); the
# semaphore is made on first use so the setting can be read then.
_slots: threading.BoundedSemaphore | None = None
_slots_size = 0
_slots_lock = threading.Lock()


def _decode_slots() -> threading.BoundedSemaphore:
    global _slots, _slots_size
    size = max(1, int(settings.IMAGE_DECODE_CONCURRENCY))
    with _slots_lock:
        if _slots is None or _slots_size != size:
            _slots, _slots_size = threading.BoundedSemaphore(size), size
        return _slots


@contextlib.contextmanager
def image_decode_slot():
    """Hold one of this process's decode slots; ``ApplicationError`` if busy.

    Waits up to ``IMAGE_DECODE_WAIT_SECONDS`` for a slot: a burst of
    uploads is decoded a few at a time instead of all at once, so memory
    stays near ``IMAGE_DECODE_CONCURRENCY`` × the largest decode.
    """
    slots = _decode_slots()
    if not slots.acquire(timeout=settings.IMAGE_DECODE_WAIT_SECONDS):
        raise ApplicationError(
            _("Too many images are being processed; try again in a moment.")
        )
    try:
        yield
    finally:
        slots.release()


@dataclass(frozen=True)
class CheckedImage:
    image: Image.Image
    format: str


def image_check(
    upload, *, use: ImageUse, formats: tuple[str, ...] = ("JPEG", "PNG")
) -> CheckedImage:
    """Open and fully decode an upload for ``use``, or raise ``ApplicationError``.

    Rejects files over ``use.max_bytes``, formats other than ``formats``,
    images above ``use.max_pixels`` (checked on the header, before
    decoding), truncated or corrupt files and decompression bombs. JPEGs
    are decoded at the scale ``use.side`` needs. Nothing is written. The
    decode holds an ``image_decode_slot``.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > use.max_bytes:
        raise ApplicationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "size": f"{size / 1_048_576:.1f}",
                "limit": f"{use.max_bytes / 1_048_576:g}",
            }
        )
    allowed = "/".join(formats)
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format not in formats:
                raise ApplicationError(
                    _("Upload a %(formats)s image.") % {"formats": allowed}
                )
            width, height = image.size
            if use.side and image.format == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale in the JPEG decoder itself.
                image.draft(image.mode, (use.side, use.side))
            if image.width * image.height > use.max_pixels:
                raise ApplicationError(
                    _("The image is too large (%(w)s×%(h)s pixels).")
                    % {"w": width, "h": height}
                )
            with image_decode_slot():
                image.load()
    except ApplicationError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ApplicationError(_("The image is too large to process.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ApplicationError(
            _("The file is not a valid %(formats)s image or it is damaged.")
            % {"formats": allowed}
        ) from None
    finally:
        upload.seek(0)
    return CheckedImage(image=image, format=image.format)


def image_square(checked: CheckedImage, *, side: int, name: str) -> ContentFile:
    """Crop to a centred square, resize to ``side`` and encode as JPEG/PNG."""
    image = ImageOps.exif_transpose(checked.image)
    image = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if checked.format == "PNG":
        image.save(out, format="PNG", optimize=True)
        ext = "png"
    else:
        image.convert("RGB").save(out, format="JPEG", quality=88)
        ext = "jpg"
    return ContentFile(out.getvalue(), name=f"{name}.{ext}")


def image_preview(checked: CheckedImage, *, side: int, name: str) -> ContentFile:
    """A copy that fits in ``side``×``side``, for talk-room bubbles."""
    image = ImageOps.exif_transpose(checked.image)
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if checked.format == "PNG":
        image.save(out, format="PNG", optimize=True)
        return ContentFile(out.getvalue(), name=f"{name}-preview.png")
    image.convert("RGB").save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue(), name=f"{name}-preview.jpg")
