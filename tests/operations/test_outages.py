"""The database away, under real gunicorn, on a private PostgreSQL server (tests/support/
postgres.py) that the test stops and starts again: nothing revealed, nothing lost.

PostgreSQL stopped in the middle of a burst of debtor views: every view is answered 200 with its
debtor and exactly one audit event, or 503 with an error and no debtor's value (the API's JSON,
the console's page in words), and so is signing in; readiness says not ready while the
database is away. Once it is back the same gunicorn workers serve again, no restart.

The audit trail refusing writes (its lock held, the service's INSERT on it revoked, the
database's disk full) is tests/operations/test_trail_faults.py; the directory down,
tests/sessions/test_directory_outage.py; sign-in while the trail or one of its tables fails,
tests/sessions/test_faults.py.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from audit.store import events
from tests.support.debtors import CASES
from tests.support.floor import Floor
from tests.support.postgres import Cluster, Private
from tests.support.processes import environment, served
from tests.support.staff import BY_USERNAME

pytestmark = pytest.mark.postgresql_only
VIEWERS = 6
CODES = ("database.unavailable", "audit.unavailable")
CSRF = '"csrf_token" type="hidden" value="'


# --- an HTTP client, as a program or a browser is one ---------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer at all (refused or cut)
    text: str
    cookies: dict[str, str] = field(default_factory=dict)  # what it set

    def json(self) -> dict:
        return json.loads(self.text)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirects)


def ask(url: str, data: bytes | None = None, **headers: str) -> Answer:
    """One request; whatever the answer, its status and body (no status: none came)."""
    call = urllib.request.Request(url, data=data, headers=headers)
    try:
        with OPENER.open(call, timeout=30) as response:
            return Answer(response.status, response.read().decode(), _set(response.headers))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(), _set(error.headers))
    except (urllib.error.URLError, ConnectionError, OSError):
        return Answer(None, "")


def _set(headers: Message) -> dict[str, str]:
    lines = headers.get_all("Set-Cookie") or []
    return dict(line.split(";", 1)[0].strip().split("=", 1) for line in lines)


def sign_in(base: str, username: str) -> Answer:
    body = json.dumps({"username": username, "password": BY_USERNAME[username].password})
    return ask(f"{base}/api/v1/sessions", body.encode(), **{"Content-Type": "application/json"})


def api_token(base: str, username: str) -> str:
    answer = sign_in(base, username)
    assert answer.status == 201, answer.text
    return answer.json()["token"]


def page_cookies(base: str, username: str) -> str:
    """The Cookie header of a browser signed in through the sign-in page."""
    login = ask(f"{base}/login")
    token = login.text.split(CSRF, 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode(
        {"csrf_token": token, "username": username, "password": BY_USERNAME[username].password}
    )
    signed_in = ask(f"{base}/login", form.encode(), Cookie=_header(login.cookies))
    assert signed_in.status == 302, signed_in.text
    return _header({**login.cookies, **signed_in.cookies})


def _header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


# --- a burst of views -----------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    request_id: str
    phase: str  # what the database was doing when the view was asked: up, down, back
    answer: Answer


class Burst:
    """Viewers asking for one debtor again and again, each view named by its request id."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.phase, self.views = "up", list[View]()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, viewers: int) -> None:
        self._stop.clear()
        self._threads = []
        for n in range(viewers):
            self._threads.append(threading.Thread(target=self._view, args=(f"v{n}",)))
            self._threads[-1].start()

    def _view(self, name: str) -> None:
        number = sum(v.request_id.startswith(f"{name}-") for v in list(self.views))
        while not self._stop.is_set():
            request_id, phase, number = f"{name}-{number}", self.phase, number + 1
            headers = {"Authorization": f"Bearer {self.token}", "X-Request-Id": request_id}
            self.views.append(View(request_id, phase, ask(self.url, **headers)))

    def until(self, phase: str, status: int, count: int, seconds: float = 60) -> None:
        """Wait until `count` views asked in `phase` were answered `status`."""
        deadline = time.monotonic() + seconds
        while self.count(phase, status) < count:
            assert time.monotonic() < deadline, f"not {count} x {status} while {phase}"
            time.sleep(0.05)

    def count(self, phase: str, status: int | None) -> int:
        return sum(v.phase == phase and v.answer.status == status for v in list(self.views))

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def until_ready(base: str, ready: bool, seconds: float = 60) -> Answer:
    """/readyz once it says `ready` (200) or not (503)."""
    deadline, answer = time.monotonic() + seconds, Answer(None, "")
    while time.monotonic() < deadline:
        answer = ask(f"{base}/readyz")
        if answer.status == (200 if ready else 503):
            return answer
        time.sleep(0.2)
    raise AssertionError(f"/readyz did not say ready={ready}: {answer.text}")


def debtor_page(base: str, debtor: str, cookies: str, language: str = "zh") -> Answer:
    return ask(
        f"{base}/debtors/{debtor}",
        Cookie=cookies,
        Accept="text/html",
        **{"Accept-Language": language},
    )


def viewed_request_ids(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        entries = connection.execute(
            select(events.c.entry).where(events.c.action == "debtor.viewed")
        ).scalars()
        return sorted(json.loads(entry)["request_id"] for entry in entries)


def debtor_values(shown: dict) -> set[str]:
    """Every value of the debtor C-001: as imported, and as a view showed it (masked)."""
    case = next(c for c in CASES if c.case_no == "C-001")
    imported = {v for v in case.row().values() if len(v) > 3 and v != case.project_group}
    return imported | {str(v) for v in shown["fields"].values() if v and len(str(v)) > 3}


def serving(private: Private) -> dict[str, str]:
    return {
        **os.environ,
        **environment(private.settings),
        "GOVERN_BACKGROUND_JOBS": "worker",
        "GOVERN_LOG_FORMAT": "text",
    }


# --- the database stops in the middle of a burst --------------------------------------------


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_r_acs_3_the_database_stopped_mid_burst_reveals_nothing_loses_nothing_and_comes_back(
    cluster: Cluster, private: Private, private_floor: Floor, tmp_path: Path, mode: str
) -> None:
    """`fast` ends every session as an operator's restart does; `immediate` as a crash does
    (the server recovers from its log at the next start)."""
    debtor = private_floor.debtors["C-001"]
    with served(serving(private), tmp_path / "web.log") as web:
        burst = Burst(f"{web.base}/api/v1/debtors/{debtor}", api_token(web.base, "col.a1"))
        cookies = page_cookies(web.base, "col.a1")
        burst.start(VIEWERS)
        try:
            burst.until("up", 200, 20)
            burst.phase = "stopping"
            cluster.stop(mode)
            burst.phase = "down"
            burst.until("down", 503, 20)
            not_ready = until_ready(web.base, ready=False)
            pages = [debtor_page(web.base, debtor, cookies, language) for language in ("zh", "en")]
            signing_in = sign_in(web.base, "col.a2")
        finally:
            burst.stop()
        cluster.start()
        until_ready(web.base, ready=True)
        burst.phase = "back"  # each worker's audit committer kept a connection the stop broke
        burst.start(VIEWERS)
        try:
            burst.until("back", 200, 20)
        finally:
            burst.stop()
        booted = web.booted_workers()
    served_ids = sorted(v.request_id for v in burst.views if v.answer.status == 200)
    assert viewed_request_ids(private.owner) == served_ids  # one event per view served, no other
    assert {v.answer.status for v in burst.views if v.phase == "down"} == {503}
    assert {v.answer.status for v in burst.views if v.phase == "back"} == {200}
    assert {v.answer.status for v in burst.views} == {200, 503}
    shown = next(v.answer.json() for v in burst.views if v.answer.status == 200)
    values = debtor_values(shown)
    for view in (v for v in burst.views if v.answer.status == 503):
        error = view.answer.json()
        assert error.keys() == {"error"} and error["error"].keys() == {"code", "message"}
        assert error["error"]["code"] in CODES
        assert not any(value in view.answer.text for value in values)
    assert [page.status for page in pages] == [503, 503]
    assert "数据库无法连接" in pages[0].text and "The database cannot be reached" in pages[1].text
    assert not any(value in page.text for page in pages for value in values)
    assert signing_in.status == 503 and signing_in.json()["error"]["code"] in CODES
    assert not_ready.json()["checks"]["database"]["status"] == "fail"
    assert booted == 2  # the two workers that served before served after: none restarted
    trail = private_floor.agency.services.trail
    trail.checkpoint_now()
    assert trail.verify().ok
