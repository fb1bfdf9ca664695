"""The auditors' long actions started from the console, kept as runs (`govern/runs.py`): the
trail's verification (minutes on a long trail) and a leak triage's ranking (seconds to
minutes for tens of thousands of leaked ids). The page answers at once; the pages after it
show how far the work is, then its result.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from govern import runs
from govern.clock import Clock
from govern.investigations.service import investigation, rank_in_time
from govern.web import Services

VERIFICATION, TRIAGE = "verification", "leak_triage"
#: The audit event naming who started a verification (its object: the run). A ranking needs
#: none: it is audited as the query it is (`audit.queried`).
VERIFICATION_STARTED = "audit.verification"


def start_verification(app: Flask, db: Session, started_by: str) -> str:
    """Start checking every event against the signed checkpoints and the searchable columns
    against the entries, as `govern audit verify` does, unless one is under way (one at a
    time: two would only halve each other's speed); returns the run's id."""
    under_way = latest_verification(db, app.extensions["govern"].clock)
    if under_way is not None and under_way.running:
        return under_way.id

    def verify(_: Session, s: Services, progress: runs.Progress) -> dict[str, Any]:
        return s.trail.verify(tally=progress).as_dict()

    return runs.start(app, db, VERIFICATION, started_by, verify, action=VERIFICATION_STARTED)


def verification(db: Session, clock: Clock, run_id: str) -> runs.Run:
    """A verification and how far it is. Raises NotFound `run.unknown`."""
    return runs.run_of(db, clock, run_id, (VERIFICATION,))


def latest_verification(db: Session, clock: Clock) -> runs.Run | None:
    """The newest verification started from the console, under way or done."""
    return runs.latest(db, clock, VERIFICATION)


def start_triage(app: Flask, db: Session, started_by: str, investigation_id: str) -> str:
    """Start ranking who revealed an investigation's leaked records (its report: the ranking,
    likely source first), unless a ranking of it is under way; returns the run's id."""
    under_way = latest_triage(db, app.extensions["govern"].clock, investigation_id)
    if under_way is not None and under_way.running:
        return under_way.id

    def triage(work_db: Session, s: Services, progress: runs.Progress) -> dict[str, Any]:
        # It only reads (its audit event goes its own way): on SQLite it must not hold the
        # one writer's lock, or its progress could not be written beside it.
        work_db.connection(execution_options={"read_only": True})
        found = investigation(work_db, investigation_id)
        progress.count(len(found.debtor_ids))
        ranking = rank_in_time(work_db, s.context(), started_by, found, progress.advance)
        return {"ranking": ranking}

    return runs.start(app, db, TRIAGE, started_by, triage, action=None, subject=investigation_id)


def latest_triage(db: Session, clock: Clock, investigation_id: str) -> runs.Run | None:
    """The newest ranking of an investigation, under way or done."""
    return runs.latest(db, clock, TRIAGE, investigation_id)
