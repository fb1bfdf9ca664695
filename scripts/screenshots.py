"""Screenshot each demo role's main page, as its demo user sees it after signing in.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:5000 docs/screenshots

Run through ./scripts/screenshots, which starts a throwaway demo (scripts/demo) for it. Drives
Debian's /usr/bin/chromium, never a downloaded browser.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.browser import launch, sign_in

PASSWORD = "govern-demo"  # every demo login's (scripts/demo)
#: Each role of policies/roles.toml with the demo user who holds it (interns are a track) and
#: the page where that role does its work.
USERS = {
    "general_manager": ("gm.wang", "/accounts"),
    "department_head": ("head1.zhou", "/accounts"),
    "supervisor": ("sup1.wu", "/debtors"),
    "collector": ("c1.ma", "/debtors"),
    "intern": ("c1.luo", "/training/me"),
    "hr": ("hr.li", "/training/hr"),
    "it": ("it.zhang", "/departures/"),
    "auditor": ("audit.liu", "/audit/events"),
    "policy_admin": ("policy.zhao", "/access/policy"),
    "office": ("office.chen", "/training/sessions"),
    "trainer": ("trainer.yang", "/training/sessions"),
    "complaint_desk": ("desk.he", "/complaints"),
}


def main(base_url: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for role, (username, main_page) in USERS.items():
            context = browser.new_context(
                base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 800}
            )
            page = context.new_page()
            sign_in(page, username, PASSWORD)
            if page.url.endswith("/login"):
                raise SystemExit(f"{username} could not sign in: is the demo seeded?")
            page.goto(main_page)
            page.screenshot(path=folder / f"{role}.png", full_page=True)
            print(f"{folder / role}.png  ({username})")
            context.close()
        browser.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], Path(sys.argv[2]))
