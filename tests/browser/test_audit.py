"""The auditor's pages in Chromium: a leak triage from a pasted list, its CSV, and the chart of
views per hour drawn by ECharts under the Content-Security-Policy.

Elements are found by form field names, classes and roles, never by the pages' wording."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from govern.clock import FixedClock
from tests.browser.conftest import sign_in
from tests.browser.test_language import HAN, labels, toggle
from tests.support.agency import Agency

pytestmark = pytest.mark.browser


def view(agency: Agency, clock: FixedClock, account: str, debtor: str, hours_ago: float) -> None:
    """A debtor's phone revealed to `account` that long ago (the clock set back, then on)."""
    now = clock.now()
    clock.set(now - timedelta(hours=hours_ago))
    with agency.services.sessions() as db:
        agency.services.trail.record(
            db,
            "debtor.viewed",
            account,
            debtor,
            how="view",
            fields={"phone": "full"},
            viewer_group="pg-a1",
            object_group="pg-a1",
        )
        db.commit()
    clock.set(now)


def test_r_aud_3_an_auditor_triages_a_leak_from_a_pasted_list_and_exports_csv(
    agency: Agency, clock: FixedClock, page: Page
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2", "auditor")
    for n in range(1, 5):
        view(agency, clock, ids["col.a1"], f"D-{n}", 30 - n)
    view(agency, clock, ids["col.a2"], "D-1", 20)
    sign_in(page, "auditor")
    page.goto("/audit/leaks")
    page.locator("textarea[name=pasted]").fill("D-1\nD-2\nD-3\nD-4\nD-77")
    page.locator("input[name=unregistered]").check()  # the test's debtors are not imported
    with page.expect_navigation():
        page.locator("form[action$='/audit/leaks'] [type=submit]").click()
    expect(page.locator("h1")).to_contain_text("INV-")
    rows = page.locator("table.ranking tbody tr")  # once the ranking's run is done
    expect(rows).to_have_count(2, timeout=15_000)
    expect(rows.first).to_contain_text(ids["col.a1"])
    expect(rows.nth(1)).to_contain_text(ids["col.a2"])
    with page.expect_download() as download:
        page.locator("a.download").click()
    saved = download.value
    assert saved.suggested_filename.endswith(".csv")
    content = saved.path().read_bytes()
    assert content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    ranking = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [(r["rank"], r["account"], r["debtors"]) for r in ranking] == [
        ("1", ids["col.a1"], "4"),
        ("2", ids["col.a2"], "1"),
    ]


def test_the_chart_of_views_per_hour_is_drawn(
    agency: Agency, clock: FixedClock, page: Page
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2", "auditor")
    for n in range(5):
        view(agency, clock, ids["col.a1"], f"D-{n}", 3)
    view(agency, clock, ids["col.a2"], "D-1", 3)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    sign_in(page, "auditor")
    page.goto(f"/audit/chart?account={ids['col.a1']}")
    expect(page.locator("#views-chart canvas").first).to_be_visible()
    assert [m for m in refused if "Content Security Policy" in m] == []


@pytest.mark.parametrize(
    "path",
    [
        "/audit/events?action=debtor.viewed",
        "/audit/who-saw?debtor=D-1&field=phone",
        "/audit/seen?account={account}",
        "/audit/leaks",
        "/audit/unusual?search=1",
        "/audit/chart?account={account}",
        "/audit/verify",
    ],
)
def test_the_toggle_switches_every_label_of_the_auditors_pages(
    agency: Agency, clock: FixedClock, page: Page, path: str
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2", "auditor")
    view(agency, clock, ids["col.a1"], "D-1", 2)
    view(agency, clock, ids["col.a2"], "D-1", 2)
    sign_in(page, "auditor")
    path = path.format(account=ids["col.a1"])
    page.goto(path)
    chinese = labels(page)
    assert [text for text in chinese if not HAN.search(text)] == [], "English on the Chinese page"
    toggle(page, "en")
    english = labels(page)
    assert [text for text in english if HAN.search(text)] == [], "Chinese on the English page"
    assert len(english) == len(chinese)
