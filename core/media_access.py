"""Customers' uploads are seen only through the pages that show them.

Files under ``PROTECTED_MEDIA_PREFIXES`` (what customers send: photos,
videos, audio) are served by ``core.views.media`` only with a signature
that the page showing the message adds to the URL
(``signed_media_url``), valid ``SIGNED_MEDIA_MAX_AGE`` seconds. So a
customer's photo is visible to the people who may open that conversation
(staff of the account, the customer), not to anyone who guesses or finds
its path. Bots download the same files through
``GET /v2/bot/message/{id}/content`` with their channel token, as on LINE.
Files the account publishes itself (broadcast images, rich menus,
avatars) stay public: LINE fetches those by URL.
"""

from django.core import signing

PROTECTED_MEDIA_PREFIXES = ("content/",)
SIGNED_MEDIA_MAX_AGE = 7 * 24 * 3600
_SALT = "core.media_access"


def media_protected(name: str) -> bool:
    return name.startswith(PROTECTED_MEDIA_PREFIXES)


def signed_media_url(field) -> str:
    """``field.url`` with ``?s=<timestamp:signature>`` for a protected file
    (unchanged for others)."""
    url = field.url
    if not media_protected(field.name):
        return url
    token = signing.TimestampSigner(salt=_SALT).sign(field.name)
    return f"{url}?s={token[len(field.name) + 1 :]}"


def media_signature_valid(name: str, token: str | None) -> bool:
    """Whether ``token`` (from ``?s=``) was made for ``name`` and is fresh."""
    if not token:
        return False
    try:
        signing.TimestampSigner(salt=_SALT).unsign(
            f"{name}:{token}", max_age=SIGNED_MEDIA_MAX_AGE
        )
    except signing.BadSignature:
        return False
    return True
