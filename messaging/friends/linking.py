"""Account linking: link tokens (LINE's ``linkToken``), docs/bot-developers.md.

``link_token_issue`` is the API's half; ``link_token_use`` the account-link
dialog's, called by ``chat.inbound.customer_account_link`` (the customer
door), which sends the ``accountLink`` webhook event.
"""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from messaging.friends.models import Friend, LineUser, LinkToken

LINK_TOKEN_TTL = dt.timedelta(minutes=10)
OK = "ok"
FAILED = "failed"


@transaction.atomic
def link_token_issue(*, friend: Friend) -> LinkToken:
    """A new single-use link token for ``friend``, valid 10 minutes.

    The token is 32 URL-safe characters, as LINE's are.
    """
    now = timezone.now()
    return LinkToken.objects.create(
        account=friend.account,
        friend=friend,
        token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + LINK_TOKEN_TTL,
    )


@dataclass(frozen=True)
class LinkUse:
    """What the dialog did: ``result`` ok/failed; ``link`` None if the
    token is unknown (then no event can be sent)."""

    result: str
    link: LinkToken | None
    reason: str = ""  # expired, used, other_user, unknown


def link_token_use(*, token: str, line_user: LineUser) -> LinkUse:
    """Use ``token`` for ``line_user``; call inside the door's transaction.

    ``ok`` only for an unused, unexpired token issued for ``line_user``'s
    friendship; the token is then spent. An expired or used token, or one
    issued for another user, is ``failed`` and changes nothing.
    """
    link = (
        LinkToken.objects.select_for_update(of=("self",))
        .select_related("account", "friend__line_user")
        .filter(token=token)
        .first()
    )
    if link is None:
        return LinkUse(FAILED, None, "unknown")
    now = timezone.now()
    if link.used_at is not None:
        return LinkUse(FAILED, link, "used")
    if link.expires_at <= now:
        return LinkUse(FAILED, link, "expired")
    if link.friend.line_user_id != line_user.pk:
        return LinkUse(FAILED, link, "other_user")
    link.used_at = now
    link.save(update_fields=["used_at"])
    return LinkUse(OK, link)


def link_tokens_prune() -> int:
    """Delete link tokens expired more than a day ago."""
    cutoff = timezone.now() - dt.timedelta(days=1)
    deleted, _ = LinkToken.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
