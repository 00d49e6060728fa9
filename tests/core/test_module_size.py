"""The 800-line module guideline, held for the product's code.

A module past it is split by what it does (the bubble renderer went to
one module per message family: ``messaging/store/rendering*.py``).
Migrations are generated and tests are not product code.
"""

from pathlib import Path

from django.conf import settings

MAX_LINES = 800
APPS = (
    "accounts",
    "analytics",
    "chat",
    "config",
    "core",
    "coupons",
    "messaging",
    "research",
    "richmenu",
    "shopcard",
    "talk",
    "voom",
)


def test_no_module_is_longer_than_800_lines():
    root = Path(settings.BASE_DIR)
    long = {
        str(path.relative_to(root)): n
        for app in APPS
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
        and (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
