"""The training rules on their own: boundaries the API tests do not reach."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from govern.errors import Conflict
from govern.training.rules import (
    ALLOW_RETAKE,
    HR_CASE_OPEN,
    NOT_TAKEN,
    PASSED,
    RETAKE_REQUIRED,
    ExamEvent,
    Leave,
    add_months,
    exam_standing,
    feedback_kind,
    grade,
    induction_unscheduled,
    leave_problem,
)

START = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)  # Friday 14:00 in Shanghai
HALF_DAY = timedelta(hours=12)


def test_r_trn_6_leave_asked_exactly_half_a_day_ahead_counts() -> None:
    on_time = Leave(START - HALF_DAY, START - timedelta(minutes=1))
    assert leave_problem(on_time, START, HALF_DAY) is None
    a_second_late = Leave(START - HALF_DAY + timedelta(seconds=1), START - timedelta(hours=1))
    assert leave_problem(a_second_late, START, HALF_DAY) == "leave.too_late"
    approved_at_the_start = Leave(START - timedelta(days=2), START)
    assert leave_problem(approved_at_the_start, START, HALF_DAY) == "leave.not_approved"


def test_r_trn_5_the_pass_mark_itself_passes_and_one_below_fails() -> None:
    assert grade(NOT_TAKEN, 0, 80, 80).passed
    assert not grade(NOT_TAKEN, 0, 79, 80).passed
    assert grade(RETAKE_REQUIRED, 1, 79, 80).opens_hr_case
    with pytest.raises(Conflict):
        grade(HR_CASE_OPEN, 2, 100, 80)


def test_r_trn_5_a_fail_and_the_hr_case_it_opens_at_the_same_instant_keep_their_order() -> None:
    at = START
    history = [ExamEvent(at, "hr_case"), ExamEvent(at, "fail"), ExamEvent(at, "fail")]
    assert exam_standing(history) == HR_CASE_OPEN
    assert exam_standing([*history, ExamEvent(at + HALF_DAY, ALLOW_RETAKE)]) == RETAKE_REQUIRED
    assert exam_standing([*history, ExamEvent(at + HALF_DAY, "pass")]) == PASSED


def test_r_trn_7_three_months_after_a_months_last_day_is_the_shorter_months_last_day() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_r_trn_7_probation_or_regular_form_by_hire_date() -> None:
    assert feedback_kind(date(2026, 6, 1), date(2026, 11, 30), 6) == "probation"
    assert feedback_kind(date(2026, 5, 30), date(2026, 11, 30), 6) == "regular"
    assert feedback_kind(None, date(2026, 11, 30), 6) == "regular"


def test_r_trn_3_induction_is_owed_on_the_hire_date_itself_by_whoever_is_still_here() -> None:
    hired = date(2026, 11, 2)
    assert induction_unscheduled(hired, True, set())
    assert induction_unscheduled(hired, True, {date(2026, 11, 3)})  # the next day is too late
    assert not induction_unscheduled(hired, True, {hired})
    assert not induction_unscheduled(hired, False, set())  # left the company
