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
from playwright.sync_api import expect

from talk.demo import demo_password, demo_seed
from tests.manager_pages import manager_page_paths

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


def test_every_manager_page_fits_a_375_px_phone(page):
    facts = _in_thread(demo_seed)
    paths = _in_thread(lambda: manager_page_paths(facts["account_id"]))
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
