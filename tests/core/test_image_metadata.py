"""Every stored image is stored without metadata (EXIF GPS, comments, XMP).

Photos kept whole (chat and talk photos) lose their metadata segments
without being re-encoded; only the EXIF orientation survives, so a phone
photo still shows upright. Re-encoded copies (previews, pictures, composer
images) carry nothing.
"""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from accounts.services import account_picture_set
from chat.services import chat_image_send
from core.images import image_strip_metadata
from messaging.store.assets import asset_upload
from talk import services as talk_services
from tests.chat.factories import talk
from tests.talk.factories import befriend, make_persona

pytestmark = pytest.mark.django_db

GPS = 0x8825
ORIENTATION = 0x0112
SECRET = b"Secret Street 1, Tokyo"


def _jpeg_with_gps(orientation: int = 6, size=(400, 300)) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS).update({1: "N", 2: (35.0, 39.0, 31.0), 3: "E"})
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(
        out, format="JPEG", exif=exif.tobytes(), comment=SECRET
    )
    data = out.getvalue()
    # an XMP packet as phones write it (APP1 "http://ns.adobe.com/xap/1.0/")
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + SECRET + b"</x:xmpmeta>"
    segment = b"\xff\xe1" + (len(xmp) + 2).to_bytes(2, "big") + xmp
    return data[:2] + segment + data[2:]


def _png_with_text(size=(300, 200)) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET.decode())
    info.add_itxt("Location", SECRET.decode())
    exif = Image.Exif()
    exif.get_ifd(GPS).update({1: "N"})
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(
        out, format="PNG", pnginfo=info, exif=exif.tobytes()
    )
    return out.getvalue()


def _clean(data: bytes, orientation: int | None = None) -> None:
    assert SECRET not in data
    assert b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert GPS not in exif
        assert dict(exif) == ({} if orientation is None else {ORIENTATION: orientation})
        assert "comment" not in image.info
        image.load()


def _stored(settings) -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT)
    return {
        str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()
    }


def test_the_fixtures_carry_the_metadata():
    assert SECRET in _jpeg_with_gps() and SECRET in _png_with_text()
    with Image.open(io.BytesIO(_jpeg_with_gps())) as image:
        assert GPS in image.getexif()


def test_stripping_a_jpeg_keeps_its_pixels_and_orientation():
    data = _jpeg_with_gps(orientation=6)
    stripped = image_strip_metadata(data, "JPEG")
    _clean(stripped, orientation=6)
    # the compressed image data is untouched (no re-encoding)
    assert stripped[stripped.index(b"\xff\xda") :] == data[data.index(b"\xff\xda") :]


def test_stripping_a_png_keeps_its_pixels():
    data = _png_with_text()
    stripped = image_strip_metadata(data, "PNG")
    _clean(stripped)
    with Image.open(io.BytesIO(data)) as a, Image.open(io.BytesIO(stripped)) as b:
        assert a.tobytes() == b.tobytes()


def test_a_staff_photo_is_stored_without_metadata(account, alice, settings):
    conversation = talk(account)
    chat_image_send(
        account=account,
        actor=alice,
        conversation_id=conversation.pk,
        upload=SimpleUploadedFile("p.jpg", _jpeg_with_gps()),
    )
    files = _stored(settings)
    assert len(files) == 2
    for name, data in files.items():
        _clean(data, orientation=None if "preview" in name else 6)


@pytest.mark.parametrize(
    ("data", "name"), [(_jpeg_with_gps(), "p.jpg"), (_png_with_text(), "p.png")]
)
def test_a_customer_photo_is_stored_without_metadata(account, settings, data, name):
    friend = befriend(account, make_persona())
    before = set(_stored(settings))
    message = talk_services.image_send(
        friend=friend, upload=SimpleUploadedFile(name, data)
    )
    new = {k: v for k, v in _stored(settings).items() if k not in before}
    assert sorted(new) == sorted([message.content.name, message.preview.name])
    orientation = 6 if name.endswith("jpg") else None
    _clean(new[message.content.name], orientation=orientation)
    _clean(new[message.preview.name])


@pytest.mark.parametrize("kind", ["image", "imagemap", "card"])
def test_composer_images_are_stored_without_metadata(account, alice, settings, kind):
    asset_upload(
        account=account,
        actor=alice,
        upload=SimpleUploadedFile("p.jpg", _jpeg_with_gps(size=(1200, 900))),
        kind=kind,
    )
    files = _stored(settings)
    assert files
    for data in files.values():
        _clean(data)


def test_pictures_are_stored_without_metadata(account, alice, settings):
    account_picture_set(
        account=account,
        actor=alice,
        upload=SimpleUploadedFile("p.jpg", _jpeg_with_gps(size=(800, 800))),
    )
    persona = talk_services.persona_create(
        display_name="Hanako",
        picture_upload=SimpleUploadedFile("p.png", _png_with_text()),
    )
    files = _stored(settings)
    assert len(files) == 3 and persona.picture.name in files
    for data in files.values():
        _clean(data)
