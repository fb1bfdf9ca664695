"""PostgreSQL's locks, as a test holds them and watches others wait for them: to stop a
process at a chosen point of its work (before its events are numbered, behind a row) and know
it is there."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, func, select, text

from audit.store import APPEND_LOCK

#: Backends waiting for a lock, by kind (pg_locks is everyone's to read, whichever role asks;
#: pg_stat_activity hides other roles' waits). The trail's append lock is a bigint advisory
#: lock: its two 32-bit halves.
WAITING = text(
    "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = :kind"
    " AND (:kind <> 'advisory' OR (classid::bigint = :high AND objid::bigint = :low))"
)


@contextmanager
def holding_the_trail(engine: Engine) -> Iterator[None]:
    """Hold the trail's append lock: every event waits to be numbered until the block ends."""
    with engine.connect() as holder:
        holder.execute(select(func.pg_advisory_lock(APPEND_LOCK)))
        holder.commit()
        try:
            yield
        finally:
            holder.execute(select(func.pg_advisory_unlock(APPEND_LOCK)))
            holder.commit()


def waiting(engine: Engine, kind: str) -> int:
    """How many backends wait for a lock of `kind`: `advisory` (the trail's append lock),
    `transactionid` (another transaction's row or unique key), `tuple`."""
    halves = {"high": APPEND_LOCK >> 32, "low": APPEND_LOCK & 0xFFFFFFFF}
    with engine.connect() as watcher:
        return watcher.execute(WAITING, {"kind": kind, **halves}).scalar() or 0


def until_waiting(engine: Engine, kind: str, count: int = 1, seconds: float = 30) -> None:
    """Return once `count` backends wait for a lock of `kind`; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while waiting(engine, kind) < count:
        assert time.monotonic() < deadline, f"no {count} backends waiting for a {kind} lock"
        time.sleep(0.05)
