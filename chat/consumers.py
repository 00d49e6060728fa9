"""The staff socket of one account: live events of ``account.<id>``.

Only members of the account may listen; anyone else is refused exactly
as a missing account is (close code 4404). The consumer authenticates,
joins the group and relays what services publish (``core.events``).
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from accounts.selectors import membership_get
from core.events import account_group

CLOSE_NOT_FOUND = 4404


@database_sync_to_async
def _account_id(user, account_slug: str) -> int | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return membership_get(user=user, account_slug=account_slug).account_id
    except Http404:
        return None


class AccountConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self):
        account_id = await _account_id(
            self.scope.get("user"), self.scope["url_route"]["kwargs"]["account_slug"]
        )
        if account_id is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = account_group(account_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def relay(self, message):
        await self.send_json(message["event"])
