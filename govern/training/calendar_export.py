"""Training sessions as an iCalendar file (RFC 5545) staff can add to their calendar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event

from govern.training.timetable import TrainingSession


def sessions_ics(sessions: Iterable[TrainingSession], stamped: datetime) -> bytes:
    """One VEVENT per session; its UID is the session id, so re-importing updates, not doubles."""
    calendar = Calendar()
    calendar.add("prodid", "-//Govern//training sessions//ZH")
    calendar.add("version", "2.0")
    for session in sessions:
        event = Event()
        event.add("uid", f"{session.id}@govern")
        event.add("dtstamp", stamped)
        event.add("summary", session.kind.title)
        event.add("dtstart", session.starts)
        event.add("dtend", session.ends)
        event.add("description", f"{session.kind.section}; tracks: {', '.join(session.tracks)}")
        calendar.add_component(event)
    calendar.add_missing_timezones()  # RFC 5545: a VTIMEZONE for every TZID used
    return calendar.to_ical()
