"""APScheduler, kept in the database: a date job at each departure instant, a daily safety
sweep, and a catch-up sweep at start-up. Every job runs `revoke_due`, which records its own
failures (a job that raised would be deleted, not retried) and whose row locks make two
instances revoke each account once (the scheduler alone ran jobs twice in trials).
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import select

from govern.accounts.models import REVOKED, Account
from govern.deprovision.service import revoke_due, suspend_inactive
from govern.directory.departure import departure_instant
from govern.directory.models import Identity

log = logging.getLogger(__name__)

SWEEP = "departures-sweep"
#: Stored with every job: missed runs are run late (never dropped), once, one at a time.
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
_running: dict[str, Flask] = {}  # this process's app, for jobs (their arguments are pickled)


def start_deprovisioning(app: Flask, sweep_hour: int = 2) -> BackgroundScheduler:
    """Catch up on departures missed while down, then schedule each one and the daily sweep."""
    services = app.extensions["govern"]
    _running["app"] = app
    scheduler = BackgroundScheduler(
        timezone="UTC",
        jobstores={"default": SQLAlchemyJobStore(engine=services.engine)},
        job_defaults=JOB_DEFAULTS,
    )
    scheduler.start(paused=True)  # nothing runs while we catch up and plan
    run_sweep()
    scheduler.add_job(
        run_sweep,
        "cron",
        hour=sweep_hour,
        timezone=services.settings.timezone,
        id=SWEEP,
        replace_existing=True,
        **JOB_DEFAULTS,
    )
    plan_departures(app, scheduler)
    app.extensions["govern.deprovision"] = scheduler
    scheduler.resume()
    return scheduler


def plan_departures(app: Flask, scheduler: BackgroundScheduler) -> None:
    """One date job per future departure instant (stable id, replaced when the date moves);
    jobs of departures no longer ahead are removed."""
    wanted = upcoming_departures(app)
    for job in scheduler.get_jobs():
        if job.id.startswith("departure-") and job.id not in wanted:
            job.remove()
    for job_id, instant in wanted.items():
        scheduler.add_job(
            run_sweep, "date", run_date=instant, id=job_id, replace_existing=True, **JOB_DEFAULTS
        )


def upcoming_departures(app: Flask) -> dict[str, datetime]:
    services = app.extensions["govern"]
    settings, now = services.settings, services.clock.now()
    with services.sessions() as db:
        rows = db.execute(
            select(Account.employee_number, Identity)
            .join(Identity, Identity.employee_number == Account.employee_number)
            .where(Account.state != REVOKED)
        ).all()
    ahead = {}
    for employee_number, person in rows:
        if person.leaving_on is not None:
            instant = departure_instant(person.leaving_on, settings.revoke_at, settings.timezone)
            if instant > now:
                ahead[f"departure-{employee_number}"] = instant
    return ahead


def replan(app: Flask) -> None:
    """After a departure date changed in this process: move its job."""
    scheduler = app.extensions.get("govern.deprovision")
    if scheduler is not None:
        plan_departures(app, scheduler)


def run_sweep() -> None:
    """The job body: revoke whatever is due; failures are recorded, never raised."""
    app = _running.get("app")
    if app is None:
        log.error("departure job ran before start_deprovisioning; the next sweep retries")
        return
    services = app.extensions["govern"]
    try:
        with services.sessions() as db:
            report = revoke_due(
                db, services.clock, services.settings, services.trail, directory=services.directory
            )
            idle = suspend_inactive(db, services.clock, services.settings, services.trail)
        if report.revoked or report.failed or idle:
            log.info(
                "departures: %d revoked, %d failed; %d unused accounts suspended",
                len(report.revoked),
                len(report.failed),
                len(idle),
            )
    except Exception:  # the scheduler would drop a job that raised
        log.exception("departure sweep failed; the next sweep retries")
