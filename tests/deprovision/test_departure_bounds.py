"""A departure date is decided whole before it is kept: a day whose instant cannot be computed
is refused, where it used to be stored first and then answered with a 500."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from govern.actor import Actor, Staff
from govern.deprovision.service import set_departure
from govern.directory.models import Identity
from govern.errors import BadRequest
from tests.support.agency import Agency
from tests.support.staff import LiveDirectory


@pytest.mark.parametrize(
    ("day", "revoke_at", "zone"),
    [
        (date(1, 1, 1), time(0, 0), "Asia/Shanghai"),  # the day before in UTC: year 0
        (date(9999, 12, 31), time(23, 59), "Pacific/Honolulu"),  # the day after: year 10000
    ],
)
def test_a_departure_day_without_an_instant_is_refused_before_anything_is_kept(
    agency: Agency, directory: LiveDirectory, day: date, revoke_at: time, zone: str
) -> None:
    ids = agency.with_accounts("col.a1", "it")
    directory.set("col.a1", "governHireDate", None)  # no hire date to refuse year 1 first
    agency.sync()
    s = agency.services
    settings = replace(s.settings, revoke_at=revoke_at, timezone=ZoneInfo(zone))
    it = Actor(Staff("1008", "it", frozenset({"it"})), ids["it"])
    with s.sessions() as db, pytest.raises(BadRequest) as refused:
        set_departure(db, replace(s.context(), settings=settings), it, "1004", day)
    assert refused.value.code == "departure.out_of_range"
    with s.sessions() as db:
        assert db.get(Identity, "1004").departure_override is None
    assert agency.account(ids["col.a1"]).state == "active"
