"""What the metrics read of the database when scraped: the revocations of departures and their
lag after the departure instant, in one aggregate query over the departures. The database
holds the truth whichever process revoked (a web worker, the worker, a command), so these are
read, not counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, extract, func, select
from sqlalchemy.orm import Session

from govern.deprovision.models import REVOKED, Departure


@dataclass(frozen=True)
class Lags:
    """Departures revoked, the sum of their lags (seconds) and, for each bound, how many
    were revoked within it (cumulative, as a Prometheus histogram counts)."""

    count: int
    total_seconds: float
    within: tuple[int, ...]


def revocation_lags(db: Session, bounds: Sequence[float]) -> Lags:
    """The lags of every revoked departure, counted under each of `bounds` (seconds)."""
    lag = _seconds_between(db, Departure.due_at, Departure.revoked_at)
    counts = [func.sum(case((lag <= bound, 1), else_=0)) for bound in bounds]
    query = select(func.count(), func.sum(lag), *counts).where(Departure.state == REVOKED)
    count, total, *within = db.execute(query).one()
    return Lags(count, float(total or 0.0), tuple(int(n or 0) for n in within))


def _seconds_between(
    db: Session, start: ColumnElement[object], end: ColumnElement[object]
) -> ColumnElement[float]:
    """`end - start` in seconds, as the database computes it."""
    if db.get_bind().dialect.name == "postgresql":
        return extract("epoch", end - start)  # type: ignore[operator]
    # julianday's days are floating point: rounded to the millisecond, 90 s stays 90 s
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)
