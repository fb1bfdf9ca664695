"""Departures' plain decisions: whose departure is due by now, whether a departure date may be
set, and what state a departure is in. No Flask, no SQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from govern.directory.departure import Departures
from govern.errors import BadRequest, Forbidden

#: A departure's state as IT's view shows it.
NO_ACCOUNT, REVOKED, FAILED, DUE, SCHEDULED = "no_account", "revoked", "failed", "due", "scheduled"


def last_departed_day(now: datetime, departures: Departures) -> date:
    """The latest departure date whose instant (GOVERN_REVOKE_AT that day) is not after `now`."""
    today = now.astimezone(departures.zone).date()
    if departures.instant(today) <= now:
        return today
    return today - timedelta(days=1)


def check_departure_date(
    employee_number: str,
    day: date | None,
    hire_date: date | None,
    departures: Departures,
    actor_number: str | None,
) -> None:
    """May `day` (None: clear it) be set as `employee_number`'s departure date by the person
    `actor_number` (None: not a person of the directory)?

    Raises Forbidden `departure.own`, BadRequest `departure.before_hire`,
    `departure.out_of_range`.
    """
    if actor_number == employee_number:
        raise Forbidden("departure.own", "Nobody sets their own departure date.")
    if day is not None and hire_date is not None and day < hire_date:
        raise BadRequest("departure.before_hire", f"{employee_number} was hired on {hire_date}.")
    if day is not None:
        instant_of(day, departures)


def instant_of(day: date, departures: Departures) -> datetime:
    """The departure instant of `day`. Raises BadRequest `departure.out_of_range` for a day
    whose instant is past the calendar (year 1 before midnight UTC, year 9999 after it)."""
    try:
        return departures.instant(day)
    except OverflowError as error:
        raise BadRequest(
            "departure.out_of_range", "No departure instant can be computed for that day."
        ) from error


def dates_conflict(directory_date: date | None, override: date | None) -> bool:
    """Whether the directory and Govern both hold a departure date, and not the same one."""
    return None not in (directory_date, override) and directory_date != override


def departure_state(
    has_account: bool, revoked: bool, failed: bool, instant: datetime | None, now: datetime
) -> str:
    """Where a departure stands: no account, revoked, failed (left for the next sweep), due
    (its instant has passed) or scheduled."""
    if not has_account:
        return NO_ACCOUNT
    if revoked:
        return REVOKED
    if failed:
        return FAILED
    if instant is not None and now >= instant:
        return DUE
    return SCHEDULED
