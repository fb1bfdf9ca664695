"""Signing in through the console's own form, as a browser does (Flask's test client)."""

from __future__ import annotations

import re

from tests.support.agency import Agency
from tests.support.staff import BY_USERNAME

HTTPS = "https://localhost"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def page_session(agency: Agency, username: str) -> str:
    """A page session's token for `username`, signed in through the page's form; the client
    keeps the cookie."""
    client = agency.client
    page = client.get("/login", base_url=HTTPS).get_data(as_text=True)
    signed_in = client.post(
        "/login",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/login"},  # what Referrer-Policy: same-origin sends
        data={
            "csrf_token": csrf_token(page),
            "username": username,
            "password": BY_USERNAME[username].password,
        },
    )
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    return re.search(r"govern_session=([^;]+)", signed_in.headers["Set-Cookie"]).group(1)
