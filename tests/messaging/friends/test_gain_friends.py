"""Gain friends: add-friend URL, QR codes (PNG/SVG), button, sources."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image, ImageDraw

from messaging.friends.models import FriendSource
from tests.messaging.factories import FriendSourceFactory, make_friend
from tests.unchanged import assert_unchanged

SITE = "https://oa.example.jp"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def url(account, name, *args) -> str:
    return reverse(f"friends:{name}", args=[account.slug, *args])


def decode_png(content: bytes) -> list[str]:
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


def decode_svg(content: bytes) -> list[str]:
    """Rasterise qrcode's path SVG (one ``M x,y H V H z`` square per module)."""
    root = ET.fromstring(content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    size = int(root.attrib["viewBox"].split()[2])
    path = root.find("{http://www.w3.org/2000/svg}path").attrib["d"]
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    squares = re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", path)
    assert squares
    for x0, y0, x1, y1 in squares:
        box = [
            int(x0) * scale,
            int(y0) * scale,
            int(x1) * scale - 1,
            int(y1) * scale - 1,
        ]
        draw.rectangle(box, fill=0)
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_gain_page_shows_url_qr_links_and_button_snippet(alice_client, account):
    response = alice_client.get(url(account, "friend-gain"))
    html = response.content.decode()
    add_url = f"{SITE}/talk/add/{account.basic_id}"
    assert response.status_code == 200
    assert response.context["add_url"] == add_url
    assert f'value="{add_url}"' in html
    assert f'href="{url(account, "friend-qr-png")}?download=1"' in html
    assert f'href="{url(account, "friend-qr-svg")}?download=1"' in html
    assert response.context["button_html"] == (
        f'<a href="{add_url}" target="_blank" rel="noopener" '
        'style="display:inline-block;padding:8px 20px;border-radius:6px;'
        "background:#06c755;color:#fff;font:bold 15px sans-serif;"
        'text-decoration:none">Add friend</a>'
    )
    # shown escaped in the copy box
    assert "&lt;a href=&quot;" + add_url in html


def test_account_qr_png_decodes_to_the_add_friend_url(alice_client, account):
    response = alice_client.get(url(account, "friend-qr-png"), {"download": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        f'attachment; filename="friend-qr-{account.slug}.png"'
    )
    assert decode_png(response.content) == [f"{SITE}/talk/add/{account.basic_id}"]


def test_account_qr_png_inline_has_no_attachment_header(alice_client, account):
    response = alice_client.get(url(account, "friend-qr-png"))
    assert "Content-Disposition" not in response
    assert decode_png(response.content) == [f"{SITE}/talk/add/{account.basic_id}"]


def test_account_qr_svg_decodes_to_the_add_friend_url(alice_client, account):
    response = alice_client.get(url(account, "friend-qr-svg"), {"download": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"] == (
        f'attachment; filename="friend-qr-{account.slug}.svg"'
    )
    assert decode_svg(response.content) == [f"{SITE}/talk/add/{account.basic_id}"]


def test_source_qr_codes_carry_the_source_code(bob_client, account):
    source = FriendSourceFactory(account=account, name="flyer", code="fly3r0abcd")
    expected = f"{SITE}/talk/add/{account.basic_id}?src=fly3r0abcd"
    png = bob_client.get(url(account, "source-qr-png", source.pk), {"download": "1"})
    svg = bob_client.get(url(account, "source-qr-svg", source.pk))
    assert decode_png(png.content) == [expected]
    assert decode_svg(svg.content) == [expected]
    assert png["Content-Disposition"] == (
        f'attachment; filename="friend-qr-{account.slug}-fly3r0abcd.png"'
    )


def test_unknown_source_qr_is_404(alice_client, account):
    assert alice_client.get(url(account, "source-qr-png", 999999)).status_code == 404


def test_create_source_then_see_its_url_and_friend_count(bob_client, account):
    response = bob_client.post(url(account, "friend-gain"), {"name": "counter"})
    assert response.status_code == 302
    source = FriendSource.objects.get(account=account)
    make_friend(account, source=source)
    make_friend(account, source=source)
    make_friend(account, source=source, status="blocked")
    page = bob_client.get(url(account, "friend-gain"))
    html = page.content.decode()
    assert f"{SITE}/talk/add/{account.basic_id}?src={source.code}" in html
    assert [(s.name, s.following, s.blocked) for s, _ in page.context["sources"]] == [
        ("counter", 2, 1)
    ]
    assert 'data-testid="source-following">2<' in html


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("flyer", "A source with this name already exists."),
        ("x" * 51, "Ensure this value has at most 50 characters (it has 51)."),
    ],
)
def test_create_source_bad_name_shows_field_error_and_writes_nothing(
    alice_client, account, name, error
):
    FriendSourceFactory(account=account, name="flyer")
    with assert_unchanged():
        response = alice_client.post(url(account, "friend-gain"), {"name": name})
    assert response.status_code == 400
    assert response.context["form"].errors == {"name": [error]}
    assert FriendSource.objects.count() == 1
