"""``/v2/bot/coupon…``: LINE's coupon API (create, list, detail, close).

Thin views: the body is read and checked by ``coupons.services``, reads go
through ``coupons.selectors``; answers are LINE's JSON. The Manager's
coupons are visible here too (LINE's API lists every coupon of the
account).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.api.exceptions import LineApiError
from core.api.views import LineApiView
from core.exceptions import ApplicationError, NotFound
from coupons import selectors, services
from coupons.api import serializers as s
from coupons.models import UNLIMITED, Coupon

ERRORS = {400: s.CouponErrorSerializer, 401: s.CouponErrorSerializer}
NOT_FOUND_ERRORS = {**ERRORS, 404: s.CouponErrorSerializer}
STATUSES = ("DRAFT", "RUNNING", "CLOSED")
LIST_LIMIT_DEFAULT = 20
LIST_LIMIT_MAX = 100


class CouponApiView(LineApiView):
    def handle_exception(self, exc):
        if isinstance(exc, services.CouponInvalid):
            exc = LineApiError(
                f"The request body has {len(exc.errors)} error(s)", details=exc.errors
            )
        elif isinstance(exc, services.CouponAlreadyClosed):
            exc = LineApiError("The coupon is already closed", status=410)
        elif isinstance(exc, ApplicationError) and not isinstance(exc, NotFound):
            exc = LineApiError(exc.message)
        return super().handle_exception(exc)


def _ts(value) -> int:
    return int(value.timestamp())


def coupon_as_line(coupon: Coupon) -> dict:
    """LINE's ``CouponResponse`` of ``coupon``."""
    if coupon.lottery:
        condition = {
            "type": "lottery",
            "lotteryProbability": coupon.lottery_probability,
            "maxAcquireCount": coupon.max_acquire_count,
        }
    else:
        condition = {"type": "normal"}
    reward: dict = {"type": coupon.reward_type}
    if coupon.price_type == "fixed":
        reward["priceInfo"] = {
            "type": "fixed",
            "currency": "JPY",
            "fixedAmount": coupon.fixed_amount,
        }
    elif coupon.price_type == "percentage":
        reward["priceInfo"] = {"type": "percentage", "percentage": coupon.percentage}
    elif coupon.price_type == "explicit":
        reward["priceInfo"] = {
            "type": "explicit",
            "currency": "JPY",
            "originalPrice": coupon.original_price,
            "priceAfterDiscount": coupon.price_after_discount,
        }
    body = {
        "couponId": coupon.coupon_id,
        "title": coupon.title,
        "description": coupon.description,
        "usageCondition": coupon.usage_condition,
        "imageUrl": coupon.image_url,
        "barcodeImageUrl": coupon.barcode_image_url,
        "couponCode": coupon.coupon_code,
        "startTimestamp": _ts(coupon.start_at),
        "endTimestamp": _ts(coupon.end_at),
        "timezone": coupon.time_zone,
        "visibility": coupon.visibility,
        "maxUseCountPerTicket": coupon.max_use_count_per_ticket,
        "maxTicketPerUser": 1,
        "acquisitionCondition": condition,
        "reward": reward,
        "createdTimestamp": _ts(coupon.created_at),
        "status": coupon.status,
    }
    if coupon.lottery:
        body["maxAcquireCount"] = coupon.max_acquire_count
    else:
        body["maxAcquireCount"] = UNLIMITED
    # LINE leaves unset optional strings out.
    return {k: v for k, v in body.items() if v != ""}


def _coupon(request, coupon_id: str) -> Coupon:
    return selectors.coupon_get(account=request.account, coupon_id=coupon_id)


class CouponListCreateApi(CouponApiView):
    """POST / GET ``/v2/bot/coupon``."""

    @extend_schema(
        operation_id="createCoupon",
        request=s.CouponCreateRequestSerializer,
        responses={200: s.CouponCreateResponseSerializer, **ERRORS},
    )
    def post(self, request):
        coupon = services.coupon_create(
            account=request.account, data=request.data, origin=Coupon.Origin.API
        )
        return Response({"couponId": coupon.coupon_id})

    @extend_schema(
        operation_id="listCoupon",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, many=True, enum=STATUSES),
            OpenApiParameter("start", OpenApiTypes.STR),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ],
        responses={200: s.CouponListResponseSerializer, **ERRORS},
    )
    def get(self, request):
        statuses = request.query_params.getlist("status")
        details = []
        for i, value in enumerate(statuses):
            if value not in STATUSES:
                details.append(
                    {
                        "message": "must be one of DRAFT, RUNNING, CLOSED",
                        "property": f"status[{i}]",
                    }
                )
        limit = LIST_LIMIT_DEFAULT
        raw_limit = request.query_params.get("limit")
        if raw_limit is not None:
            try:
                limit = int(raw_limit)
            except ValueError:
                limit = 0
            if not 1 <= limit <= LIST_LIMIT_MAX:
                details.append(
                    {"message": "must be between 1 and 100", "property": "limit"}
                )
        start = request.query_params.get("start")
        before = None
        if start is not None:
            try:
                before = int(start)
            except ValueError:
                details.append({"message": "Invalid start token", "property": "start"})
        if details:
            raise LineApiError(
                f"The request has {len(details)} error(s)", details=details
            )
        qs = selectors.coupon_list(account=request.account, statuses=statuses)
        if before is not None:
            qs = qs.filter(pk__lt=before)
        rows = list(qs.values_list("pk", "coupon_id", "title")[: limit + 1])
        body: dict = {
            "items": [
                {"couponId": cid, "title": title} for _pk, cid, title in rows[:limit]
            ]
        }
        if len(rows) > limit:
            body["next"] = str(rows[limit - 1][0])
        return Response(body)


class CouponDetailApi(CouponApiView):
    """GET ``/v2/bot/coupon/{couponId}``."""

    @extend_schema(
        operation_id="getCouponDetail",
        responses={200: s.CouponResponseSerializer, **NOT_FOUND_ERRORS},
    )
    def get(self, request, couponId):  # noqa: N803 (LINE's parameter name)
        return Response(coupon_as_line(_coupon(request, couponId)))


class CouponCloseApi(CouponApiView):
    """PUT ``/v2/bot/coupon/{couponId}/close``: 410 when already closed."""

    @extend_schema(
        operation_id="closeCoupon",
        request=None,
        responses={200: None, 410: s.CouponErrorSerializer, **NOT_FOUND_ERRORS},
    )
    def put(self, request, couponId):  # noqa: N803
        services.coupon_close(coupon=_coupon(request, couponId))
        return Response({})
