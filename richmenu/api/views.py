"""``/v2/bot/richmenu…`` and ``/v2/bot/user/…/richmenu``: LINE's rich menu API.

Thin views: read the body with LINE's error rules, call one service or
selector, answer LINE's JSON. Only menus made through the API are visible
here; the Manager's menus are not (spec section 4). Images are served on
this host for both ``api.line.me`` and ``api-data.line.me`` paths (spec 0.1).
"""

import datetime as dt
import re

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from accounts.ids import USER_ID
from core.api.body import Body
from core.api.exceptions import NOT_FOUND, LineApiError, content_type_message
from core.api.parsers import MAX_BODY_BYTES, check_body_size
from core.api.views import LineApiView
from core.exceptions import ApplicationError, NotFound
from messaging.friends.models import Friend
from richmenu import selectors, services
from richmenu.api import serializers as s
from richmenu.models import ALIAS_ID_PATTERN, RichMenu
from richmenu.validators import IMAGE_TYPES

API = RichMenu.Origin.API
ERRORS = {400: s.RichMenuErrorSerializer, 401: s.RichMenuErrorSerializer}
NOT_FOUND_ERRORS = {**ERRORS, 404: s.RichMenuErrorSerializer}
USER_ID_INVALID = "The value for the 'userId' parameter is invalid"
RICHMENU_NOT_FOUND = "richmenu not found"


class RichMenuApiView(LineApiView):
    """A rich menu endpoint; ``rate_scopes`` names a limit per HTTP method."""

    rate_scopes: dict[str, str] = {}

    @property
    def rate_scope(self) -> str:
        return self.rate_scopes.get(self.request.method, "default")

    def handle_exception(self, exc):
        if isinstance(exc, services.RichMenuInvalid):
            exc = LineApiError(exc.message, details=exc.errors)
        elif isinstance(exc, ApplicationError) and not isinstance(exc, NotFound):
            exc = LineApiError(exc.message)
        return super().handle_exception(exc)


def _menu(request, rich_menu_id: str) -> RichMenu:
    return selectors.richmenu_get(
        account=request.account, rich_menu_id=rich_menu_id, origin=API
    )


def _menu_in_body(request, rich_menu_id: str) -> RichMenu:
    """A menu named in a request body: unknown is a 400, as LINE answers."""
    try:
        return _menu(request, rich_menu_id)
    except NotFound:
        raise LineApiError(RICHMENU_NOT_FOUND) from None


def _friend(request, user_id: str) -> Friend:
    """The account's friend with LINE user ID ``user_id``, else LINE's 400."""
    friend = None
    if re.fullmatch(USER_ID, user_id):
        friend = selectors.friend_by_user_id(account=request.account, user_id=user_id)
    if friend is None:
        raise LineApiError(USER_ID_INVALID)
    return friend


def _user_ids(body: Body) -> list[str]:
    user_ids = body.array("userIds", required=True, min_items=1, max_items=500) or []
    for i, user_id in enumerate(user_ids):
        if not isinstance(user_id, str) or not re.fullmatch(USER_ID, user_id):
            body.error(f"userIds[{i}]", "Invalid user ID")
    return user_ids


# --- Menus -------------------------------------------------------------------------


class RichMenuCreateApi(RichMenuApiView):
    """POST ``/v2/bot/richmenu``: at most 1,000 menus; 100 an hour."""

    rate_scopes = {"POST": "richmenu_create"}

    @extend_schema(
        operation_id="createRichMenu",
        request=s.RichMenuRequestSerializer,
        responses={200: s.RichMenuIdResponseSerializer, **ERRORS},
    )
    def post(self, request):
        menu = services.richmenu_create(account=request.account, data=request.data)
        return Response({"richMenuId": menu.rich_menu_id})


class RichMenuValidateApi(RichMenuApiView):
    @extend_schema(
        operation_id="validateRichMenuObject",
        request=s.RichMenuRequestSerializer,
        responses={200: None, **ERRORS},
    )
    def post(self, request):
        services.richmenu_validate(data=request.data)
        return Response({})


class RichMenuListApi(RichMenuApiView):
    rate_scopes = {"GET": "richmenu_list"}

    @extend_schema(
        operation_id="getRichMenuList",
        responses={200: s.RichMenuListResponseSerializer, **ERRORS},
    )
    def get(self, request):
        menus = selectors.richmenu_list(account=request.account, origin=API)
        return Response({"richmenus": [m.as_line() for m in menus]})


class RichMenuDetailApi(RichMenuApiView):
    """GET / DELETE ``/v2/bot/richmenu/{richMenuId}``."""

    rate_scopes = {"DELETE": "richmenu_delete"}

    @extend_schema(
        operation_id="getRichMenu",
        responses={200: s.RichMenuResponseSerializer, **NOT_FOUND_ERRORS},
    )
    def get(self, request, richMenuId):  # noqa: N803 (LINE's parameter name)
        return Response(_menu(request, richMenuId).as_line())

    @extend_schema(
        operation_id="deleteRichMenu", responses={200: None, **NOT_FOUND_ERRORS}
    )
    def delete(self, request, richMenuId):  # noqa: N803
        services.richmenu_delete(menu=_menu(request, richMenuId))
        return Response({})


class RawImageParser(BaseParser):
    """The raw bytes of an upload; the view checks the content type."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BODY_BYTES + 1) if stream else b""
        check_body_size(len(raw))
        return raw


class RichMenuImageApi(RichMenuApiView):
    """``/v2/bot/richmenu/{richMenuId}/content`` (api-data): write once, read."""

    parser_classes = [RawImageParser]

    @extend_schema(
        operation_id="setRichMenuImage",
        request={"image/jpeg": OpenApiTypes.BINARY, "image/png": OpenApiTypes.BINARY},
        responses={200: None, 415: s.RichMenuErrorSerializer, **NOT_FOUND_ERRORS},
    )
    def post(self, request, richMenuId):  # noqa: N803
        menu = _menu(request, richMenuId)
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type not in IMAGE_TYPES:
            raise LineApiError(content_type_message(content_type), status=415)
        content = request.data if isinstance(request.data, bytes) else b""
        try:
            services.richmenu_image_upload(
                menu=menu, content=content, content_type=content_type
            )
        except services.ImageAlreadyUploaded:
            raise
        except ApplicationError:
            # LINE names no detail: one message for size, weight and format.
            raise LineApiError("The image size is not allowed for richmenu") from None
        return Response({})

    @extend_schema(
        operation_id="getRichMenuImage",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            **NOT_FOUND_ERRORS,
        },
    )
    def get(self, request, richMenuId):  # noqa: N803
        menu = _menu(request, richMenuId)
        if not menu.image:
            raise LineApiError(NOT_FOUND, status=404)
        return FileResponse(menu.image.open("rb"), content_type=menu.image_type)


# --- Default menu ------------------------------------------------------------------


class DefaultRichMenuApi(RichMenuApiView):
    """GET / DELETE ``/v2/bot/user/all/richmenu``."""

    @extend_schema(
        operation_id="getDefaultRichMenuId",
        responses={200: s.RichMenuIdResponseSerializer, **NOT_FOUND_ERRORS},
    )
    def get(self, request):
        menu = selectors.richmenu_default_get(account=request.account, origin=API)
        if menu is None:
            raise LineApiError("no default richmenu", status=404)
        return Response({"richMenuId": menu.rich_menu_id})

    @extend_schema(
        operation_id="cancelDefaultRichMenu", responses={200: None, **ERRORS}
    )
    def delete(self, request):
        services.richmenu_default_cancel(account=request.account, origin=API)
        return Response({})


class DefaultRichMenuSetApi(RichMenuApiView):
    """POST ``/v2/bot/user/all/richmenu/{richMenuId}`` (no body)."""

    @extend_schema(
        operation_id="setDefaultRichMenu",
        request=None,
        responses={200: None, **NOT_FOUND_ERRORS},
    )
    def post(self, request, richMenuId):  # noqa: N803
        services.richmenu_default_set(menu=_menu(request, richMenuId))
        return Response({})


# --- Per-user links ----------------------------------------------------------------


class UserRichMenuApi(RichMenuApiView):
    """GET / DELETE ``/v2/bot/user/{userId}/richmenu``."""

    @extend_schema(
        operation_id="getRichMenuIdOfUser",
        responses={200: s.RichMenuIdResponseSerializer, **NOT_FOUND_ERRORS},
    )
    def get(self, request, userId):  # noqa: N803
        friend = _friend(request, userId)
        menu = selectors.richmenu_linked_get(account=request.account, friend=friend)
        if menu is None:
            raise LineApiError("the user has no richmenu", status=404)
        return Response({"richMenuId": menu.rich_menu_id})

    @extend_schema(
        operation_id="unlinkRichMenuIdFromUser", responses={200: None, **ERRORS}
    )
    def delete(self, request, userId):  # noqa: N803
        services.richmenu_unlink(friend=_friend(request, userId))
        return Response({})


class UserRichMenuLinkApi(RichMenuApiView):
    """POST ``/v2/bot/user/{userId}/richmenu/{richMenuId}`` (no body)."""

    @extend_schema(
        operation_id="linkRichMenuIdToUser",
        request=None,
        responses={200: None, **NOT_FOUND_ERRORS},
    )
    def post(self, request, userId, richMenuId):  # noqa: N803
        friend = _friend(request, userId)
        services.richmenu_link(menu=_menu(request, richMenuId), friend=friend)
        return Response({})


class BulkLinkApi(RichMenuApiView):
    """POST ``/v2/bot/richmenu/bulk/link``: up to 500 users, one statement."""

    @extend_schema(
        operation_id="linkRichMenuIdToUsers",
        request=s.RichMenuBulkLinkRequestSerializer,
        responses={202: None, **ERRORS},
    )
    def post(self, request):
        body = Body(request.data)
        rich_menu_id = body.string("richMenuId", required=True)
        user_ids = _user_ids(body)
        body.check()
        menu = _menu_in_body(request, rich_menu_id)
        services.richmenu_link_bulk(menu=menu, user_ids=user_ids)
        return Response({}, status=202)


class BulkUnlinkApi(RichMenuApiView):
    @extend_schema(
        operation_id="unlinkRichMenuIdFromUsers",
        request=s.RichMenuBulkUnlinkRequestSerializer,
        responses={202: None, **ERRORS},
    )
    def post(self, request):
        body = Body(request.data)
        user_ids = _user_ids(body)
        body.check()
        services.richmenu_unlink_bulk(account=request.account, user_ids=user_ids)
        return Response({}, status=202)


# --- Aliases -----------------------------------------------------------------------


def _alias_json(alias) -> dict:
    return {
        "richMenuAliasId": alias.alias_id,
        "richMenuId": alias.rich_menu.rich_menu_id,
    }


class AliasCreateApi(RichMenuApiView):
    @extend_schema(
        operation_id="createRichMenuAlias",
        request=s.RichMenuAliasResponseSerializer,
        responses={200: None, **ERRORS},
    )
    def post(self, request):
        body = Body(request.data)
        alias_id = body.string(
            "richMenuAliasId", required=True, max_length=32, pattern=ALIAS_ID_PATTERN
        )
        rich_menu_id = body.string("richMenuId", required=True)
        body.check()
        menu = _menu_in_body(request, rich_menu_id)
        services.richmenu_alias_create(
            account=request.account, alias_id=alias_id, menu=menu
        )
        return Response({})


class AliasListApi(RichMenuApiView):
    @extend_schema(
        operation_id="getRichMenuAliasList",
        responses={200: s.RichMenuAliasListResponseSerializer, **ERRORS},
    )
    def get(self, request):
        aliases = selectors.alias_list(account=request.account)
        return Response({"aliases": [_alias_json(a) for a in aliases]})


class AliasDetailApi(RichMenuApiView):
    """GET / POST (update) / DELETE ``/v2/bot/richmenu/alias/{richMenuAliasId}``."""

    rate_scopes = {"DELETE": "richmenu_alias_delete"}

    @extend_schema(
        operation_id="getRichMenuAlias",
        responses={200: s.RichMenuAliasResponseSerializer, **NOT_FOUND_ERRORS},
    )
    def get(self, request, richMenuAliasId):  # noqa: N803
        alias = selectors.alias_get(account=request.account, alias_id=richMenuAliasId)
        return Response(_alias_json(alias))

    @extend_schema(
        operation_id="updateRichMenuAlias",
        request=s.UpdateRichMenuAliasRequestSerializer,
        responses={200: None, **NOT_FOUND_ERRORS},
    )
    def post(self, request, richMenuAliasId):  # noqa: N803
        body = Body(request.data)
        rich_menu_id = body.string("richMenuId", required=True)
        body.check()
        alias = selectors.alias_get(account=request.account, alias_id=richMenuAliasId)
        menu = _menu_in_body(request, rich_menu_id)
        services.richmenu_alias_update(alias=alias, menu=menu)
        return Response({})

    @extend_schema(
        operation_id="deleteRichMenuAlias", responses={200: None, **NOT_FOUND_ERRORS}
    )
    def delete(self, request, richMenuAliasId):  # noqa: N803
        alias = selectors.alias_get(account=request.account, alias_id=richMenuAliasId)
        services.richmenu_alias_delete(alias=alias)
        return Response({})


# --- Batch -------------------------------------------------------------------------


def _line_time(when: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as LINE writes times."""
    return (
        when.astimezone(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _batch_body(request) -> tuple[list, str]:
    body = Body(request.data)
    operations = body.array("operations", required=True, min_items=1, max_items=1000)
    key = body.string("resumeRequestKey", max_length=100) or ""
    body.check()
    return operations, key


class RichMenuBatchApi(RichMenuApiView):
    """POST ``/v2/bot/richmenu/batch``: 202; runs on a worker; 3 an hour."""

    rate_scopes = {"POST": "richmenu_batch"}

    @extend_schema(
        operation_id="richMenuBatch",
        request=s.RichMenuBatchRequestSerializer,
        responses={202: None, **ERRORS},
    )
    def post(self, request):
        operations, key = _batch_body(request)
        services.richmenu_batch_accept(
            account=request.account,
            request_id=request.line_request_id,
            operations=operations,
            resume_request_key=key,
        )
        return Response({}, status=202)


class RichMenuBatchValidateApi(RichMenuApiView):
    @extend_schema(
        operation_id="validateRichMenuBatchRequest",
        request=s.RichMenuBatchRequestSerializer,
        responses={200: None, **ERRORS},
    )
    def post(self, request):
        operations, _key = _batch_body(request)
        errors = services.richmenu_batch_check(
            account=request.account, operations=operations
        )
        if errors:
            raise services.RichMenuInvalid(errors)
        return Response({})


class RichMenuBatchProgressApi(RichMenuApiView):
    """GET ``/v2/bot/richmenu/progress/batch?requestId=``; 100 an hour."""

    rate_scopes = {"GET": "richmenu_batch_progress"}

    @extend_schema(
        operation_id="getRichMenuBatchProgress",
        parameters=[OpenApiParameter("requestId", str, required=True)],
        responses={200: s.RichMenuBatchProgressResponseSerializer, **NOT_FOUND_ERRORS},
    )
    def get(self, request):
        request_id = request.query_params.get("requestId", "")
        if not request_id or len(request_id) > 36:
            raise LineApiError("The value for the 'requestId' parameter is invalid")
        batch = selectors.batch_progress(account=request.account, request_id=request_id)
        body = {"phase": batch.phase, "acceptedTime": _line_time(batch.accepted_at)}
        if batch.completed_at:
            body["completedTime"] = _line_time(batch.completed_at)
        return Response(body)
