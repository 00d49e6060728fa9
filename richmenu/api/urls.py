"""``/v2/bot/richmenu…`` and ``/v2/bot/user/…/richmenu`` (config/api_urls.py).

Fixed paths come before ``richmenu/<richMenuId>``, which would match them.
"""

from django.urls import path

from richmenu.api import views

R = "v2/bot/richmenu"

urlpatterns = [
    path(R, views.RichMenuCreateApi.as_view(), name="richmenu-create"),
    path(
        f"{R}/validate", views.RichMenuValidateApi.as_view(), name="richmenu-validate"
    ),
    path(f"{R}/list", views.RichMenuListApi.as_view(), name="richmenu-list"),
    path(f"{R}/bulk/link", views.BulkLinkApi.as_view(), name="richmenu-bulk-link"),
    path(
        f"{R}/bulk/unlink", views.BulkUnlinkApi.as_view(), name="richmenu-bulk-unlink"
    ),
    path(f"{R}/batch", views.RichMenuBatchApi.as_view(), name="richmenu-batch"),
    path(
        f"{R}/validate/batch",
        views.RichMenuBatchValidateApi.as_view(),
        name="richmenu-batch-validate",
    ),
    path(
        f"{R}/progress/batch",
        views.RichMenuBatchProgressApi.as_view(),
        name="richmenu-batch-progress",
    ),
    path(f"{R}/alias", views.AliasCreateApi.as_view(), name="richmenu-alias-create"),
    path(f"{R}/alias/list", views.AliasListApi.as_view(), name="richmenu-alias-list"),
    path(
        f"{R}/alias/<str:richMenuAliasId>",
        views.AliasDetailApi.as_view(),
        name="richmenu-alias-detail",
    ),
    path(
        f"{R}/<str:richMenuId>/content",
        views.RichMenuImageApi.as_view(),
        name="richmenu-image",
    ),
    path(
        f"{R}/<str:richMenuId>",
        views.RichMenuDetailApi.as_view(),
        name="richmenu-detail",
    ),
    path(
        "v2/bot/user/all/richmenu",
        views.DefaultRichMenuApi.as_view(),
        name="richmenu-default",
    ),
    path(
        "v2/bot/user/all/richmenu/<str:richMenuId>",
        views.DefaultRichMenuSetApi.as_view(),
        name="richmenu-default-set",
    ),
    path(
        "v2/bot/user/<str:userId>/richmenu",
        views.UserRichMenuApi.as_view(),
        name="richmenu-user",
    ),
    path(
        "v2/bot/user/<str:userId>/richmenu/<str:richMenuId>",
        views.UserRichMenuLinkApi.as_view(),
        name="richmenu-user-link",
    ),
]
