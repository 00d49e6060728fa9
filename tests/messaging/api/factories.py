"""Customers and bodies for the API tests; rows come from the services."""

from collections.abc import Iterator
from contextlib import contextmanager

from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
)

from accounts.services import channel_token_issue
from chat.inbound import customer_follow
from tests.factories import LineUserFactory


def customer(account, **profile):
    """A LINE user who follows ``account`` (through ``customer_follow``)."""
    line_user = LineUserFactory(**profile)
    return customer_follow(account=account, line_user=line_user).friend


def token_for(account) -> str:
    """A fresh long-lived channel access token of ``account``."""
    _record, token = channel_token_issue(account=account, actor=None, label="test")
    return token


@contextmanager
def sdk_client(host: str, token: str) -> Iterator[ApiClient]:
    """An SDK ``ApiClient`` for the live server."""
    with ApiClient(Configuration(host=host, access_token=token)) as client:
        yield client


def sdk_apis(client: ApiClient) -> tuple[MessagingApi, MessagingApiBlob]:
    return MessagingApi(client), MessagingApiBlob(client)


def text(value: str = "hello") -> dict:
    return {"type": "text", "text": value}
