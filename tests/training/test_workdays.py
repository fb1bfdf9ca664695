"""Working days by the Chinese public-holiday calendar, make-up workdays included (R-TRN-2).

Dates of 2025 and 2026 are the State Council's schedules as the chinese_calendar package holds them;
dates of 2027 and 2028 are invented test data given to the calendar, not a real schedule.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from govern.config import REPO_POLICIES
from govern.errors import ConfigError
from govern.training.catalogue import check_policies
from govern.training.workdays import (
    HolidayYear,
    WorkingDays,
    YearNotCovered,
    warn_year_unknown,
)

CALENDAR = WorkingDays()
HOLIDAYS_2027 = HolidayYear(
    holidays=frozenset({date(2027, 1, 1), date(2027, 12, 31)}),  # both Fridays
    workdays=frozenset({date(2027, 2, 21)}),  # a Sunday
)


def write_holidays(policies: Path, text: str) -> Path:
    (policies / "training").mkdir()
    (policies / "training" / "holidays.toml").write_text(text, encoding="utf-8")
    return policies


def test_r_trn_2_national_day_friday_is_not_a_working_day() -> None:
    assert not CALENDAR.is_working_day(date(2026, 10, 2))  # Friday, National Day
    assert CALENDAR.is_working_day(date(2026, 10, 9))  # an ordinary Friday


@pytest.mark.parametrize(
    "day",
    [date(2026, 2, 28), date(2026, 1, 4), date(2025, 10, 11)],
    ids=["saturday-after-spring-festival", "sunday-after-new-year", "saturday-after-national-day"],
)
def test_r_trn_2_make_up_weekend_day_is_a_working_day(day: date) -> None:
    assert day.weekday() >= 5
    assert CALENDAR.is_working_day(day)


def test_r_trn_2_ordinary_saturday_is_not_a_working_day() -> None:
    assert not CALENDAR.is_working_day(date(2026, 3, 7))


def test_r_trn_2_first_working_day_from_a_working_day_is_that_day() -> None:
    assert CALENDAR.first_working_day_from(date(2026, 10, 9)) == date(2026, 10, 9)


def test_r_trn_2_first_working_day_after_national_day_is_thursday_8_october() -> None:
    # National Day 2026 runs Thursday 1 to Wednesday 7 October.
    assert CALENDAR.first_working_day_from(date(2026, 10, 2)) == date(2026, 10, 8)


def test_r_trn_2_first_working_day_after_new_year_2026_is_the_make_up_sunday() -> None:
    assert CALENDAR.first_working_day_from(date(2026, 1, 2)) == date(2026, 1, 4)


@pytest.mark.parametrize(
    ("year", "month", "last_working_day"),
    [
        (2026, 1, date(2026, 1, 30)),  # the 31st is a Saturday
        (2026, 5, date(2026, 5, 29)),  # the 31st is a Sunday
        (2026, 10, date(2026, 10, 30)),  # the 31st is a Saturday
        (2026, 2, date(2026, 2, 28)),  # a Saturday, but a make-up workday
        (2025, 1, date(2025, 1, 27)),  # a Monday: Spring Festival runs 28 Jan to 4 Feb
        (2026, 12, date(2026, 12, 31)),  # a Thursday
    ],
)
def test_r_trn_2_last_working_day_of_month(year: int, month: int, last_working_day: date) -> None:
    assert CALENDAR.last_working_day_of_month(year, month) == last_working_day


def test_r_trn_2_year_without_data_is_refused() -> None:
    with pytest.raises(YearNotCovered) as refused:
        CALENDAR.is_working_day(date(2027, 1, 4))
    assert refused.value.code == "calendar.year_unknown"
    assert refused.value.status == 422
    assert refused.value.year == 2027
    assert "2027" in refused.value.message
    assert "policies/training/holidays.toml" in refused.value.message


def test_r_trn_2_covers_the_package_years_and_the_given_ones() -> None:
    assert CALENDAR.covers(2004) and CALENDAR.covers(2026)
    assert not CALENDAR.covers(2003)
    assert not CALENDAR.covers(2027)
    assert WorkingDays({2027: HOLIDAYS_2027}).covers(2027)


def test_r_trn_2_given_year_has_its_holidays_and_make_up_workdays() -> None:
    days = WorkingDays({2027: HOLIDAYS_2027})
    assert not days.is_working_day(date(2027, 1, 1))  # a listed Friday holiday
    assert days.is_working_day(date(2027, 2, 21))  # a listed make-up Sunday
    assert days.is_working_day(date(2027, 1, 4))  # an unlisted Monday
    assert not days.is_working_day(date(2027, 1, 2))  # an unlisted Saturday
    assert days.first_working_day_from(date(2027, 1, 1)) == date(2027, 1, 4)


def test_r_trn_2_given_year_replaces_the_package_for_that_year() -> None:
    days = WorkingDays({2026: HolidayYear(holidays=frozenset(), workdays=frozenset())})
    assert days.is_working_day(date(2026, 10, 2))
    assert not days.is_working_day(date(2026, 2, 28))


def test_r_trn_2_next_working_day_in_an_unknown_year_is_refused() -> None:
    days = WorkingDays({2027: HOLIDAYS_2027})
    with pytest.raises(YearNotCovered) as refused:
        days.first_working_day_from(date(2027, 12, 31))
    assert refused.value.year == 2028


def test_r_trn_2_next_working_day_crosses_into_the_next_given_year() -> None:
    days = WorkingDays({2027: HOLIDAYS_2027, 2028: HolidayYear(frozenset(), frozenset())})
    assert days.first_working_day_from(date(2027, 12, 31)) == date(2028, 1, 3)


def test_r_trn_2_year_from_holidays_file_counts_its_make_up_sunday(tmp_path: Path) -> None:
    policies = write_holidays(
        tmp_path,
        '[2027]\nholidays = ["2027-01-01", 2027-02-08]\nworkdays = ["2027-02-21"]\n',
    )
    days = WorkingDays.from_policies(policies)
    assert days.is_working_day(date(2027, 2, 21))
    assert not days.is_working_day(date(2027, 1, 1))
    assert not days.is_working_day(date(2027, 2, 8))  # a bare TOML date
    assert days.is_working_day(date(2026, 10, 8))  # other years still from the package


def test_r_trn_2_year_table_may_leave_out_a_list(tmp_path: Path) -> None:
    days = WorkingDays.from_policies(
        write_holidays(tmp_path, '[2027]\nholidays = ["2027-01-01"]\n')
    )
    assert days.covers(2027)
    assert not days.is_working_day(date(2027, 1, 1))


def test_r_trn_2_missing_holidays_file_adds_no_year(tmp_path: Path) -> None:
    days = WorkingDays.from_policies(tmp_path)
    assert not days.covers(2027)
    assert days.is_working_day(date(2026, 2, 28))


def test_r_trn_2_shipped_holidays_file_loads() -> None:
    days = WorkingDays.from_policies(REPO_POLICIES)
    assert days.first_working_day_from(date(2026, 10, 2)) == date(2026, 10, 8)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ('[2027]\nholidays = ["2027-02-30"]\n', "'2027-02-30' is not a date"),
        ('[2027]\nholidays = ["20270101"]\n', "'20270101' is not a date"),
        ("[2027]\nholidays = [2027-01-01T00:00:00]\n", "is not a date"),
        ('[2027]\nholidays = ["2028-01-03"]\n', "2028-01-03, which is not in 2027"),
        (
            '[2027]\nholidays = ["2027-02-21"]\nworkdays = ["2027-02-21"]\n',
            "2027-02-21 both as a holiday and as a workday",
        ),
        ('[2027]\nholiday = ["2027-01-01"]\n', "unknown keys ['holiday']"),
        ('[next]\nholidays = ["2027-01-01"]\n', "[next] is not a year"),
        ('[2027]\nworkdays = ["2027-02-22"]\n', "2027-02-22 is not a Saturday or Sunday"),
        ('[2027]\nholidays = "2027-01-01"\n', "must be a list of dates"),
        ('[2027]\nholidays = ["2027-01-01"\n', "holidays.toml"),
    ],
    ids=[
        "no-such-day",
        "compact-date",
        "date-time",
        "outside-its-year",
        "in-both-lists",
        "unknown-key",
        "not-a-year",
        "weekday-workday",
        "not-a-list",
        "not-toml",
    ],
)
def test_r_trn_2_malformed_holidays_file_is_refused(tmp_path: Path, text: str, fault: str) -> None:
    policies = write_holidays(tmp_path, text)
    with pytest.raises(ConfigError) as refused:
        WorkingDays.from_policies(policies)
    assert refused.value.code == "calendar.bad_data"
    assert str(policies / "training" / "holidays.toml") in refused.value.message
    assert fault in refused.value.message


def test_a_year_without_holidays_is_told_once_where_a_date_reaches_it_not_at_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    warn_year_unknown.cache_clear()
    with caplog.at_level(logging.WARNING):
        check_policies(REPO_POLICIES, date(2026, 11, 30))  # 2027 unknown: nothing asked in it yet
        assert "public holidays" not in caplog.text
        for _ in range(3):
            with pytest.raises(YearNotCovered):
                CALENDAR.is_working_day(date(2101, 3, 1))
    told = [r.getMessage() for r in caplog.records if "public holidays" in r.getMessage()]
    assert told == [
        "the public holidays of 2101 are unknown: training sessions that year are refused "
        "until the training office adds them to policies/training/holidays.toml"
    ]
