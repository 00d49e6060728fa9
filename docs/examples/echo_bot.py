"""A minimal echo bot written with LINE's ``line-bot-sdk`` (v3), unchanged
except for the API host: it answers every text message with the same text.

Run it against `make run` (docs/bot-developers.md):

    LINE_CHANNEL_SECRET=… LINE_CHANNEL_ACCESS_TOKEN=… \\
    LINE_API_HOST=http://127.0.0.1:8000 python docs/examples/echo_bot.py

and set the account's webhook URL to http://127.0.0.1:5000/callback. The
suite runs this very file end to end (tests/messaging/api/test_echo_bot.py).
"""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from linebot.v3 import WebhookHandler
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, TextMessageContent


def make_server(
    *, channel_secret: str, access_token: str, api_host: str, port: int = 5000
) -> ThreadingHTTPServer:
    """The bot's webhook server on ``port`` (0: any free port)."""
    handler = WebhookHandler(channel_secret)
    # The one change from a bot written for LINE: the API host.
    configuration = Configuration(host=api_host, access_token=access_token)

    @handler.add(MessageEvent, message=TextMessageContent)
    def echo(event):
        with ApiClient(configuration) as client:
            MessagingApi(client).reply_message(
                ReplyMessageRequest(
                    reply_token=event.reply_token,
                    messages=[TextMessage(text=event.message.text)],
                )
            )

    class Callback(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                handler.handle(body.decode(), self.headers["X-Line-Signature"])
            except InvalidSignatureError:
                self.send_response(400)
            else:
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Callback)


if __name__ == "__main__":
    make_server(
        channel_secret=os.environ["LINE_CHANNEL_SECRET"],
        access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
        api_host=os.environ.get("LINE_API_HOST", "http://127.0.0.1:8000"),
        port=int(os.environ.get("PORT", "5000")),
    ).serve_forever()
