"""APScheduler, its jobs kept in the database: a catch-up sweep at start, a job at each
departure instant, a watch every GOVERN_DEPARTURE_WATCH_SECONDS (a minute: dates that came from
the directory or another instance; it also closes lapsed exceptions to separation of duties)
and a daily sweep that also suspends unused accounts.

APScheduler keeps time by the host's wall clock and sleeps between jobs on a timer that the
wall clock does not move (Python's monotonic wait). When the host's clock is stepped forward
past a departure instant, the scheduler wakes at its next planned wake-up, at the latest the
watch's, finds the instant's job overdue and runs it once (`misfire_grace_time` None,
`coalesce`); the watch, which decides by Govern's clock like every job, revokes it then even
if that job is missing. A departure never waits longer than the watch's interval after a step.

One process per database runs it: the one holding the leader lock (a PostgreSQL advisory lock
on a connection it keeps; SQLite serves one process). Others try again every minute. Even so,
every job runs `revoke_due`, whose row locks make each revocation happen once, and which
records its own failures: a job that raised would be deleted, not retried.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from govern import signals
from govern.deprovision import repository
from govern.deprovision.reconcile import reconcile
from govern.deprovision.service import revoke_due, suspend_inactive
from govern.directory.departure import departure_instant
from govern.directory.separation import lapse_exceptions

log = logging.getLogger(__name__)

SWEEP, WATCH, CATCH_UP = "departures-sweep", "departures-watch", "departures-catch-up"
LEADER_LOCK = 0x474F5645524E02  # the deprovisioning scheduler's advisory lock
RETRY_SECONDS = 60.0
#: Where a process waiting to lead is told to stop waiting (app.extensions).
WAITING = "govern.deprovision.waiting"
#: The daily sweep's hour, in company time.
SWEEP_HOUR = 2
#: Whether a session of this database holds the leader lock (a bigint lock shows as two
#: 32-bit halves; pg_locks lists every database's).
LEADER_HELD = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
)
LEADER_HALVES = {"high": LEADER_LOCK >> 32, "low": LEADER_LOCK & 0xFFFFFFFF}
#: Stored with every job: missed runs are run late (never dropped), once, one at a time.
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
#: This process's app. Jobs are pickled into the job store as a function's name, so the
#: function finds the app here, not in its arguments.
_running: dict[str, Flask] = {}


def start_deprovisioning(app: Flask, sweep_hour: int = SWEEP_HOUR) -> None:
    """Run the scheduler here if this process becomes the leader, else keep trying."""
    _running["app"] = app
    if not _lead(app):
        _start_waiting(app, sweep_hour)
        return
    _run_scheduler(app, sweep_hour)


def stop_deprovisioning(app: Flask, wait: bool = False) -> None:
    """Stop the scheduler (after its running job, with `wait`) and free the leader lock; a
    process waiting to lead stops waiting."""
    waiting: threading.Event | None = app.extensions.get(WAITING)
    if waiting is not None:
        waiting.set()
    scheduler = app.extensions.pop("govern.deprovision", None)
    if scheduler is not None:
        scheduler.shutdown(wait=wait)
    leader: Connection | None = app.extensions.pop("govern.deprovision.leader", None)
    if leader is None:
        return
    try:  # unlock: closing only hands the session back to the pool
        leader.execute(select(func.pg_advisory_unlock(LEADER_LOCK)))
        leader.commit()
    except SQLAlchemyError:  # the connection is gone (a restart, a failover): so is its lock
        log.warning("the scheduler's leader lock was lost with its connection")
    finally:
        leader.close()


def scheduler_state(app: Flask) -> str:
    """Where deprovisioning's scheduler runs, for the readiness check: "leading" (here),
    "stopped" (here, no longer running), "led elsewhere" (another process holds the leader
    lock), "no leader" (no process of this database runs it) or "unknown" (the database, which
    knows the leader, does not answer)."""
    scheduler = app.extensions.get("govern.deprovision")
    if scheduler is not None:
        return "leading" if scheduler.running else "stopped"
    engine = app.extensions["govern"].engine
    if engine.dialect.name != "postgresql":  # SQLite: one process, this one
        return "no leader"
    try:
        with engine.connect() as connection:
            held = connection.execute(LEADER_HELD, LEADER_HALVES).scalar()
    except SQLAlchemyError:  # the database's own check names it
        return "unknown"
    return "led elsewhere" if held else "no leader"


def _lead(app: Flask) -> bool:
    engine = app.extensions["govern"].engine
    if engine.dialect.name != "postgresql":
        return True
    connection = engine.connect()
    if connection.execute(select(func.pg_try_advisory_lock(LEADER_LOCK))).scalar():
        connection.commit()  # the lock is the session's; no transaction is kept open
        app.extensions["govern.deprovision.leader"] = connection
        return True
    connection.close()
    return False


def _start_waiting(app: Flask, sweep_hour: int) -> None:
    """Try to lead every RETRY_SECONDS, in a thread, until this process leads or stops
    deprovisioning (`stop_deprovisioning` sets the event)."""
    stopped = app.extensions[WAITING] = threading.Event()
    waiter = threading.Thread(target=_wait_to_lead, args=(app, sweep_hour, stopped), daemon=True)
    waiter.start()


def _wait_to_lead(app: Flask, sweep_hour: int, stopped: threading.Event) -> None:
    while not stopped.wait(RETRY_SECONDS):
        if _lead(app):
            _run_scheduler(app, sweep_hour)
            return


def _run_scheduler(app: Flask, sweep_hour: int) -> BackgroundScheduler:
    services = app.extensions["govern"]
    scheduler = BackgroundScheduler(
        timezone="UTC",
        jobstores={"default": SQLAlchemyJobStore(engine=services.engine)},
        job_defaults=JOB_DEFAULTS,
    )
    now = services.clock.now()
    scheduler.add_job(run_sweep, "date", run_date=now, id=CATCH_UP, replace_existing=True)
    watch_every = services.settings.departure_watch_seconds
    scheduler.add_job(run_watch, "interval", seconds=watch_every, id=WATCH, replace_existing=True)
    scheduler.add_job(
        run_daily,
        "cron",
        hour=sweep_hour,
        timezone=services.settings.timezone,
        id=SWEEP,
        replace_existing=True,
    )
    app.extensions["govern.deprovision"] = scheduler
    scheduler.start()
    replan(app)
    return scheduler


def replan(app: Flask) -> None:
    """Give each future departure its job (stable id, moved with its date); drop the jobs of
    departures no longer ahead. Only where the scheduler runs; never fails its caller."""
    scheduler = app.extensions.get("govern.deprovision")
    if scheduler is None:
        return
    try:
        wanted = upcoming_departures(app)
        for job in scheduler.get_jobs():
            if job.id.startswith("departure-") and job.id not in wanted:
                job.remove()
        for job_id, instant in wanted.items():
            scheduler.add_job(run_sweep, "date", run_date=instant, id=job_id, replace_existing=True)
    except Exception:  # the watch job plans again at its next run
        log.exception("planning departure jobs failed; the watch retries")


def upcoming_departures(app: Flask) -> dict[str, datetime]:
    services = app.extensions["govern"]
    settings, now = services.settings, services.clock.now()
    with services.sessions() as db:
        people = repository.people_with_live_accounts(db)
    ahead = {}
    for person in people:
        if person.leaving_on is not None:
            instant = departure_instant(person.leaving_on, settings.revoke_at, settings.timezone)
            if instant > now:
                ahead[f"departure-{person.employee_number}"] = instant
    return ahead


def run_sweep() -> None:
    """Revoke whatever is due (the job at each instant, and the catch-up)."""
    _safely("sweep", lambda app: _revoke(app))


def run_watch() -> None:
    """Every GOVERN_DEPARTURE_WATCH_SECONDS: check this process still leads, revoke what is due
    (by Govern's clock, so also what a step of the host's clock made due), plan jobs for dates
    that arrived from elsewhere."""
    _safely("watch", watch)


def watch(app: Flask) -> None:
    """The watch job's work for `app`: stand down if the leader lock is lost to another
    process, else revoke what is due, close the exceptions to separation of duties past their
    end date (their roles withheld at once, no sync needed) and plan jobs again."""
    if _still_leading(app):
        _revoke(app)
        _lapse_exceptions(app)
        replan(app)


def run_daily() -> None:
    """The daily safety sweep (see `daily`)."""
    _safely("daily", daily)


def daily(app: Flask) -> None:
    """The daily job's work for `app`: revoke what is due, reconcile the accounts with the
    directory (held by its guard, as `govern deprovision reconcile` is without --confirm),
    suspend unused accounts, plan again."""
    _revoke(app)
    _reconcile(app)
    _suspend_unused(app)
    replan(app)


def _reconcile(app: Flask) -> None:
    s = app.extensions["govern"]
    with s.sessions() as db:
        report = reconcile(db, s.directory, s.context())
    if report.outcome == "held":
        log.warning(
            "reconciliation held by the guard, nothing revoked (gone from the directory: %d); "
            "check the directory, then govern deprovision reconcile --confirm",
            len(report.gone),
        )
    elif report.gone:
        gone = len(report.gone)
        log.info("reconciliation revoked the accounts gone from the directory: %d", gone)


def _still_leading(app: Flask) -> bool:
    """Whether the leader lock's connection still holds it. A connection the database dropped
    (a restart, a failover) took the lock with it: take it again, or stop this scheduler and
    wait to lead, so that two never run at once."""
    leader: Connection | None = app.extensions.get("govern.deprovision.leader")
    if leader is None:  # SQLite: one process, no lock
        return True
    try:
        leader.execute(select(1)).scalar()
        leader.commit()
        return True
    except SQLAlchemyError:
        app.extensions.pop("govern.deprovision.leader").invalidate()
    log.warning("the scheduler's leader lock was lost with its connection; taking it again")
    if _lead(app):
        return True
    scheduler = app.extensions.pop("govern.deprovision", None)
    if scheduler is not None:
        scheduler.shutdown(wait=False)  # from its own job: the job under way is this one
    log.warning("another process leads the scheduler now; this one waits to lead again")
    _start_waiting(app, SWEEP_HOUR)
    return False


def _revoke(app: Flask) -> None:
    s = app.extensions["govern"]
    with s.sessions() as db:
        report = revoke_due(db, s.context(), directory=s.directory)
    if report.revoked or report.failed:
        log.info("departures: %d revoked, %d failed", len(report.revoked), len(report.failed))


def _lapse_exceptions(app: Flask) -> None:
    s = app.extensions["govern"]
    with s.sessions() as db:
        lapse_exceptions(db, s.context())


def _suspend_unused(app: Flask) -> None:
    s = app.extensions["govern"]
    with s.sessions() as db:
        idle = suspend_inactive(db, s.context())
    if idle:
        log.info("%d accounts unused for %d days suspended", len(idle), s.settings.inactive_days)


def _safely(kind: str, job: object) -> None:
    """A job body: failures are logged (and counted by the job's `kind`) and left to the next
    run, never raised."""
    app = _running.get("app")
    if app is None:
        log.error("departure job ran before start_deprovisioning; the next run retries")
        return
    try:
        job(app)  # type: ignore[operator]
    except Exception:
        signals.job_failed.send(kind)
        log.exception("departure job failed; the next run retries")
