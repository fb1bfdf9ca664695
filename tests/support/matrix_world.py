"""The security matrix's world (tests/test_security_matrix.py): one agency where every path
parameter of every route names a real object, and a signed-in session, API and page, for every
principal of the matrix (tests/security_matrix.toml).

Built once per module, through the service functions and the API as the agency would, on the
clock the app is given: the expired session was opened the day before, the departed person
signed in before their departure instant passed, the revoked account's sessions ended with it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from govern.accounts import repository as accounts
from govern.accounts.service import issue_account
from govern.actor import Actor
from govern.clock import FixedClock
from govern.console import SESSION_COOKIE
from govern.runs import Run
from tests.support.agency import Agency, bearer
from tests.support.clock import NOW, SHANGHAI
from tests.support.contact import open_complaint
from tests.support.debtors import CASES
from tests.support.floor import Floor, import_cases
from tests.support.pages import HTTPS, csrf_token, wait_for
from tests.support.staff import STAFF, Person

#: Left on 27 November 2026 (access ends at 18:00 that day), after signing in at 17:00.
DEPARTED = Person("1020", "gone.a", "钱进", "dept-a", "pg-a1", departure="20261127000000Z")
#: A second auditor, who asks for the investigation waiting for a decision: nobody approves
#: their own (investigation.own_request), so the matrix's auditor may decide it.
SECOND_AUDITOR = Person("1021", "auditor.two", "冯雪", "operations", groups=("govern-auditors",))
PEOPLE = {p.username: p for p in [*STAFF, DEPARTED, SECOND_AUDITOR]}
#: Who gets an account (`issuer_of` issues it, R-ACC-1), the GM's being bootstrapped; not
#: left.a, who left in June, before the world begins.
ISSUED = [p.username for p in PEOPLE.values() if p.username not in ("gm", "left.a")]
#: Who passes every exam and signs the agreement (trainers never record their own).
CERTIFIED = ("col.a1", "col.a2", "col.b1", "sup.a1", "head.a", "gm", "auditor", "desk", "clerk")
#: The moments the world is built at (sessions last GOVERN_SESSION_HOURS = 24 in this world).
DAY_BEFORE = datetime(2026, 11, 27, 8, 0, tzinfo=SHANGHAI)
BEFORE_LEAVING = datetime(2026, 11, 27, 17, 0, tzinfo=SHANGHAI)
SESSION_HOURS = 24
#: The course the intern failed twice, and so went to HR (R-TRN-5).
HR_COURSE = "CMP-CONDUCT"
BROWSER = {"Accept": "text/html,application/xhtml+xml", "Referer": f"{HTTPS}/"}


@dataclass
class Credentials:
    """What a principal asks with: an API token and a browser (a test client holding the page
    cookie and a CSRF token); someone anonymous has a browser and no token."""

    name: str
    username: str | None
    token: str = ""
    browser: FlaskClient | None = None
    csrf: str = ""
    cookie: str = ""  # the page session's

    def headers(self) -> dict[str, str]:
        return bearer(self.token) if self.token else {}

    def page(self) -> FlaskClient:
        """The browser, sending its page session's cookie again: a page that refused it told
        the browser to forget it, but whoever holds an old cookie may send it still."""
        assert self.browser is not None
        if self.cookie:
            self.browser.set_cookie(SESSION_COOKIE, self.cookie, domain="localhost")
        return self.browser


@dataclass
class World:
    app: Flask
    agency: Agency
    clock: FixedClock
    ids: dict[str, str]  # username → account id
    objects: dict[str, str] = field(default_factory=dict)  # object name → id
    principals: dict[str, Credentials] = field(default_factory=dict)  # by principal

    def floor(self) -> Floor:
        """The collection floor's helpers (tests/support/floor.py) over this world."""
        debtors = {case.case_no: self.objects[f"debtor:{case.case_no}"] for case in CASES}
        return Floor(self.agency, self.clock, self.ids, debtors)

    def call(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        """The API as `who`, signed in afresh; the answer's JSON, which must be a success."""
        token = self.agency.login(who, PEOPLE[who].password)
        response = self.agency.client.open(path, method=method, headers=bearer(token), **kwargs)
        assert response.status_code < 300, (path, response.get_json())
        return response.get_json()

    def fresh(self, principal: str) -> Credentials:
        """A new session of the principal's person, for a route that ends the session it is
        asked in (only someone who may sign in now: the others keep the session they hold)."""
        found = self.principals[principal]
        assert found.username is not None
        return sign_in(self, principal, found.username)


def issue(agency: Agency, username: str, by: str) -> str:
    """Issue `username`'s account as `by` would; returns the account id."""
    s = agency.services
    with s.sessions() as db:
        issuer = accounts.identity(db, PEOPLE[by].number)
        issuer_account = accounts.live_account(db, issuer.employee_number)
        actor = Actor(accounts.staff_of(issuer), issuer_account.id)
        account, _ = issue_account(db, s.context(), actor, PEOPLE[username].number)
        return account.id


def issuer_of(person: Person) -> str:
    """Who issues the person's account: the GM for heads, else their department's head."""
    if "govern-department-heads" in person.groups:
        return "gm"
    return {"dept-a": "head.a", "dept-b": "head.b"}.get(person.department, "gm")


def sign_in(world: World, name: str, username: str) -> Credentials:
    """The principal `name` as `username`: an API session and a page session of its own."""
    password = PEOPLE[username].password
    token = world.agency.login(username, password)
    browser = world.app.test_client()
    form = browser.get("/login", base_url=HTTPS).get_data(as_text=True)
    signed_in = browser.post(
        "/login",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/login"},
        data={"csrf_token": csrf_token(form), "username": username, "password": password},
    )
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    cookie = re.search(rf"{SESSION_COOKIE}=([^;]+)", signed_in.headers["Set-Cookie"])
    assert cookie
    return Credentials(name, username, token, browser, csrf_token(form), cookie.group(1))


def anonymous(world: World, name: str) -> Credentials:
    """Someone with no session: a browser that has only opened the sign-in page."""
    browser = world.app.test_client()
    form = browser.get("/login", base_url=HTTPS).get_data(as_text=True)
    return Credentials(name, None, "", browser, csrf_token(form))


def build(app: Flask, clock: FixedClock, principals: dict[str, dict[str, str]]) -> World:
    """The world, and a session for each principal (`principals`: name → {who, state})."""
    agency = Agency(app, app.test_client())
    clock.set(DAY_BEFORE)
    agency.sync()
    ids = {"gm": agency.bootstrap()}
    ordered = sorted(ISSUED, key=lambda u: "govern-department-heads" not in PEOPLE[u].groups)
    for username in ordered:
        ids[username] = issue(agency, username, issuer_of(PEOPLE[username]))
    world = World(app, agency, clock, ids)
    late = {"expired": DAY_BEFORE, "departed": BEFORE_LEAVING}
    for name, given in principals.items():  # the sessions opened before today
        if given.get("state") in late:
            clock.set(late[given["state"]])
            world.principals[name] = sign_in(world, name, given["who"])
    clock.set(NOW)
    _objects(world)
    for name, given in principals.items():
        if given.get("state") == "anonymous":
            world.principals[name] = anonymous(world, name)
        elif name not in world.principals:
            world.principals[name] = sign_in(world, name, given["who"])
    for given in principals.values():
        if given.get("state") == "revoked":
            agency.revoke(ids[given["who"]])
    return world


def _objects(world: World) -> None:
    """Every object a route's path names, each real."""
    agency, objects = world.agency, world.objects
    debtors = import_cases(agency, [case.row() for case in CASES])
    objects.update({f"debtor:{case}": debtor for case, debtor in debtors.items()})
    floor = world.floor()
    for who in CERTIFIED:
        floor.certify(who)
    token = agency.login("padmin")  # the first read stores the default access policy
    assert agency.client.get("/api/v1/access/policy", headers=bearer(token)).status_code == 200
    objects.update({f"account:{who}": account for who, account in world.ids.items()})
    objects["employee:col.a2"] = PEOPLE["col.a2"].number
    _audit(world, floor)
    _training(world)
    _collection(world)
    _reviews(world)
    _runs(world)


def _audit(world: World, floor: Floor) -> None:
    """The auditor's approved investigation, and another auditor's waiting for a decision."""
    objects = world.objects
    objects["investigation:approved"] = floor.investigation(["C-001"], ["phones"])
    asked = world.call(
        "POST",
        "/api/v1/audit/investigations",
        "auditor.two",
        json={
            "debtor_ids": [objects["debtor:C-001"]],
            "fields": ["phones"],
            "open_fields": True,
            "case_reference": "CASE-2",
            "justification": "the client reported this debtor's data leaked",
        },
    )
    objects["investigation:pending"] = asked["id"]
    path = f"/api/v1/audit/investigations/{asked['id']}/hold"
    objects["investigation:held"] = world.call("POST", path, "auditor.two")["investigation"]


def _training(world: World) -> None:
    """An approved plan and its sessions, a draft plan, an ended plan with its feedback form
    due, a leave asked, an HR case (the intern failed a retake)."""
    objects, ids = world.objects, world.ids
    plan = {"title": "2026 staff training", "term": "long", "tracks": ["intern", "ordinary"]}
    ended = world.call(
        "POST",
        "/api/v1/training/plans",
        "office",
        json={**plan, "starts": "2026-11-01", "ends": "2026-11-20"},
    )
    world.call("POST", f"/api/v1/training/plans/{ended['id']}/approval", "gm")
    running = world.call(
        "POST",
        "/api/v1/training/plans",
        "office",
        json={**plan, "starts": "2026-11-21", "ends": "2026-12-31"},
    )
    world.call("POST", f"/api/v1/training/plans/{running['id']}/approval", "gm")
    draft = world.call(
        "POST",
        "/api/v1/training/plans",
        "office",
        json={**plan, "title": "2027 draft", "starts": "2027-01-01", "ends": "2027-12-31"},
    )
    objects["plan:draft"], objects["plan:ended"] = draft["id"], ended["id"]
    world.call(
        "POST",
        "/api/v1/training/sessions/weekly-2026-11-06/attendance",
        "trainer",
        json={"account_id": ids["col.a1"], "status": "present"},
    )
    objects["session:next"] = "weekly-2026-12-04"
    leave = world.call("POST", "/api/v1/training/sessions/weekly-2026-12-04/leave", "col.a1")
    objects["leave:col.a1"] = str(leave["id"])
    for score in (60, 70):
        result = world.call(
            "POST",
            f"/api/v1/exams/{HR_COURSE}/results",
            "trainer",
            json={"account_id": ids["intern.a"], "score": score},
        )
    objects["hr_case:intern.a"] = result["hr_case"]


def _collection(world: World) -> None:
    """A recorded line, a call script, a complaint case on a debtor of group A, a creditor
    whose contract runs and one whose contract has ended."""
    objects = world.objects
    line = world.call(
        "POST", "/api/v1/lines", "it", json={"number": "057186901001", "location": "杭州 一部"}
    )
    objects["line:registered"] = line["id"]
    script = world.call(
        "POST",
        "/api/v1/scripts",
        "trainer",
        json={"title": "首次提醒", "text": "您好，我是受工商银行委托的催收专员，请按时还款。"},
    )
    objects["script:reminder"] = script["id"]
    draft = {
        "name": "矩阵甲方",  # no debtor's client: its key seals nothing of the others
        "project_groups": ["pg-a1"],
        "contract_start": "2026-01-01",
        "contract_end": "2027-12-31",
        "purposes": ["scheduled_call"],
    }
    creditor = world.call("POST", "/api/v1/creditors", "gm", json=draft)
    objects["creditor:running"] = creditor["id"]
    ended = world.call("POST", "/api/v1/creditors", "gm", json={**draft, "name": "矩阵旧甲方"})
    world.call("POST", f"/api/v1/creditors/{ended['id']}/end", "gm", json={"name": "矩阵旧甲方"})
    objects["creditor:ended"] = ended["id"]
    s = world.agency.services
    objects["complaint:C-002"] = open_complaint(s, objects["debtor:C-002"], NOW)


def _reviews(world: World) -> None:
    """An access review of dept-a the general manager started: col.a1's item is head.a's."""
    started = world.call(
        "POST",
        "/api/v1/reviews/campaigns",
        "gm",
        json={
            "departments": ["dept-a"],
            "deadline": "2026-12-31T18:00:00+08:00",
            "at_deadline": "report",
        },
    )
    world.objects["campaign:review"] = started["id"]
    items = world.call("GET", "/api/v1/reviews/items", "head.a")["items"]
    mine = next(i for i in items if i["account_id"] == world.ids["col.a1"])
    world.objects["item:col.a1"] = mine["id"]


def _runs(world: World) -> None:
    """A dry run of the sweep IT started and a verification of the trail an auditor started,
    both from their pages, both finished."""
    for kind, who, path, form in (
        ("sweep", "it", "/departures/runs", {"kind": "sweep", "dry_run": "yes"}),
        ("verification", "auditor", "/audit/verify", {}),
    ):
        person = sign_in(world, who, who)
        browser = person.browser
        started = browser.post(
            path, base_url=HTTPS, headers=BROWSER, data={"csrf_token": person.csrf, **form}
        )
        assert started.status_code == 302, started.get_data(as_text=True)
        wait_for(browser, started.headers["Location"])
        world.objects[f"run:{kind}"] = started.headers["Location"].rsplit("/", 1)[1]


def wait_for_runs(world: World) -> None:
    """Until every run a page started (each in a thread of its own) has ended."""
    for _ in range(400):
        with world.agency.services.sessions() as db:
            if not db.scalars(select(Run).where(Run.finished_at.is_(None))).first():
                return
        time.sleep(0.05)
    raise AssertionError("a run the pages started did not end")
