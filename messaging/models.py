"""The models of the ``messaging`` app, one module per package.

Django finds an app's models through this module; each package keeps its
own ``models.py`` (docs/architecture.md).
"""

from messaging.api.models import RetryKey
from messaging.audience.models import (
    AudienceGroup,
    AudienceJob,
    AudienceMember,
    Segment,
)
from messaging.automation.models import (
    AutoResponse,
    Greeting,
    Step,
    StepDelivery,
    StepEnrollment,
    StepSequence,
)
from messaging.broadcasts.models import (
    Broadcast,
    BroadcastBatch,
    BroadcastLink,
    Delivery,
    LinkClick,
)
from messaging.friends.models import (
    CustomField,
    Friend,
    FriendFieldValue,
    FriendNote,
    FriendSource,
    LineUser,
    Tag,
)
from messaging.groups.models import ChatGroup, GroupMember, GroupMessage
from messaging.store.models import BroadcastAsset, Message
from messaging.webhooks.models import (
    ReplyToken,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "AudienceGroup",
    "AudienceJob",
    "AudienceMember",
    "AutoResponse",
    "Broadcast",
    "BroadcastAsset",
    "BroadcastBatch",
    "BroadcastLink",
    "ChatGroup",
    "CustomField",
    "Delivery",
    "Friend",
    "FriendFieldValue",
    "FriendNote",
    "FriendSource",
    "Greeting",
    "GroupMember",
    "GroupMessage",
    "LineUser",
    "LinkClick",
    "Message",
    "ReplyToken",
    "RetryKey",
    "Segment",
    "Step",
    "StepDelivery",
    "StepEnrollment",
    "StepSequence",
    "Tag",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
