"""The trail's verification started from the console, kept as a run (`govern/runs.py`): the
auditor's page answers at once, the pages after it show how many events are checked, then the
report. A long trail takes minutes; a web request must not wait for it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from govern import runs
from govern.web import Services

VERIFICATION = "verification"
#: The audit event naming who started a verification (its object: the run).
STARTED = "audit.verification"


def start_verification(app: Flask, db: Session, started_by: str) -> str:
    """Start checking every event against the signed checkpoints and the searchable columns
    against the entries, as `govern audit verify` does; returns the run's id."""

    def verify(_: Session, s: Services, progress: runs.Progress) -> dict[str, Any]:
        return s.trail.verify(tally=progress).as_dict()

    return runs.start(app, db, VERIFICATION, started_by, verify, action=STARTED)


def run_of(db: Session, run_id: str) -> runs.Run:
    """A verification and how far it is. Raises NotFound `run.unknown`."""
    return runs.run_of(db, run_id, (VERIFICATION,))
