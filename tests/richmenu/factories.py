"""Rich menu objects and images for the tests; rows come from services."""

import io

from PIL import Image

from richmenu.models import RichMenu
from richmenu.services import richmenu_create, richmenu_image_upload


def png(width: int = 2500, height: int = 843, colour=(6, 199, 85)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def jpeg(width: int = 2500, height: int = 843) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (255, 255, 255)).save(out, format="JPEG")
    return out.getvalue()


def menu_object(**overrides) -> dict:
    """LINE's rich menu object: compact, two areas (message and postback)."""
    body = {
        "size": {"width": 2500, "height": 843},
        "selected": True,
        "name": "Shop menu",
        "chatBarText": "Menu",
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
                "action": {"type": "message", "text": "Opening hours"},
            },
            {
                "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                "action": {"type": "postback", "data": "page=coupons"},
            },
        ],
    }
    body.update(overrides)
    return body


def published(account, *, origin=RichMenu.Origin.API, **kwargs) -> RichMenu:
    """A menu with its image, created through the services."""
    period = {
        k: kwargs.pop(k) for k in ("display_from", "display_until") if k in kwargs
    }
    menu = richmenu_create(
        account=account, data=menu_object(**kwargs), origin=origin, **period
    )
    return richmenu_image_upload(menu=menu, content=png(), content_type="image/png")
