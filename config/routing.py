"""WebSocket routes: the talk app's customer socket and the Manager's."""

from chat.routing import websocket_urlpatterns as chat_patterns
from talk.routing import websocket_urlpatterns as talk_patterns

websocket_urlpatterns: list = [*talk_patterns, *chat_patterns]
