"""Every Manager page at 375 px (issue 14, #16): nothing wider than the phone.

The URL list comes from the resolver, so a new Manager page is walked
without anyone adding it here. Pages are filled with the seeded demo
(``seed_demo``), so tables have rows and forms have values.
"""

import json
import re
import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from accounts.models import User
from chat.models import CannedReply, Conversation
from messaging.automation.models import AutoResponse, StepSequence
from messaging.broadcasts.models import Broadcast, Segment
from messaging.friends.models import Friend, FriendSource, Tag
from talk.demo import DEMO_STAFF_USERNAME, demo_password, demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('[hidden], details:not([open]) > :not(summary)')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (style.position === 'fixed' && style.visibility !== 'visible') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > vw + 1 || r.left < -1) {
      const id = el.id ? '#' + el.id : '';
      const cls = el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      const box = `[${Math.round(r.left)}..${Math.round(r.right)}]`;
      bad.push(`${el.tagName.toLowerCase()}${id}${cls} ${box}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, vw, bad: bad.slice(0, 8)};
}"""


def _in_thread(fn):
    """Run ORM work off Playwright's event-loop thread."""
    result = []

    def run():
        try:
            result.append(fn())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert result, "the setup failed; see the log"
    return result[0]


def _manager_paths(account_id: int) -> list[str]:
    """Every GET-able account page, its ``<int:…>`` filled with seeded rows."""
    sent = Broadcast.objects.get(account_id=account_id, title="Autumn menu")
    ids = {
        "conversation_id": Conversation.objects.filter(account_id=account_id)
        .first()
        .pk,
        "broadcast_id": sent.pk,
        "friend_id": Friend.objects.filter(account_id=account_id).first().pk,
        "reply_id": CannedReply.objects.filter(account_id=account_id).first().pk,
        "rule_id": AutoResponse.objects.filter(account_id=account_id).first().pk,
        "sequence_id": StepSequence.objects.filter(account_id=account_id).first().pk,
        "tag_id": Tag.objects.filter(account_id=account_id).first().pk,
    }
    source = FriendSource.objects.filter(account_id=account_id).first()
    if source:
        ids["source_id"] = source.pk
    segment = Segment.objects.filter(account_id=account_id).first()
    if segment:
        ids["segment_id"] = segment.pk
    from accounts.models import OfficialAccount

    slug = OfficialAccount.objects.get(pk=account_id).slug
    paths = []

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith(
                "manager/<slug:account_slug>/"
            ):
                names = re.findall(r"<int:(\w+)>", route)
                if any(name not in ids for name in names):
                    continue
                if re.search(r"\.(json|csv|png|svg|pdf)$", route):
                    continue
                path = route.replace("<slug:account_slug>", slug)
                for name in names:
                    path = path.replace(f"<int:{name}>", str(ids[name]))
                if "<" in path:
                    continue
                paths.append("/" + path)

    walk(get_resolver().url_patterns, "")
    # Only the pages: GET answers 200 with HTML (POST-only views answer 405).
    client = Client()
    client.force_login(User.objects.get(username=DEMO_STAFF_USERNAME))
    pages = []
    for path in sorted(set(paths)):
        response = client.get(path)
        if response.status_code == 200 and "text/html" in response["Content-Type"]:
            pages.append(path)
    return pages


def test_every_manager_page_fits_a_375_px_phone(page):
    facts = _in_thread(demo_seed)
    paths = _in_thread(lambda: _manager_paths(facts["account_id"]))
    assert len(paths) >= 25, paths
    page.goto("/manager/login/")
    page.fill("input[name=username]", facts["staff_username"])
    page.fill("input[name=password]", demo_password())
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_be_visible()
    problems = {}
    walked = 0
    for path in paths:
        assert page.goto(path).status == 200
        walked += 1
        found = page.evaluate(OVERFLOW_JS)
        if found["bad"] or found["scrollWidth"] > found["vw"]:
            problems[path] = found
        # the header is one row
        height = page.locator("header.topbar").bounding_box()["height"]
        if height > 64:
            problems[path + " (header)"] = height
    assert walked >= 25
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


def test_the_phone_menu_reaches_every_nav_item(page):
    facts = _in_thread(demo_seed)
    page.goto("/manager/login/")
    page.fill("input[name=username]", facts["staff_username"])
    page.fill("input[name=password]", demo_password())
    page.click("button[type=submit].primary")
    page.goto(f"/manager/{_in_thread(lambda: _slug(facts))}/")
    nav = page.locator("nav.sidenav")
    links = nav.locator("a")
    expect(links.first).to_be_hidden()
    page.get_by_test_id("nav-toggle").click()
    count = links.count()
    assert count >= 12
    for i in range(count):
        expect(links.nth(i)).to_be_in_viewport()
    links.filter(has_text="Broadcasts").click()
    expect(page).to_have_url(re.compile(r"/broadcasts/$"))


def _slug(facts) -> str:
    from accounts.models import OfficialAccount

    return OfficialAccount.objects.get(pk=facts["account_id"]).slug
