"""NotFound is answered with a 404 in one place each: pages and the API."""

import json

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from core.api.exception_handler import line_exception_handler
from core.exceptions import ApplicationError, NotFound
from core.middleware import NotFoundMiddleware

pytestmark = pytest.mark.django_db


def _middleware():
    return NotFoundMiddleware(lambda request: None)


def test_not_found_is_an_application_error_with_a_default_message():
    error = NotFound()
    assert isinstance(error, ApplicationError)
    assert (error.message, error.details) == ("Not found.", {})
    assert NotFound("No such tag.").message == "No such tag."


def test_middleware_turns_not_found_into_http404():
    request = RequestFactory().get("/")
    error = NotFound()
    with pytest.raises(Http404) as excinfo:
        _middleware().process_exception(request, error)
    assert excinfo.value.__cause__ is error


def test_middleware_leaves_other_errors_alone():
    request = RequestFactory().get("/")
    assert _middleware().process_exception(request, ApplicationError("x")) is None
    assert _middleware().process_exception(request, ValueError("x")) is None


def test_a_page_whose_selector_raises_not_found_is_djangos_404(
    alice_client, account, other_account
):
    # given a friend id that is not Demo Café's
    path = reverse(
        "friends:friend-detail",
        kwargs={"account_slug": account.slug, "friend_id": 999999},
    )
    # when alice opens it
    response = alice_client.get(path)
    # then she gets the 404 page, as for a URL that does not exist
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


def test_the_api_answers_not_found_with_lines_404_body():
    not_found = line_exception_handler(NotFound(), {})
    http404 = line_exception_handler(Http404(), {})
    assert (not_found.status_code, not_found.data) == (404, {"message": "Not found"})
    assert (http404.status_code, http404.data) == (404, {"message": "Not found"})
    assert json.dumps(not_found.data) == json.dumps(http404.data)
