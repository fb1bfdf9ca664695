"""The access reviews' plain rules: who reviews, who may decide, reminders, the next deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from govern.actor import Staff
from govern.errors import BadRequest, Conflict, Forbidden
from govern.reviews import rules

DEADLINE = datetime(2027, 1, 31, 16, 0, tzinfo=UTC)
HEAD_A = Staff("1002", "dept-a", frozenset({"department_head"}))
HEAD_B = Staff("1003", "dept-b", frozenset({"department_head"}))
GM = Staff("1001", "operations", frozenset({"general_manager"}))
COLLECTOR = Staff("1004", "dept-a", frozenset({"collector"}))


def test_a_head_reviews_their_staff_and_the_gm_the_heads_and_headless_departments() -> None:
    assert rules.reviewer_of(COLLECTOR, department_has_head=True) == "department_head"
    assert rules.reviewer_of(COLLECTOR, department_has_head=False) == "general_manager"
    assert rules.reviewer_of(HEAD_A, department_has_head=True) == "general_manager"
    assert not rules.reviewed(GM) and rules.reviewed(HEAD_A)


def test_only_the_items_reviewer_decides_and_never_their_own() -> None:
    rules.check_reviewer(HEAD_A, "department_head", "dept-a", "1004")
    rules.check_reviewer(GM, "general_manager", "dept-a", "1002")
    for actor, reviewer, department, owner, code in (
        (HEAD_B, "department_head", "dept-a", "1004", "review.not_reviewer"),
        (GM, "department_head", "dept-a", "1004", "review.not_reviewer"),
        (HEAD_A, "general_manager", "dept-a", "1003", "review.not_reviewer"),
        (HEAD_A, "department_head", "dept-a", "1002", "self.approval"),
    ):
        with pytest.raises(Forbidden) as refused:
            rules.check_reviewer(actor, reviewer, department, owner)
        assert refused.value.code == code


def test_an_item_is_decided_once_and_not_after_its_campaign_closed_or_its_deadline() -> None:
    before = DEADLINE - timedelta(seconds=1)
    rules.check_open(None, False, DEADLINE, before)
    with pytest.raises(Conflict, match=r"review\.decided"):
        rules.check_open("certified", False, DEADLINE, before)
    with pytest.raises(Conflict, match=r"review\.closed"):
        rules.check_open(None, True, DEADLINE, before)
    with pytest.raises(Conflict, match=r"review\.closed"):
        rules.check_open(None, False, DEADLINE, DEADLINE)  # the worker has not run yet


def test_reminders_are_due_three_days_and_one_day_before_each_once() -> None:
    assert rules.reminders_due(DEADLINE, DEADLINE - timedelta(days=3, seconds=1), set()) == []
    assert rules.reminders_due(DEADLINE, DEADLINE - timedelta(days=3), set()) == [3]
    assert rules.reminders_due(DEADLINE, DEADLINE - timedelta(hours=2), {3}) == [1]
    assert rules.reminders_due(DEADLINE, DEADLINE - timedelta(hours=2), set()) == [1]  # late
    assert rules.reminders_due(DEADLINE, DEADLINE - timedelta(hours=2), {3, 1}) == []
    assert rules.reminders_due(DEADLINE, DEADLINE, set()) == []  # the deadline has come


def test_the_next_deadline_is_months_on_in_company_time_without_drifting() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    first = datetime(2027, 1, 31, 0, 30, tzinfo=zone)  # 30 January in UTC
    second = rules.next_deadline(first, 1, zone, 31)
    assert second == datetime(2027, 2, 28, 0, 30, tzinfo=zone)
    assert rules.next_deadline(second, 1, zone, 31) == datetime(2027, 3, 31, 0, 30, tzinfo=zone)
    assert rules.next_deadline(first, 3, zone, 31) == datetime(2027, 4, 30, 0, 30, tzinfo=zone)


def test_a_deadline_at_midnight_is_the_end_of_the_day_before() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    assert rules.deadline_day(datetime(2026, 12, 4, tzinfo=zone), zone) == date(2026, 12, 3)
    assert rules.deadline_day(datetime(2026, 12, 4, 18, tzinfo=zone), zone) is None


def test_a_campaign_ends_in_the_future_within_a_year_and_repeats_monthly_to_yearly() -> None:
    now = DEADLINE - timedelta(days=30)
    rules.check_draft(DEADLINE, now, None, "suspend")
    rules.check_draft(DEADLINE, now, 12, "report")
    for deadline, every, code in (
        (now, None, "review.deadline_past"),
        (now + timedelta(days=367), None, "review.deadline_too_far"),
        (DEADLINE, 0, "review.period_invalid"),
        (DEADLINE, 13, "review.period_invalid"),
    ):
        with pytest.raises(BadRequest) as refused:
            rules.check_draft(deadline, now, every, "report")
        assert refused.value.code == code
    with pytest.raises(BadRequest) as refused:
        rules.check_draft(DEADLINE, now, None, "ignore")
    assert refused.value.code == "review.at_deadline_unknown"


def test_campaigns_over_a_common_department_or_the_whole_agency_overlap() -> None:
    rules.check_no_overlap(["dept-a"], [["dept-b"]])
    rules.check_no_overlap(None, [])
    for scope, open_scopes in ((["dept-a"], [["dept-a", "dept-b"]]), (None, [["dept-b"]])):
        with pytest.raises(Conflict) as refused:
            rules.check_no_overlap(scope, open_scopes)
        assert refused.value.code == "review.overlapping"


def test_a_lapsed_item_is_kept_as_what_happened_to_its_account() -> None:
    assert rules.lapsed_as("suspend", "active", None) == "suspended_at_deadline"
    assert rules.lapsed_as("suspend", "revoked", None) == "revoked_meanwhile"
    assert rules.lapsed_as("suspend", "suspended", "hr") == "already_suspended:hr"
    assert rules.lapsed_as("report", "revoked", None) == "lapsed"


def test_departments_are_typed_with_any_comma_and_a_day_ends_at_the_next_midnight() -> None:
    assert rules.departments_typed("dept-a，dept-b、 dept-c;dept-d；,") == [
        "dept-a", "dept-b", "dept-c", "dept-d",
    ]  # fmt: skip
    zone = ZoneInfo("Asia/Shanghai")
    assert rules.end_of(date(2026, 12, 3), zone) == datetime(2026, 12, 4, tzinfo=zone)
