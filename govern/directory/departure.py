"""When a person's departure takes effect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def departure_instant(departure: date, revoke_at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant access ends: the departure date at GOVERN_REVOKE_AT in GOVERN_TIMEZONE."""
    return datetime.combine(departure, revoke_at, tzinfo=zone).astimezone(UTC)


def has_departed(departure: date | None, now: datetime, revoke_at: time, zone: ZoneInfo) -> bool:
    """Whether `now` is at or past the departure instant (never only *on* the day)."""
    return departure is not None and now >= departure_instant(departure, revoke_at, zone)


@dataclass(frozen=True)
class Departures:
    """The two settings every departure rule needs, and no more: GOVERN_REVOKE_AT and
    GOVERN_TIMEZONE (`Settings.departures`)."""

    revoke_at: time
    zone: ZoneInfo

    def instant(self, departure: date) -> datetime:
        """The UTC instant access ends on `departure` (see `departure_instant`)."""
        return departure_instant(departure, self.revoke_at, self.zone)

    def passed(self, departure: date | None, now: datetime) -> bool:
        """Whether `now` is at or past the departure instant (see `has_departed`)."""
        return has_departed(departure, now, self.revoke_at, self.zone)
