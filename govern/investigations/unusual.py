"""Unusual access (R-AUD-3): bulk viewing, views outside work hours or outside the viewer's
project group, view spikes before a departure, and every read through a break-glass grant or
an investigation. Asking is itself audited, as every auditors' question is (questions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from audit.entry import decode, micros
from govern.context import Context
from govern.directory.departure import Departures
from govern.investigations import repository
from govern.investigations.questions import EventFilter, Window, audited, with_times

PRE_DEPARTURE_DAYS = 30
SPIKE_FACTOR = 3


def unusual_access(
    db: Session, ctx: Context, auditor: str, window: Window
) -> dict[str, list[dict[str, Any]]]:
    """Bulk viewing, views outside work hours or outside the viewer's project group, view
    spikes in the 30 days before an account's departure, and every read through a break-glass
    grant or an investigation."""
    connection, settings = db.connection(), ctx.settings
    zone, hours = settings.timezone, settings.work_hours
    views = repository.views_between(connection, *window.us)
    found = {
        "bulk": [
            with_times(r)
            for r in repository.bulk_viewers(connection, *window.us, settings.bulk_views_per_hour)
        ],
        "off_hours": [with_times(v) for v in views if _off_hours(v["at_us"], zone, hours)],
        "outside_group": [
            with_times(v)
            for v in views
            if v["object_group"] and v["viewer_group"] != v["object_group"]
        ],
        "before_departure": _departure_spikes(db, window, settings.departures),
        **_flagged_reads(db, window),
    }
    db.commit()  # the query ends here; it is audited durably after
    audited(db, ctx.trail, auditor, "unusual", sum(len(v) for v in found.values()))
    return found


#: The debtor reads whose events say how the viewer reached the debtor.
DEBTOR_READS = ("debtor.viewed", "debtor.revealed", "debtor.listed", "debtor.found")
#: Reads flagged in *unusual access* whatever else they look like: through a supervisor's
#: break-glass grant, and an auditor's reads inside an investigation (each names its grant or
#: investigation).
FLAGGED_WAYS = ("break_glass", "investigation")


def _flagged_reads(db: Session, window: Window) -> dict[str, list[dict[str, Any]]]:
    """Every read made through a break-glass grant or an investigation, by way."""
    flagged: dict[str, list[dict[str, Any]]] = {way: [] for way in FLAGGED_WAYS}
    for action in DEBTOR_READS:
        wanted = EventFilter(
            action=action, start_us=window.us[0], end_us=window.us[1], limit=100_000
        )
        for _, entry in repository.find_events(db.connection(), wanted):
            event = decode(entry)
            for way in FLAGGED_WAYS:
                if event["details"].get(way):
                    flagged[way].append(event)
    return {way: sorted(uses, key=lambda e: e["seq"]) for way, uses in flagged.items()}


def _departure_spikes(db: Session, window: Window, departures: Departures) -> list[dict[str, Any]]:
    """Accounts whose daily views in the 30 days before departure are SPIKE_FACTOR times
    their daily views in the 90 days before that."""
    spikes = []
    for account_id, departure in repository.departures(db):
        leaving = departures.instant(departure)
        recent_start = leaving - timedelta(days=PRE_DEPARTURE_DAYS)
        if not (window.start <= leaving and recent_start < window.end):
            continue
        before_start = recent_start - timedelta(days=90)
        recent = repository.daily_views(
            db.connection(), account_id, micros(recent_start), micros(leaving)
        )
        before = repository.daily_views(
            db.connection(), account_id, micros(before_start), micros(recent_start)
        )
        recent_rate, before_rate = recent / PRE_DEPARTURE_DAYS, before / 90
        if recent and recent_rate >= SPIKE_FACTOR * max(before_rate, 1 / 90):
            spikes.append(
                {
                    "account": account_id,
                    "departure": departure.isoformat(),
                    "views_last_30_days": recent,
                    "views_90_days_before": before,
                }
            )
    return spikes


def _off_hours(at_us: int, zone: ZoneInfo, work_hours: tuple[time, time]) -> bool:
    local = datetime.fromtimestamp(at_us / 1_000_000, UTC).astimezone(zone).time()
    start, end = work_hours
    at_work = (
        start <= local < end if start <= end else (local >= start or local < end)
    )  # night shift
    return not at_work
