"""Uploaded video and audio files: what they are, how long they play.

LINE takes video (MP4) and audio (M4A, MP3) messages up to 200 MB (spec 2).
Without ffmpeg on the server, the kind is read from a file's first bytes
(never from its name or the browser's type) and an MP4/M4A's duration from
its ``mvhd`` box.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError

MEDIA_MAX_BYTES = 200 * 1024 * 1024
# ``moov``/``mvhd`` (the duration) sits at the start or the end of an MP4.
_MP4_SCAN_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class CheckedMedia:
    kind: str  # "video" or "audio"
    extension: str  # "mp4", "m4a" or "mp3"
    duration_ms: int | None


def media_kind(upload) -> tuple[str, str] | None:
    """``("video"|"audio", extension)`` of an MP4, M4A or MP3, else None."""
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if head[4:8] == b"ftyp":
        if head[8:12] in (b"M4A ", b"M4B "):
            return "audio", "m4a"
        return "video", "mp4"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] >> 5 == 7):
        return "audio", "mp3"
    return None


def mp4_duration_ms(upload) -> int | None:
    """The duration in the ``mvhd`` box of an MP4/M4A, if found quickly."""
    size = upload.size or 0
    upload.seek(0)
    chunks = [upload.read(_MP4_SCAN_BYTES)]
    if size > _MP4_SCAN_BYTES:
        upload.seek(max(size - _MP4_SCAN_BYTES, _MP4_SCAN_BYTES))
        chunks.append(upload.read())
    upload.seek(0)
    for data in chunks:
        at = data.find(b"mvhd")
        if at < 0 or len(data) < at + 36:
            continue
        if data[at + 4] == 1:  # version 1: 64-bit times
            scale = int.from_bytes(data[at + 24 : at + 28], "big")
            length = int.from_bytes(data[at + 28 : at + 36], "big")
        else:
            scale = int.from_bytes(data[at + 16 : at + 20], "big")
            length = int.from_bytes(data[at + 20 : at + 24], "big")
        if scale:
            return length * 1000 // scale
    return None


def media_check(upload, *, max_bytes: int = MEDIA_MAX_BYTES, kinds=("video", "audio")):
    """What an uploaded video/audio file is, or ``ApplicationError``.

    ``kinds`` limits what is accepted (a video bubble takes only MP4).
    """
    if upload.size > max_bytes:
        raise ApplicationError(_("A video or audio file can be at most 200 MB."))
    found = media_kind(upload)
    if found is None or found[0] not in kinds:
        if kinds == ("video",):
            raise ApplicationError(_("Choose an MP4 video."))
        if kinds == ("audio",):
            raise ApplicationError(_("Choose an M4A or MP3 audio file."))
        raise ApplicationError(
            _("Send a photo (JPEG, PNG), a video (MP4) or an audio file (M4A, MP3).")
        )
    kind, ext = found
    duration = mp4_duration_ms(upload) if ext != "mp3" else None
    return CheckedMedia(kind=kind, extension=ext, duration_ms=duration)
