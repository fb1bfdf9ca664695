"""The background jobs, and where they run (GOVERN_BACKGROUND_JOBS).

The jobs: the audit trail's checkpoints (after anchoring whatever a crash left unanchored),
the periodic directory sync, the access reviews' reminders and deadlines, creditors' contracts
ending and deprovisioning (its scheduler, led by one process per database). With `web` they
start in every served process, as the demo's one process needs; with `worker` they run in
`govern worker` alone and served processes only answer requests, each with its own audit
committer for its reads.

Both stop the same way on SIGTERM: the job running finishes, the audit events handed in are
made durable, a last checkpoint anchors them, the leader lock is freed.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from govern.creditors.contract_ends import start_contract_ends
from govern.deprovision.scheduler import start_deprovisioning, stop_deprovisioning
from govern.directory.periodic_sync import start_periodic_sync
from govern.reviews.scheduler import start_reviews

log = logging.getLogger(__name__)
JOBS = "govern.jobs"


@dataclass(frozen=True)
class Jobs:
    """The background jobs started in this process."""

    sync: BackgroundScheduler | None
    reviews: BackgroundScheduler | None = None
    contracts: BackgroundScheduler | None = None  # creditors' contracts ending (issue 18)


def start_served(app: Flask) -> None:
    """What a served process (govern.wsgi) starts: every job with GOVERN_BACKGROUND_JOBS=web,
    none with `worker` (its committer then signs no checkpoint)."""
    if app.extensions["govern"].settings.background_jobs == "web":
        start_jobs(app)
    else:
        app.extensions["govern"].trail.serve_requests()


def start_jobs(app: Flask) -> None:
    """Start the trail's committer and checkpoints, the periodic sync, the access reviews'
    reminders and deadlines, creditors' contracts ending, and deprovisioning."""
    app.extensions["govern"].trail.start()
    app.extensions[JOBS] = Jobs(
        start_periodic_sync(app), start_reviews(app), start_contract_ends(app)
    )
    start_deprovisioning(app)


def stop(app: Flask) -> None:
    """Stop what this process runs: jobs finish the run under way, the committer makes durable
    every event handed to it, a last checkpoint anchors them. Safe to call twice."""
    jobs: Jobs | None = app.extensions.pop(JOBS, None)
    trail = app.extensions["govern"].trail
    try:
        if jobs is not None:
            for scheduler in (jobs.sync, jobs.reviews, jobs.contracts):
                if scheduler is not None:
                    scheduler.shutdown(wait=True)
            stop_deprovisioning(app, wait=True)
    finally:  # whatever a job's stop met, every event handed over is made durable and signed
        trail.stop()
        if jobs is not None:
            trail.checkpoint_now()


def run_worker(app: Flask) -> None:
    """`govern worker`: run the background jobs until SIGTERM or SIGINT, then stop cleanly."""
    asked = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, frame: asked.set())
    if app.extensions["govern"].settings.background_jobs == "web":
        log.warning("GOVERN_BACKGROUND_JOBS is web: the served processes run these jobs too")
    start_jobs(app)
    log.info("worker started: checkpoints, directory sync, deprovisioning and reconciliation")
    asked.wait()
    log.info("worker stopping: finishing the jobs under way")
    stop(app)
    log.info("worker stopped")
