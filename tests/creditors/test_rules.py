"""The contract's plain decisions: when it ends, and what the door refuses because of it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from govern.access.rules import Entrustment, check_entrustment
from govern.creditors.rules import (
    DUE,
    ENDED,
    NOT_STARTED,
    RUNNING,
    contract_state,
    ends_at,
    starts_at,
)
from govern.errors import Forbidden

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2026, 12, 31)
END = ends_at(LAST_DAY, SHANGHAI)
CONTRACT = Entrustment("CR-TEST-0001", END, frozenset({"scheduled_call"}))


def refusal(now: datetime, purpose: str | None, entrustment: Entrustment = CONTRACT) -> str:
    with pytest.raises(Forbidden) as refused:
        check_entrustment(entrustment, now, purpose)
    return refused.value.code


def test_a_contract_runs_to_the_end_of_its_last_day_in_the_companys_zone() -> None:
    assert ends_at(LAST_DAY, SHANGHAI) == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    last_moment = END - timedelta(microseconds=1)
    assert contract_state((FIRST_DAY, LAST_DAY), None, last_moment, SHANGHAI) == RUNNING
    assert contract_state((FIRST_DAY, LAST_DAY), None, END, SHANGHAI) == DUE
    assert contract_state((FIRST_DAY, LAST_DAY), END, END, SHANGHAI) == ENDED
    check_entrustment(CONTRACT, last_moment, None)  # still read
    assert refusal(END, None) == "creditor.contract_ended"


def test_a_reveal_only_for_an_agreed_purpose_a_read_needs_none() -> None:
    now = END - timedelta(days=30)
    check_entrustment(CONTRACT, now, "scheduled_call")
    check_entrustment(CONTRACT, now, None)
    assert refusal(now, "dispute") == "creditor.purpose_not_agreed"


def test_an_ended_contract_refuses_before_its_last_day_too() -> None:
    ended = Entrustment("CR-TEST-0001", END, frozenset({"scheduled_call"}), ended=True)
    assert refusal(END - timedelta(days=30), "scheduled_call", ended) == "creditor.contract_ended"


def test_a_contract_refuses_until_the_start_of_its_first_day() -> None:
    first = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    waiting = Entrustment("CR-TEST-0001", END, frozenset({"scheduled_call"}), starts_at=first)
    assert starts_at(date(2026, 1, 1), SHANGHAI) == first
    assert (
        refusal(first - timedelta(microseconds=1), None, waiting) == "creditor.contract_not_started"
    )
    assert not waiting.runs(first - timedelta(microseconds=1)) and waiting.runs(first)
    check_entrustment(waiting, first, "scheduled_call")
    assert (
        contract_state(
            (date(2026, 1, 1), LAST_DAY), None, first - timedelta(microseconds=1), SHANGHAI
        )
        == NOT_STARTED
    )
    assert contract_state((date(2026, 1, 1), LAST_DAY), None, first, SHANGHAI) == RUNNING
