"""Long actions started from the console — a sweep, a reconciliation, the trail's verification,
a leak triage's ranking.

Each runs in a thread of its own with its own database sessions, as the scheduler's jobs do, so
that the page which started it answers at once; its row in `runs` holds how far it is and then
its report, so that whichever worker or instance answers the page that follows it can show
them. The capabilities say what a run does (`deprovision/runs.py`, `investigations/runs.py`);
this module only keeps it.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from govern.clock import Clock
from govern.db import Base, UTCDateTime
from govern.errors import GovernError, NotFound

if TYPE_CHECKING:  # the model is imported with every table, without Flask
    from flask import Flask

    from govern.web import Services

log = logging.getLogger(__name__)

#: How many times at most a run writes its progress down (every step of a small run).
PROGRESS_STEPS = 100
#: A run that has written nothing for this long is taken to have lost its process (a worker
#: restarted under it): shown as interrupted, so it can be started again. Should it still be
#: alive after all, its report replaces that when it ends.
SILENT_FOR = timedelta(minutes=15)
ID_CHARS = 16
#: The error of a run that lost its process.
INTERRUPTED = "run.interrupted"


class Run(Base):
    """A long action started from the console: who started it, how far it is, then its
    report (or the name of the error that stopped it)."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    started_by: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64), index=True)  # e.g. an investigation
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its last progress
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(64))  # a refusal's code, or the error's name

    @property
    def running(self) -> bool:
        return self.finished_at is None


class Progress:
    """Where a run writes how far it is, in a session of its own (the work commits in turn)."""

    def __init__(self, db: Session, clock: Clock, run_id: str) -> None:
        self.db, self.clock, self.run_id = db, clock, run_id
        self.done, self.step, self.written = 0, 1, 0

    def count(self, total: int) -> None:
        """The run has `total` steps to do."""
        self.step = max(1, total // PROGRESS_STEPS)
        self._write(total=total)

    def advance(self, count: int) -> None:
        """`count` more steps are done."""
        self.done += count
        if self.done - self.written >= self.step:
            self.written = self.done
            self._write(done=self.done)

    def _write(self, **values: Any) -> None:
        run = self.db.get(Run, self.run_id)
        for name, value in values.items():
            setattr(run, name, value)
        run.updated_at = self.clock.now()
        self.db.commit()


Work = Callable[[Session, "Services", Progress], dict[str, Any]]


def start(
    app: Flask,
    db: Session,
    kind: str,
    started_by: str,
    work: Work,
    *,
    action: str | None,
    dry_run: bool = False,
    subject: str | None = None,
) -> str:
    """Keep a new run (of `subject`, if it is about one thing) with the audit event `action`
    naming who started it (None: the work audits itself), then start `work` in a thread of
    its own; returns the run's id."""
    run = Run(
        id=secrets.token_hex(ID_CHARS // 2),
        kind=kind,
        dry_run=dry_run,
        started_by=started_by,
        subject=subject,
        started_at=app.extensions["govern"].clock.now(),
        updated_at=app.extensions["govern"].clock.now(),
        done=0,
    )
    db.add(run)
    if action is not None:
        app.extensions["govern"].trail.record(
            db, action, started_by, run.id, kind=kind, dry_run=dry_run
        )
    db.commit()
    thread = threading.Thread(
        target=_body, args=(app, run.id, work), name=f"govern-{kind}-{run.id}", daemon=True
    )
    thread.start()
    return run.id


def run_of(db: Session, clock: Clock, run_id: str, kinds: Collection[str]) -> Run:
    """A run of one of `kinds` and how far it is. Raises NotFound `run.unknown` (also for a
    run of another kind: whoever may see sweeps may not see the auditors' runs)."""
    run = db.get(Run, run_id) if len(run_id) <= ID_CHARS else None
    if run is None or run.kind not in kinds:
        raise NotFound("run.unknown", "No such run.")
    return _heard_of(db, clock, run)


def latest(db: Session, clock: Clock, kind: str, subject: str | None = None) -> Run | None:
    """The newest run of `kind` (about `subject`, if named), if any."""
    query = select(Run).where(Run.kind == kind)
    if subject is not None:
        query = query.where(Run.subject == subject)
    run = db.scalars(query.order_by(Run.started_at.desc(), Run.id).limit(1)).first()
    return None if run is None else _heard_of(db, clock, run)


def _heard_of(db: Session, clock: Clock, run: Run) -> Run:
    """The run, ended as interrupted if it has been silent too long (`SILENT_FOR`)."""
    now = clock.now()
    if run.running and now - (run.updated_at or run.started_at) > SILENT_FOR:
        run.finished_at, run.error = now, INTERRUPTED
        db.commit()
    return run


def _body(app: Flask, run_id: str, work: Work) -> None:
    with app.app_context():
        s: Services = app.extensions["govern"]
        with s.sessions() as db, s.sessions() as tally:
            report, error, progress = None, None, Progress(tally, s.clock, run_id)
            try:
                report = work(db, s, progress)
            except GovernError as refused:  # a refusal in words: the page words its code
                db.rollback()
                error = refused.code
            except Exception as failure:  # the page says it failed; the log says why
                db.rollback()
                error = type(failure).__name__
                log.exception("run %s failed", run_id)
            tally.rollback()
            run = tally.get(Run, run_id)
            if run is not None:
                run.report, run.error, run.done = report, error, progress.done
                run.finished_at = s.clock.now()
                tally.commit()
