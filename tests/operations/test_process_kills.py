"""`govern worker` killed outright (`kill -9`: no drain, no last checkpoint) in the middle of
a mass departure sweep, on PostgreSQL: the batches committed stand, the batch under way is
rolled back whole, and the next start's catch-up completes the sweep: each account revoked
once, with one event, its sessions ended (R-ACC-4, R-ACC-6). A web process killed in the
middle of a burst of views: tests/operations/test_two_instances.py.
"""

from __future__ import annotations

import signal
import time
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select

from audit.store import events
from benchmarks.staff import add_departed_staff
from govern.accounts.models import Account
from govern.config import Settings
from govern.deprovision.models import Departure
from govern.sessions.models import LoginSession
from tests.support.locks import holding_the_trail, until_waiting
from tests.support.processes import environ, stop, work

pytestmark = pytest.mark.postgresql_only

#: Due departures in the mass sweep: six of the sweep's batches (BATCH, 500).
DUE = 3000


def sequence(engine: Engine) -> tuple[int, int, int]:
    """(how many events, the first number, the last)."""
    with engine.connect() as connection:
        return connection.execute(
            select(func.count(), func.min(events.c.seq), func.max(events.c.seq))
        ).one()


def populate(engine: Engine, count: int) -> list[str]:
    """`count` staff with accounts whose departure passed on 20 November, each signed in
    (one API session); returns their account ids, in the order the sweep takes them."""
    return add_departed_staff(engine, count, first_number=70000, departure=date(2026, 11, 20))


def revoked_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(Account).where(Account.state == "revoked")
        ).scalar()


def until_revoked(engine: Engine, count: int, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while revoked_count(engine) < count:
        assert time.monotonic() < deadline, f"{revoked_count(engine)} of {count} revoked"
        time.sleep(0.05)


def test_r_acc_4_kill_9_of_the_worker_during_a_mass_sweep_and_the_next_start_completes_it(
    app: Flask, settings: Settings, owner_engine: Engine, tmp_path: Path
) -> None:
    """3,000 departures already due when the worker starts: its catch-up sweeps them in
    batches. The second half's rows are held by another transaction, so the sweep revokes the
    first half, then waits; once it has locked the first batch of the second half and revoked
    it in its transaction, the trail's lock holds it before that batch's events are numbered,
    and it is killed there. Restarted, it completes the sweep."""
    ids = populate(owner_engine, DUE)
    env = environ(settings, GOVERN_BACKGROUND_JOBS="worker")
    with owner_engine.connect() as holder:
        held = ids[DUE // 2 :]
        holder.execute(select(Account.id).where(Account.id.in_(held)).with_for_update()).all()
        worker = work(env, tmp_path / "worker.log")
        try:
            until_revoked(owner_engine, DUE // 2)  # the first pass, around the held rows
            until_waiting(owner_engine, "transactionid")  # the last pass, at the held rows
            with holding_the_trail(owner_engine):
                holder.rollback()  # the held rows are the sweep's now
                until_waiting(owner_engine, "advisory")  # a batch revoked, its events waiting
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
        finally:
            stop(worker)
    assert revoked_count(owner_engine) == DUE // 2  # the batch under way rolled back whole
    with owner_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(LoginSession)).scalar() == len(
            held
        )

    restarted = work(env, tmp_path / "restarted.log")
    try:
        until_revoked(owner_engine, DUE)
    finally:
        assert stop(restarted) == [0]

    with owner_engine.connect() as connection:
        revocations = connection.execute(
            select(events.c.object, func.count())
            .where(events.c.action == "account.revoked")
            .group_by(events.c.object)
        ).all()
        assert sorted(account for account, _ in revocations) == ids
        assert {times for _, times in revocations} == {1}  # each once
        assert connection.execute(select(func.count()).select_from(LoginSession)).scalar() == 0
        departures = connection.execute(
            select(Departure.state, Departure.attempts, func.count()).group_by(
                Departure.state, Departure.attempts
            )
        ).all()
        assert departures == [("revoked", 1, DUE)]  # the killed attempt left no trace
    count, first, last = sequence(owner_engine)
    assert (first, last) == (1, count)
    assert app.extensions["govern"].trail.verify().ok
