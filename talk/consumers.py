"""The customer's socket: the talk app's live feed of its own events.

Authenticates by the persona in the session, joins ``lineuser.<id>`` and
relays what services publish there (``core.events``). Nothing else.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from core.events import line_user_group
from talk.selectors import persona_from_session

# Close code for "no such page" (a 404 in WebSocket terms).
CLOSE_NOT_FOUND = 4404


@database_sync_to_async
def _persona_id(scope) -> int | None:
    if not settings.TALK_APP_ENABLED or "session" not in scope:
        return None
    persona = persona_from_session(scope["session"])
    return persona.pk if persona else None


class TalkConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self):
        persona_id = await _persona_id(self.scope)
        if persona_id is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = line_user_group(persona_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def relay(self, message):
        await self.send_json(message["event"])
