"""The one placeholder engine: ``{Nickname}`` and ``{AccountName}``.

Every sender fills them through this module, over the whole message object
(text, alt text, card titles and buttons, Flex text...), so a broadcast, a
step message, the greeting, an auto-response, a test send and a bot's push
read the same way. ``{Nickname}`` is the friend's LINE display name,
``{AccountName}`` the account's display name (LINE Official Account
Manager's "friend's display name" and "account name" tags).
"""

import json

NICKNAME = "{Nickname}"
ACCOUNT_NAME = "{AccountName}"
PLACEHOLDERS = (NICKNAME, ACCOUNT_NAME)


def _json_escaped(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def placeholders_fill(
    text: str, *, nickname: str | None = None, account_name: str | None = None
) -> str:
    """``text`` (plain) with the given placeholders replaced; None: kept."""
    if nickname is not None:
        text = text.replace(NICKNAME, nickname)
    if account_name is not None:
        text = text.replace(ACCOUNT_NAME, account_name)
    return text


def placeholders_fill_json(
    payload: str, *, nickname: str | None = None, account_name: str | None = None
) -> str:
    """Like ``placeholders_fill`` on a message's JSON text: names are
    escaped as JSON string content (quotes, backslashes), so the result
    still parses."""
    return placeholders_fill(
        payload,
        nickname=None if nickname is None else _json_escaped(nickname),
        account_name=None if account_name is None else _json_escaped(account_name),
    )


def placeholders_render(
    messages: list[dict],
    *,
    nickname: str | None = None,
    account_name: str | None = None,
) -> list[dict]:
    """Copies of ``messages`` (LINE message objects) with the placeholders
    filled in every string of every message; None leaves one as it is."""
    text = json.dumps(messages, ensure_ascii=False)
    if NICKNAME not in text and ACCOUNT_NAME not in text:
        return messages
    return json.loads(
        placeholders_fill_json(text, nickname=nickname, account_name=account_name)
    )
