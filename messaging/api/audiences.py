"""LINE's ManageAudience API (``linebot.v3.audience``): ``/v2/bot/audienceGroup``.

Create an audience from user IDs (JSON, or a text file on the data host),
from the clicks or impressions of an earlier API broadcast or narrowcast;
add IDs, rename, list, get, delete. Narrowcasts name an audience with
``{"type": "audience", "audienceGroupId": …}`` (messaging.api.services).

Errors are LINE's 400 ``{"message": …, "details": [{"message": CODE}]}``;
an audience of another channel is "not found" like a missing one.
Uploads finish in the request (status READY at once, the job FINISHED).
"""

import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.body import Body
from core.api.exceptions import LineApiError, PropertyInvalid
from messaging.api.views import ERRORS, BotApiView, _query_param_invalid
from messaging.audience import selectors
from messaging.audience import services as audiences
from messaging.audience.models import AudienceGroup
from messaging.broadcasts import audiences as retarget

EXPIRY = dt.timedelta(days=180)
MAX_FILE_BYTES = 60 * 1024 * 1024  # 1,500,000 IDs of 33 characters and newlines


def _error(exc: audiences.AudienceError) -> LineApiError:
    return LineApiError(exc.message, details=[{"message": exc.code}])


class AudienceApiView(BotApiView):
    """An audience endpoint: LINE's 60 requests a minute per channel."""

    rate_scope = "audience"

    def handle_exception(self, exc):
        if isinstance(exc, audiences.AudienceError):
            exc = _error(exc)
        return super().handle_exception(exc)


def _unix(when: dt.datetime) -> int:
    return int(when.timestamp())


def _created(group: AudienceGroup) -> dict:
    """The answer of the create endpoints."""
    data = {
        "audienceGroupId": group.public_id,
        "createRoute": group.create_route,
        "type": group.type,
        "description": group.description,
        "created": _unix(group.created_at),
        "permission": "READ_WRITE",
        "expireTimestamp": _unix(group.created_at + EXPIRY),
        "isIfaAudience": group.is_ifa_audience,
    }
    if group.type in (AudienceGroup.Type.CLICK, AudienceGroup.Type.IMP):
        data["requestId"] = group.request_id
    if group.type == AudienceGroup.Type.CLICK and group.click_url:
        data["clickUrl"] = group.click_url
    return data


def _group(group: AudienceGroup) -> dict:
    """``AudienceGroup`` of the get and list answers."""
    data = {
        "audienceGroupId": group.public_id,
        "type": group.type,
        "description": group.description,
        "status": group.status,
        "audienceCount": group.audience_count,
        "created": _unix(group.created_at),
        "permission": "READ_WRITE",
        "createRoute": group.create_route,
        "isIfaAudience": group.is_ifa_audience,
        "expireTimestamp": _unix(group.created_at + EXPIRY),
    }
    if group.failed_type:
        data["failedType"] = group.failed_type
    if group.type in (AudienceGroup.Type.CLICK, AudienceGroup.Type.IMP):
        data["requestId"] = group.request_id
    if group.type == AudienceGroup.Type.CLICK and group.click_url:
        data["clickUrl"] = group.click_url
    return data


def _own(request, audience_group_id) -> AudienceGroup:
    group = selectors.audience_group_by_public_id(
        account=request.account, audience_group_id=audience_group_id
    )
    if group is None:
        raise audiences.not_found()
    return group


def _json_ids(body: Body, *, is_ifa: bool) -> list[str]:
    raw = body.array("audiences", max_items=audiences.MAX_IDS_PER_JSON) or []
    ids = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise PropertyInvalid(f"audiences[{i}]")
        value = item.get("id")
        if value is not None and not isinstance(value, str):
            raise PropertyInvalid(f"audiences[{i}].id")
        ids.append(value or "")
    body.check()
    return audiences.audience_ids_clean(ids, is_ifa=is_ifa)


def _file_ids(request, *, is_ifa: bool) -> list[str]:
    upload = request.FILES.get("file")
    if upload is None:
        raise LineApiError(
            "The request body has 1 error(s)",
            details=[{"message": "must be specified", "property": "file"}],
        )
    try:
        text = upload.read(MAX_FILE_BYTES + 1).decode("utf-8")
    except UnicodeDecodeError:
        raise audiences.AudienceError(
            "invalid audience id format",
            "UPLOAD_AUDIENCE_GROUP_INVALID_AUDIENCE_ID_FORMAT",
        ) from None
    if len(text) > MAX_FILE_BYTES:
        raise audiences.AudienceError(
            "too many audience ids", "UPLOAD_AUDIENCE_GROUP_TOO_MANY_AUDIENCE_IDS"
        )
    return audiences.audience_ids_clean(text.splitlines(), is_ifa=is_ifa)


def _form_bool(value: str | None, name: str) -> bool:
    if value in (None, "", "false"):
        return False
    if value == "true":
        return True
    raise PropertyInvalid(name, located=False)


class AudienceSerializer(serializers.Serializer):
    id = serializers.CharField(required=False)


class CreateAudienceGroupRequestSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=120)
    isIfaAudience = serializers.BooleanField(required=False)
    uploadDescription = serializers.CharField(required=False)
    audiences = AudienceSerializer(many=True, required=False)


class AddAudienceRequestSerializer(serializers.Serializer):
    audienceGroupId = serializers.IntegerField()
    uploadDescription = serializers.CharField(required=False)
    audiences = AudienceSerializer(many=True)


class CreatedSerializer(serializers.Serializer):
    audienceGroupId = serializers.IntegerField()
    createRoute = serializers.CharField()
    type = serializers.CharField()
    description = serializers.CharField()
    created = serializers.IntegerField()
    permission = serializers.CharField()
    expireTimestamp = serializers.IntegerField()
    isIfaAudience = serializers.BooleanField()
    requestId = serializers.CharField(required=False)
    clickUrl = serializers.CharField(required=False)


class AudienceGroupSerializer(CreatedSerializer):
    status = serializers.CharField()
    audienceCount = serializers.IntegerField()
    failedType = serializers.CharField(required=False)


class AudienceJobSerializer(serializers.Serializer):
    audienceGroupJobId = serializers.IntegerField()
    audienceGroupId = serializers.IntegerField()
    description = serializers.CharField()
    type = serializers.CharField()
    jobStatus = serializers.CharField()
    audienceCount = serializers.IntegerField()
    created = serializers.IntegerField()


class AudienceDataSerializer(serializers.Serializer):
    audienceGroup = AudienceGroupSerializer()
    jobs = AudienceJobSerializer(many=True)


class AudienceListSerializer(serializers.Serializer):
    audienceGroups = AudienceGroupSerializer(many=True)
    hasNextPage = serializers.BooleanField()
    totalCount = serializers.IntegerField()
    readWriteAudienceGroupTotalCount = serializers.IntegerField()
    page = serializers.IntegerField()
    size = serializers.IntegerField()


class ClickRequestSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=120)
    requestId = serializers.CharField()
    clickUrl = serializers.CharField(required=False, max_length=2000)


class ImpRequestSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=120)
    requestId = serializers.CharField()


class RenameRequestSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=120)


class UploadFileSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=120, required=False)
    isIfaAudience = serializers.BooleanField(required=False)
    uploadDescription = serializers.CharField(required=False)
    audienceGroupId = serializers.IntegerField(required=False)
    file = serializers.FileField()


class AudienceUploadApi(AudienceApiView):
    """Create an audience from user IDs (POST), add IDs to one (PUT)."""

    @extend_schema(
        operation_id="createAudienceGroup",
        request=CreateAudienceGroupRequestSerializer,
        responses={202: CreatedSerializer, **ERRORS},
    )
    def post(self, request):
        body = Body(request.data)
        description = body.string("description", required=True, max_length=120)
        is_ifa = body.boolean("isIfaAudience")
        upload_description = body.string("uploadDescription") or ""
        ids = _json_ids(body, is_ifa=is_ifa)
        group = audiences.audience_group_create(
            account=request.account,
            description=description,
            user_ids=ids,
            is_ifa_audience=is_ifa,
            upload_description=upload_description,
        )
        return Response(_created(group), status=202)

    @extend_schema(
        operation_id="addAudienceToAudienceGroup",
        request=AddAudienceRequestSerializer,
        responses={202: None, **ERRORS},
    )
    def put(self, request):
        body = Body(request.data)
        group_id = body.integer("audienceGroupId", required=True)
        upload_description = body.string("uploadDescription") or ""
        body.array("audiences", required=True, min_items=1)
        body.check()
        group = _own(request, group_id)
        ids = _json_ids(body, is_ifa=group.is_ifa_audience)
        audiences.audience_group_add(
            account=request.account,
            group_id=group.pk,
            user_ids=ids,
            upload_description=upload_description,
        )
        return Response({}, status=202)


class AudienceUploadFileApi(AudienceApiView):
    """The same by a text file, one ID a line (the data host's endpoint)."""

    parser_classes = [MultiPartParser]
    max_body_bytes = MAX_FILE_BYTES + 1024 * 1024

    @extend_schema(
        operation_id="createAudienceForUploadingUserIds",
        request={"multipart/form-data": UploadFileSerializer},
        responses={202: CreatedSerializer, **ERRORS},
    )
    def post(self, request):
        description = request.data.get("description")
        if not description:
            raise LineApiError(
                "The request body has 1 error(s)",
                details=[{"message": "must be specified", "property": "description"}],
            )
        is_ifa = _form_bool(request.data.get("isIfaAudience"), "isIfaAudience")
        ids = _file_ids(request, is_ifa=is_ifa)
        group = audiences.audience_group_create(
            account=request.account,
            description=description,
            user_ids=ids,
            is_ifa_audience=is_ifa,
            upload_description=request.data.get("uploadDescription") or "",
        )
        return Response(_created(group), status=202)

    @extend_schema(
        operation_id="addUserIdsToAudience",
        request={"multipart/form-data": UploadFileSerializer},
        responses={202: None, **ERRORS},
    )
    def put(self, request):
        raw_id = request.data.get("audienceGroupId") or ""
        if not raw_id.isascii() or not raw_id.isdigit():
            raise LineApiError(
                "The request body has 1 error(s)",
                details=[
                    {"message": "must be specified", "property": "audienceGroupId"}
                ],
            )
        group = _own(request, raw_id)
        ids = _file_ids(request, is_ifa=group.is_ifa_audience)
        audiences.audience_group_add(
            account=request.account,
            group_id=group.pk,
            user_ids=ids,
            upload_description=request.data.get("uploadDescription") or "",
        )
        return Response({}, status=202)


class AudienceClickApi(AudienceApiView):
    """Friends who clicked a link of an earlier API broadcast or narrowcast."""

    @extend_schema(
        operation_id="createClickBasedAudienceGroup",
        request=ClickRequestSerializer,
        responses={202: CreatedSerializer, **ERRORS},
    )
    def post(self, request):
        body = Body(request.data)
        description = body.string("description", required=True, max_length=120)
        request_id = body.string("requestId", required=True)
        click_url = body.string("clickUrl", max_length=2000) or ""
        body.check()
        group = retarget.audience_click_create(
            account=request.account,
            description=description,
            request_id=request_id,
            click_url=click_url,
        )
        return Response(_created(group), status=202)


class AudienceImpApi(AudienceApiView):
    """Friends who opened an earlier API broadcast or narrowcast."""

    @extend_schema(
        operation_id="createImpBasedAudienceGroup",
        request=ImpRequestSerializer,
        responses={202: CreatedSerializer, **ERRORS},
    )
    def post(self, request):
        body = Body(request.data)
        description = body.string("description", required=True, max_length=120)
        request_id = body.string("requestId", required=True)
        body.check()
        group = retarget.audience_imp_create(
            account=request.account, description=description, request_id=request_id
        )
        data = _created(group)
        return Response(
            {
                k: data[k]
                for k in (
                    "audienceGroupId",
                    "type",
                    "description",
                    "created",
                    "requestId",
                )
            },
            status=202,
        )


class AudienceRenameApi(AudienceApiView):
    @extend_schema(
        operation_id="updateAudienceGroupDescription",
        request=RenameRequestSerializer,
        responses={200: None, **ERRORS},
    )
    def put(self, request, audienceGroupId):  # noqa: N803
        body = Body(request.data)
        description = body.string("description", required=True, max_length=120)
        body.check()
        group = _own(request, audienceGroupId)
        audiences.audience_group_rename(
            account=request.account, group_id=group.pk, description=description
        )
        return Response({})


class AudienceGroupApi(AudienceApiView):
    @extend_schema(
        operation_id="getAudienceData",
        responses={200: AudienceDataSerializer, **ERRORS},
    )
    def get(self, request, audienceGroupId):  # noqa: N803
        group = _own(request, audienceGroupId)
        jobs = [
            {
                "audienceGroupJobId": job.public_id,
                "audienceGroupId": group.public_id,
                "description": job.description,
                "type": "DIFF_ADD",
                "jobStatus": "FINISHED",
                "audienceCount": job.audience_count,
                "created": _unix(job.created_at),
            }
            for job in selectors.audience_jobs(group=group)
        ]
        return Response({"audienceGroup": _group(group), "jobs": jobs})

    @extend_schema(operation_id="deleteAudienceGroup", responses={200: None, **ERRORS})
    def delete(self, request, audienceGroupId):  # noqa: N803
        group = _own(request, audienceGroupId)
        audiences.audience_group_delete(account=request.account, group_id=group.pk)
        return Response({})


def _int_param(request, name: str, *, default: int | None, low: int, high: int | None):
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise _query_param_invalid(name)
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise _query_param_invalid(name)
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise _query_param_invalid(name)
    return value


class AudienceListApi(AudienceApiView):
    @extend_schema(
        operation_id="getAudienceGroups",
        parameters=[
            OpenApiParameter("page", int, required=True),
            OpenApiParameter("description", str),
            OpenApiParameter("status", str),
            OpenApiParameter("size", int),
            OpenApiParameter("includesExternalPublicGroups", OpenApiTypes.BOOL),
            OpenApiParameter("createRoute", str),
        ],
        responses={200: AudienceListSerializer, **ERRORS},
    )
    def get(self, request):
        page = _int_param(request, "page", default=None, low=1, high=None)
        size = _int_param(request, "size", default=20, low=1, high=40)
        status = request.query_params.get("status") or None
        if status is not None and status not in AudienceGroup.Status.values:
            raise _query_param_invalid("status")
        route = request.query_params.get("createRoute") or None
        if route is not None and route not in AudienceGroup.Route.values:
            raise _query_param_invalid("createRoute")
        groups = selectors.audience_group_list(
            account=request.account,
            description=request.query_params.get("description") or None,
            status=status,
            create_route=route,
        )
        total = groups.count()
        rows = list(groups[(page - 1) * size : page * size])
        return Response(
            {
                "audienceGroups": [_group(g) for g in rows],
                "hasNextPage": page * size < total,
                "totalCount": total,
                "readWriteAudienceGroupTotalCount": total,
                "page": page,
                "size": size,
            }
        )
