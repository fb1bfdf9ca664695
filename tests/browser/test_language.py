"""The language toggle switches every label of a page: Chinese first, English beside it.

A label is every text the page writes itself; the data it shows (names, ids, values: in
`dd`, `td`, `code` or an element marked `data-value`) and the toggle's own two names are not.
Pages mark their data so; a page added to PAGES is held to it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import sign_in
from tests.support.agency import Agency

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u4e00-\u9fff]")
LABELS = """() => {
  const skip = "dd, td, code, .who, .languages, .brand, script, style, [data-value]";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    if (text && !walker.currentNode.parentElement.closest(skip)) texts.push(text);
  }
  for (const input of document.querySelectorAll("input[type=submit], button")) {
    if (input.value) texts.push(input.value);
  }
  return texts;
}"""


def labels(page: Page) -> list[str]:
    return [text for text in page.evaluate(LABELS) if re.search(r"[^\W\d_]", text)]


def toggle(page: Page, code: str) -> None:
    with page.expect_navigation():
        page.locator(f".languages a[data-language={code}]").click()


#: Each role's working pages and who opens them (the auditor's: tests/browser/test_audit.py).
PAGES = {
    "/login": None,
    "/": "col.a1",
    "/debtors": "col.a1",
    "/training/me": "intern.a",
    "/training/sessions": "office",
    "/accounts": "head.a",
    "/accounts/awaiting": "head.a",
    "/complaints": "desk",
    "/calls/unnoted": "sup.a1",
    "/departures/": "it",
    "/departures/sweep": "it",
    "/access/policy": "padmin",
    "/access/explain": "padmin",
}


@pytest.mark.parametrize("path", PAGES)
def test_the_toggle_switches_every_label(agency: Agency, page: Page, path: str) -> None:
    agency.with_accounts("col.a1", "intern.a", "office", "it", "padmin", "desk", "sup.a1")
    if PAGES[path]:
        sign_in(page, PAGES[path])
    page.goto(path)
    chinese = labels(page)
    english_in_chinese = [text for text in chinese if not HAN.search(text)]
    assert english_in_chinese == [], "labels left in English on the Chinese page"
    toggle(page, "en")
    assert page.url.endswith(path)
    english = labels(page)
    assert [text for text in english if HAN.search(text)] == [], "Chinese left on the English page"
    assert len(english) == len(chinese)
    toggle(page, "zh")
    assert labels(page) == chinese
