"""A department head issues an account in Chromium: from the list of staff without one,
through the confirmation, to the account listed (R-ACC-1).

Elements are found by addresses, form actions and data attributes, never by the pages'
wording, which is translated.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from govern.accounts import repository as repo
from tests.browser.conftest import sign_in
from tests.support.agency import Agency

pytestmark = pytest.mark.browser


def test_r_acc_1_a_head_issues_an_account_to_staff_listed_as_lacking_one(
    agency: Agency, page: Page
) -> None:
    agency.with_accounts("col.a1")
    sign_in(page, "head.a")
    with page.expect_navigation():
        page.locator("nav.menu a[href='/accounts']").click()
    waiting = page.locator("#awaiting tr[data-employee='1005']")
    expect(waiting).to_contain_text("胡静")
    with page.expect_navigation():
        waiting.locator("a.action").click()
    expect(page.locator("main dl")).to_contain_text("胡静")
    with page.expect_navigation():
        page.locator("form[action$='/accounts/issue'] [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts$"))
    expect(page.get_by_role("status")).to_contain_text("胡静")
    expect(page.locator("#awaiting tr[data-employee='1005']")).to_have_count(0)
    listed = page.locator("#accounts tr[data-employee='1005']")
    expect(listed.locator("[data-state]")).to_have_attribute("data-state", "active")
    with agency.services.sessions() as db:
        account = repo.live_account(db, "1005")
    assert account is not None and account.id == listed.get_attribute("data-account")
