"""The analytics dashboard in Chromium: every tab draws its chart; the range
switches (issue 12)."""

import re
import threading

import pytest
from django.db import connections
from playwright.sync_api import expect

from analytics.rollups import rollup_due
from talk.demo import demo_password, demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _in_thread(fn):
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


def test_each_tab_draws_a_chart_and_the_range_switches(page):
    facts = _in_thread(demo_seed)
    _in_thread(rollup_due)
    page.goto("/manager/login/")
    page.fill("input[name=username]", facts["staff_username"])
    page.fill("input[name=password]", demo_password())
    page.click("button[type=submit].primary")
    page.get_by_role("link", name=re.compile("Demo Café")).first.click()
    page.get_by_test_id("nav-toggle").click()
    page.get_by_test_id("nav-analytics").click()
    expect(page).to_have_url(re.compile(r"/analytics/$"))
    for tab in ("friends", "messages", "chat"):
        page.get_by_test_id(f"tab-{tab}").click()
        expect(page.get_by_test_id(f"tab-{tab}")).to_have_attribute(
            "aria-current", "page"
        )
        # Chart.js made a chart on the canvas (it sets its own size)
        page.wait_for_function(
            "() => window.Chart && Chart.getChart(document.getElementById("
            "'analytics-chart')) !== undefined"
        )
        expect(
            page.get_by_test_id("analytics-table").locator("tbody tr")
        ).to_have_count(30)
    page.select_option("select[name=preset]", "7")
    page.get_by_test_id("range-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("tab-chat")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("analytics-table").locator("tbody tr")).to_have_count(7)
    # the seeded conversations were started yesterday at the latest
    rows = page.get_by_test_id("analytics-table").locator("tbody tr")
    expect(rows.last.locator("td").first).to_have_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
