"""Many departures at once (a closed office): the sweep revokes them in batches, one
transaction each, every account once with its event and its sessions ended; a failed account
is recorded and the rest of its batch revoked; two sweeps at once, or a row another
transaction holds, never revoke an account twice or leave it (R-ACC-4)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import Engine, select

from audit.store import events
from govern.accounts.models import Account
from govern.config import Settings
from govern.deprovision.service import SweepReport, revoke_due
from tests.support.agency import Agency, bearer
from tests.support.slapd import WRITER_DN, Slapd

LEAVING = ("col.a1", "col.a2", "col.b1", "intern.a", "clerk")


def leave(agency: Agency, directory: object, signed_in: tuple[str, ...] = ()) -> dict[str, str]:
    """Accounts for the five leavers and IT; then the directory says the five left on 20
    November. Returns the account ids, and a token for each of `signed_in` (as `token:who`),
    signed in before they left."""
    ids = agency.with_accounts(*LEAVING, "it")
    tokens = {f"token:{who}": agency.login(who) for who in signed_in}
    for who in LEAVING:
        directory.set(who, "governDepartureDate", "20261120000000Z")  # type: ignore[attr-defined]
    agency.sync(confirm=True)  # five gone at once is above the sync's guard
    return ids | tokens


def actions(engine: Engine, action: str) -> list[str]:
    with engine.connect() as connection:
        query = select(events.c.object).where(events.c.action == action)
        return sorted(connection.execute(query).scalars())


def departure_of(agency: Agency, number: str) -> dict:
    """The person's departure as IT sees it listed."""
    response = agency.client.get(
        "/api/v1/departures?from=2026-11-01&to=2026-11-30", headers=bearer(agency.login("it"))
    )
    listed = response.get_json()["departures"]
    return next(d for d in listed if d["employee_number"] == number)


def test_r_acc_4_a_sweep_revokes_in_batches_each_once_with_its_event_and_sessions(
    agency: Agency, directory: object
) -> None:
    ids = leave(agency, directory, signed_in=("col.a1", "clerk"))
    counts: list[int] = []
    s = agency.services
    with s.sessions() as db:
        report = revoke_due(db, s.context(), batch=2, progress=counts.append)
    leavers = sorted(ids[who] for who in LEAVING)
    assert (sorted(report.revoked), report.failed) == (leavers, {})
    assert counts == [2, 2, 1]  # told after each batch, the whole sweep in all
    assert actions(s.engine, "account.revoked") == leavers  # one event each
    for who in ("col.a1", "clerk"):
        token = ids[f"token:{who}"]
        assert (
            agency.client.get("/api/v1/sessions/current", headers=bearer(token)).status_code == 401
        )
    clerk = departure_of(agency, "1012")
    assert (clerk["state"], clerk["due_at"], clerk["revoked_at"], clerk["attempts"]) == (
        "revoked",
        "2026-11-20T10:00:00+00:00",
        "2026-11-28T02:00:00+00:00",
        1,
    )
    assert agency.account(ids["it"]).state == "active"
    with s.sessions() as db:
        assert revoke_due(db, s.context(), batch=2) == SweepReport()  # idempotent


class Refusal:
    """The database refusing any change of one account's row, as a real refusal would (a
    trigger, made and dropped by the schema's owner)."""

    def __init__(self, owner: Engine) -> None:
        self.owner, self.postgresql = owner, owner.dialect.name == "postgresql"

    def refuse(self, account_id: str) -> None:
        with self.owner.begin() as connection:
            if self.postgresql:
                connection.exec_driver_sql(
                    "CREATE FUNCTION test_refuse_account() RETURNS trigger LANGUAGE plpgsql "
                    "AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
                )
                connection.exec_driver_sql(
                    "CREATE TRIGGER test_refuse_account BEFORE UPDATE ON accounts FOR EACH ROW "
                    f"WHEN (NEW.id = '{account_id}') EXECUTE FUNCTION test_refuse_account()"
                )
            else:
                connection.exec_driver_sql(
                    "CREATE TRIGGER test_refuse_account BEFORE UPDATE ON accounts "
                    f"WHEN NEW.id = '{account_id}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )

    def allow(self) -> None:
        with self.owner.begin() as connection:
            if self.postgresql:
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS test_refuse_account ON accounts")
                connection.exec_driver_sql("DROP FUNCTION IF EXISTS test_refuse_account()")
            else:
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS test_refuse_account")


@pytest.fixture
def refusal(owner_engine: Engine) -> Iterator[Refusal]:
    refusal = Refusal(owner_engine)
    yield refusal
    refusal.allow()


def test_r_acc_4_a_failed_account_is_recorded_and_the_rest_of_its_batch_revoked(
    agency: Agency, directory: object, refusal: Refusal
) -> None:
    ids = leave(agency, directory)
    refusal.refuse(ids["col.a2"])
    s = agency.services
    with s.sessions() as db:
        report = revoke_due(db, s.context(), batch=10)
    others = sorted(ids[who] for who in LEAVING if who != "col.a2")
    assert sorted(report.revoked) == others
    assert list(report.failed) == [ids["col.a2"]]
    assert actions(s.engine, "account.revoked") == others
    shown = departure_of(agency, "1005")
    assert (shown["state"], shown["attempts"]) == ("failed", 1)
    assert shown["last_error"] == report.failed[ids["col.a2"]]
    refusal.allow()  # the database takes it again: the next sweep revokes it
    with s.sessions() as db:
        assert revoke_due(db, s.context(), batch=10).revoked == [ids["col.a2"]]
    shown = departure_of(agency, "1005")
    assert (shown["state"], shown["attempts"], shown["last_error"]) == ("revoked", 2, None)


def test_r_acc_4_a_sweep_locks_each_leavers_directory_entry_with_its_event(
    agency: Agency, another_app: Callable[[Settings], Flask], directory: object, slapd: Slapd
) -> None:
    ids = leave(agency, directory)
    writer = replace(
        agency.services.settings,
        ldap_writer_dn=WRITER_DN,
        ldap_writer_password=slapd.writer_password,
    )
    s = another_app(writer).extensions["govern"]
    with s.sessions() as db:
        revoke_due(db, s.context(), directory=s.directory, batch=3)
    leavers = sorted(ids[who] for who in LEAVING)
    assert actions(s.engine, "directory.entry_locked") == leavers
    for who in LEAVING:
        assert s.directory.authenticate(who, f"{who}-secret") is None
    assert s.directory.authenticate("it", "it-secret") == "1008"  # nobody else's
    assert departure_of(agency, "1004")["last_error"] is None


@pytest.mark.postgresql_only
def test_r_acc_4_two_sweeps_at_once_skip_what_the_other_holds_and_revoke_each_once(
    agency: Agency, directory: object, owner_engine: Engine
) -> None:
    """Two sweeps start together while a third transaction holds one leaver's row: each
    account is revoked by one of them, and the held one once its holder lets go."""
    ids = leave(agency, directory)
    s = agency.services
    reports: list[SweepReport] = []
    together = threading.Barrier(2)

    def sweep() -> None:
        with s.sessions() as db:
            together.wait()
            reports.append(revoke_due(db, s.context(), batch=1))

    with owner_engine.connect() as holder:
        holder.execute(select(Account).where(Account.id == ids["clerk"]).with_for_update())
        sweeps = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in sweeps:
            thread.start()
        others = [ids[who] for who in LEAVING if who != "clerk"]
        assert eventually(lambda: all(agency.account(i).state == "revoked" for i in others))
        assert agency.account(ids["clerk"]).state == "active"  # held: not revoked past it
        holder.rollback()
    for thread in sweeps:
        thread.join(timeout=30)
    revoked = sorted(account for report in reports for account in report.revoked)
    assert revoked == sorted(ids[who] for who in LEAVING)  # each once, by one of the two
    assert actions(s.engine, "account.revoked") == revoked


def eventually(check: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()
