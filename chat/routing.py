from django.urls import path

from chat.consumers import AccountConsumer

websocket_urlpatterns = [
    # The Manager pages of one account (chat inbox, friends) listen here.
    path("ws/manager/<str:account_slug>/", AccountConsumer.as_asgi()),
]
