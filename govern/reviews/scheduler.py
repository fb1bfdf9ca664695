"""The access reviews' background job: every REVIEW_MINUTES, the reminders due and the
campaigns whose deadline has come (`service.send_reminders`, `service.close_due_campaigns`),
by Govern's clock. Both are idempotent, and several processes running the job do each thing
once: reminders lock each open campaign's row before reading what it has sent; deadlines lock
each item, then the campaign, before changing it (SQLite's single writer serialises both)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from govern import signals
from govern.interval import start_every
from govern.reviews.service import close_due_campaigns, send_reminders

log = logging.getLogger(__name__)
JOB = "access-reviews"
REVIEW_MINUTES = 10


def start_reviews(app: Flask) -> BackgroundScheduler:
    """Start the job in a scheduler of its own (stopped by `operations.worker.stop`)."""
    return start_every(app, REVIEW_MINUTES, JOB, run_reviews)


def run_reviews(app: Flask) -> None:
    """One run: reminders, then deadlines; failures are logged and counted, never raised
    into the scheduler (the next run tries again)."""
    services = app.extensions["govern"]
    ctx = services.context()
    with services.sessions() as db:
        try:
            reminded = send_reminders(db, ctx, ctx.clock.now())
            closed = close_due_campaigns(db, ctx, ctx.clock.now())
        except Exception:
            signals.job_failed.send(JOB)
            log.exception("access reviews job failed")
            return
    if reminded or closed:
        log.info("access reviews: %d reminders sent, campaigns closed: %s", reminded, closed)
