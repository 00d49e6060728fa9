"""``/v2/bot/insight/...``: LINE's Insight API (insight.yml), read-only.

Thin views: parse LINE's query parameters (``date=yyyyMMdd``), read
``analytics.insight``, answer LINE's JSON. Limited to 60 requests an hour
per channel, as LINE does (spec 1.2).
"""

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from analytics import insight
from analytics.api import serializers as s
from core.api.exceptions import NOT_FOUND, LineApiError
from core.api.views import LineApiView


def _date_param(request, *, required: bool) -> dt.date | None:
    raw = request.query_params.get("date")
    if raw is None and not required:
        return None
    try:
        if raw is None or len(raw) != 8 or not raw.isdigit():
            raise ValueError(raw)
        return dt.datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        raise LineApiError("The value for the 'date' parameter is invalid") from None


class InsightApiView(LineApiView):
    rate_scope = "insight"


DATE = OpenApiParameter("date", str, description="yyyyMMdd, the account's day")
ERRORS = {400: s.InsightErrorSerializer, 401: s.InsightErrorSerializer}


class FollowersApi(InsightApiView):
    """GET ``/v2/bot/insight/followers?date=yyyyMMdd`` (default: yesterday)."""

    @extend_schema(
        operation_id="getNumberOfFollowers",
        parameters=[DATE],
        responses={200: s.GetNumberOfFollowersResponseSerializer, **ERRORS},
    )
    def get(self, request):
        account = request.account
        day = _date_param(request, required=False)
        if day is None:
            day = insight.local_yesterday(account)
        return Response(insight.followers(account=account, day=day))


class MessageDeliveriesApi(InsightApiView):
    """GET ``/v2/bot/insight/message/delivery?date=yyyyMMdd``."""

    @extend_schema(
        operation_id="getNumberOfMessageDeliveries",
        parameters=[DATE],
        responses={200: s.GetNumberOfMessageDeliveriesResponseSerializer, **ERRORS},
    )
    def get(self, request):
        day = _date_param(request, required=True)
        return Response(insight.message_deliveries(account=request.account, day=day))


class DemographicApi(InsightApiView):
    """GET ``/v2/bot/insight/demographic``."""

    @extend_schema(
        operation_id="getFriendsDemographics",
        responses={200: s.GetFriendsDemographicsResponseSerializer, **ERRORS},
    )
    def get(self, request):
        return Response(insight.demographics_snapshot(account=request.account))


class MessageEventApi(InsightApiView):
    """GET ``/v2/bot/insight/message/event?requestId=`` (narrowcast/broadcast)."""

    @extend_schema(
        operation_id="getMessageEvent",
        parameters=[OpenApiParameter("requestId", str, required=True)],
        responses={
            200: s.GetMessageEventResponseSerializer,
            404: s.InsightErrorSerializer,
            **ERRORS,
        },
    )
    def get(self, request):
        request_id = request.query_params.get("requestId", "")
        if not request_id or len(request_id) > 36:
            raise LineApiError("The value for the 'requestId' parameter is invalid")
        body = insight.message_event(account=request.account, request_id=request_id)
        if body is None:
            raise LineApiError(NOT_FOUND, status=404)
        return Response(body)
