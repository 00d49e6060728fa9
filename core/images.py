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


def image_encode(image: Image.Image, fmt: str, *, quality: int = 85) -> bytes:
    """``image`` as PNG (optimised) or JPEG bytes, without any metadata.

    Pillow carries some of the source's metadata into a re-encoded file
    (a JPEG's comment); the bytes go through ``image_strip_metadata`` too.
    """
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, format="PNG", optimize=True)
    else:
        image.convert("RGB").save(out, format="JPEG", quality=quality)
        fmt = "JPEG"
    return image_strip_metadata(out.getvalue(), fmt)


def image_square(checked: CheckedImage, *, side: int, name: str) -> ContentFile:
    """Crop to a centred square, resize to ``side`` and encode as JPEG/PNG."""
    image = ImageOps.exif_transpose(checked.image)
    image = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)
    ext = "png" if checked.format == "PNG" else "jpg"
    data = image_encode(image, checked.format, quality=88)
    return ContentFile(data, name=f"{name}.{ext}")


def image_preview(checked: CheckedImage, *, side: int, name: str) -> ContentFile:
    """A copy that fits in ``side``×``side``, for talk-room bubbles."""
    image = ImageOps.exif_transpose(checked.image)
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    ext = "png" if checked.format == "PNG" else "jpg"
    data = image_encode(image, checked.format, quality=85)
    return ContentFile(data, name=f"{name}-preview.{ext}")


def image_original(upload, checked: CheckedImage, *, name: str) -> ContentFile:
    """The checked upload, whole, as a file to store: metadata stripped.

    Not re-encoded (no quality lost); a JPEG keeps its EXIF orientation.
    """
    upload.seek(0)
    data = image_strip_metadata(upload.read(), checked.format)
    upload.seek(0)
    ext = "png" if checked.format == "PNG" else "jpg"
    return ContentFile(data, name=f"{name}.{ext}")


# JPEG segments kept when metadata is stripped: JFIF (APP0), the colour
# profile (APP2 "ICC_PROFILE") and Adobe's colour transform (APP14). Every
# other APPn (EXIF, XMP, maker notes…) and comments (COM) go.
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD9)}
# PNG chunks kept: the image and how to render it. Text (tEXt, zTXt, iTXt),
# eXIf, tIME and unknown ancillary chunks go.
_PNG_KEPT = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"iCCP",
    b"sBIT",
    b"bKGD",
    b"pHYs",
    b"acTL",
    b"fcTL",
    b"fdAT",
}


def image_strip_metadata(data: bytes, fmt: str) -> bytes:
    """``data`` (a checked JPEG or PNG) without metadata, not re-encoded.

    A JPEG keeps only its EXIF orientation (written as the sole EXIF tag)
    so that it still shows upright. Raises ``ApplicationError`` if the
    file's structure cannot be walked.
    """
    try:
        if fmt == "JPEG":
            return _jpeg_strip(data)
        if fmt == "PNG":
            return _png_strip(data)
    except (IndexError, ValueError):
        pass
    raise ApplicationError(
        _("The file is not a valid JPEG/PNG image or it is damaged.")
    )


def _jpeg_strip(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    with Image.open(io.BytesIO(data)) as image:
        orientation = image.getexif().get(0x0112, 1)
    kept: list[bytes] = []
    i = 2
    while True:
        if data[i] != 0xFF:
            raise ValueError("marker expected")
        while data[i + 1] == 0xFF:  # fill bytes
            i += 1
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            rest = data[i:]
            break
        if marker in _JPEG_STANDALONE:
            kept.append(data[i : i + 2])
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment = data[i : i + 2 + length]
        payload = segment[4:]
        if (
            not (0xE0 <= marker <= 0xEF or marker == 0xFE)
            or (marker == 0xE0 and payload.startswith(b"JFIF\x00"))
            or (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00"))
            or (marker == 0xEE and payload.startswith(b"Adobe"))
        ):
            kept.append(segment)
        i += 2 + length
    if orientation in range(2, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        body = exif.tobytes()
        app1 = b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
        at = 1 if kept and kept[0][:2] == b"\xff\xe0" else 0
        kept.insert(at, app1)
    return b"\xff\xd8" + b"".join(kept) + rest


def _png_strip(data: bytes) -> bytes:
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        raise ValueError("not a PNG")
    out = [signature]
    i = len(signature)
    while i < len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            raise ValueError("truncated chunk")
        if kind in _PNG_KEPT:
            out.append(data[i:end])
        i = end
        if kind == b"IEND":
            break
    return b"".join(out)
