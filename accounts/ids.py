"""Random identifiers in LINE's formats."""

import secrets
import string

_BASIC_ID_ALPHABET = string.ascii_lowercase + string.digits
# A LINE user ID (a customer's, or a bot's ``userId``): ``U`` and 32
# lowercase hex digits. A regular expression without anchors.
USER_ID = r"U[0-9a-f]{32}"


def new_basic_id() -> str:
    """``@`` followed by 8 random lowercase letters or digits."""
    return "@" + "".join(secrets.choice(_BASIC_ID_ALPHABET) for _ in range(8))


def new_channel_id() -> str:
    """A 10-digit channel ID that does not start with 0."""
    return str(secrets.randbelow(9 * 10**9) + 10**9)


def new_channel_secret() -> str:
    return secrets.token_hex(16)


def new_user_id(prefix: str = "U") -> str:
    """A LINE user/bot ID: ``U`` and 32 lowercase hex digits."""
    return prefix + secrets.token_hex(16)
