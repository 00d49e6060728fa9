"""Chat test helpers. Conversations are made the way customers make them:
through ``chat.services.customer_message_send``."""

import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory
from PIL import Image

from chat.inbound import customer_message_send
from chat.models import CannedReply, Conversation
from messaging.friends.models import Friend
from messaging.store.models import Message
from tests.factories import FriendFactory, LineUserFactory


class CannedReplyFactory(DjangoModelFactory):
    class Meta:
        model = CannedReply

    title = factory.Sequence(lambda n: f"Reply {n}")
    shortcut = factory.Sequence(lambda n: f"r{n}")
    text = "Thank you for your message!"


def make_friend(account, name: str = "Hanako", **extra) -> Friend:
    return FriendFactory(
        account=account, line_user=LineUserFactory(display_name=name), **extra
    )


def customer_says(friend: Friend, text: str = "Hello") -> Message:
    return customer_message_send(friend=friend, message={"type": "text", "text": text})


def conversation_of(friend: Friend) -> Conversation:
    return Conversation.objects.get(friend=friend)


def talk(account, name: str = "Hanako", text: str = "Hello") -> Conversation:
    """A friend of ``account`` called ``name`` who wrote ``text``."""
    friend = make_friend(account, name)
    customer_says(friend, text)
    return conversation_of(friend)


def image_bytes(fmt: str = "JPEG", size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#3366cc").save(out, format=fmt)
    return out.getvalue()


def image_upload(data: bytes, name: str = "photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def media_files(settings) -> list[str]:
    """Every file under MEDIA_ROOT, relative, sorted."""
    root = settings.MEDIA_ROOT
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
