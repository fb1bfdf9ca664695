"""The collector's debtor page in Chromium: what training opens, and reveal with a purpose
(R-ACS-1, R-ACS-2, R-ACS-3).

Elements are found by form field names and data attributes, never by the pages' wording.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.support.floor import Floor

pytestmark = pytest.mark.browser

PHONE, MASKED = "13812345678", "138****5678"


def test_r_acs_1_an_intern_sees_no_phone_is_certified_then_sees_it_masked_and_reveals_it(
    floor: Floor, page: Page
) -> None:
    sign_in(page, "intern.a")
    page.goto(f"/debtors/{floor.debtors['C-001']}")
    phones = page.locator('tr[data-field="phones"]')
    expect(phones.locator("[data-reason]")).to_have_attribute(
        "data-reason", "training.system-use.missing"
    )
    expect(phones).not_to_contain_text(MASKED)

    floor.certify("intern.a")  # the training office records the passes, the agreement signed
    page.reload()
    expect(phones).to_contain_text(MASKED)
    expect(page.locator("main")).not_to_contain_text(PHONE)

    page.locator('input[name="fields_"][value="phones"]').check()
    page.locator('select[name="purpose"]').select_option("scheduled_call")
    with page.expect_navigation():
        page.locator("form[action$='/reveal'] [type=submit]").click()
    expect(page.locator('tr[data-field="phones"]')).to_contain_text(PHONE)
    revealed = floor.events("debtor.revealed")
    assert [event["details"]["purpose"] for event in revealed] == ["scheduled_call"]
