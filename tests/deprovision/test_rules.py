"""The departure instant's boundary, on its own."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from govern.config import Settings
from govern.deprovision.rules import last_departed_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
SETTINGS = Settings("sqlite://", "sqlite://", "", "k" * 32, Path("a"), Path("b"), Path("c"))


def test_r_acc_4_a_departure_counts_from_its_instant_never_before() -> None:
    just_before = datetime(2026, 12, 31, 17, 59, 59, tzinfo=SHANGHAI)
    at = datetime(2026, 12, 31, 18, 0, tzinfo=SHANGHAI)
    assert last_departed_day(just_before, SETTINGS.departures) == date(2026, 12, 30)
    assert last_departed_day(at, SETTINGS.departures) == date(2026, 12, 31)


def test_r_acc_4_the_instant_holds_across_a_daylight_saving_jump() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks went forward at 02:00 on 2026-03-29
    early = Settings(
        "sqlite://",
        "sqlite://",
        "",
        "k" * 32,
        Path("a"),
        Path("b"),
        Path("c"),
        timezone=berlin,
        revoke_at=time(2, 30),
    )
    # 02:30 does not exist that day: the instant is 03:30 CEST, and not a minute before.
    assert last_departed_day(datetime(2026, 3, 29, 3, 29, tzinfo=berlin), early.departures) == date(
        2026, 3, 28
    )
    assert last_departed_day(datetime(2026, 3, 29, 3, 30, tzinfo=berlin), early.departures) == date(
        2026, 3, 29
    )
