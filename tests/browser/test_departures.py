"""IT sets a departure date in the past in Chromium, and the collector's next page load, in a
browser of their own, is the sign-in page with the reason (R-ACC-4, R-ACC-6).

Elements are found by addresses, form actions, names and data attributes, never by the pages'
wording, which is translated.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in
from tests.support.agency import Agency

pytestmark = pytest.mark.browser


def test_r_acc_4_it_sets_a_past_date_and_the_collectors_next_page_is_sign_in_with_the_reason(
    agency: Agency, page: Page, browser: Browser, live: str
) -> None:
    ids = agency.with_accounts("col.a1", "it")
    theirs = browser.new_context(base_url=live, locale="zh-CN")
    collector = theirs.new_page()
    sign_in(collector, "col.a1")
    expect(collector).to_have_url(f"{live}/")

    sign_in(page, "it")
    with page.expect_navigation():
        page.locator("nav.menu a[href='/departures/']").click()
    s = agency.services
    yesterday = (s.clock.now().astimezone(s.settings.timezone) - timedelta(days=1)).date()
    setting = page.locator("form.inline")
    setting.locator("input[name=employee_number]").fill("1004")
    setting.locator("input[name=day]").fill(yesterday.isoformat())
    with page.expect_navigation():
        setting.locator("button[name=set]").click()
    confirming = page.locator("form[action*='/departures/date']")  # its instant has passed
    confirming.locator("input[name=confirm]").check()
    with page.expect_navigation():
        confirming.locator("button[name=set]").click()
    expect(page).to_have_url(re.compile(r"/departures/\?board="))
    expect(page.get_by_role("status")).to_contain_text("1004")
    assert agency.account(ids["col.a1"]).state == "revoked"

    collector.reload()
    expect(collector).to_have_url(f"{live}/login?reason=session.invalid")
    expect(collector.locator("[data-reason='account.departed']")).to_be_visible()
    collector.locator("input[name=username]").fill("col.a1")
    collector.locator("input[name=password]").fill("col.a1-secret")
    with collector.expect_navigation():
        collector.locator("form[action$='/login'] [type=submit]").click()
    expect(collector.locator("[data-code='account.departed']")).to_be_visible()
    theirs.close()
