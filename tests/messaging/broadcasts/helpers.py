"""Helpers shared by the broadcast tests (not fixtures)."""

import io
import itertools

from PIL import Image

from accounts.models import MonthlyUsage, OfficialAccount
from accounts.quota import month_start
from messaging.broadcasts.compose import broadcast_save
from messaging.broadcasts.models import Broadcast
from messaging.friends.models import Friend, LineUser

_serial = itertools.count(1)


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def usage(account: OfficialAccount) -> MonthlyUsage:
    return MonthlyUsage.objects.get(account=account, month=month_start(account))


def usage_pair(account: OfficialAccount) -> tuple[int, int]:
    """(used, reserved) of the latest month with a send, or (0, 0) before one.

    The latest, not the current: tests freeze the clock in a month of their
    own, and the real date must not decide what they read.
    """
    row = MonthlyUsage.objects.filter(account=account).order_by("-month").first()
    return (row.used, row.reserved) if row else (0, 0)


def bulk_friends(
    account: OfficialAccount, n: int, *, status=Friend.Status.FOLLOWING, **user
) -> list[int]:
    """``n`` friends created in two INSERTs (test data, not a domain write)."""
    start = next(_serial) * 1_000_000
    users = LineUser.objects.bulk_create(
        [
            LineUser(
                user_id=f"U{start + i:032x}",
                display_name=f"Guest {i}",
                **user,
            )
            for i in range(n)
        ]
    )
    friends = Friend.objects.bulk_create(
        [Friend(account=account, line_user=u, status=status) for u in users]
    )
    return [f.pk for f in friends]


def draft(account, actor, *, messages=None, **kwargs) -> Broadcast:
    return broadcast_save(
        account=account,
        actor=actor,
        title=kwargs.pop("title", "Autumn sale"),
        messages=[text("Hello {Nickname}")] if messages is None else messages,
        **kwargs,
    )


def png(width: int = 1040, height: int = 1040, fmt: str = "PNG") -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format=fmt)
    out.seek(0)
    out.name = f"picture.{fmt.lower()}"
    out.size = len(out.getvalue())
    return out


class EventListener:
    """Joins channel-layer groups and collects what services publish."""

    def __init__(self, *groups: str):
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        self._sync = async_to_sync
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        for group in groups:
            async_to_sync(self.layer.group_add)(group, self.channel)

    def events(self, timeout: float = 0.3) -> list[dict]:
        import asyncio

        async def drain():
            out = []
            while True:
                try:
                    message = await asyncio.wait_for(
                        self.layer.receive(self.channel), timeout
                    )
                except TimeoutError:
                    return out
                out.append(message["event"])

        return self._sync(drain)()
