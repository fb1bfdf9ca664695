"""Training session days: weekly and monthly (R-TRN-2), induction on the hire date (R-TRN-3).

Dates of 2026 follow the State Council's schedule as the chinese_calendar package holds it;
the 2027 schedule below is invented test data.
"""

from __future__ import annotations

from datetime import date

import pytest

from govern.training.schedule import induction_days, monthly_session_days, weekly_session_days
from govern.training.workdays import HolidayYear, WorkingDays, YearNotCovered

CALENDAR = WorkingDays()


def test_r_trn_2_ordinary_fridays_are_session_days() -> None:
    sessions = weekly_session_days(CALENDAR, date(2026, 3, 1), date(2026, 3, 31))
    assert sessions == [date(2026, 3, 6), date(2026, 3, 13), date(2026, 3, 20), date(2026, 3, 27)]


def test_r_trn_2_friday_in_national_day_week_moves_to_first_working_day_after() -> None:
    # Friday 2 October 2026 is in the National Day holiday (1 to 7 October); Thursday 8th is worked.
    sessions = weekly_session_days(CALENDAR, date(2026, 9, 28), date(2026, 10, 11))
    assert sessions == [date(2026, 10, 8), date(2026, 10, 9)]


def test_r_trn_2_friday_after_new_year_moves_to_the_make_up_sunday() -> None:
    sessions = weekly_session_days(CALENDAR, date(2026, 1, 1), date(2026, 1, 11))
    assert sessions == [date(2026, 1, 4), date(2026, 1, 9)]


def test_r_trn_2_moved_session_after_the_range_still_belongs_to_its_friday() -> None:
    assert weekly_session_days(CALENDAR, date(2026, 10, 1), date(2026, 10, 2)) == [
        date(2026, 10, 8)
    ]


def test_r_trn_2_moved_session_of_a_friday_before_the_range_is_not_listed() -> None:
    assert weekly_session_days(CALENDAR, date(2026, 10, 3), date(2026, 10, 8)) == []


def test_r_trn_2_session_moved_onto_the_next_friday_is_one_session() -> None:
    week_off = frozenset(date(2027, 1, day) for day in range(1, 8))  # Friday 1st to Thursday 7th
    days = WorkingDays({2027: HolidayYear(holidays=week_off, workdays=frozenset())})
    assert weekly_session_days(days, date(2027, 1, 1), date(2027, 1, 8)) == [date(2027, 1, 8)]


def test_r_trn_2_weekly_sessions_in_a_year_without_data_are_refused() -> None:
    with pytest.raises(YearNotCovered):
        weekly_session_days(CALENDAR, date(2026, 12, 28), date(2027, 1, 10))


def test_r_trn_2_management_trains_on_each_months_last_working_day() -> None:
    assert monthly_session_days(CALENDAR, date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 1, 30),  # the 31st is a Saturday
        date(2026, 2, 28),  # a make-up Saturday
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 29),  # the 31st is a Sunday
        date(2026, 6, 30),
        date(2026, 7, 31),
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 30),  # the 31st is a Saturday
        date(2026, 11, 30),
        date(2026, 12, 31),
    ]


def test_r_trn_2_monthly_session_counts_only_when_its_day_is_in_the_range() -> None:
    assert monthly_session_days(CALENDAR, date(2026, 1, 31), date(2026, 2, 27)) == []
    assert monthly_session_days(CALENDAR, date(2026, 1, 30), date(2026, 2, 28)) == [
        date(2026, 1, 30),
        date(2026, 2, 28),
    ]


def test_r_trn_2_monthly_sessions_across_the_new_year() -> None:
    assert monthly_session_days(CALENDAR, date(2025, 12, 1), date(2026, 1, 31)) == [
        date(2025, 12, 31),
        date(2026, 1, 30),
    ]


def test_r_trn_3_induction_is_on_each_distinct_hire_date_in_the_range() -> None:
    hire_dates = [
        date(2026, 10, 12),
        date(2026, 10, 3),  # a Saturday in the National Day holiday: induction still that day
        date(2026, 10, 12),
        date(2026, 9, 30),  # before the range
        date(2026, 11, 1),  # after the range
        date(2026, 10, 31),
    ]
    assert induction_days(hire_dates, date(2026, 10, 1), date(2026, 10, 31)) == [
        date(2026, 10, 3),
        date(2026, 10, 12),
        date(2026, 10, 31),
    ]


def test_r_trn_3_induction_needs_no_calendar_for_the_year() -> None:
    assert induction_days([date(2031, 5, 1)], date(2031, 1, 1), date(2031, 12, 31)) == [
        date(2031, 5, 1)
    ]


def test_r_trn_2_empty_range_has_no_sessions() -> None:
    start, end = date(2026, 10, 10), date(2026, 10, 9)
    assert weekly_session_days(CALENDAR, start, end) == []
    assert monthly_session_days(CALENDAR, start, end) == []
    assert induction_days([date(2026, 10, 9)], start, end) == []
