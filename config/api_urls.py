"""``/v2/...``: the LINE-compatible API, composed from each app's ``api/urls.py``.

Mounted at the site root by config/urls.py, so the SDK's
``Configuration(host="http://host:port")`` reaches every path. Any other
``/v2/`` path is answered with LINE's 404 body.
"""

from django.urls import path, re_path

from accounts.api import urls as accounts_api
from analytics.api import urls as analytics_api
from core.api.views import NotFoundApi, OpenApiSchemaApi
from coupons.api import urls as coupons_api
from messaging.api import urls as messaging_api
from richmenu.api import urls as richmenu_api

app_name = "line-api"

urlpatterns = [
    *messaging_api.urlpatterns,
    *accounts_api.urlpatterns,
    *analytics_api.urlpatterns,
    *richmenu_api.urlpatterns,
    *coupons_api.urlpatterns,
    path("v2/openapi.json", OpenApiSchemaApi.as_view(), name="openapi"),
    re_path(r"^v2/", NotFoundApi.as_view(), name="not-found"),
]
