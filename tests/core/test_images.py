"""Image decoding is bounded per use: pixels, JPEG draft scale, concurrency.

A 105 KB 6000×6000 PNG used to pass the pixel check (36 MP, ``>``) and
cost ~170 MB to decode. Each use now caps the pixels it decodes (what it
needs), JPEGs are decoded at the smallest 1/2, 1/4 or 1/8 scale that keeps
the size the use needs (Pillow's ``draft``), and a process decodes at most
``IMAGE_DECODE_CONCURRENCY`` images at once.
"""

import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import AuditLog
from core.exceptions import ApplicationError
from core.images import PHOTO, PICTURE, QR, image_check, image_decode_slot
from tests.unchanged import assert_unchanged


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 200).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(
        out, format="JPEG", quality=50
    )
    return out.getvalue()


def _upload(data: bytes, name="p.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_caps_per_use():
    assert (PICTURE.max_bytes, PICTURE.max_pixels, PICTURE.side) == (
        3 * 1024 * 1024,
        4096 * 4096,
        640,
    )
    assert (PHOTO.max_bytes, PHOTO.max_pixels, PHOTO.side) == (
        10 * 1024 * 1024,
        4096 * 4096,
        None,
    )
    assert (QR.max_bytes, QR.max_pixels, QR.side) == (
        10 * 1024 * 1024,
        4096 * 4096,
        1600,
    )


@pytest.mark.parametrize("use", [PICTURE, PHOTO, QR])
def test_a_small_6000_px_png_is_refused_before_decoding(use):
    data = _png(6000, 6000)
    assert len(data) < 200_000
    with pytest.raises(ApplicationError) as excinfo:
        image_check(_upload(data), use=use)
    assert excinfo.value.message == "The image is too large (6000×6000 pixels)."


def test_a_large_jpeg_picture_is_decoded_at_the_scale_it_needs():
    # a 6000×6000 JPEG profile picture, needed at 640 px: decoded at 1/8
    checked = image_check(_upload(_jpeg(6000, 6000), "p.jpg"), use=PICTURE)
    assert (checked.format, checked.image.size) == ("JPEG", (750, 750))


def test_a_wide_jpeg_keeps_its_short_side_above_what_is_needed():
    checked = image_check(_upload(_jpeg(6000, 3000), "p.jpg"), use=PICTURE)
    assert checked.image.size == (1500, 750)


def test_a_photo_is_decoded_at_full_size_up_to_its_cap():
    checked = image_check(_upload(_jpeg(4032, 3024), "p.jpg"), use=PHOTO)
    assert checked.image.size == (4032, 3024)
    with pytest.raises(ApplicationError) as excinfo:
        image_check(_upload(_jpeg(5000, 4000), "p.jpg"), use=PHOTO)
    assert excinfo.value.message == "The image is too large (5000×4000 pixels)."


def test_decodes_wait_for_a_free_slot(settings):
    # given every decode slot of this process taken
    settings.IMAGE_DECODE_CONCURRENCY = 2
    settings.IMAGE_DECODE_WAIT_SECONDS = 0.2
    data = _jpeg(100, 100)
    with image_decode_slot(), image_decode_slot():
        # when another decode comes, it gives up after the wait
        with pytest.raises(ApplicationError) as excinfo:
            image_check(_upload(data, "p.jpg"), use=PHOTO)
        assert excinfo.value.message == (
            "Too many images are being processed; try again in a moment."
        )
    # and once a slot is free it runs
    assert image_check(_upload(data, "p.jpg"), use=PHOTO).image.size == (100, 100)


def test_at_most_the_configured_number_decode_at_once(settings):
    settings.IMAGE_DECODE_CONCURRENCY = 2
    settings.IMAGE_DECODE_WAIT_SECONDS = 5
    inside = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Event()

    def hold():
        nonlocal inside, peak
        with image_decode_slot():
            with lock:
                inside += 1
                peak = max(peak, inside)
            release.wait(1)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=hold) for _i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


@pytest.mark.django_db
def test_the_manager_refuses_a_6000_px_png_picture(alice_client, account, settings):
    with assert_unchanged():
        response = alice_client.post(
            reverse("accounts:account-settings", args=[account.slug]),
            {"picture": _upload(_png(6000, 6000))},
        )
    assert response.status_code == 400
    assert response.context["picture_form"].errors["picture"] == [
        "The image is too large (6000×6000 pixels)."
    ]
    account.refresh_from_db()
    assert not account.picture_large
    assert not AuditLog.objects.filter(action="account.picture_update").exists()
