"""A background job run every few minutes in a scheduler of its own: the one way the periodic
directory sync, the access reviews' job and the creditors' contract ends are started."""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask


def start_every(
    app: Flask, minutes: int, job: str, run: Callable[[Flask], None]
) -> BackgroundScheduler:
    """Run `run(app)` every `minutes` as `job`, never two at once, missed runs coalesced; the
    caller stops the scheduler (`operations.worker.stop`)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        run,
        "interval",
        minutes=minutes,
        args=[app],
        id=job,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.start()
    return scheduler
