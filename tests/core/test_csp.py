"""A Content-Security-Policy on every page; no inline script or style left.

Scripts come only from this site's static files (``script-src 'self'``, no
``'unsafe-inline'``), so markup an attacker slips into a page cannot run.
The templates hold no inline ``<script>`` (``json_script`` data aside), no
``on…=`` handler attributes and no ``style=`` attributes; the browser tests
(tests/browser/test_csp.py) load the pages and count violations.
"""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/manager/login/", "/talk/", "/admin/login/"])
def test_pages_carry_the_policy(client, path):
    response = client.get(path, follow=True)
    policy = _policy(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_api_answers_carry_it_too(client):
    response = client.get("/v2/bot/info")
    assert response.status_code == 401
    assert _policy(response)["default-src"] == "'self'"


def test_no_template_has_an_inline_script():
    found = []
    for path in _templates():
        for match in SCRIPT.finditer(path.read_text()):
            if "src=" not in match.group(1):
                found.append(str(path.relative_to(TEMPLATES)))
    assert found == []


def test_no_template_has_inline_handlers_or_styles():
    found = [
        str(path.relative_to(TEMPLATES))
        for path in _templates()
        if HANDLER.search(path.read_text()) or STYLE.search(path.read_text())
    ]
    assert found == []
