"""Small queries the note use cases stand on."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from govern.notes.models import Script

# ---- call scripts (govern/notes/scripts.py) ----------------------------------------------------

ACTIVE = "active"
RETIRED = "retired"


def script(db: Session, script_id: str, lock: bool = False) -> Script | None:
    """A call script; `lock`: held until the transaction ends, so that two saves of one
    script take their versions one after the other (PostgreSQL; SQLite serialises writers)."""
    query = select(Script).where(Script.id == script_id)
    return db.scalar(query.with_for_update() if lock else query)


def scripts(db: Session, retired: bool = False) -> Sequence[Script]:
    """The active call scripts (with `retired`, every one), by title."""
    query = select(Script).order_by(Script.title, Script.id)
    return db.scalars(query if retired else query.where(Script.state == ACTIVE)).all()
