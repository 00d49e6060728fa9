"""Shapes of LINE's rich menu bodies, for the OpenAPI document only.

Requests are read with ``core.api.body.Body`` and the rich menu rules in
``richmenu.validators``; these serializers only describe the wire.
"""

from rest_framework import serializers


class RichMenuErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    details = serializers.ListField(child=serializers.DictField(), required=False)


class RichMenuSizeSerializer(serializers.Serializer):
    width = serializers.IntegerField(min_value=800, max_value=2500)
    height = serializers.IntegerField(min_value=250)


class RichMenuAreaSerializer(serializers.Serializer):
    bounds = serializers.DictField()
    action = serializers.DictField()


class RichMenuRequestSerializer(serializers.Serializer):
    size = RichMenuSizeSerializer()
    selected = serializers.BooleanField()
    name = serializers.CharField(max_length=300)
    chatBarText = serializers.CharField(max_length=14)
    areas = RichMenuAreaSerializer(many=True)


class RichMenuResponseSerializer(RichMenuRequestSerializer):
    richMenuId = serializers.CharField()


class RichMenuListResponseSerializer(serializers.Serializer):
    richmenus = RichMenuResponseSerializer(many=True)


class RichMenuIdResponseSerializer(serializers.Serializer):
    richMenuId = serializers.CharField()


class RichMenuBulkLinkRequestSerializer(serializers.Serializer):
    richMenuId = serializers.CharField()
    userIds = serializers.ListField(
        child=serializers.CharField(), min_length=1, max_length=500
    )


class RichMenuBulkUnlinkRequestSerializer(serializers.Serializer):
    userIds = serializers.ListField(
        child=serializers.CharField(), min_length=1, max_length=500
    )


class RichMenuAliasResponseSerializer(serializers.Serializer):
    richMenuAliasId = serializers.CharField()
    richMenuId = serializers.CharField()


class UpdateRichMenuAliasRequestSerializer(serializers.Serializer):
    richMenuId = serializers.CharField()


class RichMenuAliasListResponseSerializer(serializers.Serializer):
    aliases = RichMenuAliasResponseSerializer(many=True)


class RichMenuBatchOperationSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["link", "unlink", "unlinkAll"])
    # "from" is a Python keyword: set through the class namespace so the
    # schema names the property as LINE does.
    locals()["from"] = serializers.CharField(required=False)
    to = serializers.CharField(required=False)


class RichMenuBatchRequestSerializer(serializers.Serializer):
    operations = RichMenuBatchOperationSerializer(many=True)
    resumeRequestKey = serializers.CharField(required=False)


class RichMenuBatchProgressResponseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=["ongoing", "succeeded", "failed"])
    acceptedTime = serializers.DateTimeField()
    completedTime = serializers.DateTimeField(required=False)
