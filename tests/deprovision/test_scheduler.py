"""The scheduler, kept in the database: catch-up at start-up, a job per departure instant that
moves with the date, the real scheduler on system time, and two processes revoking once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import create_engine, func, select

from audit.store import events
from govern.accounts.cli import CONSOLE
from govern.actor import Actor
from govern.app import create_app
from govern.clock import SystemClock
from govern.config import Settings
from govern.deprovision.scheduler import (
    daily,
    replan,
    scheduler_state,
    start_deprovisioning,
    stop_deprovisioning,
    watch,
)
from govern.deprovision.service import set_departure
from govern.directory.sync import sync_directory
from tests.support.agency import Agency, bearer
from tests.support.processes import environment

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def started() -> Iterator[list[Flask]]:
    """Apps whose deprovisioning this test starts; stopped (and their leader lock freed) after."""
    apps: list[Flask] = []
    yield apps
    for app in apps:
        stop_deprovisioning(app)


def start(app: Flask, started: list[Flask]) -> BackgroundScheduler:
    start_deprovisioning(app)
    started.append(app)
    return app.extensions["govern.deprovision"]


def eventually(check: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_r_acc_4_a_departure_that_passed_while_stopped_is_revoked_at_start_up(
    agency: Agency, directory: object, started: list[Flask]
) -> None:
    ids = agency.with_accounts("col.a1")
    directory.set("col.a1", "governDepartureDate", "20261127000000Z")  # type: ignore[attr-defined]
    agency.sync(confirm=True)  # the directory says yesterday; nothing ran since
    assert agency.account(ids["col.a1"]).state == "active"
    start(agency.app, started)  # the catch-up runs first thing, in the scheduler's thread
    assert eventually(lambda: agency.account(ids["col.a1"]).state == "revoked")


def test_r_acc_4_each_departure_has_a_job_that_moves_with_the_date(
    agency: Agency, started: list[Flask]
) -> None:
    agency.with_accounts("col.a1", "it")
    scheduler = start(agency.app, started)
    token = agency.login("it")
    agency.client.put(
        "/api/v1/staff/1004/departure", json={"date": "2026-12-31"}, headers=bearer(token)
    )
    job = scheduler.get_job("departure-1004")
    assert job.next_run_time == datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
    assert job.misfire_grace_time is None and job.coalesce and job.max_instances == 1
    agency.client.put(
        "/api/v1/staff/1004/departure", json={"date": "2026-12-15"}, headers=bearer(token)
    )
    assert scheduler.get_job("departure-1004").next_run_time == datetime(
        2026, 12, 15, 10, 0, tzinfo=UTC
    )
    agency.client.delete("/api/v1/staff/1004/departure", headers=bearer(token))
    assert scheduler.get_job("departure-1004") is None


def test_r_acc_6_the_real_scheduler_revokes_a_few_seconds_ahead_on_system_time(
    agency: Agency, settings: Settings, started: list[Flask]
) -> None:
    """APScheduler's own timing cannot be injected: this one runs on the clock on the wall."""
    ids = agency.with_accounts("col.a1")
    soon = datetime.now(settings.timezone) + timedelta(seconds=3)
    live = create_app(
        replace(settings, revoke_at=soon.time().replace(microsecond=0)), clock=SystemClock()
    )
    try:
        s = live.extensions["govern"]
        with s.sessions() as db:
            set_departure(db, s.context(), Actor(CONSOLE, "operator:test"), "1004", soon.date())
        start(live, started)
        time.sleep(0.5)  # the catch-up has run: nothing was due yet
        assert agency.account(ids["col.a1"]).state == "active"
        assert eventually(lambda: agency.account(ids["col.a1"]).state == "revoked")
    finally:
        live.extensions["govern"].engine.dispose()


@pytest.mark.postgresql_only
def test_r_acc_4_two_processes_sweeping_at_once_revoke_each_account_once(
    agency: Agency, settings: Settings, directory: object
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2", "col.b1")
    for who in ("col.a1", "col.a2", "col.b1"):
        directory.set(who, "governDepartureDate", "20261120000000Z")  # type: ignore[attr-defined]
    s = agency.services
    with s.sessions() as db:  # three of sixteen gone is above the guard: confirmed
        sync_directory(db, s.directory, s.context(), confirm=True)
    together = str(time.time() + 3)  # both sweep at this instant, after starting up
    env = {
        **os.environ,
        **environment(settings),
        "PYTHONPATH": str(REPO),
        "GOVERN_TEST_SWEEP_AT": together,
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.sweep"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    revoked = sum(int(run.communicate(timeout=60)[0].split()[-1]) for run in runs)
    assert revoked == 3
    with s.engine.connect() as connection:
        actions = (
            connection.execute(select(events.c.object).where(events.c.action == "account.revoked"))
            .scalars()
            .all()
        )
    assert sorted(actions) == sorted(ids[who] for who in ("col.a1", "col.a2", "col.b1"))


@pytest.mark.postgresql_only
def test_one_process_leads_the_scheduler_the_others_wait(
    agency: Agency, another_app: Callable[[Settings], Flask], started: list[Flask]
) -> None:
    start(agency.app, started)
    second = another_app(agency.services.settings)
    start_deprovisioning(second)
    started.append(second)
    assert "govern.deprovision" not in second.extensions  # it will try again every minute


def test_r_acc_4_a_date_from_the_directory_gets_its_job_at_the_next_watch(
    agency: Agency, directory: object, started: list[Flask]
) -> None:
    agency.with_accounts("col.a1")
    scheduler = start(agency.app, started)
    directory.set("col.a1", "governDepartureDate", "20261231000000Z")  # type: ignore[attr-defined]
    agency.sync()
    replan(agency.app)  # what the minute's watch job does
    assert scheduler.get_job("departure-1004").next_run_time == datetime(
        2026, 12, 31, 10, 0, tzinfo=UTC
    )


def terminate(app: Flask) -> None:
    """The database drops the leader's connection, as a restart or a failover does."""
    leader = app.extensions["govern.deprovision.leader"]
    pid = leader.execute(select(func.pg_backend_pid())).scalar()
    leader.commit()
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    with admin.connect() as connection:
        connection.execute(select(func.pg_terminate_backend(pid)))
    admin.dispose()


@pytest.mark.postgresql_only
def test_a_leader_whose_connection_was_dropped_leads_again_or_stands_down(
    agency: Agency, another_app: Callable[[Settings], Flask], started: list[Flask]
) -> None:
    first = start(agency.app, started)
    terminate(agency.app)
    watch(agency.app)  # the minute's watch: the lock went with the connection; taken again
    assert first.running and scheduler_state(agency.app) == "leading"

    terminate(agency.app)
    second = another_app(agency.services.settings)
    start_deprovisioning(second)  # the lock is free: the second process takes it
    started.append(second)
    watch(agency.app)
    assert "govern.deprovision" not in agency.app.extensions  # the first stood down
    assert scheduler_state(second) == "leading"
    stop_deprovisioning(agency.app, wait=True)  # no lock to free: no error


def test_r_acc_4_the_daily_job_reconciles_with_the_directory_behind_its_guard(
    agency: Agency, directory: object, caplog: pytest.LogCaptureFixture
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2")
    directory.remove("col.a1")  # type: ignore[attr-defined]
    with caplog.at_level("WARNING", logger="govern.deprovision.scheduler"):
        daily(agency.app)  # 1 of 4 accounts would go: more than the guard lets a run do alone
    assert "reconciliation held by the guard, nothing revoked (gone from the directory: 1)" in (
        caplog.text
    )
    assert agency.account(ids["col.a1"]).state == "active"


def test_the_watch_runs_every_govern_departure_watch_seconds_a_minute_unless_set(
    agency: Agency, started: list[Flask]
) -> None:
    """How soon a departure is revoked after the host's clock is stepped past its instant
    (docs/operations.md): the watch's interval, a minute unless set, never zero."""
    from govern.config import load_settings
    from govern.deprovision.scheduler import WATCH
    from tests.test_config import MINIMAL, refusal

    name = "GOVERN_DEPARTURE_WATCH_SECONDS"
    assert load_settings(MINIMAL).departure_watch_seconds == 60
    assert load_settings(MINIMAL | {name: "5"}).departure_watch_seconds == 5
    for wrong in ("0", "-1", "3601", "soon"):
        assert name in refusal(MINIMAL | {name: wrong})
    scheduler = start(agency.app, started)
    assert scheduler.get_job(WATCH).trigger.interval == timedelta(seconds=60)
