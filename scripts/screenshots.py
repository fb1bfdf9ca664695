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
#: Each role of policies/roles.toml with the demo user who holds it; interns are a track.
USERS = {
    "general_manager": "gm.wang",
    "department_head": "head1.zhou",
    "supervisor": "sup1.wu",
    "collector": "c1.ma",
    "intern": "c1.luo",
    "hr": "hr.li",
    "it": "it.zhang",
    "auditor": "audit.liu",
    "policy_admin": "policy.zhao",
    "office": "office.chen",
    "trainer": "trainer.yang",
    "complaint_desk": "desk.he",
}


def main(base_url: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for role, username in USERS.items():
            context = browser.new_context(
                base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 800}
            )
            page = context.new_page()
            sign_in(page, username, PASSWORD)
            if page.url.endswith("/login"):
                raise SystemExit(f"{username} could not sign in: is the demo seeded?")
            page.screenshot(path=folder / f"{role}.png", full_page=True)
            print(f"{folder / role}.png  ({username})")
            context.close()
        browser.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], Path(sys.argv[2]))
