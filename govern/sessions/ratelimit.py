"""Login rate limits with counters in the database, so every worker and instance shares them.

An attempt *reserves* a slot before the directory is asked, atomically, so parallel guesses
cannot slip past the limit; an attempt the directory did not refuse (a success, or no answer
at all) gives its slot back, so only failures count. The limits are in `service.py` and
docs/security.md ("Sign-in limits").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govern.sessions.models import LoginCounter


@dataclass(frozen=True)
class Slot:
    scope: str
    key: str
    window_start: datetime
    count: int


def reserve(db: Session, scope: str, value: str, now: datetime, minutes: int) -> Slot:
    """Count one more attempt for (scope, value) in the current window."""
    # surrogatepass: whatever was typed has a key, even text no database or directory takes
    key = hashlib.sha256(f"{scope}:{value}".encode(errors="surrogatepass")).hexdigest()
    start = window_start(now, minutes)
    for _ in range(3):
        count = _increment(db, scope, key, start, +1)
        if count is not None:
            return Slot(scope, key, start, count)
        try:
            with db.begin_nested():
                db.add(LoginCounter(scope=scope, key=key, window_start=start, count=1))
            return Slot(scope, key, start, 1)
        except IntegrityError:
            continue  # another worker created the row first; increment it
    raise RuntimeError("login counter could not be updated")


def give_back(db: Session, slot: Slot) -> None:
    """Return the slot of an attempt that does not count."""
    _increment(db, slot.scope, slot.key, slot.window_start, -1)


def seconds_left(slot: Slot, now: datetime, minutes: int) -> int:
    return max(1, int((slot.window_start + timedelta(minutes=minutes) - now).total_seconds()))


def forget_old(db: Session, now: datetime, minutes: int) -> None:
    db.execute(delete(LoginCounter).where(LoginCounter.window_start < window_start(now, minutes)))


def window_start(now: datetime, minutes: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % (minutes * 60), tz=now.tzinfo)


def _increment(db: Session, scope: str, key: str, start: datetime, step: int) -> int | None:
    statement = (
        update(LoginCounter)
        .where(LoginCounter.scope == scope, LoginCounter.key == key)
        .where(LoginCounter.window_start == start)
        .values(count=LoginCounter.count + step)
        .returning(LoginCounter.count)
        .execution_options(synchronize_session=False)
    )
    return db.execute(statement).scalar()
