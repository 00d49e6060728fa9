"""Rich menu areas that open a coupon or the shop card (issue 15, #1): the
editor offers the account's running coupons and its card; the area is
LINE's URI action to the talk app's screen, as LINE's Manager makes it."""

import pytest
from django.conf import settings

from richmenu.models import RichMenu
from tests.coupons.factories import make_coupon
from tests.factories import make_account
from tests.richmenu.test_views import _post

pytestmark = pytest.mark.django_db


def _areas(menu: RichMenu) -> list[dict]:
    return [a["action"] for a in menu.areas]


def test_a_coupon_area_and_a_shop_card_area(alice_client, account):
    coupon = make_coupon(account, title="Coffee 100 yen off")
    page = alice_client.get(f"/manager/{account.slug}/richmenus/new/")
    assert "Coffee 100 yen off" in page.content.decode()
    answer = _post(
        alice_client,
        account,
        area0_type="coupon",
        area0_value="",
        area0_coupon=coupon.coupon_id,
        area1_type="shopcard",
        area1_value="",
    )
    assert answer.status_code == 302
    menu = RichMenu.objects.get()
    card = f"{settings.SITE_URL}/talk/accounts/{account.basic_id}/card/"  # "@…"
    assert _areas(menu) == [
        {"type": "uri", "uri": f"{settings.SITE_URL}/talk/coupons/{coupon.coupon_id}/"},
        {"type": "uri", "uri": card},
    ]
    # and the editor opens them again as a coupon and a shop card area
    edit = alice_client.get(f"/manager/{account.slug}/richmenus/{menu.pk}/edit/")
    form = edit.context["form"]
    assert (form["area0_type"].value(), form["area0_coupon"].value()) == (
        "coupon",
        coupon.coupon_id,
    )
    assert form["area1_type"].value() == "shopcard"


@pytest.mark.parametrize("which", ["none", "foreign"])
def test_a_coupon_area_needs_a_coupon_of_the_account(
    alice_client, account, alice, which
):
    coupon_id = ""
    if which == "foreign":
        coupon_id = make_coupon(make_account(admin=alice, name="Other")).coupon_id
    answer = _post(
        alice_client,
        account,
        area0_type="coupon",
        area0_value="",
        area0_coupon=coupon_id,
    )
    assert answer.status_code == 200
    errors = answer.context["form"].errors["area0_coupon"]
    assert errors == (
        ["Choose a coupon."]
        if which == "none"
        else [
            f"Select a valid choice. {coupon_id} is not one of the available choices."
        ]
    )
    assert not RichMenu.objects.exists()
