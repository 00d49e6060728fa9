"""NUL and unpaired surrogates: a 400 everywhere, never a 500 (QA report)."""

import json

import pytest

from messaging.store.models import Message

PUSH = "/v2/bot/message/push"


@pytest.mark.parametrize(
    "raw", ['"nul\\u0000x"', '"sur\\ud800x"'], ids=["nul", "lone-surrogate"]
)
def test_push_with_an_unstorable_character_is_lines_400(api, friend, unchanged, raw):
    user_id = friend.line_user.user_id
    body = f'{{"to": "{user_id}", "messages": [{{"type": "text", "text": {raw}}}]}}'
    response = api.call("POST", PUSH, raw=body)
    assert response.status_code == 400
    assert response.json() == {
        "message": "The request body has 1 error(s)",
        "details": [
            {
                "message": "Must not contain NUL or unpaired surrogate characters",
                "property": "messages[0].text",
            }
        ],
    }
    unchanged()


def test_a_nul_in_a_recipient_id_is_a_400_too(api, unchanged):
    body = json.dumps({"to": "U\u0000", "messages": [{"type": "text", "text": "x"}]})
    response = api.call("POST", PUSH, raw=body)
    assert response.status_code == 400
    assert response.json()["details"][0]["property"] == "to"
    assert not Message.objects.exists()
    unchanged()
