"""Talk app test helpers: personas, friendships, pictures and sessions.

Rows are made through the services a customer's actions go through.
"""

import copy
import io
import os
import uuid

import qrcode
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import OfficialAccount, User
from chat.inbound import customer_follow
from messaging.automation.services import greeting_update
from messaging.friends.models import Friend, LineUser
from talk.models import PersonaOwner, TalkAccount
from talk.selectors import ACCOUNT_KEY, SESSION_KEY
from talk.services import persona_create


def make_persona(display_name: str = "Hanako", **profile) -> LineUser:
    defaults = {"language": "ja", "gender": "female", "age": 28, "region": "jp_13"}
    return persona_create(display_name=display_name, **{**defaults, **profile})


def befriend(account: OfficialAccount, persona: LineUser, **kwargs) -> Friend:
    return customer_follow(account=account, line_user=persona, **kwargs).friend


def set_greeting(account: OfficialAccount, actor: User, *texts: str, **kwargs):
    return greeting_update(
        account=account,
        actor=actor,
        enabled=kwargs.pop("enabled", True),
        send_on_unblock=kwargs.pop("send_on_unblock", True),
        messages=[{"type": "text", "text": t} for t in texts],
    )


def talk_login_for(persona: LineUser) -> int:
    """The id of a talk-app login owning ``persona`` (made on first use)."""
    owner = PersonaOwner.objects.filter(line_user=persona).first()
    if owner is None:
        account = TalkAccount.objects.create(
            login=f"talk-{persona.user_id}", password="!"
        )
        owner = PersonaOwner.objects.create(line_user=persona, owner=account)
    return owner.owner_id


def talk_session(session, persona: LineUser) -> None:
    """Put ``persona``'s talk-app login and persona into ``session``."""
    session[ACCOUNT_KEY] = talk_login_for(persona)
    session[SESSION_KEY] = persona.pk


def talk_client(persona: LineUser | None = None) -> Client:
    """A browser session of ``persona``'s talk-app login acting as it."""
    client = Client()
    if persona is not None:
        session = client.session
        talk_session(session, persona)
        session.save()
    return client


def image_bytes(fmt: str = "JPEG", size=(800, 600), colour="#3366cc") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(text).save(out, format="PNG")
    return out.getvalue()


def media_files(settings) -> list[str]:
    """Every file under MEDIA_ROOT, relative, sorted."""
    root = settings.MEDIA_ROOT
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def redis_channel_layers(configured: dict) -> dict:
    """The project's Redis channel layer as configured, with a prefix of its own.

    The prefix keeps parallel runs sharing one Redis (and their overlapping
    row ids) from seeing each other's events. Without REDIS_URL the project
    uses an in-memory layer, which cannot cross threads; then Redis on
    localhost stands in.
    """
    layers = copy.deepcopy(configured)
    default = layers["default"]
    if "redis" not in default["BACKEND"].lower():
        url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/2"
        default = {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url]},
        }
    default.setdefault("CONFIG", {})["prefix"] = f"test-{uuid.uuid4().hex}"
    return {**layers, "default": default}


def mp4_bytes(duration_ms: int = 12_345, *, brand: bytes = b"mp42") -> bytes:
    """A minimal MP4 (``ftyp`` + ``moov``/``mvhd``) of ``duration_ms``;
    brand ``M4A `` makes it an M4A audio file."""
    ftyp = (16).to_bytes(4, "big") + b"ftyp" + brand + b"\x00\x00\x00\x00"
    mvhd_body = (
        b"\x00\x00\x00\x00"  # version 0, flags
        + b"\x00" * 8  # creation, modification times
        + (1000).to_bytes(4, "big")  # timescale
        + duration_ms.to_bytes(4, "big")
        + b"\x00" * 80
    )
    mvhd = (8 + len(mvhd_body)).to_bytes(4, "big") + b"mvhd" + mvhd_body
    moov = (8 + len(mvhd)).to_bytes(4, "big") + b"moov" + mvhd
    return ftyp + moov + b"\x00" * 64


MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 32
