"""The one placeholder engine: {Nickname} and {AccountName}."""

from accounts.models import OfficialAccount
from messaging.friends.models import (
    Friend,
)


def placeholders_render(
    messages: list[dict], *, friend: Friend, account: OfficialAccount
) -> list[dict]:
    """Copies of ``messages`` with {Nickname} and {AccountName} filled in."""
    out = []
    for msg in messages:
        if msg.get("type") == "text":
            msg = {
                **msg,
                "text": msg["text"]
                .replace("{Nickname}", friend.line_user.display_name)
                .replace("{AccountName}", account.display_name),
            }
        out.append(msg)
    return out
