"""Training sessions as approved plans produce them (R-TRN-2, R-TRN-3, R-STF-3).

Sessions are computed, not stored: an approved plan, the working-day calendar and the hire
dates decide them, so adding next year's holidays to the policies moves them by itself.
A session's id is its kind and day (`weekly-2026-10-09`), the same in every plan.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from govern.errors import NotFound
from govern.training.catalogue import Catalogue, SessionKind
from govern.training.schedule import (
    INDUCTION,
    MONTHLY,
    WEEKLY,
    induction_days,
    monthly_session_days,
    weekly_session_days,
)
from govern.training.workdays import WorkingDays

#: A Friday's session can move at most past a holiday week; look back this far for it.
_LONGEST_MOVE = timedelta(days=14)


@dataclass(frozen=True)
class Plan:
    id: str
    tracks: tuple[str, ...]
    starts: date
    ends: date


@dataclass(frozen=True)
class Calendar:
    """What sessions fall on besides the plans: the catalogue's session kinds, the working
    days and the company's time zone. They travel together to every question asked here."""

    catalogue: Catalogue
    workdays: WorkingDays
    zone: ZoneInfo


@dataclass(frozen=True)
class TrainingSession:
    id: str
    kind: SessionKind
    day: date
    starts: datetime
    ends: datetime
    tracks: tuple[str, ...]
    plans: tuple[str, ...]

    def is_for(self, track: str | None, hire_date: date | None) -> bool:
        """Whether someone on `track`, hired on `hire_date`, is expected at this session."""
        if self.kind.kind == INDUCTION:
            return hire_date == self.day
        return track in self.tracks


def sessions_between(
    calendar: Calendar,
    plans: Iterable[Plan],
    hire_dates: Iterable[date],
    start: date,
    end: date,
    kinds: Collection[str] | None = None,
) -> list[TrainingSession]:
    """Every session of the approved `plans` on a day in [start, end], in time order; only
    sessions of `kinds` when given (induction alone needs no working-day calendar).

    Raises YearNotCovered when the calendar does not know a year the range needs.
    """
    found: dict[str, TrainingSession] = {}
    hires = sorted(set(hire_dates))
    for plan in plans:
        for kind in calendar.catalogue.sessions.values():
            tracks = tuple(t for t in kind.tracks if t in plan.tracks)
            if not tracks or (kinds is not None and kind.kind not in kinds):
                continue
            for day in _days(kind.kind, calendar.workdays, hires, plan, start, end):
                found[f"{kind.kind}-{day}"] = _merge(
                    found.get(f"{kind.kind}-{day}"), kind, day, calendar.zone, tracks, plan.id
                )
    return sorted(found.values(), key=lambda s: (s.starts, s.id))


def session_by_id(
    calendar: Calendar,
    plans: Iterable[Plan],
    hire_dates: Iterable[date],
    session_id: str,
) -> TrainingSession:
    """The session called `session_id`. Raises NotFound `session.unknown`."""
    kind, _, day_text = session_id.partition("-")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        day = None
    if day is not None and kind in calendar.catalogue.sessions:
        for session in sessions_between(calendar, plans, hire_dates, day, day):
            if session.id == session_id:
                return session
    raise NotFound("session.unknown", f"No training session {session_id} in an approved plan.")


def _days(
    kind: str,
    workdays: WorkingDays,
    hires: list[date],
    plan: Plan,
    start: date,
    end: date,
) -> list[date]:
    first, last = max(start, plan.starts), min(end, plan.ends)
    if kind == WEEKLY:
        # A Friday inside the plan keeps its session even when a holiday moves it later.
        fridays_from = max(start - _LONGEST_MOVE, plan.starts)
        days = weekly_session_days(workdays, fridays_from, last)
        return [d for d in days if start <= d <= end]
    if first > last:
        return []
    if kind == MONTHLY:
        return monthly_session_days(workdays, first, last)
    return induction_days(hires, first, last)


def _merge(
    known: TrainingSession | None,
    kind: SessionKind,
    day: date,
    zone: ZoneInfo,
    tracks: tuple[str, ...],
    plan_id: str,
) -> TrainingSession:
    if known is not None:
        tracks = tuple(t for t in kind.tracks if t in tracks or t in known.tracks)
        plans = (*known.plans, plan_id)
    else:
        plans = (plan_id,)
    return TrainingSession(
        f"{kind.kind}-{day}",
        kind,
        day,
        datetime.combine(day, kind.starts, zone),
        datetime.combine(day, kind.ends, zone),
        tracks,
        plans,
    )
