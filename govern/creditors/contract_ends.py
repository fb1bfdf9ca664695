"""The background job that ends contracts whose last day has passed (every
CONTRACT_END_MINUTES): a thin call of `service.end_due_contracts`, which ends each once."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from govern import signals
from govern.creditors.service import end_due_contracts
from govern.interval import start_every

log = logging.getLogger(__name__)
JOB = "contract-ends"
CONTRACT_END_MINUTES = 15


def start_contract_ends(app: Flask) -> BackgroundScheduler:
    """Run `run_contract_ends` every CONTRACT_END_MINUTES."""
    return start_every(app, CONTRACT_END_MINUTES, JOB, run_contract_ends)


def run_contract_ends(app: Flask) -> None:
    """One run; it logs failures instead of raising into the scheduler (the next run ends
    what this one left: an end a crash cut short is finished)."""
    services = app.extensions["govern"]
    with services.sessions() as db:
        try:
            ctx = services.context()
            for certificate in end_due_contracts(db, ctx, ctx.clock.now()):
                log.info(
                    "contract of %s ended: certificate %s",
                    certificate.creditor_id,
                    certificate.id,
                )
        except Exception:  # the next run tries again; the scheduler must keep the job
            signals.job_failed.send(JOB)
            log.exception("ending due contracts failed")
