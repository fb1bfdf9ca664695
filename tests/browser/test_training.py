"""Training in Chromium: the intern sees what the phones field still needs, the office records a
pass on the session's form, the intern reloads and the certification holds (R-TRN-5, R-ACS-1).

Elements are found by names and data attributes, never by the pages' wording."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in
from tests.support.agency import Agency, bearer

pytestmark = pytest.mark.browser


def approved_plan(agency: Agency) -> None:
    """A plan around the real present (the browser tests' clock), approved."""
    today = agency.services.clock.now().date()
    plan = {
        "title": "培训计划",
        "term": "short",
        "tracks": ["intern", "ordinary"],
        "starts": str(today.replace(day=1)),
        "ends": str(today + timedelta(days=40)),
    }
    client = agency.client
    drafted = client.post(
        "/api/v1/training/plans", json=plan, headers=bearer(agency.login("office"))
    )
    assert drafted.status_code == 201, drafted.get_json()
    approval = f"/api/v1/training/plans/{drafted.get_json()['id']}/approval"
    assert client.post(approval, headers=bearer(agency.login("gm"))).status_code == 200


def test_r_trn_5_the_office_records_a_pass_and_the_intern_sees_the_certification(
    agency: Agency, page: Page, browser: Browser, live: str
) -> None:
    ids = agency.with_accounts("intern.a", "office")
    approved_plan(agency)

    sign_in(page, "intern.a")
    page.goto("/training/me")
    phones = page.locator("tr[data-field=phones]")
    expect(phones).to_have_attribute("data-missing", "system-use compliance confidentiality")
    expect(page.locator("tr[data-certification=system-use]")).to_have_attribute(
        "data-holds", "false"
    )

    office = browser.new_context(base_url=live, locale="zh-CN").new_page()
    sign_in(office, "office")
    office.goto("/training/sessions")
    with office.expect_navigation():
        office.locator("a[href*='/sessions/weekly-'][href$='/record']").first.click()
    office.locator("select[name=course]").select_option("SYS-USE")
    office.locator(f"input[name='score-{ids['intern.a']}']").fill("85")
    with office.expect_navigation():
        office.locator("main form [type=submit]").click()
    expect(office.locator("p.notice[role=status]")).to_be_visible()
    office.context.close()

    page.reload()
    expect(page.locator("tr[data-certification=system-use]")).to_have_attribute(
        "data-holds", "true"
    )
    expect(phones).to_have_attribute("data-missing", "compliance confidentiality")
    expect(page.locator("tr[data-result=SYS-USE]")).to_contain_text("85")
