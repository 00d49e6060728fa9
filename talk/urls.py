from django.urls import path

from talk import coupons, groups, shopcard_views, views, views_social

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
    path("voom/", views_social.voom_feed, name="voom"),
    path("voom/seen", views_social.voom_seen, name="voom-seen"),
    path("voom/<int:post_id>/", views_social.voom_post, name="voom-post"),
    path("voom/<int:post_id>/react", views_social.voom_react, name="voom-react"),
    path("voom/<int:post_id>/comment", views_social.voom_comment, name="voom-comment"),
    path("voom/<int:post_id>/link", views_social.voom_link, name="voom-link"),
    path("research/<str:public_id>/", views_social.survey, name="survey"),
    # Shop cards (docs/shopcard.md); a rich menu URI area may link the card.
    path("accounts/@<str:basic_id>/card/", shopcard_views.card, name="card"),
    path(
        "accounts/@<str:basic_id>/card/history/",
        shopcard_views.card_history,
        name="card-history",
    ),
    path(
        "accounts/@<str:basic_id>/card/tickets/",
        shopcard_views.ticket_list,
        name="tickets",
    ),
    path(
        "accounts/@<str:basic_id>/card/tickets/<int:ticket_id>/",
        shopcard_views.ticket_detail,
        name="ticket",
    ),
    path(
        "accounts/@<str:basic_id>/card/tickets/<int:ticket_id>/use",
        shopcard_views.ticket_use,
        name="ticket-use",
    ),
    # A printed point QR code's link.
    path("points/<str:token>", shopcard_views.points, name="points"),
    # Group chats and multi-person chats (docs/groups.md).
    path("groups/", groups.group_list, name="groups"),
    path("groups/<int:group_id>/", groups.group_room, name="group"),
    path(
        "groups/<int:group_id>/<slug:action>",
        groups.group_act,
        name="group-act",
    ),
    path("coupons/<str:coupon_id>/", coupons.coupon, name="coupon"),
    path(
        "coupons/<str:coupon_id>/acquire",
        coupons.coupon_acquire,
        name="coupon-acquire",
    ),
    path("coupons/<str:coupon_id>/use", coupons.coupon_use, name="coupon-use"),
]
