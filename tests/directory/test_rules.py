"""The departure instant and the safety guard, as plain functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from govern.directory.departure import departure_instant, has_departed
from govern.directory.guard import check_removals

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_r_acc_4_the_departure_instant_is_the_date_at_revoke_time_in_the_company_zone() -> None:
    instant = departure_instant(date(2026, 12, 31), time(18, 0), SHANGHAI)
    assert instant == datetime(2026, 12, 31, 10, 0, tzinfo=UTC)


def test_r_acc_4_departed_from_the_instant_on_not_only_on_the_day() -> None:
    departure = date(2026, 12, 31)
    at = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
    assert not has_departed(
        departure, datetime(2026, 12, 31, 9, 59, 59, tzinfo=UTC), time(18, 0), SHANGHAI
    )
    assert has_departed(departure, at, time(18, 0), SHANGHAI)
    assert has_departed(departure, datetime(2027, 3, 1, tzinfo=UTC), time(18, 0), SHANGHAI)
    assert not has_departed(None, at, time(18, 0), SHANGHAI)


def test_the_guard_holds_above_the_percentage() -> None:
    assert not check_removals(5, 100, 5.0, 20).held
    assert check_removals(6, 100, 5.0, 20).held


def test_the_guard_holds_above_the_count_in_a_large_agency() -> None:
    assert not check_removals(20, 10_000, 5.0, 20).held
    assert check_removals(21, 10_000, 5.0, 20).held


def test_no_removals_are_never_held() -> None:
    assert not check_removals(0, 0, 5.0, 20).held
