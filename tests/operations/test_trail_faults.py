"""The audit trail unwritable, three ways, on PostgreSQL: its lock held by someone else, the
service role's INSERT on it revoked, the database's disk full. Every read and every change
fails closed: 503 (`audit.unavailable`, or `database.unavailable` where the change's own row
could not be written first), nothing served, nothing changed, no event written; once the trail
takes events again, the same requests are served, and the trail verifies (R-AUD-1).

The trail's table renamed away is proven route by route elsewhere (tests/debtors/test_view.py,
tests/notes/test_notes.py, tests/auditing/test_events.py, tests/sessions/test_faults.py, which
also holds sign-in and sign-out while the trail fails, and a state change under the trail's lock).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from audit.store import APPEND_LOCK
from govern.auditing.trail import AuditNotWritten
from govern.clock import FixedClock
from govern.config import Settings
from govern.models import Base
from tests.support.agency import bearer
from tests.support.debtors import CASES
from tests.support.floor import Floor
from tests.support.notes import TEXT
from tests.support.pages import HTTPS, page_session
from tests.support.postgres import (
    Cluster,
    fill,
    floor_on,
    private_database,
    skip_unless_possible,
    small_disk_reason,
)

pytestmark = pytest.mark.postgresql_only
EVENTS = "/api/v1/audit/events?from=2025-01-01T00:00:00Z&to=2030-01-01T00:00:00Z"


@dataclass(frozen=True)
class Ask:
    """One request of the table: who asks, how, and the answer it gets when all is well."""

    name: str
    who: str
    method: str
    path: str  # {debtor}: the debtor C-001; {account}: col.a2's account
    body: dict[str, Any] | None = None
    page: bool = False  # the console in a browser: the page cookie, an HTML answer
    served: int = 200


READS = [
    Ask("a debtor", "col.a1", "GET", "/api/v1/debtors/{debtor}"),
    Ask("the caseload", "col.a1", "GET", "/api/v1/debtors?assigned=me"),
    Ask(
        "a reveal",
        "col.a1",
        "POST",
        "/api/v1/debtors/{debtor}/reveal",
        {"fields": ["phones"], "purpose": "scheduled_call"},
    ),
    Ask("a search", "col.a1", "POST", "/api/v1/debtors/search", {"phone": CASES[0].phone}),
    Ask("the notes", "col.a1", "GET", "/api/v1/debtors/{debtor}/notes"),
    Ask("the trail", "auditor", "GET", EVENTS),
    Ask("a debtor's page", "col.a1", "GET", "/debtors/{debtor}", page=True),
]
CHANGES = [
    Ask("an account", "gm", "POST", "/api/v1/accounts", {"employee_number": "1012"}, served=201),
    Ask(
        "a suspension",
        "it",
        "POST",
        "/api/v1/accounts/{account}/suspension",
        {"kind": "security", "reason": "suspected data leak"},
    ),
    Ask("a departure", "it", "PUT", "/api/v1/staff/1006/departure", {"date": "2026-12-31"}),
    Ask(
        "a note",
        "col.a1",
        "POST",
        "/api/v1/debtors/{debtor}/notes",
        {
            "party": "debtor",
            "direction": "none",
            "outcome": "none",
            "purpose": "remind_due",
            "text": TEXT,
        },
        served=201,
    ),
]


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer in time
    text: str
    code: str | None  # the error's code, for an API error or an error page


class Desk:
    """The floor's people signed in before the fault (signing in writes the trail too), and
    every request of the table asked at once, each from a client of its own."""

    def __init__(self, floor: Floor) -> None:
        self.floor = floor
        self.tokens = {who: floor.agency.login(who) for who in {a.who for a in READS + CHANGES}}
        page_session(floor.agency, "col.a1")  # the page's table entry is asked through it
        warm = self.ask_all(READS)  # all is well: every read served (the policy loaded once)
        assert {n: a.status for n, a in warm.items()} == {a.name: a.served for a in READS}
        shown = json.loads(warm["a debtor"].text)["fields"].values()
        #: Every value of the debtor C-001, as imported and as shown (masked): none may leave.
        self.values = {str(v) for v in shown if v and len(str(v)) > 3} | {
            v for v in CASES[0].row().values() if len(v) > 3 and v != CASES[0].project_group
        }

    def ask_all(self, asks: list[Ask], seconds: float = 60) -> dict[str, Answer]:
        answers: dict[str, Answer] = {}
        threads = [
            threading.Thread(target=lambda a=a: answers.update({a.name: self.ask(a)})) for a in asks
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds)
        return {a.name: answers.get(a.name, Answer(None, "", None)) for a in asks}

    def ask(self, ask: Ask) -> Answer:
        path = ask.path.format(debtor=self.floor.debtors["C-001"], account=self.floor.ids["col.a2"])
        if ask.page:  # the client that signed in on the page keeps its cookie
            response = self.floor.agency.client.open(
                path, method=ask.method, base_url=HTTPS, headers={"Accept": "text/html"}
            )
        else:
            response = self.floor.agency.app.test_client().open(
                path, method=ask.method, json=ask.body, headers=bearer(self.tokens[ask.who])
            )
        text_ = response.get_data(as_text=True)
        return Answer(response.status_code, text_, _code(response.get_json(silent=True), text_))


def _code(body: Any, page: str) -> str | None:
    if isinstance(body, dict) and "error" in body:
        return body["error"]["code"]
    marker = 'data-code="'
    return page.split(marker, 1)[1].split('"', 1)[0] if marker in page else None


def rows(owner: Engine) -> dict[str, int]:
    """How many rows each table holds, the trail's included: what a change would add to."""
    tables = [t.name for t in Base.metadata.sorted_tables] + ["audit_events"]
    with owner.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(text(name))).scalar_one()
            for name in tables
        }


def assert_fails_closed(desk: Desk, owner: Engine, fault: AbstractContextManager) -> None:
    """Under `fault` every request of the table is answered 503 with no debtor value and no
    row written; once it is lifted, every one is served."""
    with fault:
        before = rows(owner)
        # The changes first, on their own: a change that waited on the fault past its bound,
        # holding the trail's lock meanwhile, shows here instead of hiding behind a read's
        # commit that took the lock first.
        answers = desk.ask_all(CHANGES) | desk.ask_all(READS)
        during = rows(owner)
    said = {name: (a.status, a.code) for name, a in answers.items()}
    assert {name: (a.status, a.code in CODES) for name, a in answers.items()} == {
        name: (503, True) for name in answers
    }, said
    assert not any(value in a.text for a in answers.values() for value in desk.values)
    assert during == before  # nothing changed, no event written
    served = desk.ask_all(READS + CHANGES)
    assert {n: a.status for n, a in served.items()} == {a.name: a.served for a in READS + CHANGES}
    trail = desk.floor.agency.services.trail
    trail.checkpoint_now()
    assert trail.verify().ok


CODES = ("audit.unavailable", "database.unavailable")


# --- the trail's lock held, its INSERT revoked: on the suite's database -----------------------


@contextmanager
def lock_held(owner: Engine, how: str) -> Iterator[None]:
    """Someone holds the trail's own lock (the advisory lock every append takes), or a lock
    on its table that keeps appends out (what a stuck maintenance would hold)."""
    with owner.connect() as holder:
        held = holder.begin()
        if how == "append lock":
            holder.execute(select(func.pg_advisory_xact_lock(APPEND_LOCK)))
        else:
            holder.execute(text("LOCK TABLE audit_events IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            held.rollback()


@contextmanager
def insert_revoked(owner: Engine, settings: Settings) -> Iterator[None]:
    """The service role may no longer INSERT into the trail (a botched grant)."""
    role = make_url(settings.database_url).username
    with owner.begin() as connection:
        connection.execute(text(f'REVOKE INSERT ON audit_events FROM "{role}"'))
    try:
        yield
    finally:
        with owner.begin() as connection:
            connection.execute(text(f'GRANT INSERT ON audit_events TO "{role}"'))


@pytest.mark.parametrize("how", ["append lock", "table lock"])
def test_r_aud_1_with_the_trails_lock_held_every_read_and_change_fails_closed(
    floor: Floor, owner_engine: Engine, how: str
) -> None:
    floor.agency.services.trail.lock_seconds = 0.5  # a change's wait and a read's (10 s)
    assert_fails_closed(Desk(floor), owner_engine, lock_held(owner_engine, how))


def test_r_aud_1_with_the_trails_insert_revoked_every_read_and_change_fails_closed(
    floor: Floor, owner_engine: Engine, settings: Settings
) -> None:
    desk = Desk(floor)
    assert_fails_closed(desk, owner_engine, insert_revoked(owner_engine, settings))


# --- the database's disk full: a private server, its database on a small disk ----------------


@contextmanager
def disk_full(disk: Path, floor: Floor) -> Iterator[None]:
    """The database's disk filled to the last byte, then events appended (the smallest the
    trail takes) until it refuses five in a row: the free room left in the trail's pages is
    used up too, as it would be by the time anyone noticed."""
    filler = fill(disk)
    try:
        saturate(floor)
        yield
    finally:
        filler.unlink()


def saturate(floor: Floor) -> None:
    services, refused = floor.agency.services, 0
    with services.sessions() as db:
        for _ in range(10_000):
            try:
                services.trail.record_now(db, "test.filling", None)
                refused = 0
            except AuditNotWritten:
                refused += 1
                if refused == 5:
                    return
    raise AssertionError("the trail never refused an event on a full disk")


def test_r_aud_1_with_the_databases_disk_full_every_read_and_change_fails_closed(
    cluster: Cluster, settings: Settings, clock: FixedClock
) -> None:
    """The disk of the database's tablespace (its tables and indexes) is full; its write-ahead
    log is on another disk, as it often is (a full WAL disk stops PostgreSQL itself: the
    database's outage, tests/operations/test_outages.py)."""
    skip_unless_possible(small_disk_reason())
    disk = cluster.small_disk(f"small_{len(cluster.mounts)}", 24)
    with (
        private_database(cluster, settings, tablespace=disk.name) as private,
        floor_on(private, clock) as floor,
    ):
        assert_fails_closed(Desk(floor), private.owner, disk_full(disk, floor))
