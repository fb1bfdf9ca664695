"""Sweeps and reconciliations started from the console. Each runs in a thread of its own with
its own database session, as the scheduler's jobs do, so that the page which started it can
answer at once and show its progress while it runs.

A run is known to the process that started it only (kept in memory, the last RUNS_KEPT): on
several instances behind one address its page may answer `run.unknown` on another instance.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from govern.deprovision.reconcile import ReconcileReport, reconcile
from govern.deprovision.service import SweepReport, due_accounts, revoke_due, suspend_inactive
from govern.errors import NotFound
from govern.web import Services

log = logging.getLogger(__name__)

RUNS = "govern.deprovision.runs"
RUNS_KEPT = 50
SWEEP, RECONCILE = "sweep", "reconcile"
_lock = threading.Lock()


@dataclass
class Run:
    """One sweep or reconciliation: who started it, how far it is, and its report."""

    id: str
    kind: str  # SWEEP or RECONCILE
    dry_run: bool
    started_by: str
    started_at: datetime
    total: int | None = None  # known once the sweep has counted what is due
    done: int = 0
    finished_at: datetime | None = None
    sweep: SweepReport | None = None
    suspended: list[str] = field(default_factory=list)
    reconcile: ReconcileReport | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        return self.finished_at is None

    def advance(self, count: int) -> None:
        self.done += count


def start_sweep(app: Flask, started_by: str, *, dry_run: bool) -> Run:
    """Start the daily sweep now (revoke what is due, suspend unused accounts), or its dry run
    (list what is due, change nothing), as `govern deprovision run [--dry-run]` does."""
    return _start(app, Run(_new_id(), SWEEP, dry_run, started_by, _now(app)), _sweep)


def start_reconcile(app: Flask, started_by: str, *, dry_run: bool, confirm: bool = False) -> Run:
    """Start a reconciliation with the directory, as `govern deprovision reconcile` does;
    `confirm` applies a run the safety guard would hold."""
    run = Run(_new_id(), RECONCILE, dry_run, started_by, _now(app))
    return _start(app, run, lambda db, s, r: _reconcile(db, s, r, confirm))


def run_of(app: Flask, run_id: str) -> Run:
    """A run this process started. Raises NotFound `run.unknown`."""
    run = _runs(app).get(run_id)
    if run is None:
        raise NotFound("run.unknown", "No such run here (runs are kept in memory, for a while).")
    return run


Work = Callable[[Session, Services, Run], None]


def _sweep(db: Session, s: Services, run: Run) -> None:
    ctx = s.context()
    run.total = len(due_accounts(db, ctx.clock.now(), ctx.settings.departures))
    db.rollback()
    run.sweep = revoke_due(
        db, ctx, directory=s.directory, dry_run=run.dry_run, progress=run.advance
    )
    if not run.dry_run:
        run.suspended = suspend_inactive(db, ctx)


def _reconcile(db: Session, s: Services, run: Run, confirm: bool) -> None:
    run.reconcile = reconcile(db, s.directory, s.context(), dry_run=run.dry_run, confirm=confirm)


def _start(app: Flask, run: Run, work: Work) -> Run:
    runs = _runs(app)
    with _lock:
        runs[run.id] = run
        for old in list(runs)[:-RUNS_KEPT]:
            del runs[old]
    thread = threading.Thread(
        target=_body, args=(app, run, work), name=f"govern-{run.kind}-{run.id}", daemon=True
    )
    thread.start()
    return run


def _body(app: Flask, run: Run, work: Work) -> None:
    with app.app_context():
        s: Services = app.extensions["govern"]
        try:
            with s.sessions() as db:
                work(db, s, run)
        except Exception as error:  # the page shows that it failed; the log has why
            run.error = type(error).__name__
            log.exception("%s run %s failed", run.kind, run.id)
        finally:
            run.finished_at = s.clock.now()


def _runs(app: Flask) -> dict[str, Run]:
    with _lock:
        return app.extensions.setdefault(RUNS, {})  # type: ignore[no-any-return]


def _new_id() -> str:
    return secrets.token_urlsafe(9)


def _now(app: Flask) -> datetime:
    return app.extensions["govern"].clock.now()  # type: ignore[no-any-return]
