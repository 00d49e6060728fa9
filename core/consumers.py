"""The one WebSocket consumer shape: authenticate, join groups, relay.

Services publish with ``core.events.send_event_on_commit``; a page's socket
only listens. Subclasses say which groups a connection may join.
"""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

# Close code for "no such page" (a 404 in WebSocket terms): refused and
# missing look the same.
CLOSE_NOT_FOUND = 4404


class GroupRelayConsumer(AsyncJsonWebsocketConsumer):
    """Join the groups ``groups_to_join()`` names, relay their events as JSON.

    A message ``{"type": "relay", "event": {...}}`` sent to one of them
    (``core.events``) reaches the browser as the ``event`` object;
    ``{"type": "relay.many", "events": [...]}`` as each event in turn, in
    order. Nothing the browser sends is acted on.
    """

    async def groups_to_join(self) -> list[str] | None:
        """The group names of this connection; None refuses it (close 4404).

        Runs once, in ``connect``; subclasses authenticate the scope here.
        (Channels' own ``groups`` attribute holds the joined names.)
        """
        raise NotImplementedError

    async def connect(self):
        names = await self.groups_to_join()
        if names is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        for name in names:
            await self.channel_layer.group_add(name, self.channel_name)
        # Channels leaves every group in ``self.groups`` on disconnect.
        self.groups = list(names)
        await self.accept()

    async def relay(self, message):
        await self.send_json(message["event"])

    async def relay_many(self, message):
        for event in message["events"]:
            await self.send_json(event)
