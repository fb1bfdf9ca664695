"""On which days training sessions take place (R-TRN-2, R-TRN-3). Pure rules of the calendar.

Every range is inclusive at both ends. A date in a year the calendar does not know raises
`YearNotCovered` (from `govern.training.workdays`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from govern.training.workdays import WorkingDays

#: Kinds of training session: ordinary staff on Fridays, management monthly, new staff on hire.
WEEKLY, MONTHLY, INDUCTION = "weekly", "monthly", "induction"

_FRIDAY = 4
_ONE_WEEK = timedelta(days=7)


def weekly_session_days(days: WorkingDays, start: date, end: date) -> list[date]:
    """Ordinary staff's session days for the Fridays from `start` to `end` (R-TRN-2).

    The session is on the Friday itself if it is a working day, else on the first working day
    after it. Each session belongs to its Friday: a moved session is listed when its Friday is
    in the range even if it lands after `end`, and not listed when its Friday is before `start`.
    So consecutive ranges list each session exactly once. Sorted; a moved session that lands on
    the next Friday's date (a holiday of a week or more) is one date.
    """
    first_friday = start + timedelta(days=(_FRIDAY - start.weekday()) % 7)
    fridays = _every(first_friday, end, _ONE_WEEK)
    return sorted({days.first_working_day_from(friday) for friday in fridays})


def monthly_session_days(days: WorkingDays, start: date, end: date) -> list[date]:
    """Management's session days: each month's last working day, where it lies in the range."""
    session_days = (
        days.last_working_day_of_month(year, month) for year, month in _months(start, end)
    )
    return [day for day in session_days if start <= day <= end]


def induction_days(hire_dates: Iterable[date], start: date, end: date) -> list[date]:
    """Induction days: the distinct hire dates in the range, sorted (R-TRN-3).

    Induction is on the hire date itself, whether or not it is a working day.
    """
    return sorted({day for day in hire_dates if start <= day <= end})


def _every(first: date, last: date, step: timedelta) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += step


def _months(start: date, end: date) -> Iterable[tuple[int, int]]:
    """(year, month) of every month from `start`'s to `end`'s."""
    for number in range(start.year * 12 + start.month - 1, end.year * 12 + end.month):
        yield number // 12, number % 12 + 1
