"""Broadcasts: compose, target, schedule and fan out exactly once.

Services (writes) first, then the account-scoped reads the pages use. The
fan-out's state machine and why it never sends twice nor skips anyone are
in docs/broadcasts.md; in short:

* ``broadcast_start`` claims a due broadcast (``scheduled → sending``,
  a conditional UPDATE), reserves quota for the whole audience and plans
  keyset batches, all in one transaction.
* ``broadcast_batch_send`` sends one batch in one transaction: delivery
  rows (unique per recipient, ON CONFLICT DO NOTHING), then messages only
  for the deliveries that transaction inserted, the batch marked done and
  its quota committed. A crash rolls back the whole batch; a re-run finds
  it done or inserts nothing.
* ``broadcast_finish`` / ``broadcast_cancel`` release what was not used,
  once, under a lock that waits for batches in flight.

Step messages and keyword auto-responses live at the end of this module.
"""

import datetime as dt
import functools
import hashlib
import hmac
import io
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from accounts.images import image_check
from accounts.models import OfficialAccount, User
from accounts.quota import (
    AccountSuspended,
    QuotaExceeded,
    Reservation,
    limit_for,
    month_start,
    quota_commit,
    quota_consume,
    quota_release,
    quota_reserve,
    usage_get,
)
from accounts.services import audit_record
from core.events import account_group, line_user_group, send_event_on_commit
from core.exceptions import ApplicationError
from messaging.models import (
    AutoResponse,
    Broadcast,
    BroadcastAsset,
    BroadcastBatch,
    BroadcastLink,
    Delivery,
    Friend,
    LinkClick,
    Message,
    Segment,
    Step,
    StepDelivery,
    StepEnrollment,
    StepSequence,
)
from messaging.segments import audience_friends, segment_clean, segment_q
from messaging.services import message_event, messages_send
from messaging.validators import (
    IMAGEMAP_BASE_WIDTH,
    MAX_TEXT,
    MessagesInvalid,
    message_text,
    messages_validate,
    text_length,
)

# Recipients per batch task. One batch is one transaction writing this many
# deliveries and their messages (~0.4 s of PostgreSQL work for one bubble on
# the 2-core CI box). A batch also pays ~70 ms of fixed cost (a dozen small
# queries, the commit, the task round trip, a progress event), so smaller
# batches lose throughput: 1,000 ran at 60 % of this size's rate in
# bench/fanout.py. Still small enough that a pause takes effect within a
# second and a crash redoes at most this many; a worker holds one batch
# (~5 MB).
BATCH_SIZE = 5000
# When no batch of a sending broadcast finished for this long, the beat
# dispatcher enqueues its pending batches again (their tasks were lost with
# a killed worker). Running a batch twice is harmless, so this only bounds
# how late a broadcast resumes after a crash.
BATCH_STALL_SECONDS = 300
# Batches up to this many recipients also publish one ``message.created``
# event per recipient to their talk app; larger ones publish one progress
# event per batch and talk apps pick the message up by polling. One Redis
# round trip per recipient would cost more than writing the batch.
LIVE_EVENTS_MAX = 200
MAX_BUBBLES = 3
MAX_RICH_AREAS = 6
MAX_CARDS = 10
MAX_CARD_ACTIONS = 3
MAX_TEST_RECIPIENTS = 10
TITLE_MAX = 100
IMAGE_MAX_BYTES = 10 * 1024 * 1024
PREVIEW_SIDE = 240
IMAGEMAP_WIDTHS = (240, 300, 460, 700, 1040)
IMAGEMAP_MAX_HEIGHT = 2080
CARD_WIDTH = 1024
ALLOWED_TYPES = ("text", "sticker", "image", "imagemap", "template")
# The random subset under a recipient cap ranks friends by a keyed hash of
# their id: two rounds of modular arithmetic under a 31-bit prime, which
# fits in 64-bit integers on PostgreSQL and SQLite alike.
_HASH_PRIME = 2147483647
_HASH_A = 1103515245
_HASH_B = 48271
# Per-recipient parts of a rewritten link; see ``_links_template``.
_FRIEND_MARK = "{~f~}"
_SIG_MARK = "{~s~}"
# A URL in text: RFC 3986 characters only, so Japanese text right after it
# ("…/saleはこちら") is not swallowed; trailing sentence punctuation is
# given back by ``_rewrite_urls``.
_URL_RE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%]+")
_URL_TRAILING = ".,!?;:"


# --- Composing --------------------------------------------------------------------


def _bubble_error(index: int, message: str) -> ApplicationError:
    text = _("Bubble %(n)d: %(error)s") % {"n": index + 1, "error": message}
    return ApplicationError(text, {"messages": text})


def _asset_keys(url: str) -> str | None:
    prefix = f"{settings.MEDIA_URL}broadcasts/"
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    return url[len(prefix) :].split("/", 1)[0]


def broadcast_messages_clean(*, account: OfficialAccount, messages) -> list[dict]:
    """Check the Manager's bubbles; return them or raise ``ApplicationError``.

    Up to 3 bubbles of text (≤ 5,000 characters), sticker, image, rich
    message (imagemap, ≤ 6 tap areas) or card-type message (carousel
    template, ≤ 10 cards, ≤ 3 buttons each). Images must be this account's
    uploads. Then the full LINE validation runs.
    """
    if not isinstance(messages, list) or not messages:
        msg = _("Add at least one message bubble.")
        raise ApplicationError(msg, {"messages": msg})
    if len(messages) > MAX_BUBBLES:
        msg = _("A broadcast can have at most %(n)d bubbles.") % {"n": MAX_BUBBLES}
        raise ApplicationError(msg, {"messages": msg})
    keys: set[str] = set()
    for i, msg in enumerate(messages):
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind not in ALLOWED_TYPES:
            raise _bubble_error(i, _("choose a message type."))
        if kind == "text":
            text = msg.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _bubble_error(i, _("write some text."))
            if text_length(text) > MAX_TEXT:
                raise _bubble_error(
                    i,
                    _("the text is %(len)s characters long; the limit is %(max)s.")
                    % {"len": f"{text_length(text):,}", "max": f"{MAX_TEXT:,}"},
                )
        elif kind == "image":
            keys.add(_asset_keys(msg.get("originalContentUrl")) or "")
            keys.add(_asset_keys(msg.get("previewImageUrl")) or "")
        elif kind == "imagemap":
            keys.add(_asset_keys(msg.get("baseUrl")) or "")
            actions = msg.get("actions")
            if not isinstance(actions, list) or not actions:
                raise _bubble_error(i, _("add at least one tap area."))
            if len(actions) > MAX_RICH_AREAS:
                raise _bubble_error(
                    i,
                    _("a rich message has at most %(n)d tap areas.")
                    % {"n": MAX_RICH_AREAS},
                )
            for action in actions:
                value = (action or {}).get("linkUri") or (action or {}).get("text")
                if not value:
                    raise _bubble_error(i, _("give every tap area a link or a text."))
            _imagemap_areas_check(i, msg)
        elif kind == "template":
            template = msg.get("template") or {}
            if template.get("type") != "carousel":
                raise _bubble_error(i, _("only card-type messages are supported."))
            columns = template.get("columns")
            if not isinstance(columns, list) or not 1 <= len(columns) <= MAX_CARDS:
                raise _bubble_error(i, _("add 1 to %(n)d cards.") % {"n": MAX_CARDS})
            for column in columns:
                url = (column or {}).get("thumbnailImageUrl")
                if url:
                    keys.add(_asset_keys(url) or "")
                actions = (column or {}).get("actions") or []
                if len(actions) > MAX_CARD_ACTIONS:
                    raise _bubble_error(
                        i,
                        _("a card has at most %(n)d buttons.")
                        % {"n": MAX_CARD_ACTIONS},
                    )
    if keys:
        found = set(
            BroadcastAsset.objects.filter(account=account, key__in=keys).values_list(
                "key", flat=True
            )
        )
        if found != keys:
            msg = _("Upload the images again: an image is missing or not valid.")
            raise ApplicationError(msg, {"messages": msg})
    try:
        messages_validate(messages, max_count=MAX_BUBBLES)
    except MessagesInvalid as exc:
        details = "; ".join(f"{e['property']}: {e['message']}" for e in exc.errors)
        msg = _("The bubbles are not valid: %(details)s") % {"details": details}
        raise ApplicationError(msg, {"messages": msg}) from None
    return messages


def _imagemap_areas_check(index: int, msg: dict) -> None:
    size = msg.get("baseSize") or {}
    height = size.get("height")
    for action in msg["actions"]:
        area = (action or {}).get("area") or {}
        try:
            x, y, w, h = (int(area[k]) for k in ("x", "y", "width", "height"))
        except (KeyError, TypeError, ValueError):
            raise _bubble_error(index, _("a tap area is not valid.")) from None
        if (
            w <= 0
            or h <= 0
            or x < 0
            or y < 0
            or x + w > IMAGEMAP_BASE_WIDTH
            or (isinstance(height, int) and y + h > height)
        ):
            raise _bubble_error(index, _("a tap area lies outside the image."))


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, format="PNG", optimize=True)
    else:
        image.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


def _resized(image: Image.Image, width: int) -> Image.Image:
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def broadcast_asset_upload(
    *, account: OfficialAccount, actor: User, upload, kind: str
) -> BroadcastAsset:
    """Check an uploaded JPEG/PNG with Pillow and store the sizes to show.

    Every kind gets the original and a ≤ 240 px preview (what the talk room
    shows inline). A rich message also gets the imagemap widths; a card
    image a 1,024 px wide copy. Raises ``ApplicationError`` for anything
    that is not a sound JPEG/PNG; nothing is stored then.
    """
    if kind not in BroadcastAsset.Kind.values:
        raise ApplicationError(_("Choose what the image is for."))
    checked = image_check(upload, max_bytes=IMAGE_MAX_BYTES)
    image = ImageOps.exif_transpose(checked.image)
    fmt = checked.format
    ext = "png" if fmt == "PNG" else "jpg"
    if kind == BroadcastAsset.Kind.IMAGEMAP:
        if image.width < PREVIEW_SIDE:
            raise ApplicationError(
                _("A rich message image must be at least %(n)d pixels wide.")
                % {"n": PREVIEW_SIDE}
            )
        base_height = round(image.height * IMAGEMAP_BASE_WIDTH / image.width)
        if base_height > IMAGEMAP_MAX_HEIGHT:
            raise ApplicationError(
                _("A rich message image can be at most twice as tall as it is wide.")
            )
    key = secrets.token_hex(12)
    folder = f"broadcasts/{key}"
    files: dict[str, bytes] = {f"original.{ext}": _encode(image, fmt)}
    preview = image.copy()
    preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE * 2), Image.Resampling.LANCZOS)
    files[f"preview.{ext}"] = _encode(preview, fmt)
    if kind == BroadcastAsset.Kind.IMAGEMAP:
        for width in IMAGEMAP_WIDTHS:
            files[str(width)] = _encode(_resized(image, width), fmt)
    elif kind == BroadcastAsset.Kind.CARD and image.width > CARD_WIDTH:
        files[f"original.{ext}"] = _encode(_resized(image, CARD_WIDTH), fmt)
    stored: list[str] = []
    try:
        for name, data in files.items():
            stored.append(default_storage.save(f"{folder}/{name}", ContentFile(data)))
        media = settings.MEDIA_URL
        asset = BroadcastAsset.objects.create(
            account=account,
            kind=kind,
            key=key,
            original_url=f"{media}{folder}/original.{ext}",
            preview_url=f"{media}{folder}/preview.{ext}",
            base_url=f"{media}{folder}" if kind == BroadcastAsset.Kind.IMAGEMAP else "",
            width=image.width,
            height=image.height,
        )
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise
    audit_record(
        account=account, actor=actor, action="broadcast.image_upload", target=key
    )
    return asset


def _title_clean(title: str) -> str:
    title = (title or "").strip()
    if not title:
        msg = _("Give the broadcast a title (only staff see it).")
        raise ApplicationError(msg, {"title": msg})
    if len(title) > TITLE_MAX:
        msg = _("Use at most %(n)d characters.") % {"n": TITLE_MAX}
        raise ApplicationError(msg, {"title": msg})
    return title


def _audience_clean(
    account: OfficialAccount, audience, segment: Segment | None
) -> tuple[dict | None, Segment | None]:
    if segment is not None:
        if segment.account_id != account.pk:
            raise ApplicationError(_("Not found."))
        return None, segment
    if audience is None:
        return None, None
    return segment_clean(account=account, definition=audience), None


def _cap_clean(max_recipients) -> int | None:
    if max_recipients in (None, ""):
        return None
    try:
        value = int(max_recipients)
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        msg = _("The maximum number of recipients must be a whole number above 0.")
        raise ApplicationError(msg, {"max_recipients": msg})
    return value


@transaction.atomic
def broadcast_save(
    *,
    account: OfficialAccount,
    actor: User,
    title: str,
    messages: list[dict],
    audience: dict | None = None,
    segment: Segment | None = None,
    max_recipients: int | None = None,
    broadcast: Broadcast | None = None,
) -> Broadcast:
    """Create a draft, or change one that has not been scheduled or sent.

    ``audience`` is a segment definition (None with no ``segment``: all
    friends). Raises ``ApplicationError`` for bad input or when the
    broadcast is no longer a draft (someone sent or scheduled it).
    """
    title = _title_clean(title)
    messages = broadcast_messages_clean(account=account, messages=messages)
    audience, segment = _audience_clean(account, audience, segment)
    max_recipients = _cap_clean(max_recipients)
    fields = {
        "title": title,
        "messages": messages,
        "audience": audience,
        "segment": segment,
        "max_recipients": max_recipients,
    }
    if broadcast is None:
        broadcast = Broadcast.objects.create(
            account=account, created_by=actor, **fields
        )
        action = "broadcast.create"
    else:
        if broadcast.account_id != account.pk:
            raise ApplicationError(_("Not found."))
        locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if locked.status != Broadcast.Status.DRAFT:
            raise ApplicationError(
                _(
                    "This broadcast was already scheduled or sent; it can no longer "
                    "be edited. Copy it to a new draft instead."
                )
            )
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*fields, "updated_at"])
        broadcast = locked
        action = "broadcast.update"
    audit_record(
        account=account,
        actor=actor,
        action=action,
        target=broadcast.title,
        data={"broadcast_id": broadcast.pk},
    )
    return broadcast


@transaction.atomic
def broadcast_copy(*, broadcast: Broadcast, actor: User) -> Broadcast:
    """A new draft with the same bubbles and audience."""
    copy = Broadcast.objects.create(
        account_id=broadcast.account_id,
        title=(_("Copy of %(title)s") % {"title": broadcast.title})[:TITLE_MAX],
        messages=broadcast.messages,
        audience=broadcast.audience,
        segment=broadcast.segment,
        max_recipients=broadcast.max_recipients,
        created_by=actor,
    )
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.copy",
        target=copy.title,
        data={"from": broadcast.pk, "broadcast_id": copy.pk},
    )
    return copy


@transaction.atomic
def broadcast_delete(*, broadcast: Broadcast, actor: User) -> None:
    """Delete a draft (only drafts: the rest is history)."""
    locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
    if locked.status != Broadcast.Status.DRAFT:
        raise ApplicationError(_("Only drafts can be deleted."))
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.delete",
        target=locked.title,
        data={"broadcast_id": locked.pk},
    )
    locked.delete()


# --- Audience and cost --------------------------------------------------------------


def _sample_hash(seed: int):
    """SQL expression ranking friends for the random subset (see constants)."""
    x1 = (F("id") % _HASH_PRIME * _HASH_A + seed) % _HASH_PRIME
    return (x1 * x1 % _HASH_PRIME * _HASH_B + x1) % _HASH_PRIME


def _subset_q(broadcast: Broadcast) -> Q:
    if broadcast.sample_hash is None:
        return Q()
    return Q(sample_h__lt=broadcast.sample_hash) | Q(
        sample_h=broadcast.sample_hash, id__lte=broadcast.sample_friend_id
    )


def _definition_of(broadcast: Broadcast) -> dict | None:
    if broadcast.segment_id is not None:
        return broadcast.segment.definition
    return broadcast.audience


@dataclass(frozen=True)
class Estimate:
    """What the composer shows next to the audience."""

    matching: int  # following friends in the audience
    recipients: int  # after the cap; also the quota cost
    remaining: int  # messages left this month (of the sending month)
    limit: int
    plan_name: str
    covered: bool
    additional_cost_yen: Decimal  # Standard plan: price of the extra ones


def _month_figures(account: OfficialAccount, when: dt.datetime) -> tuple:
    """(limit, used+reserved, plan) of the month containing ``when``.

    The current month reads the ledger; a later month is not created early
    (that would fix its limit too soon), its limit is computed instead.
    """
    if month_start(account, when) == month_start(account):
        usage = usage_get(account=account)
        return usage.limit, usage.used + usage.reserved, usage.plan
    plan = account.plan
    if account.next_plan_id and account.next_plan_from <= month_start(account, when):
        plan = account.next_plan
    return limit_for(account, plan), 0, plan


def audience_estimate(
    *,
    account: OfficialAccount,
    audience: dict | None,
    segment: Segment | None = None,
    max_recipients: int | None = None,
    when: dt.datetime | None = None,
) -> Estimate:
    """Count the audience now and price it against the month's quota."""
    now = timezone.now()
    definition = segment.definition if segment is not None else audience
    matching = audience_friends(account=account, definition=definition, now=now).count()
    recipients = min(matching, max_recipients) if max_recipients else matching
    limit, taken, plan = _month_figures(account, when or now)
    remaining = max(0, limit - taken)
    return Estimate(
        matching=matching,
        recipients=recipients,
        remaining=remaining,
        limit=limit,
        plan_name=plan.name,
        covered=recipients <= remaining,
        additional_cost_yen=plan.additional_cost_yen(
            free_used_total=taken, count=recipients
        ),
    )


def _check_sendable(broadcast: Broadcast, when: dt.datetime) -> Estimate:
    account = broadcast.account
    if account.is_suspended:
        raise ApplicationError(
            _("This account is suspended by the operator and cannot send messages.")
        )
    broadcast_messages_clean(account=account, messages=broadcast.messages)
    estimate = audience_estimate(
        account=account,
        audience=broadcast.audience,
        segment=broadcast.segment,
        max_recipients=broadcast.max_recipients,
        when=when,
    )
    if estimate.recipients == 0:
        msg = _("No friends match this audience; nothing would be sent.")
        raise ApplicationError(msg, {"audience": msg})
    if not estimate.covered:
        msg = _(
            "This broadcast needs %(cost)s messages but the %(plan)s plan has "
            "%(remaining)s left this month."
        ) % {
            "cost": f"{estimate.recipients:,}",
            "plan": estimate.plan_name,
            "remaining": f"{estimate.remaining:,}",
        }
        raise ApplicationError(msg, {"audience": msg})
    return estimate


def _to_scheduled(broadcast: Broadcast, actor: User, when: dt.datetime) -> None:
    """The one transition out of draft: a conditional UPDATE."""
    claimed = Broadcast.objects.filter(
        pk=broadcast.pk, status=Broadcast.Status.DRAFT
    ).update(
        status=Broadcast.Status.SCHEDULED,
        scheduled_at=when,
        sent_by=actor,
        updated_at=timezone.now(),
    )
    if not claimed:
        raise ApplicationError(_("This broadcast has already been scheduled or sent."))
    broadcast.status = Broadcast.Status.SCHEDULED
    broadcast.scheduled_at = when


@transaction.atomic
def broadcast_send_now(*, broadcast: Broadcast, actor: User) -> Broadcast:
    """Queue a draft for immediate fan-out.

    Refuses (``ApplicationError``, nothing changed) an empty audience or a
    cost the month's quota cannot cover. Of two simultaneous presses one
    wins; the other gets "already scheduled or sent".
    """
    now = timezone.now()
    estimate = _check_sendable(broadcast, now)
    _to_scheduled(broadcast, actor, now)
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.send",
        target=broadcast.title,
        data={"broadcast_id": broadcast.pk, "estimate": estimate.recipients},
    )
    from messaging.broadcast_tasks import broadcast_start_task

    broadcast_id = broadcast.pk
    transaction.on_commit(lambda: broadcast_start_task.delay(broadcast_id))
    return broadcast


@transaction.atomic
def broadcast_schedule(
    *, broadcast: Broadcast, actor: User, when: dt.datetime
) -> Broadcast:
    """Schedule a draft for ``when`` (aware; must be in the future).

    The beat dispatcher starts it when due. The quota check uses the
    month ``when`` falls in; the audience is counted again when it starts.
    """
    if timezone.is_naive(when):
        raise ValueError("when must be aware")
    if when <= timezone.now():
        msg = _("Choose a delivery time in the future.")
        raise ApplicationError(msg, {"scheduled_at": msg})
    estimate = _check_sendable(broadcast, when)
    _to_scheduled(broadcast, actor, when)
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.schedule",
        target=broadcast.title,
        data={
            "broadcast_id": broadcast.pk,
            "at": when.isoformat(),
            "estimate": estimate.recipients,
        },
    )
    return broadcast


@transaction.atomic
def broadcast_test_send(
    *, broadcast: Broadcast, actor: User, friend_ids: list[int]
) -> list[Message]:
    """Send the bubbles to chosen friends now; counted against the quota.

    Links are not rewritten and nothing is recorded as a delivery: a test
    is not part of the broadcast's figures.
    """
    account = broadcast.account
    broadcast_messages_clean(account=account, messages=broadcast.messages)
    ids = sorted({int(i) for i in friend_ids})
    if not ids:
        raise ApplicationError(_("Choose at least one test recipient."))
    if len(ids) > MAX_TEST_RECIPIENTS:
        raise ApplicationError(
            _("Choose at most %(n)d test recipients.") % {"n": MAX_TEST_RECIPIENTS}
        )
    friends = list(
        Friend.objects.filter(
            account=account, pk__in=ids, status=Friend.Status.FOLLOWING
        ).select_related("line_user")
    )
    if len(friends) != len(ids):
        raise ApplicationError(
            _("A test recipient is not a friend of this account (or blocked it).")
        )
    # Messages first, then quota: the same lock order as the fan-out
    # (friend rows, then the usage row); a refusal rolls both back.
    rows = messages_send(
        account=account,
        friends=friends,
        messages=broadcast.messages,
        source=Message.Source.TEST,
        sent_by=actor,
    )
    quota_consume(account=account, count=len(friends))
    audit_record(
        account=account,
        actor=actor,
        action="broadcast.test_send",
        target=broadcast.title,
        data={"broadcast_id": broadcast.pk, "friends": ids},
    )
    return rows


# --- Fan-out -----------------------------------------------------------------------


def _sign(broadcast: Broadcast, friend_id: int) -> str:
    key = f"{settings.SECRET_KEY}:{broadcast.click_salt}".encode()
    digest = hmac.new(key, str(friend_id).encode(), hashlib.sha256).hexdigest()
    return digest[:12]


def _rewrite_urls(value: str, codes: dict[str, str]) -> str:
    def tracked(match: re.Match) -> str:
        url = match.group(0).rstrip(_URL_TRAILING)
        return _link_url(codes, url) + match.group(0)[len(url) :]

    return _URL_RE.sub(tracked, value)


def _link_url(codes: dict[str, str], url: str) -> str:
    if url not in codes:
        codes[url] = secrets.token_urlsafe(8)[:10].replace("-", "x").replace("_", "y")
    return f"{settings.SITE_URL}/r/{codes[url]}.{_FRIEND_MARK}.{_SIG_MARK}"


def _links_template(messages: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Messages with every web URL replaced by a per-recipient tracking link.

    Returns the template and ``{url: code}``. A link reads
    ``SITE_URL/r/<code>.<friend id>.<signature>``; the friend id and
    signature are filled per recipient by the batch writer. Other schemes
    (``tel:``, ``line://``) are left alone: a redirect cannot carry them.
    """
    codes: dict[str, str] = {}
    out = []
    for msg in messages:
        msg = json.loads(json.dumps(msg))
        kind = msg["type"]
        if kind == "text":
            msg["text"] = _rewrite_urls(msg["text"], codes)
        elif kind == "imagemap":
            for action in msg["actions"]:
                if action.get("type") == "uri" and _is_web(action["linkUri"]):
                    action["linkUri"] = _link_url(codes, action["linkUri"])
        elif kind == "template":
            for column in msg["template"]["columns"]:
                for action in [*column.get("actions", []), column.get("defaultAction")]:
                    if (
                        action
                        and action.get("type") == "uri"
                        and _is_web(action["uri"])
                    ):
                        action["uri"] = _link_url(codes, action["uri"])
        out.append(msg)
    return out, codes


def _is_web(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _recipients(broadcast: Broadcast) -> QuerySet:
    """The broadcast's audience as fixed at start (following friends)."""
    qs = audience_friends(
        account=broadcast.account,
        definition=broadcast.audience_used,
        now=broadcast.started_at,
    )
    if broadcast.sample_hash is not None:
        qs = qs.annotate(sample_h=_sample_hash(broadcast.sample_seed)).filter(
            _subset_q(broadcast)
        )
    return qs


def _plan(broadcast: Broadcast, batch_size: int) -> list[BroadcastBatch]:
    """Cut the audience into keyset batches in one statement.

    Numbers recipients by id and keeps every ``batch_size``-th id and the
    last one as batch bounds; ``lead()`` marks the last row without
    counting the audience a second time. One snapshot, so the bounds and
    the planned counts agree exactly.
    """
    sql, params = _recipients(broadcast).values("id").query.sql_with_params()
    bounds_sql = (
        "SELECT id, rn FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn, "
        "lead(id) OVER (ORDER BY id) AS nxt "
        f"FROM ({sql}) AS audience) AS numbered "
        "WHERE rn %% %s = 0 OR nxt IS NULL ORDER BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(bounds_sql, [*params, batch_size])
        bounds = cursor.fetchall()
    batches = []
    after_id, done = 0, 0
    for seq, (last_id, rn) in enumerate(bounds, start=1):
        batches.append(
            BroadcastBatch(
                broadcast=broadcast,
                seq=seq,
                after_id=after_id,
                last_id=last_id,
                planned=rn - done,
            )
        )
        after_id, done = last_id, rn
    if batches:
        # The last batch reaches the account's newest friend, so every
        # blocked friend in the audience falls in some batch and is recorded
        # as skipped. Friends added later are never in range.
        newest = Friend.objects.filter(account_id=broadcast.account_id).aggregate(
            newest=Max("id")
        )["newest"]
        batches[-1].last_id = max(batches[-1].last_id, newest)
    return batches


def _sample_threshold(broadcast: Broadcast, qs: QuerySet) -> tuple[int, int]:
    """(hash, id) of the ``max_recipients``-th friend in hash order."""
    row = (
        qs.annotate(sample_h=_sample_hash(broadcast.sample_seed))
        .order_by("sample_h", "id")
        .values_list("sample_h", "id")[broadcast.max_recipients - 1]
    )
    return row


def _fail(broadcast_id: int, reason: str) -> None:
    Broadcast.objects.filter(pk=broadcast_id).update(
        status=Broadcast.Status.FAILED,
        failure_reason=reason[:300],
        finished_at=timezone.now(),
    )


def _progress_event(broadcast: Broadcast, **extra) -> None:
    send_event_on_commit(
        groups=[account_group(broadcast.account_id)],
        event={
            "type": "broadcast.progress",
            "broadcast_id": broadcast.pk,
            "status": extra.pop("status", broadcast.status),
            **extra,
        },
    )


@transaction.atomic
def broadcast_start(*, broadcast_id: int, batch_size: int = BATCH_SIZE) -> bool:
    """Claim a due broadcast, reserve its quota and plan its batches.

    One transaction: the conditional UPDATE ``scheduled → sending`` (so of
    any number of concurrent starts exactly one proceeds), the audience
    evaluated once, quota reserved for all of it, batch rows created. A
    crash rolls all of it back and leaves the broadcast scheduled. An
    audience that matches nobody, an exhausted quota or a suspended account
    ends the broadcast as failed with the reason; nothing is reserved.
    Returns whether this call started it.
    """
    now = timezone.now()
    claimed = Broadcast.objects.filter(
        pk=broadcast_id,
        status=Broadcast.Status.SCHEDULED,
        scheduled_at__lte=now,
    ).update(status=Broadcast.Status.SENDING, started_at=now, updated_at=now)
    if not claimed:
        return False
    broadcast = Broadcast.objects.select_related("account", "segment").get(
        pk=broadcast_id
    )
    account = broadcast.account
    broadcast.audience_used = _definition_of(broadcast)
    template, codes = _links_template(_account_name_fill(broadcast.messages, account))
    base = audience_friends(
        account=account, definition=broadcast.audience_used, now=now
    )
    if broadcast.max_recipients:
        matching = base.count()
        if matching > broadcast.max_recipients:
            broadcast.sample_hash, broadcast.sample_friend_id = _sample_threshold(
                broadcast, base
            )
    batches = _plan(broadcast, batch_size)
    total = sum(b.planned for b in batches)
    if total == 0:
        _fail(broadcast_id, _("No friends matched the audience when sending."))
        _progress_event(broadcast, status=Broadcast.Status.FAILED)
        return True
    try:
        reservation = quota_reserve(account=account, count=total)
    except (QuotaExceeded, AccountSuspended) as exc:
        _fail(broadcast_id, exc.message)
        _progress_event(broadcast, status=Broadcast.Status.FAILED)
        return True
    broadcast.send_messages = template
    broadcast.target_count = total
    broadcast.usage_id = reservation.usage_id
    broadcast.reserved = reservation.count
    broadcast.cursor = batches[-1].last_id
    broadcast.save(
        update_fields=[
            "audience_used",
            "send_messages",
            "sample_hash",
            "sample_friend_id",
            "target_count",
            "usage",
            "reserved",
            "cursor",
        ]
    )
    for batch in batches:
        batch.enqueued_at = now
    BroadcastBatch.objects.bulk_create(batches)
    BroadcastLink.objects.bulk_create(
        [BroadcastLink(broadcast=broadcast, code=c, url=u) for u, c in codes.items()]
    )
    _progress_event(broadcast, status=Broadcast.Status.SENDING, sent=0, total=total)
    transaction.on_commit(lambda: _enqueue_pending(broadcast_id))
    return True


def _account_name_fill(messages: list[dict], account: OfficialAccount) -> list[dict]:
    text = json.dumps(messages, ensure_ascii=False)
    name = json.dumps(account.display_name, ensure_ascii=False)[1:-1]
    return json.loads(text.replace("{AccountName}", name))


def _enqueue_pending(broadcast_id: int) -> None:
    from messaging.broadcast_tasks import broadcast_batch_task, broadcast_finish_task

    pending = list(
        BroadcastBatch.objects.filter(
            broadcast_id=broadcast_id, status=BroadcastBatch.Status.PENDING
        )
        .order_by("seq")
        .values_list("pk", flat=True)
    )
    for batch_id in pending:
        broadcast_batch_task.delay(batch_id)
    if not pending:
        broadcast_finish_task.delay(broadcast_id)


def _lock_broadcast_shared(broadcast_id: int) -> tuple | None:
    """Read the broadcast's state, holding off cancel/finish until commit.

    ``FOR KEY SHARE`` lets any number of batches run together and lets the
    plain UPDATEs of pause/resume through, but makes ``SELECT … FOR UPDATE``
    in cancel and finish wait until every batch in flight has committed, so
    the quota they release is exact. SQLite serialises writers anyway.
    """
    table = Broadcast._meta.db_table
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, account_id FROM {table} WHERE id = %s{lock}",
            [broadcast_id],
        )
        return cursor.fetchone()


@dataclass(frozen=True)
class BatchResult:
    sent: int
    blocked: int


def broadcast_batch_send(*, batch_id: int) -> BatchResult | None:
    """Send one batch exactly once; None if there was nothing to do.

    Safe to run any number of times, concurrently or after a crash: the
    batch row is locked, a done batch is skipped, deliveries are unique
    and messages are only written for deliveries this call inserted.
    """
    with transaction.atomic():
        result = _batch_send(batch_id)
    return result


def _batch_send(batch_id: int) -> BatchResult | None:
    broadcast_id = (
        BroadcastBatch.objects.filter(pk=batch_id)
        .values_list("broadcast_id", flat=True)
        .first()
    )
    if broadcast_id is None:
        return None
    state = _lock_broadcast_shared(broadcast_id)
    if state is None or state[0] != Broadcast.Status.SENDING:
        return None  # paused, cancelled or finished: the batch waits or dies
    batch = BroadcastBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status == BroadcastBatch.Status.DONE:
        return None
    broadcast = Broadcast.objects.select_related("account").get(pk=broadcast_id)
    account = broadcast.account
    if account.is_suspended:
        transaction.on_commit(lambda: _suspended(broadcast_id))
        return None
    now = timezone.now()
    in_range = Q(id__gt=batch.after_id, id__lte=batch.last_id)
    recipients = list(
        _recipients(broadcast)
        .filter(in_range)
        .order_by("id")
        .values_list("id", "line_user_id", "line_user__display_name")[: batch.planned]
    )
    blocked_qs = (
        Friend.objects.filter(account=account, status=Friend.Status.BLOCKED)
        .filter(in_range)
        .filter(
            segment_q(
                account=account,
                definition=broadcast.audience_used,
                now=broadcast.started_at,
            )
        )
    )
    if broadcast.sample_hash is not None:
        blocked_qs = blocked_qs.annotate(
            sample_h=_sample_hash(broadcast.sample_seed)
        ).filter(_subset_q(broadcast))
    blocked_ids = list(blocked_qs.order_by("id").values_list("id", flat=True))
    writer = _PostgresWriter() if connection.vendor == "postgresql" else _OrmWriter()
    sent_rows = _write_recipients(writer, broadcast, recipients, blocked_ids, now=now)
    blocked = writer.blocked_inserted
    batch.status = BroadcastBatch.Status.DONE
    batch.sent = len({row[1] for row in sent_rows})
    batch.blocked = blocked
    batch.done_at = now
    writer.check_constraints()
    batch.save(update_fields=["status", "sent", "blocked", "done_at"])
    # Last, so the usage row (shared by every batch of the account) is
    # locked only for the end of the transaction.
    quota_commit(
        reservation=Reservation(usage_id=broadcast.usage_id, count=broadcast.reserved),
        count=batch.sent,
    )
    _publish_batch(broadcast, sent_rows)
    # After commit, so of the last batches committing together at least the
    # later one sees no batch pending (the dispatcher sweeps up otherwise).
    transaction.on_commit(lambda: _finish_if_done(broadcast_id))
    return BatchResult(sent=batch.sent, blocked=blocked)


def _finish_if_done(broadcast_id: int) -> None:
    from messaging.broadcast_tasks import broadcast_finish_task

    pending = BroadcastBatch.objects.filter(
        broadcast_id=broadcast_id, status=BroadcastBatch.Status.PENDING
    )
    if not pending.exists():
        broadcast_finish_task.delay(broadcast_id)


def _suspended(broadcast_id: int) -> None:
    broadcast_close(
        broadcast_id=broadcast_id,
        status=Broadcast.Status.FAILED,
        reason=_("The operator suspended the account while it was sending."),
    )


def _write_recipients(writer, broadcast, recipients, blocked_ids, *, now) -> list:
    """Deliveries, then messages for the deliveries inserted; returns rows.

    Message ids are allocated first so each delivery can point at its first
    bubble without a second UPDATE. The rendered rows of recipients whose
    delivery already existed are dropped before any message is written.
    """
    template = broadcast.send_messages
    per_friend = len(template)
    ids = writer.allocate_message_ids(len(recipients) * per_friend)
    first_ids = ids[::per_friend]
    inserted = writer.insert_deliveries(
        broadcast_id=broadcast.pk,
        sent=[
            (fid, mid)
            for (fid, _lu, _n), mid in zip(recipients, first_ids, strict=True)
        ],
        blocked=blocked_ids,
        now=now,
    )
    payloads = [json.dumps(m, ensure_ascii=False) for m in template]
    personal = [("{Nickname}" in p or _FRIEND_MARK in p) for p in payloads]
    linked = any(_FRIEND_MARK in p for p in payloads)
    texts = [message_text(m) for m in template]
    rows = []
    sig = jname = ""
    for index, (fid, line_user_id, name) in enumerate(recipients):
        if fid not in inserted:
            continue
        if linked:
            sig = _sign(broadcast, fid)
        if any(personal):
            jname = json.dumps(name, ensure_ascii=False)[1:-1]
        for j, msg in enumerate(template):
            payload, text = payloads[j], texts[j]
            if personal[j]:
                payload = _fill(payload, jname, fid, sig)
                text = _fill(text, name, fid, sig)
            rows.append(
                (
                    ids[index * per_friend + j],
                    fid,
                    line_user_id,
                    msg["type"],
                    payload,
                    text,
                )
            )
    writer.insert_messages(
        account_id=broadcast.account_id,
        sent_by_id=broadcast.sent_by_id,
        rows=rows,
        now=now,
    )
    writer.touch_friends(sorted(inserted), now=now)
    return rows


def _fill(value: str, name: str, fid: int, sig: str) -> str:
    return (
        value.replace("{Nickname}", name)
        .replace(_FRIEND_MARK, str(fid))
        .replace(_SIG_MARK, sig)
    )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    return str(value).translate(_COPY_ESCAPES)


def _message_columns(given: set[str]) -> tuple[list[str], list]:
    """Message columns not given per row, with their defaults (for new ones)."""
    names, values = [], []
    for field in Message._meta.concrete_fields:
        if field.attname in given or field.primary_key:
            continue
        names.append(field.column)
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return names, values


@functools.cache
def _message_sequence() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, 'id')", [Message._meta.db_table]
        )
        return cursor.fetchone()[0]


class _PostgresWriter:
    """Set-based writes: one statement per table, rows passed as arrays."""

    def __init__(self) -> None:
        self.blocked_inserted = 0

    def allocate_message_ids(self, n: int) -> list[int]:
        if n == 0:
            return []
        with connection.cursor() as cursor:
            # The sequence is named once, as a literal, so PostgreSQL
            # resolves it at parse time rather than once per row.
            cursor.execute(
                "SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)",
                [_message_sequence(), n],
            )
            return sorted(cursor.fetchone()[0])

    def insert_deliveries(self, *, broadcast_id, sent, blocked, now) -> set[int]:
        table = Delivery._meta.db_table
        fids = [f for f, _m in sent] + list(blocked)
        mids = [m for _f, m in sent] + [None] * len(blocked)
        statuses = [Delivery.Status.SENT.value] * len(sent) + [
            Delivery.Status.BLOCKED.value
        ] * len(blocked)
        if not fids:
            return set()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} "
                "(broadcast_id, friend_id, message_id, status, sent_at, clicked_at) "
                "SELECT %s, r.fid, r.mid, r.status, %s, NULL "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) "
                "AS r(fid, mid, status) "
                "ON CONFLICT (broadcast_id, friend_id) DO NOTHING "
                "RETURNING friend_id, status",
                [broadcast_id, now, fids, mids, statuses],
            )
            rows = cursor.fetchall()
        self.blocked_inserted = sum(1 for _f, s in rows if s == Delivery.Status.BLOCKED)
        return {f for f, s in rows if s == Delivery.Status.SENT}

    def insert_messages(self, *, account_id, sent_by_id, rows, now) -> None:
        """COPY the messages: ids are fresh from the sequence, so nothing can
        conflict, and COPY is the cheapest way into the table."""
        if not rows:
            return
        given = {
            "account_id",
            "friend_id",
            "direction",
            "source",
            "type",
            "payload",
            "text",
            "sent_by_id",
            "created_at",
        }
        extra_cols, extra_vals = _message_columns(given)
        cols = [
            "id",
            "account_id",
            "friend_id",
            "direction",
            "source",
            "type",
            "payload",
            "text",
            "sent_by_id",
            "created_at",
            *extra_cols,
        ]
        head = f"\t{account_id}\t"
        kinds = (
            f"\t{Message.Direction.OUTBOUND.value}\t{Message.Source.BROADCAST.value}\t"
        )
        tail = "\t".join(
            [_copy_value(sent_by_id), _copy_value(now.isoformat())]
            + [_copy_value(v) for v in extra_vals]
        )
        out = io.StringIO()
        for mid, fid, _lu, kind, payload, text in rows:
            out.write(
                f"{mid}{head}{fid}{kinds}{kind}\t{_copy_value(payload)}\t"
                f"{_copy_value(text)}\t{tail}\n"
            )
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {Message._meta.db_table} ({', '.join(cols)}) FROM STDIN"
            ) as copy,
        ):
            copy.write(out.getvalue())

    def check_constraints(self) -> None:
        """Run the deferred foreign-key checks now, not at commit.

        They are most of the commit's work; run before the quota commit,
        they no longer hold the account's usage row lock, which parallel
        batches of the account queue on.
        """
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def touch_friends(self, friend_ids: list[int], *, now) -> None:
        """Move the rooms up in the talk app (``last_message_at``).

        Rows are found through the primary key in one pass; two batches
        touching overlapping friends use the same plan and lock in the same
        order. Should they ever deadlock, PostgreSQL aborts one, its whole
        batch rolls back and the task is retried (broadcast_tasks).
        """
        if not friend_ids:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Friend._meta.db_table} SET last_message_at = %s "
                "WHERE id = ANY(%s)",
                [now, friend_ids],
            )


class _OrmWriter:
    """The same writes through the ORM, for SQLite (development).

    SQLite runs one writing transaction at a time, so ids taken from the
    table's maximum cannot collide with another writer's.
    """

    CHUNK = 150  # rows per INSERT: 6 parameters each, under SQLite's 999

    def __init__(self) -> None:
        self.blocked_inserted = 0

    def allocate_message_ids(self, n: int) -> list[int]:
        if connection.vendor == "postgresql":
            return _PostgresWriter().allocate_message_ids(n)
        top = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = %s",
                [Message._meta.db_table],
            )
            row = cursor.fetchone()
        top = max(top, row[0] if row else 0)
        return list(range(top + 1, top + 1 + n))

    def insert_deliveries(self, *, broadcast_id, sent, blocked, now) -> set[int]:
        table = Delivery._meta.db_table
        values = [(f, m, Delivery.Status.SENT.value) for f, m in sent] + [
            (f, None, Delivery.Status.BLOCKED.value) for f in blocked
        ]
        inserted: set[int] = set()
        for start in range(0, len(values), self.CHUNK):
            chunk = values[start : start + self.CHUNK]
            placeholders = ", ".join("(%s, %s, %s, %s, %s, NULL)" for _r in chunk)
            params = []
            for fid, mid, status in chunk:
                params += [broadcast_id, fid, mid, status, now]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (broadcast_id, friend_id, message_id, "
                    f"status, sent_at, clicked_at) VALUES {placeholders} "
                    "ON CONFLICT (broadcast_id, friend_id) DO NOTHING "
                    "RETURNING friend_id, status",
                    params,
                )
                for fid, status in cursor.fetchall():
                    if status == Delivery.Status.SENT:
                        inserted.add(fid)
                    else:
                        self.blocked_inserted += 1
        return inserted

    def insert_messages(self, *, account_id, sent_by_id, rows, now) -> None:
        Message.objects.bulk_create(
            [
                Message(
                    id=mid,
                    account_id=account_id,
                    friend_id=fid,
                    direction=Message.Direction.OUTBOUND,
                    source=Message.Source.BROADCAST,
                    type=kind,
                    payload=json.loads(payload),
                    text=text,
                    sent_by_id=sent_by_id,
                    created_at=now,
                )
                for mid, fid, _lu, kind, payload, text in rows
            ],
            batch_size=500,
        )

    def check_constraints(self) -> None:
        """SQLite checks foreign keys at commit; one writer at a time."""

    def touch_friends(self, friend_ids: list[int], *, now) -> None:
        for start in range(0, len(friend_ids), 500):
            Friend.objects.filter(pk__in=friend_ids[start : start + 500]).update(
                last_message_at=now
            )


def _publish_batch(broadcast: Broadcast, rows: list) -> None:
    """One progress event per batch; per-recipient events for small ones."""
    _progress_event(broadcast, status=Broadcast.Status.SENDING)
    recipients = {r[1] for r in rows}
    if len(recipients) > LIVE_EVENTS_MAX:
        return
    for mid, fid, line_user_id, kind, payload, text in rows:
        message = Message(
            id=mid,
            friend_id=fid,
            direction=Message.Direction.OUTBOUND,
            source=Message.Source.BROADCAST,
            type=kind,
            payload=json.loads(payload),
            text=text,
            created_at=timezone.now(),
        )
        send_event_on_commit(
            groups=[line_user_group(line_user_id)], event=message_event(message)
        )


def broadcast_close(
    *, broadcast_id: int, status: str, reason: str = "", expect=None
) -> bool:
    """End a sending/paused broadcast: release unused quota exactly once.

    ``SELECT … FOR UPDATE`` waits for every batch in flight (they hold a key
    share lock), so the sum of done batches is final when the remainder is
    released. ``expect`` limits the statuses it may close from. Returns
    whether this call closed it.
    """
    expect = expect or (Broadcast.Status.SENDING, Broadcast.Status.PAUSED)
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
        if broadcast.status not in expect:
            return False
        if (
            status == Broadcast.Status.SENT
            and BroadcastBatch.objects.filter(
                broadcast=broadcast, status=BroadcastBatch.Status.PENDING
            ).exists()
        ):
            return False
        totals = BroadcastBatch.objects.filter(broadcast=broadcast).aggregate(
            sent=Sum("sent"), blocked=Sum("blocked")
        )
        sent = totals["sent"] or 0
        now = timezone.now()
        if broadcast.usage_id is not None and broadcast.reserved > sent:
            quota_release(
                reservation=Reservation(
                    usage_id=broadcast.usage_id, count=broadcast.reserved
                ),
                count=broadcast.reserved - sent,
            )
        if broadcast.status == Broadcast.Status.PAUSED and broadcast.paused_at:
            broadcast.paused_seconds += int((now - broadcast.paused_at).total_seconds())
        broadcast.status = status
        broadcast.sent_count = sent
        broadcast.blocked_count = totals["blocked"] or 0
        broadcast.finished_at = now
        broadcast.failure_reason = reason[:300]
        broadcast.save(
            update_fields=[
                "status",
                "sent_count",
                "blocked_count",
                "finished_at",
                "failure_reason",
                "paused_seconds",
                "updated_at",
            ]
        )
        _progress_event(broadcast, sent=sent, total=broadcast.target_count)
    return True


def broadcast_finish(*, broadcast_id: int) -> bool:
    """Mark a broadcast sent once no batch is pending (idempotent)."""
    return broadcast_close(
        broadcast_id=broadcast_id,
        status=Broadcast.Status.SENT,
        expect=(Broadcast.Status.SENDING,),
    )


@transaction.atomic
def broadcast_pause(*, broadcast: Broadcast, actor: User) -> None:
    """Stop starting new batches; the ones running finish."""
    now = timezone.now()
    paused = Broadcast.objects.filter(
        pk=broadcast.pk, status=Broadcast.Status.SENDING
    ).update(status=Broadcast.Status.PAUSED, paused_at=now, updated_at=now)
    if not paused:
        raise ApplicationError(_("Only a broadcast that is sending can be paused."))
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.pause",
        target=broadcast.title,
        data={"broadcast_id": broadcast.pk},
    )
    _progress_event(broadcast, status=Broadcast.Status.PAUSED)


@transaction.atomic
def broadcast_resume(*, broadcast: Broadcast, actor: User) -> None:
    """Continue a paused broadcast from the batches still pending."""
    locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
    if locked.status != Broadcast.Status.PAUSED:
        raise ApplicationError(_("Only a paused broadcast can be resumed."))
    now = timezone.now()
    if locked.paused_at:
        locked.paused_seconds += int((now - locked.paused_at).total_seconds())
    locked.status = Broadcast.Status.SENDING
    locked.paused_at = None
    locked.save(update_fields=["status", "paused_at", "paused_seconds", "updated_at"])
    BroadcastBatch.objects.filter(
        broadcast=locked, status=BroadcastBatch.Status.PENDING
    ).update(enqueued_at=now)
    audit_record(
        account=locked.account,
        actor=actor,
        action="broadcast.resume",
        target=locked.title,
        data={"broadcast_id": locked.pk},
    )
    _progress_event(locked, status=Broadcast.Status.SENDING)
    transaction.on_commit(lambda: _enqueue_pending(locked.pk))


def broadcast_cancel(*, broadcast: Broadcast, actor: User) -> None:
    """Cancel a scheduled broadcast, or stop one that is sending or paused.

    What was delivered stays delivered; the rest of the reservation goes
    back to the month's quota.
    """
    with transaction.atomic():
        unscheduled = Broadcast.objects.filter(
            pk=broadcast.pk, status=Broadcast.Status.SCHEDULED
        ).update(
            status=Broadcast.Status.CANCELLED,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        closed = unscheduled or broadcast_close(
            broadcast_id=broadcast.pk, status=Broadcast.Status.CANCELLED
        )
        if not closed:
            raise ApplicationError(
                _("This broadcast has already finished; there is nothing to cancel.")
            )
        audit_record(
            account=broadcast.account,
            actor=actor,
            action="broadcast.cancel",
            target=broadcast.title,
            data={"broadcast_id": broadcast.pk},
        )


def broadcasts_dispatch(
    *, now: dt.datetime | None = None, stall_seconds: int = BATCH_STALL_SECONDS
) -> dict:
    """The beat loop: start due broadcasts, revive stalled ones.

    Everything it enqueues is idempotent, so running it often (or twice at
    once) costs only no-op tasks. Returns what it enqueued.
    """
    from messaging.broadcast_tasks import (
        broadcast_batch_task,
        broadcast_finish_task,
        broadcast_start_task,
    )

    now = now or timezone.now()
    due = list(
        Broadcast.objects.filter(
            status=Broadcast.Status.SCHEDULED, scheduled_at__lte=now
        )
        .order_by("scheduled_at")
        .values_list("pk", flat=True)[:100]
    )
    for broadcast_id in due:
        broadcast_start_task.delay(broadcast_id)
    # A broadcast is stalled when no batch of it finished for a while; one
    # whose batches are still draining from a long queue is left alone, so
    # a big fan-out is not duplicated into the queue it is working through.
    cutoff = now - dt.timedelta(seconds=stall_seconds)
    stalled = (
        Broadcast.objects.filter(status=Broadcast.Status.SENDING)
        .annotate(last_done=Max("batches__done_at"))
        .filter(Q(last_done__lte=cutoff) | Q(last_done=None, started_at__lte=cutoff))
        .values("pk")
    )
    stale_qs = BroadcastBatch.objects.filter(
        status=BroadcastBatch.Status.PENDING,
        broadcast__in=stalled,
        enqueued_at__lte=cutoff,
    )
    stale = list(stale_qs.order_by("pk").values_list("pk", flat=True)[:5000])
    BroadcastBatch.objects.filter(pk__in=stale).update(enqueued_at=now)
    for batch_id in stale:
        broadcast_batch_task.delay(batch_id)
    unfinished = list(
        Broadcast.objects.filter(status=Broadcast.Status.SENDING)
        .exclude(batches__status=BroadcastBatch.Status.PENDING)
        .values_list("pk", flat=True)[:100]
    )
    for broadcast_id in unfinished:
        broadcast_finish_task.delay(broadcast_id)
    return {"started": due, "revived": stale, "finishing": unfinished}


# --- Clicks -----------------------------------------------------------------------


def link_click_record(*, token: str) -> str:
    """Record a click on a tracking link and return where to go.

    ``token`` is ``<code>.<friend id>.<signature>``. A bad signature or an
    unknown friend still forwards (the link must work when shared) but
    records nothing; an unknown code is ``Http404``.
    """
    code, _sep, rest = token.partition(".")
    link = BroadcastLink.objects.select_related("broadcast").filter(code=code).first()
    if link is None:
        raise Http404
    friend_part, _sep, sig = rest.partition(".")
    try:
        friend_id = int(friend_part)
    except ValueError:
        return link.url
    if not hmac.compare_digest(sig, _sign(link.broadcast, friend_id)):
        return link.url
    with transaction.atomic():
        delivery = Delivery.objects.filter(
            broadcast_id=link.broadcast_id,
            friend_id=friend_id,
            status=Delivery.Status.SENT,
        ).first()
        if delivery is None:
            return link.url
        BroadcastLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
        table = LinkClick._meta.db_table
        count = connection.ops.quote_name("count")
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (link_id, friend_id, {count}, first_at) "
                "VALUES (%s, %s, 1, %s) ON CONFLICT (link_id, friend_id) "
                f"DO UPDATE SET {count} = {table}.{count} + 1",
                [link.pk, friend_id, timezone.now()],
            )
        Delivery.objects.filter(pk=delivery.pk, clicked_at=None).update(
            clicked_at=timezone.now()
        )
    return link.url


# --- Saved segments -------------------------------------------------------------

SEGMENT_NAME_MAX = 60


@transaction.atomic
def segment_save(
    *,
    account: OfficialAccount,
    actor: User,
    name: str,
    definition: dict,
    segment: Segment | None = None,
) -> Segment:
    """Save a reusable audience under a unique name (new or changed)."""
    name = (name or "").strip()
    if not name or len(name) > SEGMENT_NAME_MAX:
        msg = _("Give the segment a name of at most %(n)d characters.") % {
            "n": SEGMENT_NAME_MAX
        }
        raise ApplicationError(msg, {"name": msg})
    definition = segment_clean(account=account, definition=definition)
    clash = Segment.objects.filter(account=account, name=name)
    if segment is not None:
        if segment.account_id != account.pk:
            raise ApplicationError(_("Not found."))
        clash = clash.exclude(pk=segment.pk)
    if clash.exists():
        msg = _("A segment with this name already exists.")
        raise ApplicationError(msg, {"name": msg})
    if segment is None:
        segment = Segment.objects.create(
            account=account, name=name, definition=definition, created_by=actor
        )
    else:
        segment.name = name
        segment.definition = definition
        segment.save(update_fields=["name", "definition", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action="segment.save",
        target=name,
        data={"segment_id": segment.pk},
    )
    return segment


@transaction.atomic
def segment_delete(*, account: OfficialAccount, actor: User, segment: Segment) -> None:
    """Delete a saved segment; drafts using it keep its conditions inline.

    Refused while a scheduled broadcast uses it; a broadcast that already
    started keeps the definition it used.
    """
    if segment.account_id != account.pk:
        raise ApplicationError(_("Not found."))
    in_use = Broadcast.objects.filter(
        segment=segment, status=Broadcast.Status.SCHEDULED
    ).exists()
    if in_use:
        raise ApplicationError(
            _("A scheduled broadcast uses this segment; cancel it first.")
        )
    Broadcast.objects.filter(segment=segment, status=Broadcast.Status.DRAFT).update(
        audience=segment.definition, segment=None
    )
    name = segment.name
    segment.delete()
    audit_record(account=account, actor=actor, action="segment.delete", target=name)


# --- Reads (account-scoped; another account's id is a 404) ------------------------


def broadcast_list(*, account: OfficialAccount) -> QuerySet:
    return Broadcast.objects.filter(account=account).order_by("-id")


def broadcast_get(*, account: OfficialAccount, broadcast_id: int) -> Broadcast:
    broadcast = (
        Broadcast.objects.filter(account=account, pk=broadcast_id)
        .select_related("account", "segment")
        .first()
    )
    if broadcast is None:
        raise Http404
    return broadcast


def segment_list(*, account: OfficialAccount) -> QuerySet:
    return Segment.objects.filter(account=account).order_by("name")


def segment_get(*, account: OfficialAccount, segment_id: int) -> Segment:
    segment = Segment.objects.filter(account=account, pk=segment_id).first()
    if segment is None:
        raise Http404
    return segment


def test_recipient_choices(*, account: OfficialAccount, limit: int = 100) -> list:
    """Following friends offered as test recipients, newest first."""
    return list(
        Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
        .select_related("line_user")
        .order_by("-id")[:limit]
    )


def broadcast_progress(*, broadcast: Broadcast) -> dict:
    """Sent/total, rate and ETA for the progress bar (JSON-safe).

    While sending, sums the batch rows (a few hundred at most per million
    recipients); afterwards reads the totals stored when it closed.
    """
    now = timezone.now()
    status = broadcast.status
    total = broadcast.target_count
    if status in (Broadcast.Status.SENDING, Broadcast.Status.PAUSED):
        agg = BroadcastBatch.objects.filter(broadcast=broadcast).aggregate(
            sent=Sum("sent"),
            blocked=Sum("blocked"),
            left=Sum("planned", filter=Q(status=BroadcastBatch.Status.PENDING)),
        )
        sent, blocked, left = agg["sent"] or 0, agg["blocked"] or 0, agg["left"] or 0
    else:
        sent, blocked, left = broadcast.sent_count, broadcast.blocked_count, 0
    elapsed = 0.0
    if broadcast.started_at:
        end = broadcast.finished_at or now
        elapsed = (end - broadcast.started_at).total_seconds()
        elapsed -= broadcast.paused_seconds
        if status == Broadcast.Status.PAUSED and broadcast.paused_at:
            elapsed -= (now - broadcast.paused_at).total_seconds()
    rate = sent / elapsed if elapsed > 0 else 0.0
    eta = round(left / rate) if rate > 0 and left and status == "sending" else None
    done = sent + (total - sent - left if left else 0)
    return {
        "id": broadcast.pk,
        "status": status,
        "status_label": str(Broadcast.Status(status).label),
        "sent": sent,
        "blocked": blocked,
        "total": total,
        "percent": round(100 * done / total, 1) if total else 0.0,
        "rate": round(rate, 1),
        "eta_seconds": eta,
        "scheduled_at": broadcast.scheduled_at.isoformat()
        if broadcast.scheduled_at
        else None,
        "started_at": broadcast.started_at.isoformat()
        if broadcast.started_at
        else None,
        "finished_at": broadcast.finished_at.isoformat()
        if broadcast.finished_at
        else None,
        "failure_reason": broadcast.failure_reason,
        "final": status
        in (Broadcast.Status.SENT, Broadcast.Status.CANCELLED, Broadcast.Status.FAILED),
    }


@dataclass(frozen=True)
class Report:
    delivered: int
    blocked: int
    opened: int
    clicked: int
    links: list

    @property
    def open_rate(self) -> float:
        return round(100 * self.opened / self.delivered, 1) if self.delivered else 0.0

    @property
    def click_rate(self) -> float:
        return round(100 * self.clicked / self.delivered, 1) if self.delivered else 0.0


def broadcast_report(*, broadcast: Broadcast) -> Report:
    """Delivered, opened (the talk app showed it), clicked; per link."""
    counts = Delivery.objects.filter(broadcast=broadcast).aggregate(
        delivered=Count("id", filter=Q(status=Delivery.Status.SENT)),
        blocked=Count("id", filter=Q(status=Delivery.Status.BLOCKED)),
        opened=Count(
            "id",
            filter=Q(status=Delivery.Status.SENT, message__read_at__isnull=False),
        ),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
    )
    links = list(
        BroadcastLink.objects.filter(broadcast=broadcast)
        .annotate(unique_clicks=Count("friend_clicks"))
        .order_by("id")
    )
    return Report(links=links, **counts)


# --- Step messages ---------------------------------------------------------------

STEP_MAX = 30
STEP_NAME_MAX = 60
# Enrollments handled per transaction by the beat task; each batch groups
# its friends by step, so the messages of one step go out in one insert.
STEP_BATCH_SIZE = 200
STEP_MAX_DELAY = {"minutes": 60 * 24 * 365, "hours": 24 * 365, "days": 365}


def step_delay(step: Step) -> dt.timedelta:
    return dt.timedelta(**{step.delay_unit: step.delay_value})


@transaction.atomic
def step_sequence_save(
    *,
    account: OfficialAccount,
    actor: User,
    name: str,
    is_active: bool,
    steps: list[dict],
    sequence: StepSequence | None = None,
) -> StepSequence:
    """Create or change a sequence and its steps (kept by position).

    Each step is ``{"delay_value", "delay_unit", "messages", "condition"}``;
    the delay counts from the previous step (the first: from the friend
    add). Friends already enrolled continue at their position.
    """
    name = (name or "").strip()
    if not name or len(name) > STEP_NAME_MAX:
        msg = _("Give the sequence a name of at most %(n)d characters.") % {
            "n": STEP_NAME_MAX
        }
        raise ApplicationError(msg, {"name": msg})
    if not steps:
        raise ApplicationError(_("Add at least one step."))
    if len(steps) > STEP_MAX:
        raise ApplicationError(
            _("A sequence has at most %(n)d steps.") % {"n": STEP_MAX}
        )
    cleaned = []
    for i, raw in enumerate(steps, start=1):
        unit = raw.get("delay_unit")
        try:
            value = int(raw.get("delay_value"))
        except (TypeError, ValueError):
            value = -1
        if unit not in STEP_MAX_DELAY or not 0 <= value <= STEP_MAX_DELAY[unit]:
            raise ApplicationError(
                _("Step %(n)d: enter a delay of up to a year.") % {"n": i}
            )
        try:
            messages = broadcast_messages_clean(
                account=account, messages=raw.get("messages")
            )
        except ApplicationError as exc:
            raise ApplicationError(
                _("Step %(n)d: %(error)s") % {"n": i, "error": exc.message}
            ) from None
        condition = raw.get("condition")
        if condition:
            condition = segment_clean(account=account, definition=condition)
        cleaned.append(
            {
                "delay_value": value,
                "delay_unit": unit,
                "messages": messages,
                "condition": condition or None,
            }
        )
    if sequence is None:
        sequence = StepSequence.objects.create(
            account=account, name=name, is_active=is_active
        )
    else:
        if sequence.account_id != account.pk:
            raise ApplicationError(_("Not found."))
        sequence.name = name
        sequence.is_active = is_active
        sequence.save(update_fields=["name", "is_active"])
    for position, fields in enumerate(cleaned, start=1):
        Step.objects.update_or_create(
            sequence=sequence, position=position, defaults=fields
        )
    Step.objects.filter(sequence=sequence, position__gt=len(cleaned)).delete()
    audit_record(
        account=account,
        actor=actor,
        action="step_sequence.save",
        target=name,
        data={"sequence_id": sequence.pk, "steps": len(cleaned)},
    )
    return sequence


@transaction.atomic
def step_sequences_start_for_friend(*, friend: Friend) -> list[StepEnrollment]:
    """Enroll a new friend in the account's active friend-add sequences.

    Call from the follow flow when a friend is added. Idempotent: a friend
    is enrolled in a sequence once, ever (unique), so calling it again on
    an unblock does nothing.
    """
    now = timezone.now()
    firsts = {
        s.sequence_id: s
        for s in Step.objects.filter(
            sequence__account_id=friend.account_id,
            sequence__is_active=True,
            sequence__trigger=StepSequence.Trigger.FRIEND_ADD,
            position=1,
        )
    }
    rows = [
        StepEnrollment(
            sequence_id=sequence_id,
            friend=friend,
            next_position=1,
            next_at=now + step_delay(step),
            started_at=now,
        )
        for sequence_id, step in firsts.items()
    ]
    StepEnrollment.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        StepEnrollment.objects.filter(friend=friend, sequence_id__in=list(firsts))
    )


def steps_send_due(
    *, now: dt.datetime | None = None, batch_size: int = STEP_BATCH_SIZE
) -> int:
    """Send every step that is due (the beat task); returns steps handled.

    Batches lock enrollments with ``SKIP LOCKED`` and advance them in the
    same transaction that records the step (unique per enrollment and
    step), so concurrent or repeated runs never send a step twice. A step
    goes only to friends who follow the account and match its condition;
    the others skip it. Counted against the quota: when the month's quota
    cannot cover a step's recipients, the step is recorded as not sent.
    """
    now = now or timezone.now()
    handled = 0
    # Until nothing is due: a friend several steps behind (beat was down)
    # catches up in one run, one step per pass.
    while count := _steps_batch(now, batch_size):
        handled += count
    return handled


@transaction.atomic
def _steps_batch(now: dt.datetime, batch_size: int) -> int:
    enrollments = list(
        StepEnrollment.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=StepEnrollment.Status.ACTIVE,
            next_at__lte=now,
            sequence__account__is_suspended=False,
        )
        .select_related("friend__line_user", "sequence__account")
        .order_by("next_at", "id")[:batch_size]
    )
    if not enrollments:
        return 0
    steps = {
        (s.sequence_id, s.position): s
        for s in Step.objects.filter(
            sequence_id__in={e.sequence_id for e in enrollments}
        )
    }
    records: list[StepDelivery] = []
    by_step: dict[int, list[StepEnrollment]] = {}
    for e in enrollments:
        step = steps.get((e.sequence_id, e.next_position))
        if step is None:
            continue
        if e.friend.status != Friend.Status.FOLLOWING:
            records.append(
                StepDelivery(
                    enrollment=e, step=step, status=StepDelivery.Status.SKIPPED
                )
            )
        else:
            by_step.setdefault(step.pk, []).append(e)
    by_id = {s.pk: s for s in steps.values()}
    for step_id, group in by_step.items():
        records += _step_send(by_id[step_id], group, now)
    StepDelivery.objects.bulk_create(records, ignore_conflicts=True)
    for e in enrollments:
        following = steps.get((e.sequence_id, e.next_position + 1))
        if following is None:
            e.status = StepEnrollment.Status.COMPLETED
            e.next_at = None
        else:
            e.next_position += 1
            e.next_at = e.next_at + step_delay(following)
    StepEnrollment.objects.bulk_update(
        enrollments, ["status", "next_position", "next_at"]
    )
    return len(enrollments)


def _step_send(step: Step, group: list[StepEnrollment], now) -> list[StepDelivery]:
    account = group[0].sequence.account
    matching = {e.friend_id for e in group}
    if step.condition:
        matching = set(
            Friend.objects.filter(pk__in=matching)
            .filter(segment_q(account=account, definition=step.condition, now=now))
            .values_list("pk", flat=True)
        )
    send = [e for e in group if e.friend_id in matching]
    records = [
        StepDelivery(enrollment=e, step=step, status=StepDelivery.Status.SKIPPED)
        for e in group
        if e.friend_id not in matching
    ]
    if not send:
        return records
    try:
        with transaction.atomic():
            # Friend rows before the usage row, as in the broadcast fan-out.
            rows = messages_send(
                account=account,
                friends=[e.friend for e in send],
                messages=step.messages,
                source=Message.Source.STEP,
            )
            quota_consume(account=account, count=len(send))
    except ApplicationError:
        return records + [
            StepDelivery(enrollment=e, step=step, status=StepDelivery.Status.FAILED)
            for e in send
        ]
    first: dict[int, Message] = {}
    for row in rows:
        first.setdefault(row.friend_id, row)
    return records + [
        StepDelivery(
            enrollment=e,
            step=step,
            status=StepDelivery.Status.SENT,
            message=first[e.friend_id],
        )
        for e in send
    ]


@transaction.atomic
def step_enrollment_stop(
    *, account: OfficialAccount, actor: User, enrollment: StepEnrollment
) -> None:
    """Stop one friend's sequence; nothing more is sent to them."""
    if enrollment.sequence.account_id != account.pk:
        raise ApplicationError(_("Not found."))
    StepEnrollment.objects.filter(
        pk=enrollment.pk, status=StepEnrollment.Status.ACTIVE
    ).update(status=StepEnrollment.Status.STOPPED, stopped_at=timezone.now())
    audit_record(
        account=account,
        actor=actor,
        action="step_sequence.stop_friend",
        target=enrollment.sequence.name,
        data={"friend_id": enrollment.friend_id},
    )


@transaction.atomic
def step_sequence_stop(
    *, account: OfficialAccount, actor: User, sequence: StepSequence
) -> int:
    """Stop a sequence for everyone and stop enrolling new friends."""
    if sequence.account_id != account.pk:
        raise ApplicationError(_("Not found."))
    StepSequence.objects.filter(pk=sequence.pk).update(is_active=False)
    stopped = StepEnrollment.objects.filter(
        sequence=sequence, status=StepEnrollment.Status.ACTIVE
    ).update(status=StepEnrollment.Status.STOPPED, stopped_at=timezone.now())
    audit_record(
        account=account,
        actor=actor,
        action="step_sequence.stop_all",
        target=sequence.name,
        data={"stopped": stopped},
    )
    return stopped


def step_sequence_list(*, account: OfficialAccount) -> QuerySet:
    return StepSequence.objects.filter(account=account).annotate(
        step_count=Count("steps", distinct=True),
        active_count=Count(
            "enrollments",
            filter=Q(enrollments__status=StepEnrollment.Status.ACTIVE),
            distinct=True,
        ),
    )


def step_sequence_get(*, account: OfficialAccount, sequence_id: int) -> StepSequence:
    sequence = StepSequence.objects.filter(account=account, pk=sequence_id).first()
    if sequence is None:
        raise Http404
    return sequence


def step_enrollment_get(
    *, account: OfficialAccount, enrollment_id: int
) -> StepEnrollment:
    enrollment = (
        StepEnrollment.objects.filter(sequence__account=account, pk=enrollment_id)
        .select_related("sequence", "friend__line_user")
        .first()
    )
    if enrollment is None:
        raise Http404
    return enrollment


# --- Keyword auto-responses ------------------------------------------------------

AUTORESPONSE_KEYWORDS_MAX = 20
KEYWORD_MAX = 100


def keyword_normalize(text: str) -> str:
    """Compare keywords the way people type them: NFKC, case-folded.

    Full-width ``ＡＢＣ１`` matches ``abc1``; half-width katakana matches
    full-width.
    """
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


@transaction.atomic
def autoresponse_save(
    *,
    account: OfficialAccount,
    actor: User,
    name: str,
    match: str,
    keywords: list[str],
    messages: list[dict],
    is_active: bool = True,
    active_from: dt.time | None = None,
    active_to: dt.time | None = None,
    position: int = 0,
    rule: AutoResponse | None = None,
) -> AutoResponse:
    """Create or change a keyword rule (or the catch-all)."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        msg = _("Give the rule a name of at most %(n)d characters.") % {"n": 60}
        raise ApplicationError(msg, {"name": msg})
    if match not in AutoResponse.Match.values:
        msg = _("Choose how keywords match.")
        raise ApplicationError(msg, {"match": msg})
    words: list[str] = []
    if match != AutoResponse.Match.CATCH_ALL:
        for word in keywords or []:
            word = (word or "").strip()
            if word and word not in words:
                words.append(word)
        if not words:
            msg = _("Add at least one keyword.")
            raise ApplicationError(msg, {"keywords": msg})
        if len(words) > AUTORESPONSE_KEYWORDS_MAX or any(
            len(w) > KEYWORD_MAX for w in words
        ):
            msg = _("Use at most %(n)d keywords of at most %(len)d characters.") % {
                "n": AUTORESPONSE_KEYWORDS_MAX,
                "len": KEYWORD_MAX,
            }
            raise ApplicationError(msg, {"keywords": msg})
    if (active_from is None) != (active_to is None):
        msg = _("Give both ends of the active time window, or neither.")
        raise ApplicationError(msg, {"active_from": msg})
    messages = broadcast_messages_clean(account=account, messages=messages)
    fields = {
        "name": name,
        "match": match,
        "keywords": words,
        "messages": messages,
        "is_active": is_active,
        "active_from": active_from,
        "active_to": active_to,
        "position": position,
    }
    if rule is None:
        rule = AutoResponse.objects.create(account=account, **fields)
    else:
        if rule.account_id != account.pk:
            raise ApplicationError(_("Not found."))
        for key, value in fields.items():
            setattr(rule, key, value)
        rule.save(update_fields=list(fields))
    audit_record(
        account=account,
        actor=actor,
        action="auto_response.save",
        target=name,
        data={"rule_id": rule.pk},
    )
    return rule


@transaction.atomic
def autoresponse_delete(
    *, account: OfficialAccount, actor: User, rule: AutoResponse
) -> None:
    if rule.account_id != account.pk:
        raise ApplicationError(_("Not found."))
    name = rule.name
    rule.delete()
    audit_record(
        account=account, actor=actor, action="auto_response.delete", target=name
    )


def _in_window(rule: AutoResponse, local: dt.time) -> bool:
    if rule.active_from is None or rule.active_to is None:
        return True
    if rule.active_from <= rule.active_to:
        return rule.active_from <= local < rule.active_to
    return local >= rule.active_from or local < rule.active_to  # wraps midnight


_MATCH_RANK = {
    AutoResponse.Match.EXACT: 0,
    AutoResponse.Match.PARTIAL: 1,
    AutoResponse.Match.CATCH_ALL: 2,
}


def autoresponse_match(
    *, account: OfficialAccount, text: str, now: dt.datetime | None = None
) -> AutoResponse | None:
    """The rule that answers ``text`` now, or None.

    Exact beats partial beats catch-all; within a kind the lowest
    ``position`` (then the oldest rule) wins. Rules outside their daily
    window (account time zone) are ignored.
    """
    local = (now or timezone.now()).astimezone(account.tz).time()
    normalized = keyword_normalize(text)
    best = None
    for rule in AutoResponse.objects.filter(account=account, is_active=True):
        if not _in_window(rule, local):
            continue
        words = [keyword_normalize(w) for w in rule.keywords]
        if rule.match == AutoResponse.Match.EXACT:
            hit = normalized in words
        elif rule.match == AutoResponse.Match.PARTIAL:
            hit = bool(normalized) and any(w and w in normalized for w in words)
        else:
            hit = True
        if not hit:
            continue
        rank = (_MATCH_RANK[rule.match], rule.position, rule.pk)
        if best is None or rank < best[0]:
            best = (rank, rule)
    return best[1] if best else None


@transaction.atomic
def autoresponse_reply(*, friend: Friend, text: str) -> list[Message]:
    """Answer a customer's text with the matching rule's bubbles (free).

    Call from the customer-message flow after the message is stored.
    Returns the messages sent (empty when no rule matches, the friend
    blocked the account or the account is suspended).
    """
    account = friend.account
    if account.is_suspended or friend.status != Friend.Status.FOLLOWING:
        return []
    rule = autoresponse_match(account=account, text=text)
    if rule is None:
        return []
    return messages_send(
        account=account,
        friends=[friend],
        messages=rule.messages,
        source=Message.Source.AUTO_RESPONSE,
    )


def autoresponse_list(*, account: OfficialAccount) -> QuerySet:
    return AutoResponse.objects.filter(account=account).order_by("position", "id")


def autoresponse_get(*, account: OfficialAccount, rule_id: int) -> AutoResponse:
    rule = AutoResponse.objects.filter(account=account, pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule
