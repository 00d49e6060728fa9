"""Writes of rich menus: menus, images, defaults, links, aliases, stats.

Every function takes the account explicitly and raises
``ApplicationError`` subclasses that the API answers with LINE's bodies
and the Manager shows on its forms (docs/richmenus.md).
"""

import datetime as dt

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError, NotFound
from messaging.friends.models import Friend, Tag
from richmenu.models import (
    MAX_ALIASES,
    MAX_MENUS,
    FriendRichMenu,
    RichMenu,
    RichMenuAlias,
    RichMenuBatch,
    RichMenuDailyStat,
    RichMenuDefault,
    RichMenuTagRule,
    new_rich_menu_id,
)
from richmenu.validators import richmenu_image_check, richmenu_object_check


class RichMenuInvalid(ApplicationError):
    """The rich menu object breaks LINE's rules; ``errors`` are LINE's."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"The request body has {len(errors)} error(s)")
        self.errors = errors


class ImageMissing(ApplicationError):
    def __init__(self):
        super().__init__("must upload richmenu image before applying it to user")


class ImageAlreadyUploaded(ApplicationError):
    def __init__(self):
        super().__init__("An image has already been uploaded to the richmenu")


class LimitReached(ApplicationError):
    pass


class AliasExists(ApplicationError):
    def __init__(self):
        super().__init__("conflict richmenu alias id")


def _alias_targets_exist(
    *, account: OfficialAccount, areas: list, own_alias: str = ""
) -> list[dict]:
    """Errors for ``richmenuswitch`` actions naming unknown aliases
    (``own_alias``, the menu's own new alias, counts as known)."""
    wanted = {
        (i, a["action"].get("richMenuAliasId"))
        for i, a in enumerate(areas)
        if isinstance(a.get("action"), dict)
        and a["action"].get("type") == "richmenuswitch"
    }
    if not wanted:
        return []
    known = set(
        RichMenuAlias.objects.filter(
            account=account, alias_id__in=[alias for _i, alias in wanted]
        ).values_list("alias_id", flat=True)
    ) | {own_alias}
    return [
        {
            "message": "richmenu alias not found",
            "property": f"areas[{i}].action.richMenuAliasId",
        }
        for i, alias in sorted(wanted)
        if alias not in known
    ]


def richmenu_validate(*, data) -> dict:
    """``data`` if it is a valid rich menu object, else ``RichMenuInvalid``."""
    errors = richmenu_object_check(data)
    if errors:
        raise RichMenuInvalid(errors)
    return data


@transaction.atomic
def richmenu_create(
    *,
    account: OfficialAccount,
    data: dict,
    origin: str = RichMenu.Origin.API,
    display_from: dt.datetime | None = None,
    display_until: dt.datetime | None = None,
    check_aliases: bool = False,
    own_alias: str = "",
) -> RichMenu:
    """Create a menu from LINE's rich menu object (without its image).

    Raises ``RichMenuInvalid`` (LINE's details) and ``LimitReached`` at
    1,000 menus of one origin. A switch to an unknown alias is refused only
    when ``check_aliases`` (the Manager: LINE itself accepts it and answers
    the switch with ``RICHMENU_ALIAS_ID_NOTFOUND``).
    """
    richmenu_validate(data=data)
    if check_aliases:
        errors = _alias_targets_exist(
            account=account, areas=data["areas"], own_alias=own_alias
        )
        if errors:
            raise RichMenuInvalid(errors)
    # Lock the account row: two creations cannot both pass the count.
    OfficialAccount.objects.select_for_update().filter(pk=account.pk).first()
    if RichMenu.objects.filter(account=account, origin=origin).count() >= MAX_MENUS:
        raise LimitReached("The maximum number of rich menus has been reached")
    return RichMenu.objects.create(
        account=account,
        origin=origin,
        name=data["name"],
        chat_bar_text=data["chatBarText"],
        selected=data["selected"],
        width=data["size"]["width"],
        height=data["size"]["height"],
        areas=data["areas"],
        display_from=display_from,
        display_until=display_until,
    )


@transaction.atomic
def richmenu_image_upload(
    *, menu: RichMenu, content: bytes, content_type: str
) -> RichMenu:
    """Attach the menu's image once; LINE's images are write-once.

    Raises ``ImageAlreadyUploaded`` or ``ApplicationError`` (image rules).
    """
    menu = RichMenu.objects.select_for_update().get(pk=menu.pk)
    if menu.image:
        raise ImageAlreadyUploaded()
    fmt = richmenu_image_check(
        content, content_type=content_type, width=menu.width, height=menu.height
    )
    ext = "png" if fmt == "PNG" else "jpg"
    menu.image.save(f"menu.{ext}", ContentFile(content), save=False)
    menu.image_type = "image/png" if fmt == "PNG" else "image/jpeg"
    menu.save(update_fields=["image", "image_type"])
    return menu


@transaction.atomic
def richmenu_delete(*, menu: RichMenu) -> None:
    """Delete a menu with its links, defaults, aliases and image."""
    image = menu.image.name
    storage = menu.image.storage
    menu.delete()
    if image:
        transaction.on_commit(lambda: storage.delete(image))


@transaction.atomic
def richmenu_default_set(*, menu: RichMenu, origin: str | None = None) -> None:
    """Make ``menu`` its account's default for ``origin`` (its own origin).

    Raises ``ImageMissing`` when the menu has no image yet.
    """
    if not menu.image:
        raise ImageMissing()
    RichMenuDefault.objects.update_or_create(
        account_id=menu.account_id,
        origin=origin or menu.origin,
        defaults={"rich_menu": menu},
    )


@transaction.atomic
def richmenu_default_cancel(*, account: OfficialAccount, origin: str) -> int:
    """Remove the account's default for ``origin``; the number removed."""
    deleted, _by_model = RichMenuDefault.objects.filter(
        account=account, origin=origin
    ).delete()
    return deleted


@transaction.atomic
def richmenu_link(*, menu: RichMenu, friend: Friend) -> None:
    """Show ``menu`` to one friend (above the defaults)."""
    if not menu.image:
        raise ImageMissing()
    FriendRichMenu.objects.update_or_create(
        friend=friend, defaults={"rich_menu": menu, "linked_at": timezone.now()}
    )


@transaction.atomic
def richmenu_unlink(*, friend: Friend) -> int:
    deleted, _by_model = FriendRichMenu.objects.filter(friend=friend).delete()
    return deleted


def richmenu_link_bulk(*, menu: RichMenu, user_ids: list[str]) -> int:
    """Link ``menu`` to the account's friends among ``user_ids``: one statement.

    ``INSERT … SELECT … ON CONFLICT``: friends are matched by LINE user ID
    inside the statement, so 500 users cost one round trip. Unknown IDs are
    skipped, as LINE does. Returns the rows written.
    """
    if not menu.image:
        raise ImageMissing()
    link = FriendRichMenu._meta.db_table
    friend = Friend._meta.db_table
    line_user = Friend._meta.get_field("line_user").related_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {link} (friend_id, rich_menu_id, linked_at)
            SELECT f.id, %s, %s FROM {friend} f
            JOIN {line_user} u ON u.id = f.line_user_id
            WHERE f.account_id = %s AND u.user_id = ANY(%s)
            ON CONFLICT (friend_id) DO UPDATE
            SET rich_menu_id = EXCLUDED.rich_menu_id, linked_at = EXCLUDED.linked_at
            """,
            [menu.pk, timezone.now(), menu.account_id, list(user_ids)],
        )
        return cursor.rowcount


def richmenu_unlink_bulk(*, account: OfficialAccount, user_ids: list[str]) -> int:
    """Unlink the account's friends among ``user_ids``: one DELETE."""
    deleted, _by_model = FriendRichMenu.objects.filter(
        friend__account=account, friend__line_user__user_id__in=user_ids
    ).delete()
    return deleted


@transaction.atomic
def richmenu_alias_create(
    *, account: OfficialAccount, alias_id: str, menu: RichMenu
) -> RichMenuAlias:
    """Name ``menu`` with ``alias_id``; ``AliasExists`` if taken."""
    OfficialAccount.objects.select_for_update().filter(pk=account.pk).first()
    if RichMenuAlias.objects.filter(account=account, alias_id=alias_id).exists():
        raise AliasExists()
    if RichMenuAlias.objects.filter(account=account).count() >= MAX_ALIASES:
        raise LimitReached("The maximum number of rich menu aliases has been reached")
    if not menu.image:
        raise ImageMissing()
    return RichMenuAlias.objects.create(
        account=account, alias_id=alias_id, rich_menu=menu
    )


@transaction.atomic
def richmenu_alias_update(*, alias: RichMenuAlias, menu: RichMenu) -> RichMenuAlias:
    if not menu.image:
        raise ImageMissing()
    alias.rich_menu = menu
    alias.save(update_fields=["rich_menu"])
    return alias


@transaction.atomic
def richmenu_alias_delete(*, alias: RichMenuAlias) -> None:
    alias.delete()


def richmenu_stat_record(*, menu: RichMenu, area: int, day: dt.date | None = None):
    """Count one impression (``area`` -1) or one tap on ``area`` on ``day``.

    One statement: ``INSERT … ON CONFLICT DO UPDATE SET count = count + 1``
    (Django's upsert would overwrite the count instead of adding to it).
    """
    day = day or timezone.localdate()
    table = RichMenuDailyStat._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (rich_menu_id, day, area, count)
            VALUES (%s, %s, %s, 1)
            ON CONFLICT (rich_menu_id, day, area)
            DO UPDATE SET count = {table}.count + 1
            """,
            [menu.pk, day, area],
        )


# The Manager (audited) ------------------------------------------------------


@transaction.atomic
def richmenu_manager_create(
    *,
    account: OfficialAccount,
    actor: User | None,
    data: dict,
    image: bytes,
    content_type: str,
    display_from: dt.datetime | None = None,
    display_until: dt.datetime | None = None,
    make_default: bool = False,
    alias_id: str = "",
    layout: str = "",
    tiles: list | None = None,
    image_made: bool = False,
) -> RichMenu:
    """A Manager menu with its image, optionally the Manager's default and
    a tab ID (an alias other menus switch to); ``layout``, ``tiles`` and
    ``image_made`` let the editor open it again.

    One transaction: a bad object, a bad image or a missing alias target
    leaves nothing behind. Raises ``RichMenuInvalid`` or
    ``ApplicationError``.
    """
    menu = richmenu_create(
        account=account,
        data=data,
        origin=RichMenu.Origin.MANAGER,
        display_from=display_from,
        display_until=display_until,
        check_aliases=True,
        own_alias=alias_id,
    )
    menu.layout, menu.tiles, menu.image_made = layout, tiles or [], image_made
    menu.save(update_fields=["layout", "tiles", "image_made"])
    menu = richmenu_image_upload(menu=menu, content=image, content_type=content_type)
    if alias_id:
        try:
            richmenu_alias_create(account=account, alias_id=alias_id, menu=menu)
        except AliasExists:
            raise RichMenuInvalid(
                [{"message": "conflict richmenu alias id", "property": "alias_id"}]
            ) from None
    audit_record(
        account=account, actor=actor, action="richmenu.create", target=menu.name
    )
    if make_default:
        richmenu_manager_default_set(menu=menu, actor=actor)
    return menu


@transaction.atomic
def richmenu_manager_update(
    *,
    menu: RichMenu,
    actor: User | None,
    data: dict,
    image: bytes | None,
    content_type: str = "",
    display_from: dt.datetime | None = None,
    display_until: dt.datetime | None = None,
    make_default: bool = False,
    alias_id: str = "",
    layout: str = "",
    tiles: list | None = None,
    image_made: bool = False,
) -> RichMenu:
    """Save an edited Manager menu as a new version of the same row.

    LINE's menus and images are immutable, so the edit gets a new
    ``rich_menu_id`` (the old one answers 404 from then on) and a new image
    file (``image`` None: the current picture, copied). The row's primary
    key (the Manager's ID and URL), its aliases, the Manager's default,
    tag rules, per-friend links and statistics stay on the row, so they
    follow in this one transaction. Every check runs before the first
    write: bad input changes nothing. Raises ``RichMenuInvalid`` or
    ``ApplicationError``.
    """
    menu = RichMenu.objects.select_for_update().get(pk=menu.pk)
    account = menu.account
    richmenu_validate(data=data)
    errors = _alias_targets_exist(
        account=account, areas=data["areas"], own_alias=alias_id
    )
    if errors:
        raise RichMenuInvalid(errors)
    if (
        alias_id
        and RichMenuAlias.objects.filter(account=account, alias_id=alias_id)
        .exclude(rich_menu=menu)
        .exists()
    ):
        raise RichMenuInvalid(
            [{"message": "conflict richmenu alias id", "property": "alias_id"}]
        )
    width, height = data["size"]["width"], data["size"]["height"]
    if image is None:
        with menu.image.open("rb") as f:
            image = f.read()
        content_type = menu.image_type
    fmt = richmenu_image_check(
        image, content_type=content_type, width=width, height=height
    )
    old_image, storage = menu.image.name, menu.image.storage
    menu.rich_menu_id = new_rich_menu_id()
    menu.version += 1
    menu.name = data["name"]
    menu.chat_bar_text = data["chatBarText"]
    menu.selected = data["selected"]
    menu.width, menu.height = width, height
    menu.areas = data["areas"]
    menu.display_from, menu.display_until = display_from, display_until
    menu.layout, menu.tiles, menu.image_made = layout, tiles or [], image_made
    menu.image_type = "image/png" if fmt == "PNG" else "image/jpeg"
    ext = "png" if fmt == "PNG" else "jpg"
    menu.image.save(f"menu.{ext}", ContentFile(image), save=False)
    menu.save()
    if old_image and old_image != menu.image.name:
        transaction.on_commit(lambda: storage.delete(old_image))
    tab = menu.aliases.order_by("id").first()
    if tab and not alias_id:
        tab.delete()
    elif tab and tab.alias_id != alias_id:
        tab.alias_id = alias_id
        tab.save(update_fields=["alias_id"])
    elif alias_id and not tab:
        richmenu_alias_create(account=account, alias_id=alias_id, menu=menu)
    audit_record(
        account=account,
        actor=actor,
        action="richmenu.update",
        target=f"{menu.name} (v{menu.version})",
    )
    is_default = RichMenuDefault.objects.filter(
        account=account, origin=RichMenu.Origin.MANAGER, rich_menu=menu
    ).exists()
    if make_default and not is_default:
        richmenu_manager_default_set(menu=menu, actor=actor)
    elif is_default and not make_default:
        richmenu_manager_default_cancel(account=account, actor=actor)
    return menu


def richmenu_is_published(*, menu: RichMenu) -> bool:
    """Whether friends may see ``menu`` now: a default, a tag rule's menu or
    linked to a friend (editing it then needs the send permission)."""
    return (
        RichMenuDefault.objects.filter(rich_menu=menu).exists()
        or RichMenuTagRule.objects.filter(rich_menu=menu).exists()
        or FriendRichMenu.objects.filter(rich_menu=menu).exists()
    )


@transaction.atomic
def richmenu_manager_default_set(*, menu: RichMenu, actor: User | None) -> None:
    """Make a Manager menu the Manager's default (shown to every friend
    without an API menu)."""
    richmenu_default_set(menu=menu, origin=RichMenu.Origin.MANAGER)
    audit_record(
        account=menu.account,
        actor=actor,
        action="richmenu.default",
        target=menu.name,
    )


@transaction.atomic
def richmenu_manager_default_cancel(
    *, account: OfficialAccount, actor: User | None
) -> None:
    if richmenu_default_cancel(account=account, origin=RichMenu.Origin.MANAGER):
        audit_record(account=account, actor=actor, action="richmenu.default_cancel")


@transaction.atomic
def richmenu_manager_delete(*, menu: RichMenu, actor: User | None) -> None:
    name, account = menu.name, menu.account
    richmenu_delete(menu=menu)
    audit_record(account=account, actor=actor, action="richmenu.delete", target=name)


# The batch operation (/v2/bot/richmenu/batch) -----------------------------

MAX_BATCH_OPERATIONS = 1000


def richmenu_batch_check(*, account: OfficialAccount, operations) -> list[dict]:
    """LINE's ``details`` for a batch's ``operations``; empty when valid.

    ``link`` moves every friend linked to ``from`` to ``to``; ``unlink``
    removes the links to ``from``; ``unlinkAll`` removes every link. The
    menus named must be the account's API menus.
    """
    errors: list[dict] = []
    if not isinstance(operations, list) or not operations:
        return [{"message": "May not be empty", "property": "operations"}]
    if len(operations) > MAX_BATCH_OPERATIONS:
        return [
            {"message": "Size must be between 1 and 1000", "property": "operations"}
        ]
    named: dict[str, str] = {}
    for i, op in enumerate(operations):
        prop = f"operations[{i}]"
        kind = op.get("type") if isinstance(op, dict) else None
        if kind not in ("link", "unlink", "unlinkAll"):
            errors.append(
                {
                    "message": "Must be one of the following values: "
                    "[link, unlink, unlinkAll]",
                    "property": f"{prop}.type",
                }
            )
            continue
        keys = {"link": ("from", "to"), "unlink": ("from",)}.get(kind, ())
        for key in keys:
            value = op.get(key)
            if not isinstance(value, str) or not value:
                errors.append(
                    {"message": "May not be empty", "property": f"{prop}.{key}"}
                )
            else:
                named[value] = f"{prop}.{key}"
    known = set(
        RichMenu.objects.filter(
            account=account, origin=RichMenu.Origin.API, rich_menu_id__in=list(named)
        ).values_list("rich_menu_id", flat=True)
    )
    errors += [
        {"message": "richmenu not found", "property": prop}
        for rich_menu_id, prop in named.items()
        if rich_menu_id not in known
    ]
    return errors


@transaction.atomic
def richmenu_batch_accept(
    *,
    account: OfficialAccount,
    request_id: str,
    operations: list,
    resume_request_key: str = "",
) -> RichMenuBatch:
    """Record a valid batch and run it on a worker after commit."""
    errors = richmenu_batch_check(account=account, operations=operations)
    if errors:
        raise RichMenuInvalid(errors)
    batch = RichMenuBatch.objects.create(
        account=account,
        request_id=request_id,
        operations=operations,
        resume_request_key=resume_request_key,
    )
    from richmenu.tasks import richmenu_batch_run_task

    transaction.on_commit(lambda: richmenu_batch_run_task.delay(batch.pk))
    return batch


@transaction.atomic
def richmenu_batch_run(*, batch_id: int) -> bool:
    """Apply a batch's operations in order, once; whether it ran now.

    The row is locked and must still be ``ongoing``: a second run (a
    redelivered task) does nothing. Each operation is one statement.
    """
    batch = (
        RichMenuBatch.objects.select_for_update()
        .filter(pk=batch_id, phase=RichMenuBatch.Phase.ONGOING)
        .first()
    )
    if batch is None:
        return False
    menus = dict(
        RichMenu.objects.filter(
            account_id=batch.account_id, origin=RichMenu.Origin.API
        ).values_list("rich_menu_id", "pk")
    )
    links = FriendRichMenu.objects.filter(friend__account_id=batch.account_id)
    phase = RichMenuBatch.Phase.SUCCEEDED
    for op in batch.operations:
        kind = op["type"]
        if kind == "unlinkAll":
            links.delete()
            continue
        source = menus.get(op["from"])
        target = menus.get(op.get("to", ""))
        if source is None or (kind == "link" and target is None):
            phase = RichMenuBatch.Phase.FAILED  # a menu deleted since
            break
        if kind == "link":
            links.filter(rich_menu_id=source).update(rich_menu_id=target)
        else:
            links.filter(rich_menu_id=source).delete()
    batch.phase = phase
    batch.completed_at = timezone.now()
    batch.save(update_fields=["phase", "completed_at"])
    return True


@transaction.atomic
def richmenu_tag_rule_create(
    *, account: OfficialAccount, actor: User | None, tag: Tag, menu: RichMenu
) -> RichMenuTagRule:
    """Friends with ``tag`` see ``menu`` (above the defaults).

    Raises ``ApplicationError`` when the tag already has a rule or the
    menu has no image.
    """
    if tag.account_id != account.pk or menu.account_id != account.pk:
        raise NotFound()
    if not menu.image:
        raise ImageMissing()
    if RichMenuTagRule.objects.filter(account=account, tag=tag).exists():
        raise ApplicationError(_("This tag already has a menu."))
    rule = RichMenuTagRule.objects.create(account=account, tag=tag, rich_menu=menu)
    audit_record(
        account=account,
        actor=actor,
        action="richmenu.tag_rule_create",
        target=f"{tag.name} → {menu.name}",
    )
    return rule


@transaction.atomic
def richmenu_tag_rule_delete(*, rule: RichMenuTagRule, actor: User | None) -> None:
    target = f"{rule.tag.name} → {rule.rich_menu.name}"
    account = rule.account
    rule.delete()
    audit_record(
        account=account, actor=actor, action="richmenu.tag_rule_delete", target=target
    )
