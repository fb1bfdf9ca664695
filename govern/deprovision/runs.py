"""Sweeps and reconciliations started from the console, kept as runs (`govern/runs.py`): the
page that starts one answers at once, the pages after it show how far it is, then its report.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from govern import runs
from govern.clock import Clock
from govern.deprovision.reconcile import reconcile
from govern.deprovision.service import due_accounts, revoke_due, suspend_inactive
from govern.web import Services

SWEEP, RECONCILE = "sweep", "reconcile"
KINDS = (SWEEP, RECONCILE)
#: The audit event naming who started a sweep or a reconciliation (its object: the run).
STARTED = "departure.run"


def start_sweep(app: Flask, db: Session, started_by: str, *, dry_run: bool) -> str:
    """Start the daily sweep now (revoke what is due, suspend unused accounts), or its dry run
    (list what is due and what is unused, change nothing), as `govern deprovision run
    [--dry-run]` does; returns the run's id."""

    def sweep(work_db: Session, s: Services, progress: runs.Progress) -> dict[str, Any]:
        ctx = s.context()
        due = len(due_accounts(work_db, ctx.clock.now(), ctx.settings.departures))
        work_db.rollback()  # no read held while the progress is written (one writer on SQLite)
        progress.count(due)
        report = revoke_due(
            work_db, ctx, directory=s.directory, dry_run=dry_run, progress=progress.advance
        )
        suspended = suspend_inactive(work_db, ctx, dry_run=dry_run)
        return {
            "due": report.due,
            "revoked": report.revoked,
            "failed": report.failed,
            "suspended": suspended,
        }

    return runs.start(app, db, SWEEP, started_by, sweep, action=STARTED, dry_run=dry_run)


def start_reconcile(
    app: Flask, db: Session, started_by: str, *, dry_run: bool, confirm: bool = False
) -> str:
    """Start a reconciliation with the directory, as `govern deprovision reconcile` does;
    `confirm` applies a run the safety guard would hold. Returns the run's id."""

    def check(work_db: Session, s: Services, _: runs.Progress) -> dict[str, Any]:
        report = reconcile(work_db, s.directory, s.context(), dry_run=dry_run, confirm=confirm)
        return report.as_dict()

    return runs.start(app, db, RECONCILE, started_by, check, action=STARTED, dry_run=dry_run)


def run_of(db: Session, clock: Clock, run_id: str) -> runs.Run:
    """A sweep or a reconciliation and how far it is. Raises NotFound `run.unknown`."""
    return runs.run_of(db, clock, run_id, KINDS)
