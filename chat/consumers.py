"""The staff socket of one account: live events of ``account.<id>``.

Only members of the account may listen; anyone else is refused exactly
as a missing account is (close code 4404). The consumer authenticates,
joins the group and relays what services publish (``core.events``).
"""

from channels.db import database_sync_to_async

from accounts.selectors import membership_get
from core.consumers import GroupRelayConsumer
from core.events import account_group
from core.exceptions import NotFound


@database_sync_to_async
def _account_id(user, account_slug: str) -> int | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return membership_get(user=user, account_slug=account_slug).account_id
    except NotFound:
        return None


class AccountConsumer(GroupRelayConsumer):
    async def groups_to_join(self) -> list[str] | None:
        account_id = await _account_id(
            self.scope.get("user"), self.scope["url_route"]["kwargs"]["account_slug"]
        )
        return None if account_id is None else [account_group(account_id)]
