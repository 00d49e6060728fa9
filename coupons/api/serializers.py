"""Shapes of LINE's coupon bodies, for the OpenAPI document only.

Requests are read by ``coupons.services.coupon_clean``; these serializers
only describe the wire.
"""

from rest_framework import serializers


class CouponErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    details = serializers.ListField(child=serializers.DictField(), required=False)


class CouponCreateRequestSerializer(serializers.Serializer):
    acquisitionCondition = serializers.DictField()
    barcodeImageUrl = serializers.CharField(required=False)
    couponCode = serializers.CharField(required=False)
    description = serializers.CharField(max_length=1000, required=False)
    endTimestamp = serializers.IntegerField()
    imageUrl = serializers.CharField(required=False)
    maxUseCountPerTicket = serializers.IntegerField(max_value=1)
    startTimestamp = serializers.IntegerField()
    title = serializers.CharField(max_length=60)
    usageCondition = serializers.CharField(max_length=100, required=False)
    reward = serializers.DictField(required=False)
    visibility = serializers.ChoiceField(choices=["UNLISTED", "PUBLIC"])
    timezone = serializers.CharField()


class CouponCreateResponseSerializer(serializers.Serializer):
    couponId = serializers.CharField()


class CouponResponseSerializer(CouponCreateRequestSerializer):
    couponId = serializers.CharField()
    createdTimestamp = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["DRAFT", "RUNNING", "CLOSED"])
    maxAcquireCount = serializers.IntegerField(required=False)
    maxTicketPerUser = serializers.IntegerField(required=False)


class CouponListItemSerializer(serializers.Serializer):
    couponId = serializers.CharField()
    title = serializers.CharField()


class CouponListResponseSerializer(serializers.Serializer):
    items = CouponListItemSerializer(many=True)
    next = serializers.CharField(required=False)
