"""Free-drawn areas and the date-time picker action in the Manager's editor."""

import pytest
from PIL import Image

from accounts.models import AuditLog
from richmenu.models import RichMenu
from tests.richmenu.test_views import _post

pytestmark = pytest.mark.django_db


def _box(i, x, y, w, h) -> dict:
    p = f"area{i}_"
    return {p + "x": x, p + "y": y, p + "width": w, p + "height": h}


FREE = {
    "layout": "free-compact",
    "area0_type": "message",
    "area0_value": "Hours",
    "area1_type": "",
    "area1_value": "",
}


def test_drawn_areas_are_saved_with_their_bounds(alice_client, account):
    fields = {
        **FREE,
        **_box(0, 0, 0, 800, 843),
        **_box(3, 1000, 100, 600, 400),
        "area3_type": "uri",
        "area3_value": "https://example.com/",
        # drawn without an action: kept for the image, not an area
        **_box(5, 1700, 0, 800, 843),
        "area5_label": "Soon",
    }
    assert _post(alice_client, account, image="", **fields).status_code == 302
    menu = RichMenu.objects.get()
    assert menu.layout == "free-compact"
    assert menu.areas == [
        {
            "bounds": {"x": 0, "y": 0, "width": 800, "height": 843},
            "action": {"type": "message", "text": "Hours"},
        },
        {
            "bounds": {"x": 1000, "y": 100, "width": 600, "height": 400},
            "action": {"type": "uri", "uri": "https://example.com/"},
        },
    ]
    assert [t["bounds"]["x"] for t in menu.tiles] == [0, 1000, 1700]
    with menu.image.open("rb") as f, Image.open(f) as image:
        assert image.size == (2500, 843)
        assert image.getpixel((900, 600)) == (255, 255, 255)  # outside areas
    # the editor opens with the three drawn areas, in order
    form = alice_client.get(
        f"/manager/{account.slug}/richmenus/{menu.pk}/edit/"
    ).context["form"]
    assert [form[f"area{i}_x"].value() for i in range(4)] == [0, 1000, 1700, None]
    assert form["area2_label"].value() == "Soon"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (_box(0, 2000, 0, 600, 843), "area0_x", "inside the 2500×843 image"),
        (_box(0, 0, 500, 800, 400), "area0_x", "inside the 2500×843 image"),
        (
            {**_box(0, 0, 0, 800, 843), **_box(1, 700, 0, 800, 843)},
            "area1_x",
            "overlaps area A",
        ),
        ({"area0_x": 0, "area0_y": 0}, "area0_x", "left, top, width and height"),
        ({}, "area0_x", "Draw this area"),
        (_box(0, 0, 0, 0, 843), "area0_x", "at least 1 pixel"),
    ],
)
def test_bad_areas_are_form_errors_and_nothing_is_saved(
    alice_client, account, fields, field, message
):
    response = _post(alice_client, account, image="", **FREE, **fields)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert RichMenu.objects.count() == 0
    assert AuditLog.objects.filter(action__startswith="richmenu.").count() == 0


def test_a_free_layout_needs_an_area(alice_client, account):
    response = _post(
        alice_client,
        account,
        image="",
        layout="free-large",
        area0_type="",
        area1_type="",
    )
    assert response.context["form"].non_field_errors() == [
        "Draw at least one area on the image."
    ]
    assert RichMenu.objects.count() == 0


def test_twenty_areas_are_the_most(alice_client, account):
    # 20 areas of 125 × 843 side by side fill the compact image
    fields = {"layout": "free-compact", "area1_type": ""}
    for i in range(20):
        fields.update(_box(i, i * 125, 0, 125, 843))
        fields.update({f"area{i}_type": "postback", f"area{i}_value": f"a={i}"})
    assert _post(alice_client, account, image="", **fields).status_code == 302
    assert len(RichMenu.objects.get().areas) == 20
    form = alice_client.get(f"/manager/{account.slug}/richmenus/new/").context["form"]
    assert "area20_x" not in form.fields


def test_a_date_time_picker_area(alice_client, account):
    fields = {
        "area1_type": "datetimepicker",
        "area1_value": "action=reserve",
        "area1_mode": "datetime",
        "area1_initial": "2026-12-24T18:00",
        "area1_min": "2026-12-01t09:00",
        "area1_max": "2026-12-31T21:00",
    }
    assert _post(alice_client, account, **fields).status_code == 302
    assert RichMenu.objects.get().areas[1]["action"] == {
        "type": "datetimepicker",
        "data": "action=reserve",
        "mode": "datetime",
        "initial": "2026-12-24T18:00",
        "min": "2026-12-01T09:00",
        "max": "2026-12-31T21:00",
    }


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"area1_mode": "date", "area1_initial": "2026-02-31"},
            "area1_initial",
            "2026-04-01",
        ),
        ({"area1_mode": "time", "area1_initial": "25:00"}, "area1_initial", "09:30"),
        ({"area1_mode": "date", "area1_min": "1899-12-31"}, "area1_min", "2026-04-01"),
        (
            {"area1_mode": "time", "area1_min": "18:00", "area1_max": "09:00"},
            "area1_max",
            "not be before",
        ),
        (
            {
                "area1_mode": "date",
                "area1_initial": "2027-01-01",
                "area1_max": "2026-12-31",
            },
            "area1_initial",
            "within the range",
        ),
        ({"area1_mode": "week"}, "area1_mode", "valid choice"),
    ],
)
def test_bad_picker_values_are_form_errors(
    alice_client, account, fields, field, message
):
    data = {"area1_type": "datetimepicker", "area1_value": "d", **fields}
    response = _post(alice_client, account, **data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert RichMenu.objects.count() == 0
