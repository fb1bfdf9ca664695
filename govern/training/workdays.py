"""Which days are working days in China: public holidays and make-up workdays (R-TRN-2).

The `chinese_calendar` package knows the State Council's schedule for the years it was released
with. A year the training office writes in `policies/training/holidays.toml` replaces the
package for that whole year, so next year's schedule can be added as soon as it is published.
A year known to neither is refused (`YearNotCovered`), never guessed.
"""

from __future__ import annotations

import calendar
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import chinese_calendar

from govern.errors import ConfigError, Unprocessable

log = logging.getLogger(__name__)

HOLIDAYS_FILE = Path("training") / "holidays.toml"
_LISTS = ("holidays", "workdays")
_ONE_DAY = timedelta(days=1)


class YearNotCovered(Unprocessable):
    """No holiday calendar is known for a year, so its working days cannot be told."""

    def __init__(self, year: int) -> None:
        super().__init__(
            "calendar.year_unknown",
            f"The public holidays and make-up workdays of {year} are not known; "
            "add the year to policies/training/holidays.toml",
            year=year,
        )
        self.year = year


@dataclass(frozen=True)
class HolidayYear:
    """One year's schedule: weekdays off (`holidays`) and weekend days worked (`workdays`)."""

    holidays: frozenset[date]
    workdays: frozenset[date]


class WorkingDays:
    """The working-day calendar: the package's years, overridden by the training office's."""

    def __init__(self, extra_years: Mapping[int, HolidayYear] | None = None) -> None:
        self._extra = dict(extra_years or {})

    @classmethod
    def from_policies(cls, policies_dir: Path) -> WorkingDays:
        """The calendar with the years of `training/holidays.toml` in the policies folder.

        A missing file adds no years. Raises ConfigError `calendar.bad_data`, naming the file
        and the fault, if the file is not valid TOML or not in the documented form.
        """
        path = policies_dir / HOLIDAYS_FILE
        try:
            with path.open("rb") as handle:
                document = tomllib.load(handle)
        except FileNotFoundError:
            return cls()
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise _bad_data(path, str(error)) from None
        return cls(
            {_year(path, key): _holiday_year(path, key, table) for key, table in document.items()}
        )

    def is_working_day(self, day: date) -> bool:
        """Whether staff work on `day`. Raises YearNotCovered if its year is unknown."""
        extra = self._extra.get(day.year)
        if extra is not None:
            return day in extra.workdays or (day.weekday() < 5 and day not in extra.holidays)
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            warn_year_unknown(day.year)
            raise YearNotCovered(day.year) from None

    def first_working_day_from(self, day: date) -> date:
        """`day` if it is a working day, else the next one (possibly in the next year).

        Raises YearNotCovered for the first unknown year reached.
        """
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def last_working_day_of_month(self, year: int, month: int) -> date:
        """The month's last working day. Raises YearNotCovered if `year` is unknown."""
        last = date(year, month, calendar.monthrange(year, month)[1])
        for offset in range(last.day):
            day = last - timedelta(days=offset)
            if self.is_working_day(day):
                return day
        raise Unprocessable(
            "calendar.no_working_day", f"{year}-{month:02d} has no working day in the calendar"
        )

    def covers(self, year: int) -> bool:
        """Whether the working days of `year` are known."""
        if year in self._extra:
            return True
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True


@cache
def warn_year_unknown(year: int) -> None:
    """Tell the log, once a process, that a year without a holiday calendar was reached where
    it matters (a session date asked in it): its sessions are refused until it is added."""
    log.warning(
        "the public holidays of %s are unknown: training sessions that year are refused until "
        "the training office adds them to policies/%s",
        year,
        HOLIDAYS_FILE,
    )


def _year(path: Path, key: str) -> int:
    if not (len(key) == 4 and key.isdigit()):
        raise _bad_data(path, f"[{key}] is not a year; name each table by its year, e.g. [2027]")
    return int(key)


def _holiday_year(path: Path, key: str, table: Any) -> HolidayYear:
    if not isinstance(table, dict):
        raise _bad_data(path, f"{key} must be a table [{key}] with holidays and workdays")
    unknown = sorted(set(table) - set(_LISTS))
    if unknown:
        raise _bad_data(path, f"[{key}] has unknown keys {unknown}; only holidays and workdays")
    holidays, workdays = (_days(path, key, name, table.get(name, [])) for name in _LISTS)
    both = sorted(holidays & workdays)
    if both:
        raise _bad_data(path, f"[{key}] lists {both[0]} both as a holiday and as a workday")
    weekdays = sorted(day for day in workdays if day.weekday() < 5)
    if weekdays:
        raise _bad_data(path, f"[{key}] workday {weekdays[0]} is not a Saturday or Sunday")
    return HolidayYear(holidays, workdays)


def _days(path: Path, key: str, name: str, values: Any) -> frozenset[date]:
    if not isinstance(values, list):
        raise _bad_data(path, f"[{key}] {name} must be a list of dates")
    days = frozenset(_day(path, f"[{key}] {name}", value) for value in values)
    outside = sorted(day for day in days if str(day.year) != key)
    if outside:
        raise _bad_data(path, f"[{key}] {name} lists {outside[0]}, which is not in {key}")
    return days


def _day(path: Path, where: str, value: Any) -> date:
    # TOML has bare dates (2027-01-01) as well as strings; a date-time is not a day.
    if type(value) is date:
        return value
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        # fromisoformat also takes 20270101 and 2027-W01-5; only the documented form is allowed.
        if day is not None and day.isoformat() == value:
            return day
    raise _bad_data(path, f"{where}: {value!r} is not a date written YYYY-MM-DD")


def _bad_data(path: Path, fault: str) -> ConfigError:
    return ConfigError("calendar.bad_data", f"{path}: {fault}")


@cache
def working_days(policies_dir: Path) -> WorkingDays:
    """The calendar with the policies' extra years, read once per process."""
    return WorkingDays.from_policies(policies_dir)
