"""Sweeps and reconciliations started from the console. Each runs in a thread of its own with
its own database sessions, as the scheduler's jobs do, so that the page which started it answers
at once; its row in `departure_runs` holds how far it is and then its report, so that whichever
worker or instance answers the page that follows it can show them.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from govern.deprovision.models import DepartureRun
from govern.deprovision.reconcile import reconcile
from govern.deprovision.service import due_accounts, revoke_due, suspend_inactive
from govern.errors import NotFound
from govern.web import Services

log = logging.getLogger(__name__)

SWEEP, RECONCILE = "sweep", "reconcile"
#: How many times at most a run writes its progress down (every account of a small run).
PROGRESS_STEPS = 100


class Progress:
    """Where a run writes how far it is, in a session of its own (the work commits in turn)."""

    def __init__(self, db: Session, run_id: str) -> None:
        self.db, self.run_id, self.done, self.step = db, run_id, 0, 1

    def count(self, total: int) -> None:
        self.step = max(1, total // PROGRESS_STEPS)
        self._write(total=total)

    def advance(self, count: int) -> None:
        self.done += count
        if self.done % self.step == 0:
            self._write(done=self.done)

    def _write(self, **values: Any) -> None:
        run = self.db.get(DepartureRun, self.run_id)
        for name, value in values.items():
            setattr(run, name, value)
        self.db.commit()


Work = Callable[[Session, Services, Progress], dict[str, Any]]


def start_sweep(app: Flask, db: Session, started_by: str, *, dry_run: bool) -> str:
    """Start the daily sweep now (revoke what is due, suspend unused accounts), or its dry run
    (list what is due and what is unused, change nothing), as `govern deprovision run
    [--dry-run]` does; returns the run's id."""

    def sweep(work_db: Session, s: Services, progress: Progress) -> dict[str, Any]:
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

    return _start(app, db, _new_run(app, SWEEP, dry_run, started_by), sweep)


def start_reconcile(
    app: Flask, db: Session, started_by: str, *, dry_run: bool, confirm: bool = False
) -> str:
    """Start a reconciliation with the directory, as `govern deprovision reconcile` does;
    `confirm` applies a run the safety guard would hold. Returns the run's id."""

    def check(work_db: Session, s: Services, _: Progress) -> dict[str, Any]:
        report = reconcile(work_db, s.directory, s.context(), dry_run=dry_run, confirm=confirm)
        return report.as_dict()

    return _start(app, db, _new_run(app, RECONCILE, dry_run, started_by), check)


def run_of(db: Session, run_id: str) -> DepartureRun:
    """A run and how far it is. Raises NotFound `run.unknown`."""
    run = db.get(DepartureRun, run_id) if len(run_id) <= 16 else None
    if run is None:
        raise NotFound("run.unknown", "No such run.")
    return run


def _new_run(app: Flask, kind: str, dry_run: bool, started_by: str) -> DepartureRun:
    now = app.extensions["govern"].clock.now()
    return DepartureRun(
        id=secrets.token_hex(8),
        kind=kind,
        dry_run=dry_run,
        started_by=started_by,
        started_at=now,
        done=0,
    )


def _start(app: Flask, db: Session, run: DepartureRun, work: Work) -> str:
    """Keep the run with the event naming who started it, then start it."""
    db.add(run)
    trail = app.extensions["govern"].trail
    trail.record(db, "departure.run", run.started_by, run.id, kind=run.kind, dry_run=run.dry_run)
    db.commit()
    thread = threading.Thread(
        target=_body, args=(app, run.id, work), name=f"govern-{run.kind}-{run.id}", daemon=True
    )
    thread.start()
    return run.id


def _body(app: Flask, run_id: str, work: Work) -> None:
    with app.app_context():
        s: Services = app.extensions["govern"]
        with s.sessions() as db, s.sessions() as tally:
            report, error, progress = None, None, Progress(tally, run_id)
            try:
                report = work(db, s, progress)
            except Exception as failure:  # the page says it failed; the log says why
                db.rollback()
                error = type(failure).__name__
                log.exception("departure run %s failed", run_id)
            tally.rollback()
            run = tally.get(DepartureRun, run_id)
            if run is not None:
                run.report, run.error, run.done = report, error, progress.done
                run.finished_at = s.clock.now()
                tally.commit()
