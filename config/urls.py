from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from core import views as core_views
from messaging import broadcast_urls, webhook_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:account-list"), name="home"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("manager/<slug:account_slug>/chat/", include("chat.urls")),
    # Broadcasts, segments, step messages, auto-responses; before "manager/".
    path(
        "manager/<slug:account_slug>/broadcasts/",
        include("messaging.broadcast_urls"),
    ),
    path("r/", include((broadcast_urls.click_urlpatterns, "clicks"))),
    # Friends, gain friends, greeting (all under "<slug>/friends/").
    path("manager/<slug:account_slug>/", include("messaging.urls")),
    path("manager/", include("accounts.urls")),
    # The bot's webhook settings and delivery log (messaging/webhook_views.py).
    path(
        "manager/<slug:account_slug>/webhook/",
        include((webhook_views.urlpatterns, "webhooks")),
    ),
    path("talk/", include("talk.urls")),
    path("healthz", include("core.urls")),
    # The LINE-compatible Messaging API (/v2/...), at the root so that the
    # SDK's Configuration(host="http://host:port") reaches every path.
    path("", include("messaging.api.urls")),
    # Uploaded files; a production deployment may serve MEDIA_ROOT from nginx.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", core_views.media),
]
