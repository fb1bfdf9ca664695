"""Debian's Chromium driven by Playwright: shared by tests/browser and scripts/screenshots.

Always the apt package's /usr/bin/chromium, never a downloaded build (no `playwright install`).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless; `--no-sandbox` since tests and CI often run as root;
    its own words (a date input's yyyy/mm/dd) in Chinese, as the agency's browsers are."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--no-sandbox", "--lang=zh-CN"], headless=True
    )


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in through the real form of the page's base URL, as a person would."""
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form[action$='/login'] [type=submit]").click()
