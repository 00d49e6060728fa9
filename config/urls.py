from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from chat import urls as chat_urls
from core import views as core_views
from messaging.broadcasts import urls as broadcast_urls
from messaging.store import views as store_views
from talk import views as talk_views

# Operators' console (Django admin) under the product's name.
admin.site.site_header = _("LINE OA operators")
admin.site.site_title = _("LINE OA operators")
admin.site.index_title = _("Plans, accounts, usage and deliveries")

# Error pages in the look of the app they happen in (the talk app's own).
handler404 = "config.errors.page_not_found"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:account-list"), name="home"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("manager/<slug:account_slug>/chat/", include("chat.urls")),
    path(
        "manager/<slug:account_slug>/response/",
        include((chat_urls.response_urlpatterns, "response")),
    ),
    # Broadcasts and segments; before "manager/".
    path(
        "manager/<slug:account_slug>/broadcasts/",
        include("messaging.broadcasts.urls"),
    ),
    path("r/", include((broadcast_urls.click_urlpatterns, "clicks"))),
    # Greeting, step messages, auto-responses (under friends/ and broadcasts/).
    path("manager/<slug:account_slug>/", include("messaging.automation.urls")),
    # Friends, gain friends, tags and fields (all under "<slug>/friends/").
    path("manager/<slug:account_slug>/", include("messaging.friends.urls")),
    # The bot's webhook settings and delivery log.
    path("manager/<slug:account_slug>/webhook/", include("messaging.webhooks.urls")),
    path("manager/<slug:account_slug>/richmenus/", include("richmenu.urls")),
    path("manager/<slug:account_slug>/posts/", include("voom.urls")),
    path("manager/<slug:account_slug>/research/", include("research.urls")),
    path("manager/<slug:account_slug>/shopcard/", include("shopcard.urls")),
    path("manager/<slug:account_slug>/coupons/", include("coupons.urls")),
    path("manager/", include("accounts.urls")),
    # The home page; after accounts.urls, whose "manager/login/" and the
    # like would otherwise read as an account slug.
    path("manager/<slug:account_slug>/", include("analytics.urls")),
    path("talk/", include("talk.urls")),
    # LINE's account-link dialog (access.line.me/dialog/bot/accountLink),
    # opened by the talk app's browser from a bot's link.
    path(
        "dialog/bot/accountLink",
        talk_views.account_link_dialog,
        name="account-link-dialog",
    ),
    # Our own drawings of LINE's sendable stickers (public, like LINE's CDN).
    path(
        "stickers/<str:package_id>/<str:sticker_id>.svg",
        store_views.sticker_image,
        name="sticker-image",
    ),
    path("healthz", include("core.urls")),
    # The LINE-compatible Messaging API (/v2/...), at the root so that the
    # SDK's Configuration(host="http://host:port") reaches every path.
    path("", include("config.api_urls")),
    # Uploaded files; a production deployment may serve MEDIA_ROOT from nginx.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", core_views.media),
]
