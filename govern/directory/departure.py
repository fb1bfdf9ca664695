"""When a person's departure takes effect."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def departure_instant(departure: date, revoke_at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant access ends: the departure date at GOVERN_REVOKE_AT in GOVERN_TIMEZONE."""
    return datetime.combine(departure, revoke_at, tzinfo=zone).astimezone(UTC)


def has_departed(departure: date | None, now: datetime, revoke_at: time, zone: ZoneInfo) -> bool:
    """Whether `now` is at or past the departure instant (never only *on* the day)."""
    return departure is not None and now >= departure_instant(departure, revoke_at, zone)
