"""Uploaded images: Pillow checks and resizes, and the limits they share.

Every upload (profile pictures, photos in chat and the talk app, composer
images, QR code pictures) is decoded completely by ``image_check`` before
anything is written.
"""

import io
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.exceptions import ApplicationError

# Pillow treats images above this many pixels as a possible decompression
# bomb. 6000x6000 is far above any profile picture a phone produces.
MAX_PIXELS = 36_000_000
# A photo or composer image: LINE takes image messages up to 10 MB.
IMAGE_MAX_BYTES = 10 * 1024 * 1024
# A profile picture (an account's or a customer persona's).
PICTURE_MAX_BYTES = 3 * 1024 * 1024
# The longest side of the preview the talk room and the chat pane show
# inline (LINE's ``previewImageUrl``).
PREVIEW_SIDE = 240


@dataclass(frozen=True)
class CheckedImage:
    image: Image.Image
    format: str


def image_check(
    upload, *, max_bytes: int, formats: tuple[str, ...] = ("JPEG", "PNG")
) -> CheckedImage:
    """Open and fully decode an upload, or raise ``ApplicationError``.

    Rejects files over ``max_bytes``, formats other than ``formats``,
    truncated or corrupt files and decompression bombs. Nothing is written.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > max_bytes:
        raise ApplicationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{size / 1_048_576:.1f}", "limit": f"{max_bytes / 1_048_576:g}"}
        )
    allowed = "/".join(formats).replace("JPEG", "JPEG")
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format not in formats:
                raise ApplicationError(
                    _("Upload a %(formats)s image.") % {"formats": allowed}
                )
            if image.width * image.height > MAX_PIXELS:
                raise ApplicationError(
                    _("The image is too large (%(w)s×%(h)s pixels).")
                    % {"w": image.width, "h": image.height}
                )
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
