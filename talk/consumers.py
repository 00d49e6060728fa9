"""The customer's socket: the talk app's live feed of its own events.

Authenticates by the persona in the session, joins ``lineuser.<id>`` and
relays what services publish there (``core.events``). Nothing else.
"""

from channels.db import database_sync_to_async
from django.conf import settings

from core.consumers import GroupRelayConsumer
from core.events import line_user_group
from talk.selectors import persona_from_session


@database_sync_to_async
def _persona_id(scope) -> int | None:
    if not settings.TALK_APP_ENABLED or "session" not in scope:
        return None
    persona = persona_from_session(scope["session"])
    return persona.pk if persona else None


class TalkConsumer(GroupRelayConsumer):
    async def groups_to_join(self) -> list[str] | None:
        persona_id = await _persona_id(self.scope)
        return None if persona_id is None else [line_user_group(persona_id)]
