from django.urls import path

from talk import coupons, views

app_name = "talk"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("rehearse/<int:friend_id>/", views.rehearse, name="rehearse"),
    path("personas/", views.persona_list, name="persona-list"),
    path("personas/use/", views.persona_use, name="persona-use"),
    path("rooms/<int:friend_id>/", views.room, name="room"),
    path("rooms/<int:friend_id>/messages", views.room_messages, name="room-messages"),
    path("rooms/<int:friend_id>/opened", views.room_opened, name="room-opened"),
    path("rooms/<int:friend_id>/send", views.room_send, name="room-send"),
    path(
        "rooms/<int:friend_id>/watched",
        views.room_video_watched,
        name="room-video-watched",
    ),
    path(
        "rooms/<int:friend_id>/richmenu/switch",
        views.room_richmenu_switch,
        name="room-richmenu-switch",
    ),
    path(
        "rooms/<int:friend_id>/richmenu/seen",
        views.room_richmenu_seen,
        name="room-richmenu-seen",
    ),
    # The add-friend link, like line.me/R/ti/p/@id; ?src=<FriendSource.code>.
    path("add/@<str:basic_id>", views.account_profile, name="friend-add"),
    path("accounts/@<str:basic_id>/", views.account_profile, name="account-profile"),
    path("accounts/@<str:basic_id>/block", views.account_block, name="account-block"),
    path("scan/", views.scan, name="scan"),
    path("coupons/<str:coupon_id>/", coupons.coupon, name="coupon"),
    path(
        "coupons/<str:coupon_id>/acquire",
        coupons.coupon_acquire,
        name="coupon-acquire",
    ),
    path("coupons/<str:coupon_id>/use", coupons.coupon_use, name="coupon-use"),
]
