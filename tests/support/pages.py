"""Signing in through the console's own form, as a browser does (Flask's test client)."""

from __future__ import annotations

import re
import time

from flask.testing import FlaskClient

from govern.runs import Run
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


def wait_for(client: FlaskClient, location: str, **headers: str) -> str:
    """The page of a run (govern/runs.py) once it is done: while it runs it asks again by
    itself (the Refresh header), as a browser would."""
    for _ in range(200):
        response = client.get(location, base_url=HTTPS, headers=headers)
        assert response.status_code == 200
        if 'data-run="running"' not in (page := response.get_data(as_text=True)):
            assert "Refresh" not in response.headers
            return page
        assert response.headers["Refresh"] == "2"
        time.sleep(0.05)
    raise AssertionError("the run did not end")


def keep_run(agency: Agency, run_id: str, kind: str, **fields: object) -> None:
    """A run (govern/runs.py) kept as the console keeps one, written straight to its table:
    one under way, one whose process died, a long report."""
    values = {"dry_run": False, "started_by": "GV-TEST-0001", "done": 0, **fields}
    with agency.services.sessions() as db:
        db.add(Run(id=run_id, kind=kind, **values))
        db.commit()
