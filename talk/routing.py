from django.urls import path

from talk.consumers import TalkConsumer

websocket_urlpatterns = [
    path("ws/talk/", TalkConsumer.as_asgi()),
]
