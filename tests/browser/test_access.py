"""The access policy grid on a laptop screen: rows named by role, one scroll box for the
columns that do not fit, the page itself never wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import sign_in
from tests.support.agency import Agency

pytestmark = pytest.mark.browser

#: The boxes that scroll sideways (their content is wider than they are).
SCROLLERS = """() => [...document.querySelectorAll("body *")].filter(element => {
  const overflow = getComputedStyle(element).overflowX;
  const scrolls = overflow === "auto" || overflow === "scroll";
  return scrolls && element.scrollWidth > element.clientWidth;
}).length"""


def test_at_1366_px_the_grid_scrolls_in_one_box_to_its_last_column(
    agency: Agency, page: Page
) -> None:
    agency.with_accounts("padmin")
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, "padmin")
    page.goto("/access/policy")
    assert page.locator("div.wide").count() == 1  # a box in a box hid the last columns
    assert page.evaluate(SCROLLERS) == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # the page does not
    page.locator("div.wide").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    last = page.locator("table.grid thead th").last
    assert last.is_visible() and last.bounding_box()["x"] + 10 < 1366
    assert page.locator('tr[data-role="collector"] th').first.inner_text().startswith("催收员")
