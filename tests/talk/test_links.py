import pytest

from core.exceptions import ApplicationError
from talk.links import (
    AddLink,
    add_friend_path,
    add_friend_url,
    add_link_parse,
    qr_decode,
)
from tests.talk.factories import image_bytes, qr_png, upload

pytestmark = pytest.mark.django_db


def test_add_friend_url_uses_site_url(account, settings):
    settings.SITE_URL = "https://oa.example.jp"
    slug = account.basic_id[1:]
    assert add_friend_url(account) == f"https://oa.example.jp/talk/add/@{slug}"
    assert add_friend_url(account, source_code="flyer01") == (
        f"https://oa.example.jp/talk/add/@{slug}?src=flyer01"
    )
    assert add_friend_path(account.basic_id) == f"/talk/add/@{slug}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://oa.example.jp/talk/add/@ab12cd34", AddLink("@ab12cd34")),
        (
            "http://127.0.0.1:8000/talk/add/@ab12cd34?src=flyer",
            AddLink("@ab12cd34", "flyer"),
        ),
        ("  /talk/add/@AB12CD34/  ", AddLink("@ab12cd34")),
        ("https://x.test/talk/add/%40ab12cd34", AddLink("@ab12cd34")),
        ("https://x.test/talk/add/@demo.cafe?src=a&x=1", AddLink("@demo.cafe", "a")),
        ("https://line.me/R/ti/p/@AB12CD34", AddLink("@ab12cd34")),
        ("https://line.me/R/ti/p/%40ab12cd34", AddLink("@ab12cd34")),
        ("line://ti/p/@demo.cafe", AddLink("@demo.cafe")),
        (" @Demo.Cafe ", AddLink("@demo.cafe")),
    ],
)
def test_add_link_parse_accepts_any_host_with_the_add_path(text, expected):
    assert add_link_parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://line.me/R/ti/p/ab12cd34",
        "https://line.me/R/nv/chat",
        "line://ti/g/@ab12cd34",
        "https://evil.example/R/ti/p/@ab12cd34",
        "@a b",
        "https://example.com/",
        "https://x.test/talk/add/ab12cd34",
        "https://x.test/talk/add/@ab12cd34/extra",
        "javascript:alert(1)//talk/add/@ab12cd34",
        "ftp://x.test/talk/add/@ab12cd34",
        "hello",
        "",
    ],
)
def test_add_link_parse_rejects_anything_else(text):
    with pytest.raises(ApplicationError, match="not an add-friend link"):
        add_link_parse(text)


def test_qr_decode_reads_a_qr_code_picture():
    text = "https://oa.example.jp/talk/add/@ab12cd34?src=counter"
    assert qr_decode(upload(qr_png(text), "qr.png", "image/png")) == text


def test_qr_decode_refuses_a_picture_without_qr_code():
    with pytest.raises(ApplicationError, match="No QR code"):
        qr_decode(upload(image_bytes("PNG"), "cat.png", "image/png"))


def test_qr_decode_refuses_a_file_that_is_not_a_picture():
    with pytest.raises(ApplicationError, match="JPEG/PNG"):
        qr_decode(upload(b"BEGIN:VCARD", "card.vcf", "text/vcard"))
