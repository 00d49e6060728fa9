"""The API fuzzed from its own OpenAPI schema (issue 19, #10).

Schemathesis generates requests for every operation of
``GET /v2/openapi.json`` — valid ones and ones that break the schema —
and sends them through the whole Django stack (WSGI, middleware, DRF,
LINE's error handler) with a real channel token on the real database. The
run is bounded and reproducible (``derandomize``: the same examples every
run). Every answer must be a non-5xx; an error must be LINE's body
(``{"message": …}``) and its status one the schema documents.

Left out: ``testWebhookEndpoint`` POSTs to whatever URL it is given (the
network edge; tests/messaging/webhooks covers it with a local bot).
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings

from tests.messaging.api.factories import token_for

schema = schemathesis.openapi.from_wsgi(
    "/v2/openapi.json", get_wsgi_application()
).exclude(operation_id="testWebhookEndpoint")

EXAMPLES = 12  # per operation: ~70 operations, a bounded run


@pytest.fixture
def bearer(account, friend) -> dict:
    return {"Authorization": f"Bearer {token_for(account)}"}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a finished request must not close the
    connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_no_input_gets_a_server_error_and_errors_are_lines(case, bearer):
    response = case.call(headers=bearer)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code}\n"
        f"{case.as_curl_command()}\n{response.text[:500]}"
    )
    if response.status_code >= 400:
        body = json.loads(response.text)
        if case.path.startswith("/v2/oauth/"):
            # OAuth answers RFC 6749's error body, as LINE's does
            assert isinstance(body.get("error"), str) and body["error"]
        else:
            assert isinstance(body.get("message"), str) and body["message"]
        documented = case.operation.definition.raw.get("responses", {})
        assert str(response.status_code) in documented or "default" in documented, (
            f"{case.method} {case.path} answers {response.status_code}, "
            "which its schema does not list"
        )
