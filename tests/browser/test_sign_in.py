"""Signing in and out through the pages, in Chromium: the real form, cookie and redirects.

Elements are found by form field names and roles, never by the pages' wording, which is
translated.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.support.agency import Agency

pytestmark = pytest.mark.browser


def test_r_acc_5_staff_with_an_account_sign_in_and_see_their_profile(
    agency: Agency, page: Page
) -> None:
    account_id = agency.with_accounts("col.a1")["col.a1"]
    sign_in(page, "col.a1")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main")).to_contain_text("马超")
    expect(page.locator("main")).to_contain_text(account_id)
    expect(page.locator("form[action$='/logout']")).to_be_visible()


def test_r_acc_5_a_wrong_password_is_shown_in_words(agency: Agency, page: Page) -> None:
    agency.with_accounts("col.a1")
    sign_in(page, "col.a1", "not-the-password")
    expect(page).to_have_url(re.compile(r"/login$"))
    alert = page.get_by_role("alert")
    expect(alert).to_have_count(1)
    words = alert.inner_text().strip()
    assert words, "the alert says nothing"
    assert not re.fullmatch(r"[a-z_.]+", words), f"an error code, not words: {words}"
    expect(page.locator("input[name=password]")).to_be_visible()
    assert "govern_session" not in {cookie["name"] for cookie in page.context.cookies()}


def test_signing_out_returns_to_the_sign_in_page(agency: Agency, page: Page) -> None:
    agency.with_accounts("col.a1")
    sign_in(page, "col.a1")
    with page.expect_navigation():
        page.locator("form[action$='/logout'] [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("input[name=username]")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
