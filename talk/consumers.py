"""The customer's socket: the talk app's live feed of its own events.

Authenticates by the persona in the session, joins ``lineuser.<id>`` and
relays what services publish there (``core.events``). Nothing else.
"""

from channels.db import database_sync_to_async
from django.conf import settings

from core.consumers import GroupRelayConsumer
from core.events import line_user_group
from talk.selectors import identity_from_session


@database_sync_to_async
def _persona_id(scope) -> int | None:
    """The persona of the talk account logged in; None for anyone else.

    A staff rehearsal gets no socket (the room polls instead): the persona's
    group also carries its events with other accounts, which are not the
    rehearsing staff member's to see.
    """
    if not settings.TALK_APP_ENABLED or "session" not in scope:
        return None
    identity = identity_from_session(scope["session"])
    if identity.talk_account_id is None or identity.persona is None:
        return None
    return identity.persona.pk


class TalkConsumer(GroupRelayConsumer):
    async def groups_to_join(self) -> list[str] | None:
        persona_id = await _persona_id(self.scope)
        return None if persona_id is None else [line_user_group(persona_id)]
