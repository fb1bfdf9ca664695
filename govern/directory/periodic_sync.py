"""The periodic directory sync (GOVERN_SYNC_INTERVAL_MINUTES; 0 turns it off).

Every run goes through the same guard as the command: a held run changes nothing and is
logged for an operator to confirm with `govern directory sync --confirm`.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from govern import signals
from govern.directory.sync import sync_directory
from govern.errors import GovernError
from govern.interval import start_every

log = logging.getLogger(__name__)
JOB = "directory-sync"


def start_periodic_sync(app: Flask) -> BackgroundScheduler | None:
    minutes = app.extensions["govern"].settings.sync_interval_minutes
    if not minutes:
        return None
    return start_every(app, minutes, JOB, run_sync)


def run_sync(app: Flask) -> None:
    """One scheduled sync; it records and logs failures instead of raising into the scheduler."""
    services = app.extensions["govern"]
    with services.sessions() as db:
        try:
            report = sync_directory(db, services.directory, services.context())
        except GovernError as error:
            signals.job_failed.send(JOB)
            log.error("directory sync failed: %s (%s)", error.message, error.code)
            return
        except Exception:  # the next run tries again; the scheduler must keep the job
            signals.job_failed.send(JOB)
            log.exception("directory sync failed")
            return
    if report.outcome == "held":
        log.warning("directory sync %s held: %s", report.run, report.guard.explain())
    else:
        log.info(
            "directory sync %s: %d added, %d changed, %d gone",
            report.run,
            len(report.added),
            len(report.changed),
            len(report.gone),
        )
